//! The one way the run config's values are checked: a [`Checker`] collects each invalid value
//! with its dotted key, the value and what is allowed, for the top of the file, for each
//! section (its [`Section`](super::section::Section) impl) and across sections.

/// One invalid value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{key} = {value}: expected {expected}")]
pub struct InvalidValue {
    pub key: String,
    pub value: String,
    pub expected: String,
}

/// All invalid values of one config, in file order.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
pub struct InvalidConfig(pub Vec<InvalidValue>);

/// Collects the invalid values of one config. Inside a section's
/// [`Section::check`](super::section::Section::check) a key is the section's own (`alpha`),
/// named in full (`cutmix.alpha`) in the error.
#[derive(Default)]
pub struct Checker {
    invalid: Vec<InvalidValue>,
    /// The section being checked (`""`: the top of the file).
    section: &'static str,
    /// Every section checked, in order (what the test that each is reached reads).
    reached: Vec<&'static str>,
}

impl Checker {
    /// From here on keys are `section`'s (`alpha` is `section.alpha`).
    pub(crate) fn enter(&mut self, section: &'static str) {
        self.section = section;
        self.reached.push(section);
    }

    /// Back to the top of the file.
    pub(crate) fn leave(&mut self) {
        self.section = "";
    }

    /// The invalid values, or nothing wrong.
    pub(crate) fn into_result(self) -> Result<(), InvalidConfig> {
        if self.invalid.is_empty() {
            Ok(())
        } else {
            Err(InvalidConfig(self.invalid))
        }
    }

    /// Every section checked so far, in order.
    pub fn reached(&self) -> &[&'static str] {
        &self.reached
    }

    /// Records `key = value: expected ...` unless `ok`.
    pub fn check(&mut self, ok: bool, key: &str, value: impl ToString, expected: &str) {
        if !ok {
            let key = match self.section {
                "" => key.to_string(),
                section => format!("{section}.{key}"),
            };
            self.invalid.push(InvalidValue {
                key,
                value: value.to_string(),
                expected: expected.to_string(),
            });
        }
    }

    /// A number in [0, 1], or in (0, 1] when `low_open`.
    pub fn fraction(&mut self, key: &str, value: f64, low_open: bool) {
        let ok =
            value.is_finite() && value <= 1.0 && if low_open { value > 0.0 } else { value >= 0.0 };
        let expected = if low_open {
            "a number in (0, 1]"
        } else {
            "a number in [0, 1]"
        };
        self.check(ok, key, value, expected);
    }

    /// A number in [0, 1).
    pub fn below_one(&mut self, key: &str, value: f64) {
        let ok = value.is_finite() && (0.0..1.0).contains(&value);
        self.check(ok, key, value, "a number in [0, 1)");
    }

    pub fn positive(&mut self, key: &str, value: f64) {
        self.check(value.is_finite() && value > 0.0, key, value, "a number > 0");
    }

    pub fn at_least_zero(&mut self, key: &str, value: f64) {
        self.check(
            value.is_finite() && value >= 0.0,
            key,
            value,
            "a number >= 0",
        );
    }

    pub fn range(&mut self, key: &str, value: [f64; 2], min: f64, max: f64) {
        let ok = value.iter().all(|v| v.is_finite())
            && min <= value[0]
            && value[0] <= value[1]
            && value[1] <= max;
        self.check(
            ok,
            key,
            format!("[{}, {}]", value[0], value[1]),
            &format!("[low, high] with {min} <= low <= high <= {max}"),
        );
    }
}
