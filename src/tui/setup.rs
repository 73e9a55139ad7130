//! The next run: its config as the workbench edits it, the run-setup rows (preset, model,
//! data, device, batch, epochs, lr, input), and the learning-rate preview drawn before a run
//! starts.

use botui::config::{DataSource, RunConfig, SourceSpec};
use botui::model::ModelName;
use botui::train::schedule::LrSchedule;
use botui::train::source::batches_per_epoch;

/// The whole planned schedule of the next run, for the lr pane.
#[derive(Debug, Clone, PartialEq)]
pub struct LrPreview {
    pub schedule: LrSchedule,
    /// Training images the preview assumes.
    pub train_images: usize,
    /// False when the dataset size is a guess (an image folder not yet scanned).
    pub exact: bool,
}

/// Training images of a data source as far as known without opening it: exact for the
/// built-in set (classes x images per class) and the fixed-size public sets, a guess (the
/// ImageNet-1k training set) for an image folder.
pub fn train_images(config: &RunConfig) -> (usize, bool) {
    let d = &config.data;
    match d.source.parsed() {
        Ok(DataSource::Builtin) => (d.builtin_classes * d.builtin_train_per_class, true),
        Ok(DataSource::Cifar10(_) | DataSource::Cifar100(_)) => (50_000, true),
        Ok(DataSource::Mnist(_)) => (60_000, true),
        Ok(DataSource::ImageFolder(_)) | Err(_) => (1_281_167, false),
    }
}

impl LrPreview {
    pub fn of(config: &RunConfig) -> Self {
        let (images, exact) = train_images(config);
        let iters = batches_per_epoch(images, config.batch_size).max(1);
        Self {
            schedule: LrSchedule::new(config, iters),
            train_images: images,
            exact,
        }
    }
}

/// A row of the run-setup pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupRow {
    Preset,
    Model,
    Data,
    Device,
    Batch,
    Epochs,
    BaseLr,
    Input,
}

impl SetupRow {
    pub const ALL: [SetupRow; 8] = [
        SetupRow::Preset,
        SetupRow::Model,
        SetupRow::Data,
        SetupRow::Device,
        SetupRow::Batch,
        SetupRow::Epochs,
        SetupRow::BaseLr,
        SetupRow::Input,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SetupRow::Preset => "preset",
            SetupRow::Model => "model",
            SetupRow::Data => "data",
            SetupRow::Device => "device",
            SetupRow::Batch => "batch",
            SetupRow::Epochs => "epochs",
            SetupRow::BaseLr => "base lr",
            SetupRow::Input => "input",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            SetupRow::Preset => "preset",
            SetupRow::Model => "model.name",
            SetupRow::Data => "data.source",
            SetupRow::Device => "device",
            SetupRow::Batch => "batch_size",
            SetupRow::Epochs => "epochs",
            SetupRow::BaseLr => "base_lr",
            SetupRow::Input => "model.input",
        }
    }

    /// The value as the pane shows it (the preset row is drawn by the pane).
    pub fn value(self, c: &RunConfig) -> String {
        match self {
            SetupRow::Preset => String::new(),
            SetupRow::Model => c.model_config(2).display_name(),
            SetupRow::Data => c.data.source.to_string(),
            SetupRow::Device => c.device.to_string(),
            SetupRow::Batch => c.batch_size.to_string(),
            SetupRow::Epochs => c.epochs.to_string(),
            SetupRow::BaseLr => format!("{}", c.base_lr),
            SetupRow::Input => format!("{0}x{0}", c.model.input),
        }
    }

    /// Steps the value; `devices` are the usable device names. The preset row is stepped by
    /// the app (it replaces the whole config).
    pub fn step(self, c: &mut RunConfig, dir: i32, devices: &[String]) {
        let up = dir > 0;
        match self {
            SetupRow::Preset | SetupRow::Data => {}
            SetupRow::Model => {
                let all = ModelName::all();
                let i = all.iter().position(|m| *m == c.model.name).unwrap_or(0) as i32;
                c.model.name = all[(i + dir).rem_euclid(all.len() as i32) as usize];
            }
            SetupRow::Device => {
                if devices.is_empty() {
                    return;
                }
                let now = c.device.to_string();
                let i = devices.iter().position(|d| *d == now).unwrap_or(0) as i32;
                let next = &devices[(i + dir).rem_euclid(devices.len() as i32) as usize];
                if let Ok(d) = next.parse() {
                    c.device = d;
                }
            }
            SetupRow::Batch => {
                c.batch_size = if up {
                    c.batch_size * 2
                } else {
                    (c.batch_size / 2).max(1)
                }
            }
            SetupRow::Epochs => {
                c.epochs = if up {
                    c.epochs + 1
                } else {
                    c.epochs.saturating_sub(1).max(1)
                }
            }
            SetupRow::BaseLr => {
                let f = if up { 2.0 } else { 0.5 };
                c.base_lr = (c.base_lr * f * 1e9).round() / 1e9;
            }
            SetupRow::Input => {
                c.model.input = if up {
                    c.model.input + 32
                } else {
                    c.model.input.saturating_sub(32).max(32)
                }
            }
        }
    }

    /// Sets the value from typed text.
    pub fn set(self, c: &mut RunConfig, text: &str) -> Result<(), String> {
        let t = text.trim();
        let whole = || {
            t.parse::<usize>()
                .map_err(|_| format!("`{t}` is not a whole number"))
        };
        match self {
            SetupRow::Preset => return Err("pick a preset from the list".into()),
            SetupRow::Model => {
                let (name, variant) = botui::model::parse_model(t).map_err(|e| e.to_string())?;
                c.model.name = name;
                if let Some(v) = variant {
                    c.model.variant = v;
                }
            }
            SetupRow::Data => {
                let source = SourceSpec::from(t);
                source
                    .parsed()
                    .map_err(|e| format!("`{t}`: expected {e}"))?;
                c.data.source = source;
            }
            SetupRow::Device => c.device = t.parse().map_err(|e| format!("{e}"))?,
            SetupRow::Batch => c.batch_size = whole()?,
            SetupRow::Epochs => c.epochs = whole()?,
            SetupRow::BaseLr => {
                c.base_lr = t
                    .parse::<f64>()
                    .map_err(|_| format!("`{t}` is not a number"))?
            }
            SetupRow::Input => c.model.input = whole()?,
        }
        Ok(())
    }
}

