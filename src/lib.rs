//! botui's engine: devices, the paper's model zoo, data, training with every trick of
//! "Bag of Tricks for Image Classification with Convolutional Neural Networks" (He et al., 2018),
//! and the run configuration. No terminal code lives here: the `botui` binary adds the CLI and
//! the workbench on top.

pub mod bench;
pub mod checkpoint;
pub mod config;
pub mod data;
pub mod device;
pub mod dist;
pub mod eval;
pub mod fsutil;
pub mod hw;
pub mod model;
pub mod study;
pub mod train;
