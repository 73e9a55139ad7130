//! `botui export`: a run's or checkpoint's weights under torchvision's or timm's names.

use std::path::PathBuf;

use anyhow::bail;
use botui::eval::open;
use botui::model::export::{ExportFormat, ExportTarget, export_weights};

/// Why `--format onnx` is refused (the README says the same).
const NO_ONNX: &str = "ONNX export is not built in: burn 0.22 has no ONNX exporter (burn-onnx \
                       only imports) and no maintained Rust crate builds an ONNX graph from a \
                       model. Export to torchvision or timm, load the weights there and call \
                       torch.onnx.export (the README shows how)";

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// A run folder (its best.ckpt, else last.ckpt) or a .ckpt checkpoint.
    model: PathBuf,
    /// Whose model names to use: torchvision (ResNet-B, Inception-V3) or timm (ResNet-B/C/D,
    /// MobileNet v1, Inception-V3).
    #[arg(long)]
    to: ExportTarget,
    /// safetensors or pth (default: from --out's extension).
    #[arg(long, value_parser = parse_format)]
    format: Option<ExportFormat>,
    /// The file to write (.safetensors, .pth or .pt).
    #[arg(long)]
    out: PathBuf,
}

fn parse_format(s: &str) -> Result<ExportFormat, String> {
    match s.to_ascii_lowercase().as_str() {
        "safetensors" => Ok(ExportFormat::Safetensors),
        "pth" | "pt" => Ok(ExportFormat::Pth),
        "onnx" => Err(NO_ONNX.into()),
        _ => Err(format!("unknown format '{s}': expected safetensors or pth")),
    }
}

pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let format = match args.format.or_else(|| ExportFormat::from_path(&args.out)) {
        Some(f) => f,
        None if args.out.extension().is_some_and(|e| e == "onnx") => bail!("{NO_ONNX}"),
        None => bail!(
            "{}: say --format safetensors or pth, or end the name in .safetensors, .pth or .pt",
            args.out.display()
        ),
    };
    let device = burn::tensor::Device::flex();
    let loaded = open(&args.model, &device, false)?;
    let iterations = loaded.meta.as_ref().map_or(0, |m| m.iteration) as i64;
    let summary = export_weights(
        &loaded.model,
        &loaded.config,
        args.to,
        format,
        &args.out,
        iterations,
    )?;
    let plan = &summary.plan;
    let path = summary.path.display();
    println!(
        "wrote {path}: {} tensors ({:.1} MB) for {} {} with {} classes, from {}",
        summary.tensors,
        summary.bytes as f64 / 1e6,
        plan.target,
        plan.architecture,
        loaded.config.classes,
        loaded.file.display()
    );
    let load = match format {
        ExportFormat::Safetensors => format!("safetensors.torch.load_file(\"{path}\")"),
        ExportFormat::Pth => format!("torch.load(\"{path}\", weights_only=True)"),
    };
    println!("load it in PyTorch:");
    println!("  model = {}", plan.constructor);
    println!("  model.load_state_dict({load})");
    let run = loaded.run_config();
    let side = loaded.config.input;
    let resize = (side as f64 / run.augment.val_crop_ratio).round();
    println!(
        "inputs: RGB, shorter side resized to {resize}, center crop {side}x{side}{}",
        if run.augment.normalize {
            ", normalized with mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225) on [0, 1]"
        } else {
            ", values in [0, 255] (this run trained without normalization)"
        }
    );
    if let Some(note) = &plan.note {
        println!("note: {note}");
    }
    Ok(())
}
