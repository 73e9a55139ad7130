//! `botui train` (headless training) and `botui lr` (the planned schedule), which share the way a
//! run config is put together from a preset, flags and `--set` overrides.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use botui::config::overrides::apply_set;
use botui::config::{PresetLibrary, RunConfig, Settings, ThemeLibrary};
use botui::data::shard::Shard;
use botui::device::DeviceName;
use botui::dist::World;
use botui::dist::launch::{self, Launch, without_flags};
use botui::dist::plan::{Placement, RankPlan, place};
use botui::dist::ranks::check_device;
use botui::model::parse_model;
use botui::train::events::TrainCommand;
use botui::train::run_dir::RunDir;
use botui::train::run_names;
use botui::train::schedule::LrSchedule;
use botui::train::source::batches_per_epoch;
use botui::train::{LogLevel, RunRequest, TrainEvent, spawn};

/// The flags that make a run config; `botui train` and `botui lr` share them.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct RunFlags {
    /// Start from this preset (`botui presets` lists them).
    #[arg(long, conflicts_with = "config")]
    pub preset: Option<String>,
    /// Start from the `[run]` section of this file (botui's config.toml format: a preset
    /// and overrides); the flags below apply over it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Start from a fully resolved run config (a run folder's config.toml); the workbench
    /// passes its own to the ranks it starts.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["preset", "config"], hide = true)]
    pub run_config: Option<PathBuf>,
    /// Zoo model: resnet18..152 (a suffix picks the variant: resnet50d), mobilenet, inception_v3.
    #[arg(long)]
    pub model: Option<String>,
    /// builtin, imagefolder:PATH, cifar10:PATH, cifar100:PATH or mnist:PATH.
    #[arg(long)]
    pub data: Option<String>,
    /// flex, libtorch, cuda:N, or several GPUs of this machine (one data-parallel rank
    /// each): cuda:0,1,2,3 or cuda:all.
    #[arg(long)]
    pub device: Option<DeviceName>,
    /// Epochs to train.
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Images per batch (the learning rate follows it when linear scaling is on).
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// The image side the model sees (any side from 32 up).
    #[arg(long)]
    pub input: Option<usize>,
    /// Any config key: `--set warmup.enabled=true --set warmup.epochs=5`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

impl RunFlags {
    /// The run config these flags describe, validated.
    pub fn resolve(&self) -> anyhow::Result<RunConfig> {
        let mut config = match (&self.preset, &self.config) {
            _ if self.run_config.is_some() => {
                let file = self.run_config.as_deref().expect("checked");
                let text = std::fs::read_to_string(file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                toml::from_str(&text).with_context(|| format!("{}", file.display()))?
            }
            (Some(name), _) => {
                let library = PresetLibrary::load_user().context("cannot read the user presets")?;
                if library.file(name).is_none() {
                    bail!(
                        "{}; `botui presets` lists them",
                        library.unknown_message(name)
                    );
                }
                // The template: `--set distillation.teacher=...` below may supply what it lacks.
                library.resolve(name)?.config
            }
            (None, Some(file)) => run_section(file)?,
            (None, None) => RunConfig::default(),
        };
        if let Some(model) = &self.model {
            let (name, variant) = parse_model(model)?;
            config.model.name = name;
            if let Some(variant) = variant {
                config.model.variant = variant;
            }
        }
        if let Some(data) = &self.data {
            config.data.source = data.as_str().into();
        }
        if let Some(device) = self.device {
            config.device = device;
        }
        if let Some(epochs) = self.epochs {
            config.epochs = epochs;
        }
        if let Some(batch) = self.batch_size {
            config.batch_size = batch;
        }
        if let Some(input) = self.input {
            config.model.input = input;
        }
        for assignment in &self.set {
            config = apply_set(&config, assignment)?;
        }
        if let Some(missing) = config.missing_inputs().first() {
            let source = match (&self.preset, &self.config) {
                (Some(name), _) => format!("preset `{name}`"),
                (None, Some(file)) => file.display().to_string(),
                (None, None) => "the run".to_string(),
            };
            bail!(
                "{source} needs {key} = <{wanted}>: add `--set {key}=...`",
                key = missing.key,
                wanted = missing.wanted
            );
        }
        config.validate().context("the run config is invalid")?;
        Ok(config)
    }
}

/// The run a config.toml-style file describes, ready to train.
fn run_section(file: &Path) -> anyhow::Result<RunConfig> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let presets = PresetLibrary::load_user().context("cannot read the user presets")?;
    let themes = ThemeLibrary::builtin();
    let settings = Settings::parse(&file.display().to_string(), &text, &presets, &themes)?;
    // The template: the missing-input check runs after the flags and `--set`s.
    Ok(settings.run.config)
}

