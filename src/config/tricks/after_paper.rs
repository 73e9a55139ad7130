//! Tricks the training recipes since the paper added (timm's "ResNet strikes back", 2021;
//! FFCV; the CIFAR-10 speed records), each with its published gain and source. Shown as the
//! second group of the checklist once it has an entry.
//!
//! A new trick is one [`TrickDef`] here (its config section, switch, parameters and gain) plus
//! its engine code; every view reads it from the registry.

use super::def::TrickDef;

pub static TRICKS: &[TrickDef] = &[];
