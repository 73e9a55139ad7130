//! `botui model NAME`: architecture summary, parameters and MACs of a zoo model.

use std::path::PathBuf;

use anyhow::Context;
use botui::device::DeviceName;
use botui::model::import::{ImportOptions, ImportReport, detect_config, load_pretrained};
use botui::model::{
    InitScheme, LayerRow, Model, ModelConfig, ModelName, ResNetVariant, StemKind, Summary,
    parse_model,
};
use serde_json::json;

#[derive(clap::Args, Debug)]
pub struct ModelArgs {
    /// resnet18|34|50|101|152 (a suffix picks the variant: resnet50d), mobilenet, inception_v3.
    /// May be left out with --weights: the model is then read from the file's keys.
    #[arg(required_unless_present = "weights")]
    name: Option<String>,
    /// Number of classes of the classifier (default 1000, or the weights file's).
    #[arg(long)]
    classes: Option<usize>,
    /// Image side the model sees (default: the paper's, 224, or 299 for Inception-V3).
    #[arg(long)]
    input: Option<usize>,
    /// ResNet variant: A, B, C or D (Sec. 4 of the paper).
    #[arg(long)]
    variant: Option<ResNetVariant>,
    /// Stem: auto (small for inputs up to 64), imagenet or small.
    #[arg(long, value_parser = parse_stem, default_value = "auto")]
    stem: StemKind,
    /// MobileNet width multiplier.
    #[arg(long, default_value_t = 1.0)]
    width: f64,
    /// Print every layer, not one row per stage.
    #[arg(long)]
    layers: bool,
    /// Print one JSON object (keys model, params, macs, ...).
    #[arg(long)]
    json: bool,
    /// Load weights saved by torchvision or timm, or written by `botui export` (.pth, .pt or
    /// .safetensors) and print what matched; exits non-zero when a tensor is missing or has
    /// another shape.
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
    /// With --weights: leave the classifier (fc) as initialized, to fine-tune with another
    /// class count.
    #[arg(long, requires = "weights")]
    skip_classifier: bool,
    /// Device to build the model on: flex, libtorch or cuda:N.
    #[arg(long, default_value = "flex")]
    device: DeviceName,
}

fn parse_stem(s: &str) -> Result<StemKind, String> {
    match s {
        "auto" => Ok(StemKind::Auto),
        "imagenet" => Ok(StemKind::Imagenet),
        "small" => Ok(StemKind::Small),
        _ => Err(format!(
            "unknown stem '{s}': expected auto, imagenet or small"
        )),
    }
}

pub fn run(args: ModelArgs) -> anyhow::Result<()> {
    let config = match (&args.name, &args.weights) {
        (Some(name), _) => named_config(name, &args)?,
        (None, Some(weights)) => {
            let mut config = detect_config(weights)?;
            if let Some(input) = args.input {
                config.input = input;
            }
            config
        }
        (None, None) => unreachable!("clap requires a name or --weights"),
    };
    let device = args.device.resolve()?;
    let (model, report) = build(&config, &args, &device)?;
    let summary = model.summary(config.input);
    if args.json {
        let value = json!({
            "model": config.display_name(),
            "name": config.name.to_string(),
            "variant": matches!(config.name, ModelName::ResNet(_)).then(|| config.variant.to_string()),
            "classes": config.classes,
            "input": config.input,
            "small_input": config.small_input(),
            "params": summary.params(),
            "macs": summary.macs(),
            "layers": if args.layers { serde_json::to_value(&summary.rows)? } else { serde_json::to_value(stage_rows(&summary))? },
            "weights": report,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!(
        "{} ({} classes, {}x{} input{})",
        config.display_name(),
        config.classes,
        config.input,
        config.input,
        if config.small_input() {
            ", small-input stem"
        } else {
            ""
        }
    );
    if let Some(report) = &report {
        println!("weights: {report}");
    }
    println!();
    println!(
        "{:<28} {:<34} {:>16} {:>12} {:>10}",
        "layer", "kind", "output", "params", "MMACs"
    );
    let rows = if args.layers {
        summary.rows.clone()
    } else {
        stage_rows(&summary)
    };
    for row in &rows {
        println!(
            "{:<28} {:<34} {:>16} {:>12} {:>10.1}",
            row.name,
            row.kind,
            format!("{}x{}x{}", row.output[0], row.output[1], row.output[2]),
            thousands(row.params as u64),
            row.macs as f64 / 1e6
        );
    }
    println!();
    println!(
        "parameters: {} (conv + BN gamma/beta + FC; BN running statistics not counted)",
        thousands(summary.params() as u64)
    );
    println!(
        "multiply-accumulates: {} ({:.3} G, what the paper calls FLOPs)",
        thousands(summary.macs()),
        summary.macs() as f64 / 1e9
    );
    Ok(())
}

/// The config that `NAME` and the flags describe.
fn named_config(name: &str, args: &ModelArgs) -> anyhow::Result<ModelConfig> {
    let (name, suffix_variant) = parse_model(name)?;
    let input = args.input.unwrap_or(name.paper_input());
    let mut config = ModelConfig::new(name, args.classes.unwrap_or(1000), input);
    config.variant = args.variant.or(suffix_variant).unwrap_or_default();
    config.stem = args.stem;
    config.width = args.width;
    config.init = InitScheme::default();
    Ok(config)
}

/// The model, with the weights file loaded into it when one is given.
fn build(
    config: &ModelConfig,
    args: &ModelArgs,
    device: &burn::tensor::Device,
) -> anyhow::Result<(Model, Option<ImportReport>)> {
    let Some(path) = &args.weights else {
        let model = config
            .init(device)
            .with_context(|| format!("building {}", config.display_name()))?;
        return Ok((model, None));
    };
    let options = ImportOptions {
        skip_classifier: args.skip_classifier,
    };
    // The import errors name the file and the model themselves.
    let (model, report) = load_pretrained(config, path, device, options)?;
    Ok((model, Some(report)))
}

/// One row per top-level part (stem, layer1..4, fc): sums of the layers under it.
fn stage_rows(summary: &Summary) -> Vec<LayerRow> {
    let mut out: Vec<(LayerRow, usize)> = Vec::new();
    for row in &summary.rows {
        let group = row.name.split('.').next().unwrap_or(&row.name);
        match out.last_mut() {
            Some((last, count)) if last.name == group => {
                last.params += row.params;
                last.macs += row.macs;
                last.output = row.output;
                *count += 1;
                last.kind = format!("{count} layers");
            }
            _ => out.push((
                LayerRow {
                    name: group.to_string(),
                    ..row.clone()
                },
                1,
            )),
        }
    }
    out.into_iter().map(|(row, _)| row).collect()
}

/// 25557032 -> "25,557,032"
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
