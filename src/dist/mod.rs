//! Data-parallel training on PyTorch's own distributed engine, c10d, as LibTorch contains it:
//! ProcessGroupGloo for CPU ranks (`libtorch`), ProcessGroupNCCL for GPUs (`cuda:N`), a TCPStore
//! for the rendezvous. botui has no network code of its own: `c10d.cpp` is a small C ABI over
//! c10d, like the training kernels' `libtorch.cpp`.
//!
//! - [`world`]: who this process is (botui's launcher, torchrun or Slurm set the environment);
//! - [`hostlist`]: Slurm's `node[01-04]` host lists (rank 0's node hosts the rendezvous);
//! - [`plan`]: which ranks botui starts on this machine and which device each gets
//!   (`--nproc N`, `cuda:0,1,2,3`, `cuda:all`);
//! - [`launch`]: starts and supervises those ranks (`botui train`, the workbench);
//! - [`ranks`]: the collectives the trainer uses (config agreement, weight broadcast, bucketed
//!   gradient all-reduce, sums) and errors that name a lost rank;
//! - [`liveness`]: heartbeats through the store, to tell which rank is gone;
//! - [`agree`]: the config fingerprint rank 0 publishes.
//!
//! How data is split between ranks is the data module's business (`data::shard`).

pub mod agree;
#[cfg(feature = "tch")]
pub mod c10d;
pub mod hostlist;
pub mod launch;
#[cfg(feature = "tch")]
pub mod liveness;
pub mod plan;
pub mod ranks;
pub mod world;

pub use ranks::{DistError, Ranks};
pub use world::{Launcher, World};