/// Applies an edit to a copy of `config` and keeps it unless validation finds a problem
/// with `key` (problems elsewhere, such as a teacher still to be named, are left for the
/// start of the run to report).
pub fn checked_edit(
    config: &RunConfig,
    key: &str,
    edit: impl FnOnce(&mut RunConfig) -> Result<(), String>,
) -> Result<RunConfig, String> {
    let mut next = config.clone();
    edit(&mut next)?;
    if let Err(invalid) = next.validate() {
        let section = key.split('.').next().unwrap_or(key);
        if let Some(bad) = invalid.0.iter().find(|v| {
            v.key == key || (v.key.starts_with(section) && v.key != "distillation.teacher")
        }) {
            return Err(bad.to_string());
        }
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_preview_counts_iterations_from_the_dataset_size() {
        let mut c = RunConfig::default();
        c.data.builtin_classes = 10;
        c.data.builtin_train_per_class = 100;
        c.batch_size = 64;
        c.epochs = 3;
        let p = LrPreview::of(&c);
        // 10 x 100 = 1000 images, 1000 / 64 = 15 full batches (the last one is dropped).
        assert_eq!((p.train_images, p.exact), (1000, true));
        assert_eq!(p.schedule.iters_per_epoch, 15);
        assert_eq!(p.schedule.total_iters, 45);
    }

    #[test]
    fn image_folder_preview_is_marked_as_an_estimate() {
        let mut c = RunConfig::default();
        c.data.source = "imagefolder:/data/imagenet".into();
        let p = LrPreview::of(&c);
        assert!(!p.exact);
        // ImageNet-1k at batch 256: 1,281,167 / 256 = 5004 full batches.
        assert_eq!(p.schedule.iters_per_epoch, 5004);
    }

    #[test]
    fn an_edit_that_breaks_its_own_key_is_refused_with_the_reason() {
        let c = RunConfig::default();
        let err = checked_edit(&c, "epochs", |c| SetupRow::Epochs.set(c, "0")).unwrap_err();
        assert!(err.contains("epochs = 0"), "{err}");
        let err = checked_edit(&c, "epochs", |c| SetupRow::Epochs.set(c, "ten")).unwrap_err();
        assert!(err.contains("not a whole number"), "{err}");
        let ok = checked_edit(&c, "batch_size", |c| SetupRow::Batch.set(c, "1024")).unwrap();
        assert_eq!(ok.batch_size, 1024);
    }
}