#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    run: RunFlags,
    /// The run folder (default: a new folder under botui's data dir, `runs/`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue the run in this folder from its last checkpoint (its own config is used).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["preset", "config", "model", "data", "device", "epochs", "batch_size", "input", "set", "out"])]
    resume: Option<PathBuf>,
    /// Train data-parallel on N ranks of this machine, started and supervised by botui
    /// (PyTorch's c10d: device `libtorch` runs N CPU ranks over Gloo, `cuda:K` GPUs K..K+N-1
    /// over NCCL; a device naming several GPUs, `cuda:0,1` or `cuda:all`, starts one rank per
    /// GPU without --nproc). `--batch-size` stays the global batch.
    #[arg(long, value_name = "N")]
    nproc: Option<usize>,
    /// The rendezvous port of the ranks botui starts (default: a free one).
    #[arg(long, value_name = "PORT")]
    master_port: Option<u16>,
}

/// The ranks of a run botui starts itself (`--nproc N`, or a device naming several GPUs):
/// the run's config checked once, then one rank of this program per planned device with the
/// same arguments (and one run folder), supervised until they end.
fn launch_ranks(
    args: &TrainArgs,
    config: &RunConfig,
    out: Option<PathBuf>,
    ranks: RankPlan,
) -> anyhow::Result<()> {
    let n = ranks.ranks();
    check_device(config.device)?;
    Shard::new(0, n)
        .check_batch(config.batch_size)
        .map_err(anyhow::Error::msg)?;
    let mut rank_args = without_flags(std::env::args_os().skip(1), &["--nproc", "--master-port"]);
    // Every rank names the same folder (each would pick its own default otherwise).
    if let Some(dir) = &out {
        rank_args.push("--out".into());
        rank_args.push(dir.clone().into_os_string());
    }
    let mut plan = Launch::this_program(n, rank_args)?;
    plan.master_port = args.master_port;
    plan.cuda_visible = ranks.cuda_visible.clone();
    eprintln!("botui: starting {n} ranks on {}", describe_ranks(&ranks));
    launch::run(&plan)?;
    Ok(())
}

/// `libtorch` for CPU ranks, `cuda:0, cuda:2` (rank order) for GPUs.
fn describe_ranks(ranks: &RankPlan) -> String {
    let mut names: Vec<String> = ranks.devices.iter().map(|d| d.to_string()).collect();
    names.dedup();
    names.join(", ")
}

