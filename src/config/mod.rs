//! Configuration: the run config (one section per trick) and its validation.

pub mod overrides;
pub mod run;
pub mod validate;

pub use run::*;
pub use validate::{InvalidConfig, InvalidValue};
