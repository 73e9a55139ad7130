//! `botui study FILE|NAME` (run a study: every row and seed, then the table with error bars)
//! and `botui studies` (list them; `show NAME` prints one).

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, bail};
use botui::config::PresetLibrary;
use botui::device::DeviceName;
use botui::study::folder::studies_dir;
use botui::study::{
    Overrides, RunOutcome, RunRef, StudyCommand, StudyDir, StudyEvent, StudyLibrary, StudyPlan,
    StudyRequest,
};
use botui::train::run_names::new_run_dir;
use botui::train::{LogLevel, TrainEvent};

use super::train::{Out, on_interrupt};

#[derive(clap::Args, Debug)]
pub struct StudyArgs {
    /// A study's name (`botui studies` lists them) or a study file.
    #[arg(required_unless_present = "resume")]
    study: Option<String>,
    /// Runs per row (seeds seed, seed + 1, ...); with --resume, more seeds for a study.
    #[arg(long)]
    seeds: Option<usize>,
    /// Where runs train (flex, libtorch, cuda:N). Give it several times to train several runs at
    /// once, one per device.
    #[arg(long = "device", value_name = "DEVICE")]
    devices: Vec<DeviceName>,
    /// Resolve and check every row, print the plan, and run nothing.
    #[arg(long)]
    dry_run: bool,
    /// Continue the study in this folder: finished runs are kept, the others run.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["study", "out", "model", "data", "epochs", "batch_size", "input", "set"])]
    resume: Option<PathBuf>,
    /// The study folder (default: a new folder under botui's data dir, `studies/`).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Every row's model (as `botui train --model`).
    #[arg(long)]
    model: Option<String>,
    /// Every row's data (and the teachers'): builtin, imagefolder:PATH, cifar10:PATH, ...
    #[arg(long)]
    data: Option<String>,
    /// Every row's epochs.
    #[arg(long)]
    epochs: Option<usize>,
    /// Every row's batch size.
    #[arg(long)]
    batch_size: Option<usize>,
    /// Every row's input side.
    #[arg(long)]
    input: Option<usize>,
    /// A config key for every row, after the study's base: `--set data.workers=2`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
}

#[derive(clap::Args, Debug)]
pub struct StudiesArgs {
    #[command(subcommand)]
    command: Option<StudiesCommand>,
}

#[derive(clap::Subcommand, Debug)]
enum StudiesCommand {
    /// Print a study file.
    Show { name: String },
}

pub fn run_studies(args: StudiesArgs) -> anyhow::Result<()> {
    let library = StudyLibrary::load_user().context("cannot read the user studies")?;
    if let Some(StudiesCommand::Show { name }) = args.command {
        print!("{}", library.open(&name)?.text);
        return Ok(());
    }
    let names = library.names();
    let width = names.iter().map(|n| n.len()).max().unwrap_or(4);
    println!("{:<width$}  {:<6}  description", "name", "origin");
    for name in names {
        let file = library.get(name).expect("listed");
        let origin = match file.origin {
            botui::config::Origin::BuiltIn => "builtin",
            botui::config::Origin::User(_) => "user",
        };
        println!("{name:<width$}  {origin:<6}  {}", file.description());
    }
    Ok(())
}

pub fn run_study(args: StudyArgs) -> anyhow::Result<()> {
    let presets = PresetLibrary::load_user().context("cannot read the user presets")?;
    let (dir, plan) = match &args.resume {
        Some(path) => resume(path, args.seeds)?,
        None => {
            let library = StudyLibrary::load_user().context("cannot read the user studies")?;
            let file = library.open(args.study.as_deref().expect("clap requires it"))?;
            let plan = botui::study::plan(&file, &overrides(&args), &presets)?;
            if checked_dry_run(&plan, &args)? {
                return Ok(());
            }
            let path = match &args.out {
                Some(p) => p.clone(),
                None => {
                    let root = studies_dir()
                        .context("no home directory to put studies in; pass --out DIR")?;
                    new_run_dir(&root, &plan.name)
                }
            };
            let dir = StudyDir::create(&path, &plan, &file.text)?;
            (dir, plan)
        }
    };
    if args.resume.is_some() && checked_dry_run(&plan, &args)? {
        return Ok(());
    }
    eprintln!("botui: study folder {}", dir.path.display());
    execute(dir, plan, args.devices)
}

/// Checks the devices the plan trains on; with --dry-run, prints the plan and says so (true).
fn checked_dry_run(plan: &StudyPlan, args: &StudyArgs) -> anyhow::Result<bool> {
    plan.check_devices(&args.devices)
        .map_err(anyhow::Error::msg)?;
    if args.dry_run {
        print!("{}", describe(plan));
        println!("--dry-run: nothing was run.");
    }
    Ok(args.dry_run)
}

fn overrides(args: &StudyArgs) -> Overrides {
    Overrides {
        seeds: args.seeds,
        model: args.model.clone(),
        data: args.data.clone(),
        device: args.devices.first().map(|d| d.to_string()),
        epochs: args.epochs,
        batch_size: args.batch_size,
        input: args.input,
        set: args.set.clone(),
    }
}

/// Opens a study folder; `--seeds` may add seeds to it.
fn resume(path: &Path, seeds: Option<usize>) -> anyhow::Result<(StudyDir, StudyPlan)> {
    let (dir, mut plan) = StudyDir::open(path)?;
    if let Some(n) = seeds {
        if n < plan.seeds {
            bail!(
                "{} has {} seeds per row; --seeds can add seeds, not remove them",
                path.display(),
                plan.seeds
            );
        }
        if n > plan.seeds {
            plan.seeds = n;
            dir.write_plan(&plan)?;
        }
    }
    Ok((dir, plan))
}

