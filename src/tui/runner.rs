//! The event loop: wait for a key or the next frame, drain every pending event (trainer,
//! hardware, config file, run history), carry out the effects, then draw once. Keys are drawn
//! at once; data redraws at most `fps` times a second. Nothing here blocks on the trainer.

use std::time::{Duration, Instant};

use anyhow::Context;
use botui::config::PresetLibrary;
use botui::hw::{Sampler, detect_gpus};
use botui::study::folder::studies_dir;
use botui::study::{
    Overrides, StudyCommand, StudyDir, StudyHandle, StudyLibrary, StudyPlan, StudyRequest,
};
use botui::train::local_ranks::{LocalRanks, start};
use botui::train::{LogLevel, RunRequest, TrainEvent, TrainerHandle};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, unbounded};

use super::app::{App, Effect, Msg};
use super::config_link::ConfigLink;
use super::eval::EvalJob;
use super::event::InputThread;
use super::runs::{new_run_dir, runs_dir, scan};
use super::study::StudyEntry;
use super::terminal::{TerminalGuard, take_thread_panics};

/// How often the hardware pane gets a sample.
const HW_INTERVAL: Duration = Duration::from_secs(1);

struct Loop {
    term: TerminalGuard,
    config: ConfigLink,
    input: InputThread,
    sampler: Sampler,
    trainer: Option<TrainerHandle>,
    /// The study started from the Study tab, running in its own thread.
    study: Option<StudyHandle>,
    /// The evaluation of a past run the eval popup shows (dropping it cancels it).
    eval: Option<EvalJob>,
    /// Messages from helper threads: the run-history scan, captured stderr lines.
    runs: (Sender<Msg>, Receiver<Msg>),
    quit: bool,
}

