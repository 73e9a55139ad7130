//! Tests of the study engine without training: resolution and checks of study files
//! ([`validate`]), and the table from run folders written by hand ([`results`]).

mod results;
mod validate;
