//! From a study file to a [`StudyPlan`]: every row and teacher resolved to the full run config
//! it trains and validated before anything runs. A bad row is an error that names the study
//! file, the line, the row and the key (`table6.toml:31:8: row 3 (`+ label smoothing`): set
//! "label_smoothing.epsilom=0.1": unknown field ...`); every problem of the file is reported at
//! once.
//!
//! How a row's config is made:
//! - the base: its preset (or config file, or botui's defaults), then its flags (`model`,
//!   `data`, `device`, `epochs`, `batch_size`, `input`), then its `set` list, then the same flags
//!   and `--set` from the command line;
//! - `mode = "cumulative"`: row `i` is row `i - 1` plus row `i`'s `set` (row 1 is the base plus
//!   its own); `mode = "one-at-a-time"`: row `i` is the base plus row `i`'s `set`;
//! - a row with `preset = "..."` starts from that preset instead, with the base's flags and `set`
//!   and the command line's applied over it (they say where and how long to train), then the
//!   row's own `set`; in cumulative mode the rows below build on it;
//! - a row with `teacher = "x"` distils from `[teachers.x]` (cumulatively, the rows below keep
//!   that teacher). A teacher is its preset, with the base's data and device (the `data` and
//!   `device` flags and the `set` entries of `data.*` and `device`) and then its own `set`: a
//!   teacher must see the data its students see, and that is checked.

use std::ops::Range;
use std::str::FromStr;

use toml::Spanned;

use crate::config::diag::{Diagnostic, Problem, Source};
use crate::config::overrides::{OverrideError, apply_set};
use crate::config::{ConfigError, DataSource, PresetLibrary, RunConfig, Settings, ThemeLibrary};
use crate::device::DeviceName;
use crate::model::parse_model;

use super::library::StudyFile;
use super::plan::{PlannedRow, PlannedTeacher, StudyPlan, differences};
use super::spec::{Mode, PaperNumbers, RowSpec, StudySpec};

/// What the command line adds to the study's base (`botui study NAME --data ... --set ...`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub seeds: Option<usize>,
    pub model: Option<String>,
    pub data: Option<String>,
    pub device: Option<String>,
    pub epochs: Option<usize>,
    pub batch_size: Option<usize>,
    pub input: Option<usize>,
    pub set: Vec<String>,
}

/// Resolves and checks a study; all problems at once.
pub fn plan(
    file: &StudyFile,
    overrides: &Overrides,
    presets: &PresetLibrary,
) -> Result<StudyPlan, ConfigError> {
    let spec = StudySpec::parse(&file.label, &file.text)?;
    let mut r = Resolver {
        src: Source::new(&file.label, &file.text),
        file,
        presets,
        diags: Vec::new(),
    };
    let plan = r.plan(&spec, overrides);
    ConfigError::from_list(r.diags)?;
    plan.ok_or_else(|| {
        ConfigError::from(Source::new(&file.label, "").diag(
            None,
            None,
            Problem::WrongType,
            "the study could not be resolved".into(),
        ))
    })
}

/// Where a change was written.
#[derive(Debug, Clone)]
enum At {
    File(Range<usize>),
    CommandLine,
}

#[derive(Debug, Clone)]
enum What {
    Model(String),
    Data(String),
    Device(String),
    Epochs(usize),
    BatchSize(usize),
    Input(usize),
    Set(String),
}

/// One change to a run config, and where it was written.
#[derive(Debug, Clone)]
struct Change {
    what: What,
    at: At,
}

impl Change {
    fn file<T>(value: &Spanned<T>, what: impl FnOnce(&T) -> What) -> Change {
        Change {
            what: what(value.get_ref()),
            at: At::File(value.span()),
        }
    }

    /// The run-config key it sets.
    fn key(&self) -> String {
        match &self.what {
            What::Model(_) => "model.name".into(),
            What::Data(_) => "data.source".into(),
            What::Device(_) => "device".into(),
            What::Epochs(_) => "epochs".into(),
            What::BatchSize(_) => "batch_size".into(),
            What::Input(_) => "model.input".into(),
            What::Set(s) => s
                .split_once('=')
                .map_or(s.as_str(), |(k, _)| k)
                .trim()
                .into(),
        }
    }

    /// Whether a teacher takes it from the base: it says which data, or where to train.
    fn is_where(&self) -> bool {
        let key = self.key();
        key == "device" || key.starts_with("data.")
    }

