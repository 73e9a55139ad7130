//! `botui eval`: a run, checkpoint or weights file on a dataset's validation split.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;

use anyhow::Context;
use botui::device::DeviceName;
use botui::eval::{EvalOptions, EvalReport, evaluate, open, run_device};
use botui::train::validate::Tta;

#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// A run folder (its best.ckpt, else last.ckpt), a .ckpt checkpoint, or a torchvision/timm
    /// weights file (.pth, .pt, .safetensors; the model is read from its keys).
    model: PathBuf,
    /// builtin, imagefolder:PATH, cifar10:PATH, cifar100:PATH or mnist:PATH; its validation
    /// split is evaluated. Default: the run's own data.
    #[arg(long)]
    data: Option<String>,
    /// Image side (default: the model's input).
    #[arg(long)]
    input: Option<usize>,
    /// Images per batch (default: the run's batch size, else 64).
    #[arg(long)]
    batch_size: Option<usize>,
    /// Test-time augmentation: none, or flip (average the logits of each image and its mirror).
    #[arg(long, value_parser = parse_tta, default_value = "none")]
    tta: Tta,
    /// How many confused class pairs to list.
    #[arg(long, default_value_t = 10)]
    confused: usize,
    /// flex, libtorch or cuda:N (default: the run's device, else flex).
    #[arg(long)]
    device: Option<DeviceName>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

fn parse_tta(s: &str) -> Result<Tta, String> {
    match s {
        "none" => Ok(Tta::None),
        "flip" => Ok(Tta::Flip),
        _ => Err(format!(
            "unknown test-time augmentation '{s}': expected none or flip"
        )),
    }
}

pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    let device_name = match args.device {
        Some(d) => d,
        None => run_device(&args.model),
    };
    let device = device_name
        .resolve()
        .with_context(|| format!("device {device_name} (choose another with --device)"))?;
    let loaded = open(&args.model, &device, true)?;
    let options = EvalOptions {
        data: args.data,
        input: args.input,
        batch_size: args.batch_size,
        tta: args.tta,
        confused: args.confused,
    };
    let show_progress = !args.json && std::io::stderr().is_terminal();
    let mut progress = |done: usize, total: usize| {
        if show_progress {
            eprint!("\revaluating: {done}/{total} images");
            let _ = std::io::stderr().flush();
        }
        ControlFlow::Continue(())
    };
    let report = evaluate(&loaded, &options, &device, &mut progress);
    if show_progress {
        eprint!("\r\x1b[2K");
    }
    let report = report?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(())
}

fn print_report(r: &EvalReport) {
    let epoch = match (r.epoch, r.trained_top1) {
        (Some(e), Some(t)) => format!(" (epoch {e}; the trainer measured val top-1 {t:.2} %)"),
        (Some(e), None) => format!(" (epoch {e})"),
        _ => String::new(),
    };
    println!("{} from {}{epoch}", r.model, r.file.display());
    println!(
        "data {} (validation split): {} images at {}x{}, batch {}{}",
        r.data,
        r.images,
        r.input,
        r.input,
        r.batch_size,
        if r.tta { ", flip TTA" } else { "" }
    );
    println!(
        "loss {:.4}   top-1 {:.2} %   top-{} {:.2} %",
        r.loss, r.top1, r.top_k, r.top5
    );
    let width = r
        .per_class
        .iter()
        .map(|c| c.class.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    println!();
    println!(
        "{:<width$}  {:>7}  {:>7}  {:>8}",
        "class", "images", "correct", "top-1"
    );
    for c in &r.per_class {
        let top1 = c.top1.map_or("-".into(), |t| format!("{t:.2} %"));
        println!(
            "{:<width$}  {:>7}  {:>7}  {:>8}",
            c.class, c.images, c.correct, top1
        );
    }
    if !r.confused.is_empty() {
        println!();
        println!("most confused (true class -> predicted):");
        for p in &r.confused {
            println!(
                "  {} -> {}: {} images ({:.1} % of {})",
                p.class, p.predicted, p.images, p.share, p.class
            );
        }
    }
}
