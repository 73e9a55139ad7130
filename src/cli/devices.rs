//! `botui devices`

use botui::device::device_report;

#[derive(clap::Args, Debug)]
pub struct DevicesArgs {
    /// Print one JSON array instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: DevicesArgs) -> anyhow::Result<()> {
    let rows = device_report();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!("{:<10} {:<6} {:<7} detail", "device", "built", "usable");
    for row in rows {
        println!(
            "{:<10} {:<6} {:<7} {}",
            row.name,
            if row.built { "yes" } else { "no" },
            if row.usable { "yes" } else { "no" },
            row.detail
        );
    }
    Ok(())
}