    fn apply(&self, mut config: RunConfig) -> Result<RunConfig, (Problem, String)> {
        let wrong = |m: String| (Problem::WrongType, m);
        match &self.what {
            What::Model(m) => {
                let (name, variant) = parse_model(m).map_err(|e| wrong(format!("model: {e}")))?;
                config.model.name = name;
                if let Some(v) = variant {
                    config.model.variant = v;
                }
            }
            What::Data(d) => config.data.source = d.as_str().into(),
            What::Device(d) => {
                config.device =
                    DeviceName::from_str(d).map_err(|e| wrong(format!("device: {e}")))?;
            }
            What::Epochs(n) => config.epochs = *n,
            What::BatchSize(n) => config.batch_size = *n,
            What::Input(n) => config.model.input = *n,
            What::Set(s) => {
                config = apply_set(&config, s).map_err(|e| {
                    let problem = match &e {
                        OverrideError::Invalid { message, .. }
                            if message.contains("unknown field") =>
                        {
                            Problem::UnknownKey
                        }
                        _ => Problem::WrongType,
                    };
                    let message = match (&self.at, e) {
                        (At::CommandLine, e) => e.to_string(),
                        (At::File(_), OverrideError::Syntax(a)) => {
                            format!("set \"{a}\": expected \"key=value\"")
                        }
                        (
                            At::File(_),
                            OverrideError::Invalid {
                                assignment,
                                message,
                            },
                        ) => {
                            format!("set \"{assignment}\": {message}")
                        }
                    };
                    (problem, message)
                })?;
            }
        }
        Ok(config)
    }
}

/// A config being built, and the changes made to it since its preset (to place range errors).
#[derive(Debug, Clone)]
struct Built {
    config: RunConfig,
    trail: Vec<Change>,
    /// What the config started from, for errors no change explains.
    origin: At,
}

struct Resolver<'a> {
    src: Source<'a>,
    file: &'a StudyFile,
    presets: &'a PresetLibrary,
    diags: Vec<Diagnostic>,
}