pub fn run_train(args: TrainArgs) -> anyhow::Result<()> {
    let world =
        World::from_env().context("the launcher's environment (torchrun or srun variables)")?;
    if let (Some(world), Some(n)) = (&world, args.nproc) {
        bail!(
            "--nproc {n} in a process that {} already started as rank {} of {}: use one \
             launcher, either `botui train --nproc` or {}",
            world.launcher,
            world.rank,
            world.size,
            world.launcher
        );
    }
    if args.nproc == Some(0) {
        return Err(launch::LaunchError::NoRanks.into());
    }
    // Not a rank yet: botui itself may have to start the ranks (`--nproc`, several GPUs).
    let mut resolved = None;
    if world.is_none() {
        let (mut config, out) = match &args.resume {
            Some(dir) => (RunDir::open(dir)?.1, None),
            None => {
                let config = args.run.resolve()?;
                let out = match &args.out {
                    Some(dir) => dir.clone(),
                    None => default_run_dir(&config)?,
                };
                (config, Some(out))
            }
        };
        match place(
            config.device,
            args.nproc,
            botui::device::cuda_device_count(),
        )? {
            Placement::Ranks(ranks) => {
                let out = out.filter(|_| args.out.is_none());
                return launch_ranks(&args, &config, out, ranks);
            }
            Placement::Alone(device) => {
                config.device = device;
                resolved = out.map(|out| (config, out));
            }
        }
    }
    // Rank 0 speaks for the run; the other ranks say only what goes wrong.
    let quiet = world.as_ref().is_some_and(|w| !w.is_leader());
    let (request, label) = match (&args.resume, resolved) {
        (Some(dir), _) => (
            RunRequest {
                config: RunConfig::default(),
                run_dir: dir.clone(),
                resume: true,
                world: world.clone(),
            },
            format!("resuming {}", dir.display()),
        ),
        (None, resolved) => {
            let (config, run_dir) = match resolved {
                Some(resolved) => resolved,
                None => {
                    let config = args.run.resolve()?;
                    let run_dir = match &args.out {
                        Some(dir) => dir.clone(),
                        None => default_run_dir(&config)?,
                    };
                    (config, run_dir)
                }
            };
            let label = format!("run folder {}", run_dir.display());
            (
                RunRequest {
                    config,
                    run_dir,
                    resume: false,
                    world,
                },
                label,
            )
        }
    };
    if !quiet {
        eprintln!("botui: {label}");
    }
    let handle = spawn(request, botui::data::source_factory());
    let interrupted = on_interrupt();
    let mut progress = Progress::new();
    let mut failed = None;
    let mut stop_sent = false;
    let mut out = Out::default();
    loop {
        if interrupted.load(Ordering::Relaxed) && !stop_sent {
            stop_sent = true;
            progress.clear_line(&mut out);
            eprintln!(
                "botui: interrupted; stopping after this iteration and saving a checkpoint (`botui train --resume` continues)"
            );
            handle.send(TrainCommand::Stop);
        }
        let event = match handle.events.recv_timeout(Duration::from_millis(100)) {
            Ok(event) => event,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => continue,
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
        };
        match event {
            // The trainer's first log line says what runs, on what, over which data.
            TrainEvent::Started(start) => {
                progress.total_iters = start.lr_plan.len();
                progress.iters_per_epoch = start.iters_per_epoch;
            }
            TrainEvent::Iteration(_) if quiet => {}
            TrainEvent::Iteration(it) => progress.iteration(&it, &mut out),
            // The trainer logs each epoch's line itself.
            TrainEvent::EpochEnd(_) => progress.clear_line(&mut out),
            TrainEvent::Log { level, message } => {
                progress.clear_line(&mut out);
                match level {
                    LogLevel::Info if quiet => {}
                    LogLevel::Info => out.line(format_args!("{message}")),
                    LogLevel::Warning => eprintln!("warning: {message}"),
                    LogLevel::Error => eprintln!("error: {message}"),
                }
            }
            TrainEvent::CheckpointSaved { .. } | TrainEvent::Paused | TrainEvent::Resumed => {}
            TrainEvent::Finished { .. } if quiet => {}
            TrainEvent::Finished { best_top1, .. } => {
                progress.clear_line(&mut out);
                if let Some(best) = best_top1 {
                    out.line(format_args!("best val top-1: {best:.2} %"));
                }
            }
            TrainEvent::Failed { error } => failed = Some(error),
        }
    }
    handle.join();
    match failed {
        Some(error) => bail!("training failed: {error}"),
        None if stop_sent => bail!("interrupted"),
        None => Ok(()),
    }
}

/// Stdout that ignores a closed pipe (`botui train | head`): training goes on, the files in
/// the run folder have everything.
#[derive(Default)]
pub(super) struct Out {
    closed: bool,
}

impl Out {
    pub(super) fn line(&mut self, args: std::fmt::Arguments) {
        self.write(format_args!("{args}\n"));
    }

