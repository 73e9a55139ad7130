//! Training.
pub mod schedule;