impl Resolver<'_> {
    fn report(&mut self, at: &At, context: &str, key: Option<String>, problem: Problem, m: &str) {
        let diag = match at {
            At::File(span) => {
                self.src
                    .diag(Some(span.clone()), key, problem, format!("{context}{m}"))
            }
            At::CommandLine => Diagnostic {
                file: String::new(),
                line: None,
                column: None,
                key,
                problem,
                message: format!("{context}command line: {m}"),
            },
        };
        self.diags.push(diag);
    }

    fn plan(&mut self, spec: &StudySpec, overrides: &Overrides) -> Option<StudyPlan> {
        if spec.rows.is_empty() {
            self.report(
                &At::File(0..0),
                "",
                None,
                Problem::WrongType,
                "a study needs at least one [[row]] (the first is the baseline)",
            );
        }
        let seeds = match (overrides.seeds, &spec.seeds) {
            (Some(n), _) => n as i64,
            (None, Some(s)) => *s.get_ref(),
            (None, None) => 1,
        };
        if seeds < 1 {
            let at = match (&overrides.seeds, &spec.seeds) {
                (None, Some(s)) => At::File(s.span()),
                _ => At::CommandLine,
            };
            let m = format!("seeds = {seeds}: expected at least 1");
            self.report(&at, "", Some("seeds".into()), Problem::OutOfRange, &m);
        }
        let base_changes = base_changes(spec, overrides);
        let base = self.base(spec, &base_changes);
        let teachers = self.teachers(spec, &base_changes);
        let mode = spec
            .mode
            .as_ref()
            .map_or(Mode::Cumulative, |m| *m.get_ref());
        let rows = self.rows(spec, mode, base.as_ref(), &base_changes, &teachers);
        let (rows, teachers) = (rows?, teachers.into_iter().collect::<Option<Vec<_>>>()?);
        (self.diags.is_empty() && seeds >= 1).then(|| StudyPlan {
            name: self.file.name.clone(),
            description: spec.description.clone(),
            table: spec.table.clone(),
            mode,
            seeds: seeds as usize,
            source: self.file.label.clone(),
            teachers,
            rows,
        })
    }

    /// The base config (its preset or config file, then its changes).
    fn base(&mut self, spec: &StudySpec, changes: &[Change]) -> Option<Built> {
        let b = &spec.base;
        if let (Some(_), Some(config)) = (&b.preset, &b.config) {
            let m = "give the base a `preset` or a `config` file, not both";
            self.report(
                &At::File(config.span()),
                "base: ",
                None,
                Problem::WrongType,
                m,
            );
            return None;
        }
        let start = match (&b.preset, &b.config) {
            (Some(p), _) => self.preset(p, "base: ")?.0,
            (None, Some(c)) => self.config_file(c)?,
            (None, None) => RunConfig::default(),
        };
        let origin = b
            .preset
            .as_ref()
            .or(b.config.as_ref())
            .map_or(At::File(0..0), |s| At::File(s.span()));
        self.build(start, origin, changes, "base: ")
    }

    /// A preset's config and its paper numbers.
    fn preset(
        &mut self,
        name: &Spanned<String>,
        context: &str,
    ) -> Option<(RunConfig, Option<PaperNumbers>)> {
        let at = At::File(name.span());
        if self.presets.file(name.get_ref()).is_none() {
            let m = format!(
                "preset = \"{}\": {}",
                name.get_ref(),
                self.presets.unknown_message(name.get_ref())
            );
            self.report(
                &at,
                context,
                Some("preset".into()),
                Problem::UnknownName,
                &m,
            );
            return None;
        }
        match self.presets.resolve(name.get_ref()) {
            Ok(p) => {
                let paper = p.paper().map(|r| PaperNumbers {
                    top1: r.top1,
                    top5: r.top5,
                });
                Some((p.config, paper))
            }
            Err(e) => {
                let m = format!("preset `{}` is invalid: {e}", name.get_ref());
                self.report(&at, context, Some("preset".into()), Problem::WrongType, &m);
                None
            }
        }
    }

    /// The `[run]` of a config.toml-style file, relative to the study file.
    fn config_file(&mut self, path: &Spanned<String>) -> Option<RunConfig> {
        let at = At::File(path.span());
        let full = self.file.dir().join(path.get_ref());
        let label = full.display().to_string();
        let parsed = std::fs::read_to_string(&full)
            .map_err(|e| ConfigError::io(&label, "read the config file", &e))
            .and_then(|text| {
                Settings::parse(&label, &text, self.presets, &ThemeLibrary::builtin())
            });
        match parsed {
            Ok(settings) => Some(settings.run.config),
            Err(e) => {
                let m = format!("config = \"{}\": {e}", path.get_ref());
                self.report(&at, "base: ", Some("config".into()), Problem::WrongType, &m);
                None
            }
        }
    }

    /// Applies `changes` in order; the first that fails is reported.
    fn build(
        &mut self,
        config: RunConfig,
        origin: At,
        changes: &[Change],
        context: &str,
    ) -> Option<Built> {
        let mut built = Built {
            config,
            trail: Vec::new(),
            origin,
        };
        for change in changes {
            self.extend(&mut built, change, context)?;
        }
        Some(built)
    }

    fn extend(&mut self, built: &mut Built, change: &Change, context: &str) -> Option<()> {
        match change.apply(built.config.clone()) {
            Ok(config) => {
                built.config = config;
                built.trail.push(change.clone());
                Some(())
            }
            Err((problem, m)) => {
                self.report(&change.at, context, Some(change.key()), problem, &m);
                None
            }
        }
    }

    /// Range checks (and that the data is there), each placed at the change that set the key.
    fn check(&mut self, built: &Built, context: &str) -> bool {
        let mut invalid = match built.config.validate() {
            Ok(()) => Vec::new(),
            Err(e) => e.0,
        };
        if let Some(why) = missing_data(&built.config) {
            invalid.push(crate::config::InvalidValue {
                key: "data.source".into(),
                value: format!("{:?}", built.config.data.source),
                expected: why,
            });
        }
        for v in &invalid {
            let by = built.trail.iter().rev().find(|c| {
                let key = c.key();
                v.key == key || v.key.starts_with(&format!("{key}."))
            });
            let at = by.map_or(built.origin.clone(), |c| c.at.clone());
            let m = format!("{} = {}: expected {}", v.key, v.value, v.expected);
            self.report(&at, context, Some(v.key.clone()), Problem::OutOfRange, &m);
        }
        invalid.is_empty()
    }

    fn teachers(&mut self, spec: &StudySpec, base: &[Change]) -> Vec<Option<PlannedTeacher>> {
        let mut out = Vec::new();
        for (name, teacher) in &spec.teachers {
            let context = format!("teacher `{name}`: ");
            let Some(preset) = &teacher.get_ref().preset else {
                let m = "a teacher needs a `preset` (e.g. resnet152d-teacher-laptop)";
                self.report(
                    &At::File(teacher.span()),
                    &context,
                    None,
                    Problem::WrongType,
                    m,
                );
                out.push(None);
                continue;
            };
            let mut changes: Vec<Change> = base.iter().filter(|c| c.is_where()).cloned().collect();
            changes.extend(set_changes(&teacher.get_ref().set));
            let planned = self.preset(preset, &context).and_then(|(config, _)| {
                let built = self.build(config, At::File(preset.span()), &changes, &context)?;
                self.check(&built, &context).then(|| PlannedTeacher {
                    name: name.clone(),
                    config: built.config,
                })
            });
            out.push(planned);
        }
        out
    }

    fn rows(
        &mut self,
        spec: &StudySpec,
        mode: Mode,
        base: Option<&Built>,
        base_changes: &[Change],
        teachers: &[Option<PlannedTeacher>],
    ) -> Option<Vec<PlannedRow>> {
        let base = base?;
        let mut out: Vec<Option<PlannedRow>> = Vec::new();
        // Cumulatively: the config the next row builds on, and its teacher.
        let mut current = base.clone();
        let mut current_teacher: Option<String> = None;
        for (i, row) in spec.rows.iter().enumerate() {
            let spec_row = row.get_ref();
            let context = format!("row {} (`{}`): ", i + 1, spec_row.name.get_ref());
            if mode == Mode::OneAtATime {
                current = base.clone();
                current_teacher = None;
            }
            let planned = self.row(
                spec,
                spec_row,
                &context,
                &mut current,
                &mut current_teacher,
                base_changes,
                teachers,
            );
            out.push(planned);
        }
        let mut rows: Vec<PlannedRow> = out.into_iter().collect::<Option<_>>()?;
        // The teachers' stand-in paths are no change the user made (`teacher = ...` says it).
        let configs: Vec<RunConfig> = rows
            .iter()
            .map(|r| {
                let mut c = r.config.clone();
                if r.teacher.is_some() {
                    c.distillation.teacher.clear();
                }
                c
            })
            .collect();
        for (i, row) in rows.iter_mut().enumerate().skip(1) {
            let against = match mode {
                Mode::Cumulative => &configs[i - 1],
                Mode::OneAtATime => &configs[0],
            };
            row.changes = differences(against, &configs[i]);
        }
        Some(rows)
    }

    #[allow(clippy::too_many_arguments)]
    fn row(
        &mut self,
        spec: &StudySpec,
        row: &RowSpec,
        context: &str,
        current: &mut Built,
        current_teacher: &mut Option<String>,
        base_changes: &[Change],
        teachers: &[Option<PlannedTeacher>],
    ) -> Option<PlannedRow> {
        let name_at = At::File(row.name.span());
        if row.name.get_ref().trim().is_empty() {
            self.report(
                &name_at,
                context,
                Some("name".into()),
                Problem::WrongType,
                "a row needs a name",
            );
        }
        let mut paper = None;
        if let Some(preset) = &row.preset {
            let (config, preset_paper) = self.preset(preset, context)?;
            paper = preset_paper;
            *current = self.build(config, At::File(preset.span()), base_changes, context)?;
            *current_teacher = None;
        }
        for change in set_changes(&row.set) {
            self.extend(current, &change, context)?;
        }
        if let Some(t) = &row.teacher {
            if !spec.teachers.contains_key(t.get_ref()) {
                let names: Vec<&str> = spec.teachers.keys().map(String::as_str).collect();
                let m = match crate::config::diag::close(t.get_ref(), names.iter().copied()) {
                    Some(best) => format!(
                        "teacher = \"{}\": no [teachers.{}] in this study (did you mean `{best}`?)",
                        t.get_ref(),
                        t.get_ref()
                    ),
                    None => format!(
                        "teacher = \"{}\": no [teachers.{}] in this study (it has: {})",
                        t.get_ref(),
                        t.get_ref(),
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    ),
                };
                self.report(
                    &At::File(t.span()),
                    context,
                    Some("teacher".into()),
                    Problem::UnknownName,
                    &m,
                );
                return None;
            }
            if !current.config.distillation.enabled {
                let m = format!(
                    "teacher = \"{}\", but distillation is off in this row: add set = [\"distillation.enabled=true\"] or use a distillation preset",
                    t.get_ref()
                );
                self.report(
                    &At::File(t.span()),
                    context,
                    Some("teacher".into()),
                    Problem::WrongType,
                    &m,
                );
                return None;
            }
            *current_teacher = Some(t.get_ref().clone());
        }
        let mut built = current.clone();
        let distils = built.config.distillation.enabled;
        let teacher = current_teacher.clone().filter(|_| distils);
        if let Some(name) = &teacher {
            // A stand-in until the teacher's folder exists; the runner puts the folder here.
            built.config.distillation.teacher = format!("<teacher {name}>");
            let planned = spec
                .teachers
                .keys()
                .position(|k| k == name)
                .and_then(|i| teachers[i].as_ref());
            if let Some(t) = planned {
                let differs: Vec<String> = differences(&t.config, &built.config)
                    .into_iter()
                    .filter(|d| {
                        d.starts_with("data.")
                            && !d.starts_with("data.workers")
                            && !d.starts_with("data.prefetch")
                    })
                    .collect();
                if !differs.is_empty() {
                    let at = row
                        .teacher
                        .as_ref()
                        .map_or(name_at.clone(), |t| At::File(t.span()));
                    let m = format!(
                        "teacher `{name}` trains on other data than this row, which has {}",
                        differs.join(", ")
                    );
                    self.report(&at, context, Some("teacher".into()), Problem::WrongType, &m);
                }
            }
        } else if distils && built.config.distillation.teacher.trim().is_empty() {
            let names: Vec<&str> = spec.teachers.keys().map(String::as_str).collect();
            let m = if names.is_empty() {
                "distillation is on but there is no teacher: add a [teachers.NAME] with a teacher preset and `teacher = \"NAME\"` to the row, or set distillation.teacher to a checkpoint".to_string()
            } else {
                format!(
                    "distillation is on but the row names no teacher: add `teacher = \"{}\"` (this study's teachers: {})",
                    names[0],
                    names.join(", ")
                )
            };
            self.report(
                &name_at,
                context,
                Some("teacher".into()),
                Problem::NeedsInput,
                &m,
            );
            return None;
        }
        if !self.check(&built, context) {
            return None;
        }
        Some(PlannedRow {
            name: row.name.get_ref().clone(),
            config: built.config,
            teacher,
            paper: row.paper.or(paper),
            changes: Vec::new(),
        })
    }
}

