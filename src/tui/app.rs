//! The workbench's state and its reducers: every change comes in as a [`Msg`] (a trainer
//! event, a hardware sample, a config-file event, a key, a mouse click, a resize), and
//! [`App::update`] returns the [`Effect`]s the event loop must carry out (start a trainer,
//! send it a command, write config.toml, ...). Nothing here touches the terminal, so the
//! reducers are tested with plain values.

use botui::config::{PaperReference, RunConfig};
use botui::hw::HwSample;
use botui::study::{StudyEvent, StudyPlan};
use botui::train::{LogLevel, TrainCommand, TrainEvent};

use super::eval::{EvalEvent, EvalView};
use super::hwstate::HwState;
use super::layout::{Areas, areas};
pub use super::layout::{PaneId, Tab};
use super::log::{LogSource, LogState};
use super::run::RunState;
use super::runs::{PastRun, RunsState};
use super::setup::{LrPreview, SetupRow};
use super::study::{StudyEntry, StudyState};
use super::tricks::{Item, items};
use botui::config::tricks::ParamDef;
use botui::config::{KeyChord, KeyMap, Settings, Theme, UiSettings};

/// botui's default theme, built in (used until config.toml is read, and by tests).
pub fn builtin_theme() -> Theme {
    botui::config::ThemeLibrary::builtin()
        .resolve(botui::config::theme::DEFAULT_THEME)
        .expect("the built-in default theme resolves (checked by the config tests)")
}

/// What is typed into an input box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditTarget {
    Setup(SetupRow),
    Param(&'static ParamDef),
    PresetName,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InputBox {
    pub target: EditTarget,
    pub title: String,
    pub buffer: String,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    Help,
    ConfirmQuit,
    Input(InputBox),
    Presets {
        selected: usize,
    },
    /// A past run being evaluated, then its report.
    Eval(EvalView),
}

/// A preset as the picker lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct PresetEntry {
    pub name: String,
    pub description: String,
    pub config: RunConfig,
}

impl PresetEntry {
    pub fn paper(&self) -> Option<&PaperReference> {
        self.config.paper.as_ref()
    }
}

/// What the config file said, as the workbench applies it.
#[derive(Debug, Clone)]
pub enum ConfigMsg {
    /// config.toml (or a user preset or theme) changed and checks out.
    Reloaded {
        settings: Box<Settings>,
        /// The presets as they are now (empty: could not be read, keep the list).
        presets: Vec<PresetEntry>,
    },
    /// The file has an error; the last good settings stay.
    Rejected(String),
}

impl PartialEq for ConfigMsg {
    /// Settings are compared by what the workbench uses of them.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (ConfigMsg::Rejected(a), ConfigMsg::Rejected(b)) => a == b,
            (
                ConfigMsg::Reloaded {
                    settings: a,
                    presets: pa,
                },
                ConfigMsg::Reloaded {
                    settings: b,
                    presets: pb,
                },
            ) => a.run.config == b.run.config && a.ui == b.ui && a.keys == b.keys && pa == pb,
            _ => false,
        }
    }
}

/// A mouse event in terminal cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseMsg {
    Click { column: u16, row: u16 },
    ScrollUp { column: u16, row: u16 },
    ScrollDown { column: u16, row: u16 },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyChord),
    Mouse(MouseMsg),
    Resize(u16, u16),
    Train(TrainEvent),
    Hw(HwSample),
    Config(ConfigMsg),
    RunsScanned(Vec<PastRun>, Vec<String>),
    /// The studies to pick from (built in and the user's), and why some could not be read.
    StudiesListed(Vec<StudyEntry>, Vec<String>),
    /// The study asked for is resolved, its folder made, and its runner started.
    StudyStarted {
        dir: std::path::PathBuf,
        plan: Box<StudyPlan>,
    },
    /// An event of the running study.
    Study(StudyEvent),
    /// From the background evaluation of a past run.
    Eval(EvalEvent),
    /// Something the event loop could not do (an effect failed), for the log.
    Problem(String),
    /// A line something wrote to stderr while the workbench had the screen.
    Stderr(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    StartRun(Box<RunConfig>),
    Command(TrainCommand),
    /// The setup changed: write it to config.toml.
    WriteConfig,
    OpenEditor,
    SavePreset(String),
    ScanRuns,
    /// Resolve the study of this name and run it in the background.
    StartStudy(String),
    /// Stop the running study (each of its runs saves a checkpoint).
    StopStudy,
    /// Evaluate the run in this folder in the background (replacing any evaluation running).
    StartEval(std::path::PathBuf),
    /// Stop the evaluation running (its popup was closed).
    CancelEval,
    Quit,
}

