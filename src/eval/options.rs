//! How `botui eval` and the Runs tab evaluate: which data, input side, batch size, test-time
//! augmentation, and how many confused class pairs to report.

use crate::train::validate::Tta;

/// How to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalOptions {
    /// A data spec (`builtin`, `imagefolder:PATH`, `cifar10:PATH`...); `None`: the run's own.
    pub data: Option<String>,
    /// The image side; `None`: the model's.
    pub input: Option<usize>,
    /// `None`: the run's batch size (what the trainer validated with), else 64.
    pub batch_size: Option<usize>,
    pub tta: Tta,
    /// How many confused class pairs to report.
    pub confused: usize,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            data: None,
            input: None,
            batch_size: None,
            tta: Tta::None,
            confused: 10,
        }
    }
}