/// The base's changes in the order they apply: the file's flags, its `set`, then the command
/// line's flags and `--set`.
fn base_changes(spec: &StudySpec, o: &Overrides) -> Vec<Change> {
    let b = &spec.base;
    let mut out = Vec::new();
    out.extend(
        b.model
            .as_ref()
            .map(|v| Change::file(v, |s| What::Model(s.clone()))),
    );
    out.extend(
        b.data
            .as_ref()
            .map(|v| Change::file(v, |s| What::Data(s.clone()))),
    );
    out.extend(
        b.device
            .as_ref()
            .map(|v| Change::file(v, |s| What::Device(s.clone()))),
    );
    out.extend(
        b.epochs
            .as_ref()
            .map(|v| Change::file(v, |n| What::Epochs(*n))),
    );
    out.extend(
        b.batch_size
            .as_ref()
            .map(|v| Change::file(v, |n| What::BatchSize(*n))),
    );
    out.extend(
        b.input
            .as_ref()
            .map(|v| Change::file(v, |n| What::Input(*n))),
    );
    out.extend(set_changes(&b.set));
    let cli = |what| Change {
        what,
        at: At::CommandLine,
    };
    out.extend(o.model.clone().map(What::Model).map(cli));
    out.extend(o.data.clone().map(What::Data).map(cli));
    out.extend(o.device.clone().map(What::Device).map(cli));
    out.extend(o.epochs.map(What::Epochs).map(cli));
    out.extend(o.batch_size.map(What::BatchSize).map(cli));
    out.extend(o.input.map(What::Input).map(cli));
    out.extend(o.set.iter().cloned().map(What::Set).map(cli));
    out
}

fn set_changes(set: &[Spanned<String>]) -> Vec<Change> {
    set.iter()
        .map(|s| Change::file(s, |s| What::Set(s.clone())))
        .collect()
}

/// Why the data of a config is not there (a folder that does not exist), before a run finds
/// out an hour in.
fn missing_data(config: &RunConfig) -> Option<String> {
    let path = match config.data.source.parsed().ok()? {
        DataSource::Builtin => return None,
        DataSource::ImageFolder(p)
        | DataSource::Cifar10(p)
        | DataSource::Cifar100(p)
        | DataSource::Mnist(p) => p,
    };
    (!path.exists()).then(|| {
        format!(
            "a folder that exists ({} does not, seen from {}); pass --data to say where the images are",
            path.display(),
            std::env::current_dir().map_or_else(|_| "here".into(), |d| d.display().to_string())
        )
    })
}
