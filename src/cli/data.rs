//! `botui data fetch NAME [--dir D]`: download a public dataset, verify it, unpack it, and
//! print the data spec that names it.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use botui::data::fetch::{self, Event, FetchOptions};

#[derive(clap::Args, Debug)]
pub struct DataArgs {
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(clap::Subcommand, Debug)]
enum DataCommand {
    /// Download, verify and unpack cifar10, cifar100, mnist or imagenette (imagenette2-160).
    /// Set BOTUI_DATA_MIRROR to download from another address.
    Fetch(FetchArgs),
}

#[derive(clap::Args, Debug)]
struct FetchArgs {
    /// cifar10, cifar100, mnist or imagenette.
    name: String,
    /// Folder the dataset goes into (a sub-folder per dataset) [default: the user data folder,
    /// e.g. ~/.local/share/botui/datasets].
    #[arg(long)]
    dir: Option<PathBuf>,
}

pub fn run(args: DataArgs) -> anyhow::Result<()> {
    match args.command {
        DataCommand::Fetch(a) => fetch_command(a),
    }
}

fn fetch_command(args: FetchArgs) -> anyhow::Result<()> {
    let info = fetch::dataset(&args.name)?;
    let dir = match args.dir {
        Some(d) => d,
        None => fetch::default_dir().context("this system has no user data folder: pass --dir")?,
    };
    let options = FetchOptions::new(dir);
    if let Some(m) = &options.mirror {
        eprintln!("downloading from {m} ({} is set)", fetch::MIRROR_ENV);
    }
    let mut bar = ProgressBar::new();
    let fetched = fetch::fetch(info, &options, &mut |e| bar.event(e))
        .with_context(|| format!("fetching {}", info.name))?;
    println!("{} is in {}", info.name, fetched.path.display());
    println!("use it with: --data {}", fetched.spec);
    println!(
        "   or in a run config: [data] source = \"{}\"",
        fetched.spec
    );
    Ok(())
}

/// A one-line progress bar on stderr (redrawn at most 10 times a second; plain lines every
/// 10 % when stderr is not a terminal).
struct ProgressBar {
    tty: bool,
    started: Instant,
    resumed_from: u64,
    last: Option<Instant>,
    last_decile: u64,
    open_line: bool,
}

impl ProgressBar {
    fn new() -> Self {
        ProgressBar {
            tty: std::io::stderr().is_terminal(),
            started: Instant::now(),
            resumed_from: 0,
            last: None,
            last_decile: 0,
            open_line: false,
        }
    }

    fn event(&mut self, e: Event) {
        let mut err = std::io::stderr().lock();
        match e {
            Event::Start {
                file,
                url,
                resume_from,
            } => {
                self.started = Instant::now();
                self.resumed_from = resume_from;
                self.last = None;
                self.last_decile = 0;
                if resume_from > 0 {
                    let _ = writeln!(err, "{file}: resuming at {} from {url}", mb(resume_from));
                } else {
                    let _ = writeln!(err, "{file}: downloading {url}");
                }
            }
            Event::Progress { file, done, total } => self.draw(&mut err, &file, done, total),
            Event::Retry {
                file,
                attempt,
                attempts,
                reason,
            } => {
                self.end_line(&mut err);
                let _ = writeln!(
                    err,
                    "{file}: {reason}; trying again ({attempt} of {attempts})"
                );
            }
            Event::AlreadyThere { file } => {
                let _ = writeln!(err, "{file}: already downloaded");
            }
            Event::Verified { file, md5, source } => {
                self.end_line(&mut err);
                let _ = writeln!(err, "{file}: md5 {md5} ok ({source})");
            }
            Event::NotVerified { file } => {
                self.end_line(&mut err);
                let _ = writeln!(
                    err,
                    "{file}: WARNING: no published checksum, the file is not verified"
                );
            }
            Event::Unpacking { file } => {
                let _ = writeln!(err, "{file}: unpacking");
            }
        }
    }

    /// Ends a progress line drawn with `\r` so the next message starts on its own line.
    fn end_line(&mut self, err: &mut impl Write) {
        if self.open_line {
            let _ = writeln!(err);
            self.open_line = false;
        }
    }

    fn draw(&mut self, err: &mut impl Write, file: &str, done: u64, total: Option<u64>) {
        let now = Instant::now();
        let fraction = total.filter(|&t| t > 0).map(|t| done as f64 / t as f64);
        if self.tty {
            let finished = total == Some(done);
            if !finished
                && self
                    .last
                    .is_some_and(|l| now - l < Duration::from_millis(100))
            {
                return;
            }
            self.last = Some(now);
            let secs = (now - self.started).as_secs_f64().max(1e-3);
            let rate = (done - self.resumed_from) as f64 / secs / 1e6;
            let line = match (fraction, total) {
                (Some(f), Some(t)) => {
                    let filled = (f * 30.0).round() as usize;
                    format!(
                        "\r{file} [{}{}] {:5.1} % {} / {} {rate:.1} MB/s ",
                        "#".repeat(filled.min(30)),
                        ".".repeat(30 - filled.min(30)),
                        f * 100.0,
                        mb(done),
                        mb(t)
                    )
                }
                _ => format!("\r{file} {} {rate:.1} MB/s ", mb(done)),
            };
            let _ = write!(err, "{line}");
            let _ = err.flush();
            self.open_line = true;
        } else if let Some(f) = fraction {
            let decile = (f * 10.0).floor() as u64;
            if decile > self.last_decile {
                self.last_decile = decile;
                let _ = writeln!(err, "{file}: {} %", decile * 10);
            }
        }
    }
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}