pub struct App {
    /// The next run's config: what the setup and tricks panes edit.
    pub config: RunConfig,
    pub preset: Option<String>,
    pub preview: LrPreview,
    pub presets: Vec<PresetEntry>,
    /// Usable device names (`flex`, `cuda:0`, ...).
    pub devices: Vec<String>,
    pub setup_row: usize,
    pub trick_row: usize,
    /// The run started from this workbench (the current one, or the last one).
    pub run: Option<RunState>,
    pub hw: HwState,
    pub log: LogState,
    pub runs: RunsState,
    /// The Study tab: the studies to pick from and the one started here.
    pub study: StudyState,
    pub tab: Tab,
    /// The focused pane of each tab (the first visible one when it is hidden at this size).
    pub focus: [PaneId; 4],
    pub popup: Option<Popup>,
    pub lr_log_scale: bool,
    pub ui: UiSettings,
    pub keys: KeyMap,
    pub theme: Theme,
    pub size: (u16, u16),
    /// Quit was confirmed while a run was active: waiting for the trainer to stop.
    pub quitting: bool,
}

impl App {
    pub fn new(config: RunConfig, devices: Vec<String>) -> Self {
        Self {
            preview: LrPreview::of(&config),
            config,
            preset: None,
            presets: Vec::new(),
            devices,
            setup_row: 0,
            trick_row: 0,
            run: None,
            hw: HwState::default(),
            log: LogState::default(),
            runs: RunsState::default(),
            study: StudyState::default(),
            tab: Tab::Setup,
            focus: [
                PaneId::Setup,
                PaneId::Metrics,
                PaneId::RunList,
                PaneId::StudyList,
            ],
            popup: None,
            lr_log_scale: false,
            ui: UiSettings::default(),
            keys: KeyMap::default(),
            theme: builtin_theme(),
            size: (120, 40),
            quitting: false,
        }
    }

    pub fn areas(&self) -> Areas {
        areas(self.size.0, self.size.1, self.tab)
    }

    /// The workbench as config.toml says: the next run, the preset it came from, `[ui]`,
    /// the theme and the keys.
    pub fn from_settings(
        settings: Settings,
        presets: Vec<PresetEntry>,
        devices: Vec<String>,
    ) -> Self {
        let mut app = App::new(settings.run.config.clone(), devices);
        app.presets = presets;
        app.apply_settings(settings);
        app
    }

    fn apply_settings(&mut self, s: Settings) {
        self.preset = s.run.preset;
        self.set_config(s.run.config);
        self.ui = s.ui;
        self.keys = s.keys;
        self.theme = s.theme;
    }

    pub fn focused(&self) -> PaneId {
        let want = self.focus[self.tab.index()];
        let panes = self.areas().panes;
        if panes.iter().any(|(p, _)| *p == want) {
            want
        } else {
            panes.first().map_or(want, |(p, _)| *p)
        }
    }

    pub fn set_focus(&mut self, pane: PaneId) {
        self.focus[self.tab.index()] = pane;
    }