pub fn run(mut app: App, config: ConfigLink) -> anyhow::Result<()> {
    if let Ok((w, h)) = ratatui::crossterm::terminal::size() {
        app.size = (w, h);
    }
    let runs = unbounded();
    let term = TerminalGuard::enter(app.ui.mouse, Some(runs.0.clone()))
        .context("setting up the terminal")?;
    let mut lp = Loop {
        term,
        config,
        input: InputThread::spawn().context("starting the input thread")?,
        sampler: Sampler::spawn(detect_gpus(), HW_INTERVAL),
        trainer: None,
        study: None,
        eval: None,
        runs,
        quit: false,
    };
    lp.scan_runs();
    lp.list_studies();
    let mut next_draw = Instant::now();
    let mut dirty = true;
    while !lp.quit {
        let frame = Duration::from_secs_f64(1.0 / f64::from(app.ui.fps.max(1)));
        let wait = if dirty {
            next_draw.saturating_duration_since(Instant::now())
        } else {
            frame
        };
        let mut urgent = false;
        let mut effects = Vec::new();
        match lp.input.events().recv_timeout(wait) {
            Ok(msg) => {
                effects.extend(app.update(msg));
                urgent = true;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => anyhow::bail!("the input thread ended"),
        }
        let pending: Vec<Msg> = lp.input.events().try_iter().collect();
        urgent |= !pending.is_empty();
        for msg in pending {
            effects.extend(app.update(msg));
        }
        dirty |= lp.drain(&mut app, &mut effects);
        for effect in effects {
            lp.carry_out(&mut app, effect);
        }
        let _ = lp.term.set_mouse(app.ui.mouse);
        if app.quitting
            && lp.trainer.as_ref().is_none_or(|t| t.is_finished())
            && lp.study.as_ref().is_none_or(|s| s.is_finished())
        {
            lp.quit = true;
        }
        let now = Instant::now();
        if urgent || (dirty && now >= next_draw) {
            lp.term
                .terminal
                .draw(|f| super::ui::draw(f, &app))
                .context("drawing")?;
            dirty = false;
            next_draw = now + frame;
            // For the end-to-end test that the terminal comes back after a panic.
            if std::env::var_os("BOTUI_TEST_PANIC").is_some() {
                panic!("BOTUI_TEST_PANIC is set: panicking after the first frame");
            }
        }
    }
    if let Some(t) = lp.trainer.take() {
        t.join();
    }
    if let Some(s) = lp.study.take() {
        s.join();
    }
    Ok(())
}

impl Loop {
    /// Applies every event that is waiting; returns whether anything came.
    fn drain(&mut self, app: &mut App, effects: &mut Vec<Effect>) -> bool {
        let mut any = false;
        if let Some(t) = &self.trainer {
            for event in t.events.try_iter() {
                effects.extend(app.update(Msg::Train(event)));
                any = true;
            }
        }
        if let Some(s) = &self.study {
            for event in s.events.try_iter() {
                effects.extend(app.update(Msg::Study(event)));
                any = true;
            }
        }
        if let Some(job) = &self.eval {
            for event in job.events.try_iter() {
                effects.extend(app.update(Msg::Eval(event)));
                any = true;
            }
        }
        for sample in self.sampler.samples().try_iter() {
            app.update(Msg::Hw(sample));
            any = true;
        }
        for msg in self.runs.1.try_iter() {
            effects.extend(app.update(msg));
            any = true;
        }
        for msg in self.config.drain() {
            effects.extend(app.update(msg));
            any = true;
        }
        for p in take_thread_panics() {
            app.update(Msg::Problem(p));
            any = true;
        }
        any
    }

    fn scan_runs(&self) {
        let tx = self.runs.0.clone();
        let Some(dir) = runs_dir() else {
            let _ = tx.send(Msg::RunsScanned(Vec::new(), Vec::new()));
            return;
        };
        let spawned = std::thread::Builder::new()
            .name("botui-runs".into())
            .spawn(move || {
                let (list, problems) = scan(&dir);
                let _ = tx.send(Msg::RunsScanned(list, problems));
            });
        if let Err(e) = spawned {
            let _ = self
                .runs
                .0
                .send(Msg::Problem(format!("reading past runs: {e}")));
        }
    }

    /// The studies to pick from, for the Study tab (the built-in ones when the user's folder
    /// cannot be read).
    fn list_studies(&self) {
        let (library, problems) = match StudyLibrary::load_user() {
            Ok(library) => (library, Vec::new()),
            Err(e) => (
                StudyLibrary::builtin(),
                vec![format!("cannot read the user studies: {e}")],
            ),
        };
        let list = library
            .names()
            .into_iter()
            .filter_map(|name| library.get(name))
            .map(|file| StudyEntry {
                description: file.description(),
                name: file.name,
            })
            .collect();
        let _ = self.runs.0.send(Msg::StudiesListed(list, problems));
    }

    /// Resolves and checks the study, makes its folder and starts its runner; the training
    /// happens in the runner's threads.
    fn start_study(&mut self, name: &str) -> anyhow::Result<(std::path::PathBuf, StudyPlan)> {
        if let Some(old) = self.study.take() {
            if !old.is_finished() {
                self.study = Some(old);
                anyhow::bail!("a study is still running");
            }
            old.join();
        }
        let presets = PresetLibrary::load_user().context("cannot read the user presets")?;
        let library = StudyLibrary::load_user().context("cannot read the user studies")?;
        let file = library.open(name)?;
        let plan = botui::study::plan(&file, &Overrides::default(), &presets)?;
        plan.check_devices(&[]).map_err(anyhow::Error::msg)?;
        let root = studies_dir().context("no data folder for studies (no home folder?)")?;
        let path = new_run_dir(&root, &plan.name);
        let dir = StudyDir::create(&path, &plan, &file.text)?;
        self.study = Some(botui::study::spawn(StudyRequest {
            dir,
            plan: plan.clone(),
            devices: Vec::new(),
            open_source: botui::data::source_factory,
        }));
        Ok((path, plan))
    }

    fn carry_out(&mut self, app: &mut App, effect: Effect) {
        match effect {
            Effect::StartStudy(name) => match self.start_study(&name) {
                Ok((dir, plan)) => {
                    app.update(Msg::StudyStarted {
                        dir,
                        plan: Box::new(plan),
                    });
                }
                Err(e) => {
                    app.update(Msg::Problem(format!("cannot start study `{name}`: {e:#}")));
                }
            },
            Effect::StopStudy => {
                if let Some(s) = &self.study {
                    s.send(StudyCommand::Stop);
                }
            }
            Effect::StartRun(config) => {
                let Some(runs) = runs_dir() else {
                    app.update(Msg::Problem(
                        "no data folder for runs (no home folder?)".into(),
                    ));
                    return;
                };
                let name = if config.name.is_empty() {
                    config.model_config(2).display_name()
                } else {
                    config.name.clone()
                };
                let request = RunRequest {
                    run_dir: new_run_dir(&runs, &name),
                    config: *config,
                    resume: false,
                    world: None,
                };
                // One device trains here; several GPUs (`cuda:0,1`, `cuda:all`) train as one
                // rank each, rank 0 in this process (its events are the run's).
                let started = LocalRanks::this_program()
                    .map_err(|e| format!("cannot find botui's own program for the ranks: {e}"))
                    .and_then(|ranks| {
                        start(
                            request,
                            None,
                            botui::device::cuda_device_count(),
                            ranks,
                            botui::data::source_factory(),
                        )
                    });
                match started {
                    Ok(trainer) => self.trainer = Some(trainer),
                    Err(error) => {
                        let error = format!("cannot start the run: {error}");
                        app.update(Msg::Train(TrainEvent::Log {
                            level: LogLevel::Error,
                            message: error.clone(),
                        }));
                        app.update(Msg::Train(TrainEvent::Failed { error }));
                    }
                }
            }
            Effect::Command(c) => {
                if let Some(t) = &self.trainer {
                    t.send(c);
                }
            }
            Effect::ScanRuns => self.scan_runs(),
            Effect::StartEval(run_dir) => self.eval = Some(EvalJob::spawn(run_dir)),
            Effect::CancelEval => self.eval = None,
            Effect::Quit => self.quit = true,
            Effect::OpenEditor => {
                let Some(path) = self.config.config_file() else {
                    app.update(Msg::Problem(
                        "no config folder to edit (no home folder?)".into(),
                    ));
                    return;
                };
                if let Err(e) = self.open_editor(&path) {
                    app.update(Msg::Problem(format!("{e:#}")));
                }
            }
            Effect::WriteConfig => {
                if let Err(e) = self.config.write(app) {
                    app.update(Msg::Problem(e));
                }
            }
            Effect::SavePreset(name) => match self.config.save_preset(&name, &app.config) {
                Ok(path) => app.note(
                    botui::train::LogLevel::Info,
                    format!("saved the setup as preset `{name}` ({})", path.display()),
                ),
                Err(e) => {
                    app.update(Msg::Problem(e));
                }
            },
        }
    }
}

/// `$VISUAL`, `$EDITOR`, or `vi`.
fn editor() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".into())
}

impl Loop {
    /// Hands the terminal to the editor and takes it back: the input thread stops reading,
    /// the screen and raw mode are left, the editor runs, then everything is redrawn.
    fn open_editor(&mut self, path: &std::path::Path) -> anyhow::Result<()> {
        let editor = editor();
        self.input.park();
        self.term
            .suspend()
            .context("leaving the screen for the editor")?;
        // Through the shell, so that EDITOR may carry arguments ("code --wait").
        let status = if cfg!(unix) {
            std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("{editor} \"$1\""))
                .arg("sh")
                .arg(path)
                .status()
        } else {
            std::process::Command::new(&editor).arg(path).status()
        };
        let back = self
            .term
            .resume()
            .context("taking the screen back from the editor");
        self.input.unpark();
        back?;
        let status = status.with_context(|| format!("running the editor `{editor}`"))?;
        if !status.success() {
            anyhow::bail!("the editor `{editor}` exited with {status}");
        }
        Ok(())
    }
}