/// The plan as `--dry-run` prints it.
fn describe(plan: &StudyPlan) -> String {
    let mut out = format!("study `{}` ({})", plan.name, plan.source);
    if !plan.table.is_empty() {
        out.push_str(&format!(": {}", plan.table));
    }
    out.push_str(&format!(
        ", {}, {} seed{} per row\n",
        plan.mode.as_str(),
        plan.seeds,
        if plan.seeds == 1 { "" } else { "s" }
    ));
    let summary = |c: &botui::config::RunConfig| {
        format!(
            "{} {}px, {} epochs, batch {}, lr {}, on {}, data {}",
            c.model_config(2).display_name(),
            c.model.input,
            c.epochs,
            c.batch_size,
            c.peak_lr(),
            c.device,
            c.data.source
        )
    };
    for t in &plan.teachers {
        out.push_str(&format!("teacher `{}`: {}\n", t.name, summary(&t.config)));
    }
    for (i, row) in plan.rows.iter().enumerate() {
        out.push_str(&format!(
            "{}. {}: {}",
            i + 1,
            row.name,
            summary(&row.config)
        ));
        if let Some(p) = row.paper {
            out.push_str(&format!(
                " [paper {:.2}{}]",
                p.top1,
                p.top5.map_or(String::new(), |t| format!(" / {t:.2}"))
            ));
        }
        if let Some(t) = &row.teacher {
            out.push_str(&format!(" [teacher `{t}`]"));
        }
        out.push('\n');
        if !row.changes.is_empty() {
            out.push_str(&format!("   changes: {}\n", row.changes.join(", ")));
        }
    }
    out.push_str(&format!(
        "{} runs ({} rows x {} seeds{})\n",
        plan.rows.len() * plan.seeds + plan.teachers.len(),
        plan.rows.len(),
        plan.seeds,
        match plan.teachers.len() {
            0 => String::new(),
            n => format!(" + {n} teacher{}", if n == 1 { "" } else { "s" }),
        }
    ));
    out
}

fn label(plan: &StudyPlan, run: RunRef) -> String {
    match run {
        RunRef::Teacher(i) => format!("teacher `{}`", plan.teachers[i].name),
        RunRef::Row(id) => format!(
            "row {} `{}` seed {}",
            id.row + 1,
            plan.rows[id.row].name,
            plan.seed_of(id)
        ),
    }
}

fn execute(dir: StudyDir, plan: StudyPlan, devices: Vec<DeviceName>) -> anyhow::Result<()> {
    let parallel = devices.len() > 1;
    let path = dir.path.clone();
    let handle = botui::study::spawn(StudyRequest {
        dir,
        plan: plan.clone(),
        devices,
        open_source: botui::data::source_factory,
    });
    let interrupted = on_interrupt();
    let mut out = Out::default();
    let mut stop_sent = false;
    let mut started = 0;
    let mut to_run = 0;
    let mut last = None;
    loop {
        if interrupted.load(Ordering::Relaxed) && !stop_sent {
            stop_sent = true;
            eprintln!(
                "botui: interrupted; stopping the running runs after this iteration (`botui study --resume {}` continues)",
                path.display()
            );
            handle.send(StudyCommand::Stop);
        }
        let event = match handle.events.recv_timeout(Duration::from_millis(100)) {
            Ok(e) => e,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => continue,
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
        };
        match event {
            StudyEvent::Started {
                finished,
                to_run: n,
            } => {
                to_run = n;
                if finished > 0 {
                    out.line(format_args!(
                        "{finished} runs already finished are kept; {n} to run"
                    ));
                }
            }
            StudyEvent::RunStarted {
                run,
                device,
                resumed,
                ..
            } => {
                started += 1;
                let how = if resumed { ", resuming" } else { "" };
                out.line(format_args!(
                    "[{started}/{to_run}] {} on {device}{how}",
                    label(&plan, run)
                ));
            }
            StudyEvent::Train { run, event } => {
                let tag = if parallel {
                    format!("  [{}] ", label(&plan, run))
                } else {
                    "  ".into()
                };
                match event {
                    TrainEvent::Log {
                        level: LogLevel::Info,
                        message,
                    } => out.line(format_args!("{tag}{message}")),
                    TrainEvent::Log {
                        level: LogLevel::Warning,
                        message,
                    } => eprintln!("{tag}warning: {message}"),
                    _ => {}
                }
            }
            StudyEvent::RunEnded { run, outcome } => match outcome {
                RunOutcome::Failed(error) => {
                    eprintln!("botui: {} failed: {error}", label(&plan, run))
                }
                RunOutcome::Stopped => out.line(format_args!("  {} stopped", label(&plan, run))),
                RunOutcome::Finished => {}
            },
            StudyEvent::Results(results) => last = Some(results),
            StudyEvent::Warning(w) => eprintln!("warning: {w}"),
            StudyEvent::Finished { stopped, failed } => {
                if let Some(results) = &last {
                    out.line(format_args!("\n{}", results.to_markdown()));
                }
                out.line(format_args!("results: {}", path.join("study.md").display()));
                if stopped {
                    handle.join();
                    bail!("interrupted");
                }
                if failed > 0 {
                    handle.join();
                    bail!(
                        "{failed} run(s) failed (see above and study.md); `botui study --resume {}` tries them again",
                        path.display()
                    );
                }
            }
        }
    }
    handle.join();
    Ok(())
}
