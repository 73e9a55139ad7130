//! `botui predict`: class names and probabilities for image files.

use std::path::PathBuf;

use anyhow::{Context, bail};
use botui::device::DeviceName;
use botui::eval::predict::{image_paths, predict};
use botui::eval::{open, run_device};
use serde_json::json;

#[derive(clap::Args, Debug)]
pub struct PredictArgs {
    /// A run folder (its best.ckpt, else last.ckpt) or a .ckpt checkpoint.
    model: PathBuf,
    /// Image files (.jpg, .jpeg, .png) or folders of them.
    #[arg(required = true)]
    images: Vec<PathBuf>,
    /// Classes to show per image.
    #[arg(long, default_value_t = 5)]
    top: usize,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// With --json: include each image's raw logits.
    #[arg(long, requires = "json")]
    logits: bool,
    /// flex, libtorch or cuda:N (default: the run's device, else flex).
    #[arg(long)]
    device: Option<DeviceName>,
}

pub fn run(args: PredictArgs) -> anyhow::Result<()> {
    if args.top == 0 {
        bail!("--top must be at least 1");
    }
    let device_name = args.device.unwrap_or_else(|| run_device(&args.model));
    let device = device_name
        .resolve()
        .with_context(|| format!("device {device_name} (choose another with --device)"))?;
    let loaded = open(&args.model, &device, false)?;
    let (files, mut failed) = image_paths(&args.images);
    let mut predictions = predict(&loaded, &files, args.top, args.logits, &device);
    predictions.append(&mut failed);
    let errors = predictions.iter().filter(|p| p.error.is_some()).count();
    if args.json {
        let value = json!({
            "model": loaded.config.display_name(),
            "file": loaded.file,
            "input": loaded.config.input,
            "predictions": predictions,
            "failed": errors,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        for p in &predictions {
            match &p.error {
                Some(why) => println!("{}: cannot classify: {why}", p.path.display()),
                None => {
                    println!("{}", p.path.display());
                    for g in &p.top {
                        println!("  {:>6.2} %  {}", 100.0 * g.probability, g.name);
                    }
                }
            }
        }
    }
    if errors > 0 {
        bail!(
            "{errors} of {} images could not be classified",
            predictions.len()
        );
    }
    Ok(())
}
