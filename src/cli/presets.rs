//! `botui presets [--json]`: every preset (built-in and the user's) with its tricks and the
//! paper's numbers. `botui presets show NAME`: one preset fully resolved, as TOML.

use std::fmt::Write as _;
use std::io::Write as _;

use anyhow::Context;
use botui::config::{ConfigError, Origin, Preset, PresetLibrary, PresetSource};
use serde_json::json;

#[derive(clap::Args, Debug)]
pub struct PresetsArgs {
    /// Print one JSON array instead of a table.
    #[arg(long)]
    json: bool,
    #[command(subcommand)]
    command: Option<PresetsCommand>,
}

#[derive(clap::Subcommand, Debug)]
enum PresetsCommand {
    /// Print a preset fully resolved (its `extends` chain applied, every key spelled out).
    Show {
        /// The preset's name, as `botui presets` lists it.
        name: String,
    },
}

pub fn run(args: PresetsArgs) -> anyhow::Result<()> {
    let library = PresetLibrary::load_user().context("cannot read the user presets")?;
    if let Some(PresetsCommand::Show { name }) = args.command {
        let preset = library.resolve(&name)?;
        return emit(&preset.to_toml());
    }
    let all = library.resolve_all();
    let broken = all.iter().filter(|(_, r)| r.is_err()).count();
    if args.json {
        let rows: Vec<_> = all
            .iter()
            .map(|(name, r)| json_row(&library, name, r))
            .collect();
        emit(&format!("{}\n", serde_json::to_string_pretty(&rows)?))?;
    } else {
        emit(&table(&all))?;
    }
    for (_, result) in &all {
        if let Err(e) = result {
            eprintln!("{e}");
        }
    }
    if broken > 0 {
        anyhow::bail!("{broken} preset(s) have errors (see above)");
    }
    Ok(())
}

/// "77.91 / 93.81  Table 6 ResNet-50-D: + cosine decay"
fn paper_text(p: &Preset) -> String {
    let Some(r) = p.paper() else {
        return "-".into();
    };
    let top5 = r.top5.map_or("-".to_string(), |t| format!("{t:.2}"));
    let row = if r.row.starts_with(&r.model) {
        r.row.clone()
    } else {
        format!("{} {}", r.model, r.row)
    };
    let mut text = format!("{:.2} / {top5}  {}: {row}", r.top1, r.table);
    if p.is_laptop() {
        text.push_str(" (ImageNet)");
    }
    text
}

/// Writes to stdout; a closed pipe (`botui presets | head`) is not an error.
fn emit(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// A preset's name and its (paper, tricks) columns, or what is wrong with it.
type TableRow<'a> = (&'a str, Result<(String, String), &'a ConfigError>);

/// The presets grouped by where their numbers come from (the paper's tables first, then each
/// recipe after it, then botui's own), each group under a heading; broken presets last.
fn table(all: &[(String, Result<Preset, ConfigError>)]) -> String {
    let mut sorted: Vec<&(String, Result<Preset, ConfigError>)> = all.iter().collect();
    sorted.sort_by_key(|(_, r)| (r.is_err(), r.as_ref().ok().map(Preset::source)));
    let sources: Vec<Option<PresetSource>> = sorted
        .iter()
        .map(|(_, r)| r.as_ref().ok().map(Preset::source))
        .collect();
    let rows: Vec<TableRow> = sorted
        .iter()
        .map(|(name, result)| {
            let row = result.as_ref().map(|p| {
                let mut tricks: Vec<String> = p.tricks().iter().map(|t| t.short_name()).collect();
                if tricks.is_empty() {
                    tricks.push("-".into());
                }
                for m in p.missing_inputs() {
                    tricks.push(format!("[needs {}]", m.key));
                }
                (paper_text(p), tricks.join(" "))
            });
            (name.as_str(), row)
        })
        .collect();
    let name_width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(4).max(4);
    let paper_width = rows
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok().map(|(p, _)| p.len()))
        .max()
        .unwrap_or(5);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<name_width$}  {:<paper_width$}  tricks",
        "name", "paper top-1 / top-5"
    );
    for (i, (name, row)) in rows.into_iter().enumerate() {
        if let Some(source) = &sources[i]
            && (i == 0 || sources[i - 1].as_ref() != Some(source))
        {
            let _ = writeln!(out, "-- {source}");
        }
        let _ = match row {
            Ok((paper, tricks)) => {
                writeln!(out, "{name:<name_width$}  {paper:<paper_width$}  {tricks}")
            }
            Err(_) => writeln!(out, "{name:<name_width$}  ERROR (see below)"),
        };
    }
    out
}

fn json_row(
    library: &PresetLibrary,
    name: &str,
    result: &Result<Preset, ConfigError>,
) -> serde_json::Value {
    let file = library.file(name);
    let origin = match file.map(|f| &f.origin) {
        Some(Origin::User(path)) => path.display().to_string(),
        _ => "builtin".to_string(),
    };
    let replaces_builtin = file.is_some_and(|f| f.replaces_builtin);
    match result {
        Ok(p) => json!({
            "name": name,
            "origin": origin,
            "replaces_builtin": replaces_builtin,
            "extends": p.extends,
            "description": p.description(),
            "laptop": p.is_laptop(),
            "tricks": p.tricks().iter().map(|t| t.short_name()).collect::<Vec<_>>(),
            "paper": p.paper(),
            "needs": p.missing_inputs().iter().map(|m| m.to_string()).collect::<Vec<_>>(),
            "error": null,
        }),
        Err(e) => json!({
            "name": name,
            "origin": origin,
            "replaces_builtin": replaces_builtin,
            "error": e.to_string(),
        }),
    }
}
