//! Benchmarks behind `botui bench`: measured in the same run as their references.
pub mod train;