    fn write(&mut self, args: std::fmt::Arguments) {
        if self.closed {
            return;
        }
        let mut stdout = std::io::stdout().lock();
        if stdout
            .write_fmt(args)
            .and_then(|()| stdout.flush())
            .is_err()
        {
            self.closed = true;
        }
    }
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Ctrl-C (SIGINT) and SIGTERM set a flag the event loop turns into a clean stop; a second
/// Ctrl-C ends the process at once.
pub(super) fn on_interrupt() -> &'static AtomicBool {
    #[cfg(unix)]
    {
        extern "C" fn handler(_: libc::c_int) {
            if INTERRUPTED.swap(true, Ordering::SeqCst) {
                // SAFETY: _exit is async-signal-safe.
                unsafe { libc::_exit(130) };
            }
        }
        // SAFETY: the handler only touches an atomic and calls an async-signal-safe function.
        unsafe {
            libc::signal(libc::SIGINT, handler as *const () as libc::sighandler_t);
            libc::signal(libc::SIGTERM, handler as *const () as libc::sighandler_t);
        }
    }
    &INTERRUPTED
}

/// `<data dir>/runs/<UTC time>-<name>`, named like the workbench's runs (the run's name, else
/// the model).
fn default_run_dir(config: &RunConfig) -> anyhow::Result<PathBuf> {
    let runs = run_names::runs_dir().context("no home directory to put runs in; pass --out DIR")?;
    let name = if config.name.is_empty() {
        config.model_config(2).display_name()
    } else {
        config.name.clone()
    };
    Ok(run_names::new_run_dir(&runs, &name))
}

/// Progress on the terminal: a line rewritten in place on a TTY, a line every 10 s otherwise.
struct Progress {
    tty: bool,
    last: Instant,
    total_iters: usize,
    iters_per_epoch: usize,
    dirty: bool,
}

impl Progress {
    fn new() -> Self {
        Self {
            tty: std::io::stdout().is_terminal(),
            last: Instant::now(),
            total_iters: 0,
            iters_per_epoch: 1,
            dirty: false,
        }
    }

    fn iteration(&mut self, it: &botui::train::IterationStats, out: &mut Out) {
        let every = if self.tty {
            Duration::from_millis(200)
        } else {
            Duration::from_secs(10)
        };
        if self.last.elapsed() < every {
            return;
        }
        self.last = Instant::now();
        let in_epoch = it.iteration % self.iters_per_epoch.max(1) + 1;
        let line = format!(
            "epoch {} iter {in_epoch}/{} ({}/{} total) loss {:.4} lr {:.5} {:.0} img/s data wait {:.0} %",
            it.epoch + 1,
            self.iters_per_epoch,
            it.iteration + 1,
            self.total_iters,
            it.loss,
            it.lr,
            it.images_per_sec,
            it.data_wait * 100.0
        );
        if self.tty {
            out.write(format_args!("\r\x1b[2K{line}"));
            self.dirty = true;
        } else {
            out.line(format_args!("{line}"));
        }
    }

    fn clear_line(&mut self, out: &mut Out) {
        if self.dirty {
            out.write(format_args!("\r\x1b[2K"));
            self.dirty = false;
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct LrArgs {
    #[command(flatten)]
    run: RunFlags,
    /// Print `{"lr": [...]}`, one value per iteration.
    #[arg(long)]
    json: bool,
}

pub fn run_lr(args: LrArgs) -> anyhow::Result<()> {
    let config = args.run.resolve()?;
    let splits = botui::data::open(&config)?;
    let iters = batches_per_epoch(splits.train.len(), config.batch_size);
    if iters == 0 {
        bail!(
            "{} training images make no batch of {}",
            splits.train.len(),
            config.batch_size
        );
    }
    let schedule = LrSchedule::new(&config, iters);
    let plan = schedule.plan();
    if args.json {
        println!("{}", serde_json::json!({ "lr": plan }));
        return Ok(());
    }
    println!(
        "{} epochs x {iters} iterations, peak lr {} ({} warmup iterations, {:?} decay)",
        config.epochs, schedule.peak, schedule.warmup_iters, schedule.decay
    );
    for epoch in 0..config.epochs {
        let first = schedule.lr(epoch * iters);
        let last = schedule.lr((epoch + 1) * iters - 1);
        println!("epoch {:>4}: {first:.6} -> {last:.6}", epoch + 1);
    }
    Ok(())
}
