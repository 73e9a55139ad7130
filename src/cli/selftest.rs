//! `botui selftest [--device D]`: the training kernels against burn's own operations on one
//! device, in every precision and memory layout it trains in (botui::train::selftest). Exits
//! non-zero on a mismatch.

use anyhow::bail;
use botui::device::DeviceName;
use botui::train::selftest;

#[derive(clap::Args, Debug)]
pub struct SelftestArgs {
    /// flex, libtorch or cuda:N [default: the first usable of cuda:0, libtorch, flex].
    #[arg(long)]
    device: Option<DeviceName>,
    /// One JSON object per check, then a summary object.
    #[arg(long)]
    json: bool,
    /// Print every check, not only the failures and the summary.
    #[arg(long, short)]
    verbose: bool,
}

pub fn run(args: SelftestArgs) -> anyhow::Result<()> {
    let device = args
        .device
        .unwrap_or_else(|| botui::device::usable_devices()[0]);
    let report = selftest::run(device).map_err(anyhow::Error::msg)?;
    let failures = report.failures().len();
    if args.json {
        for check in &report.checks {
            println!("{}", serde_json::to_string(check)?);
        }
        println!(
            "{}",
            serde_json::json!({
                "device": report.device, "checks": report.checks.len(), "failures": failures,
                "notes": report.notes, "seconds": report.seconds,
            })
        );
    } else {
        for check in &report.checks {
            if args.verbose || !check.passed {
                println!(
                    "{} {:<5} {:<13} {} / {}: {:.3e} (must be {} {:.3e})",
                    if check.passed { "ok  " } else { "FAIL" },
                    check.precision,
                    check.layout,
                    check.case,
                    check.what,
                    check.value,
                    if check.at_least { ">=" } else { "<=" },
                    check.bound
                );
            }
        }
        for note in &report.notes {
            println!("note: {note}");
        }
        let mut variants: Vec<String> = Vec::new();
        for c in &report.checks {
            let v = format!("{} {}", c.precision, c.layout);
            if !variants.contains(&v) {
                variants.push(v);
            }
        }
        println!(
            "selftest on {}: {} of {} checks passed ({}) in {:.1} s",
            report.device,
            report.checks.len() - failures,
            report.checks.len(),
            variants.join(", "),
            report.seconds
        );
    }
    if failures > 0 {
        bail!(
            "{failures} kernel checks failed on {}: the training kernels disagree with burn's operations",
            report.device
        );
    }
    Ok(())
}