    pub fn cycle_focus(&mut self, d: i32) {
        let panes: Vec<PaneId> = self.areas().panes.iter().map(|(p, _)| *p).collect();
        let now = self.focused();
        let i = panes.iter().position(|p| *p == now).unwrap_or(0) as i32;
        let n = panes.len().max(1) as i32;
        if let Some(p) = panes.get((i + d).rem_euclid(n) as usize) {
            self.set_focus(*p);
        }
    }

    pub fn run_active(&self) -> bool {
        self.run.as_ref().is_some_and(|r| r.phase.is_active())
    }

    /// A run or a study is training: quitting asks first, and nothing else may start.
    pub fn busy(&self) -> bool {
        self.run_active() || self.study.is_active()
    }

    /// The checklist's lines for the current config.
    pub fn trick_items(&self) -> Vec<Item> {
        items(&self.config)
    }

    /// Replaces the next run's config (after an edit in the workbench).
    pub fn set_config(&mut self, config: RunConfig) {
        self.preview = LrPreview::of(&config);
        self.config = config;
        let n = self.trick_items().len();
        self.trick_row = self.trick_row.min(n.saturating_sub(1));
    }

    pub fn note(&mut self, level: LogLevel, message: impl Into<String>) {
        self.log.push(level, LogSource::Workbench, message);
    }

    /// Applies one message; returns what the event loop has to do.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let effects = self.apply(msg);
        if self.areas().panes.iter().any(|(p, _)| *p == PaneId::Log) {
            self.log.unseen = 0;
        }
        effects
    }

    fn apply(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(chord) => return self.on_key(chord),
            Msg::Mouse(m) => return self.on_mouse(m),
            Msg::Resize(w, h) => self.size = (w, h),
            Msg::Train(event) => return self.on_train(event),
            Msg::Hw(sample) => self.hw.apply(sample),
            Msg::Config(c) => self.on_config(c),
            Msg::RunsScanned(list, problems) => {
                for p in problems {
                    self.note(LogLevel::Warning, format!("run history: {p}"));
                }
                self.runs.set_list(list);
            }
            Msg::StudiesListed(list, problems) => {
                for p in problems {
                    self.note(LogLevel::Warning, format!("studies: {p}"));
                }
                self.study.set_list(list);
            }
            Msg::StudyStarted { dir, plan } => self.study_started(dir, *plan),
            Msg::Study(event) => return self.on_study(event),
            Msg::Eval(event) => {
                // The popup closed (and the job was cancelled): late events are dropped.
                if let Some(Popup::Eval(view)) = self.popup.as_mut() {
                    view.apply(event);
                }
            }
            Msg::Problem(message) => self.note(LogLevel::Error, message),
            Msg::Stderr(line) => self.log.push(LogLevel::Warning, LogSource::Stderr, line),
        }
        Vec::new()
    }

    fn on_train(&mut self, event: TrainEvent) -> Vec<Effect> {
        if let TrainEvent::Log { level, message } = &event {
            self.log.push(*level, LogSource::Trainer, message.clone());
            return Vec::new();
        }
        let Some(run) = self.run.as_mut() else {
            return Vec::new();
        };
        run.apply(&event);
        match event {
            TrainEvent::Finished { .. } | TrainEvent::Failed { .. } => {
                if self.quitting && !self.busy() {
                    return vec![Effect::Quit];
                }
                vec![Effect::ScanRuns]
            }
            _ => Vec::new(),
        }
    }

    fn on_config(&mut self, msg: ConfigMsg) {
        match msg {
            ConfigMsg::Reloaded { settings, presets } => {
                let s = *settings;
                if s.run.config != self.config || s.run.preset != self.preset {
                    self.note(
                        LogLevel::Info,
                        "config.toml changed: the next run's setup is reloaded",
                    );
                }
                if !presets.is_empty() {
                    self.presets = presets;
                }
                self.apply_settings(s);
            }
            ConfigMsg::Rejected(error) => {
                self.log.push(
                    LogLevel::Error,
                    LogSource::Config,
                    format!("{error} (the last good settings stay in force)"),
                );
            }
        }
    }
}
