//! `botui hw [--json]`: what the workbench's hardware pane reads, printed headless: per NVIDIA
//! GPU (NVML) utilization, memory, temperature and power; the machine's CPU and memory, and why
//! there are no GPU readings when there are none.

use std::time::Duration;

use anyhow::bail;
use botui::hw::{HostProbe, HwSample, detect_gpus};

#[derive(clap::Args, Debug)]
pub struct HwArgs {
    /// Readings to take.
    #[arg(long, default_value_t = 1)]
    samples: usize,
    /// Milliseconds between readings (CPU percentages are measured over this interval).
    #[arg(long, default_value_t = 500)]
    interval: u64,
    /// One JSON object per reading.
    #[arg(long)]
    json: bool,
}

pub fn run(args: HwArgs) -> anyhow::Result<()> {
    if args.samples == 0 {
        bail!("--samples must be at least 1");
    }
    let mut gpus = detect_gpus();
    let mut host = HostProbe::new();
    // CPU percentages are differences between two readings: prime the probe first.
    host.sample();
    for i in 0..args.samples {
        std::thread::sleep(Duration::from_millis(args.interval.max(1)));
        let sample = HwSample {
            gpus: gpus.sample(),
            host: host.sample(),
            gpu_note: gpus.note(),
        };
        if args.json {
            println!("{}", serde_json::to_string(&sample)?);
        } else {
            if i > 0 {
                println!();
            }
            print_sample(&sample);
        }
    }
    Ok(())
}

fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

fn print_sample(s: &HwSample) {
    for g in &s.gpus {
        let opt =
            |v: Option<f32>, unit: &str| v.map_or("n/a".to_string(), |v| format!("{v:.0} {unit}"));
        println!(
            "gpu {} {}: utilization {:.0} %, memory {:.1} / {:.1} GiB, temperature {}, power {} of {}",
            g.index,
            g.name,
            g.utilization,
            gib(g.memory_used),
            gib(g.memory_total),
            g.temperature_c
                .map_or("n/a".to_string(), |t| format!("{t} C")),
            opt(g.power_w, "W"),
            opt(g.power_limit_w, "W"),
        );
    }
    if let Some(note) = &s.gpu_note {
        println!("gpu: none ({note})");
    }
    let h = &s.host;
    println!(
        "cpu: {} cores, {:.0} % busy, memory {:.1} / {:.1} GiB",
        h.cores,
        h.cpu_percent,
        gib(h.memory_used),
        gib(h.memory_total)
    );
}
