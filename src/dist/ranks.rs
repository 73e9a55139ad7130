//! This process's link to the other ranks of a data-parallel run: the c10d store, the process
//! group (Gloo for `libtorch`, NCCL for `cuda:N`), the heartbeat, and the few collectives the
//! trainer needs, on burn's types:
//!
//! - [`Ranks::sync_config`]: every rank trains rank 0's config, or says which key differs;
//! - [`Ranks::broadcast_module`]: rank 0's weights (and BN running statistics) everywhere;
//! - [`Ranks::all_reduce_grads`]: the average gradient, in ~25 MB buckets like PyTorch's
//!   DistributedDataParallel, with a few extra numbers (loss sums, a stop request) riding along
//!   in the same collective;
//! - [`Ranks::sum`]: sums of validation counts;
//! - [`Ranks::finish`]: a clean end that no rank mistakes for a death.
//!
//! A failed collective becomes a [`DistError`] that names the rank that is gone (see
//! [`super::liveness`]). Without the `tch` feature there is no c10d: [`Ranks::join`] says so.

use std::time::Duration;

use burn::module::Module;
use burn::optim::GradientsParams;

use super::world::{Launcher, World};
use crate::device::DeviceName;

/// DistributedDataParallel's default bucket size (`bucket_cap_mb=25`).
pub const BUCKET_BYTES: usize = 25 << 20;

/// Bounds on waiting for other ranks (rendezvous and every collective), unless
/// `BOTUI_DIST_TIMEOUT` (seconds) says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// The timeout in force: `BOTUI_DIST_TIMEOUT` seconds, else [`DEFAULT_TIMEOUT`].
pub fn timeout() -> Duration {
    std::env::var("BOTUI_DIST_TIMEOUT")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|&s| s > 0)
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs)
}

/// Why a data-parallel run cannot start or go on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DistError {
    #[error(
        "device '{device}' cannot train with several ranks: data-parallel training runs on \
         PyTorch's c10d inside LibTorch; use `libtorch` (CPU, Gloo) or GPUs (`cuda:0,1`, \
         `cuda:all`; NCCL)"
    )]
    NeedsLibTorch { device: DeviceName },
    #[error(
        "this botui was built without LibTorch, which data-parallel training needs (PyTorch's \
         c10d); build with `--features tch` (see README)"
    )]
    NotBuilt,
    #[error(
        "rank {rank}: cannot open the rendezvous at {addr}:{port}: port {port} is already in use \
         on this machine (another run?); choose another with --master-port or MASTER_PORT"
    )]
    PortInUse {
        rank: usize,
        addr: String,
        port: u16,
    },
    #[error(
        "rank {rank}: rendezvous at {addr}:{port} ({launcher}) failed: {message} (is rank 0 \
         running, and {addr}:{port} reachable from this machine?)"
    )]
    Rendezvous {
        rank: usize,
        addr: String,
        port: u16,
        launcher: Launcher,
        message: String,
    },
    #[error(
        "rank {rank}'s run config differs from rank 0's (every rank must train the same run): \
         {}",
        differences.iter().map(|(k, here, there)| format!("{k} = {here} here, {there} on rank 0")).collect::<Vec<_>>().join("; ")
    )]
    ConfigMismatch {
        rank: usize,
        differences: Vec<(String, String, String)>,
    },
    #[error("rank {rank}: lost {}: {during} failed ({cause})", lost_names(lost))]
    Lost {
        rank: usize,
        lost: Vec<usize>,
        during: String,
        cause: String,
    },
    #[error("rank {rank}: {during} failed: {message}")]
    Collective {
        rank: usize,
        during: String,
        message: String,
    },
    #[error("rank {rank}: {message}")]
    Other { rank: usize, message: String },
}

fn lost_names(lost: &[usize]) -> String {
    match lost {
        [one] => format!("rank {one}"),
        many => format!(
            "ranks {}",
            many.iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl DistError {
    /// The ranks this error reports as gone.
    pub fn lost(&self) -> &[usize] {
        match self {
            DistError::Lost { lost, .. } => lost,
            _ => &[],
        }
    }
}

/// Whether `device` can train with several ranks in this build.
pub fn check_device(device: DeviceName) -> Result<(), DistError> {
    match device {
        DeviceName::Flex => Err(DistError::NeedsLibTorch { device }),
        _ if !cfg!(feature = "tch") => Err(DistError::NotBuilt),
        _ => Ok(()),
    }
}

#[cfg(feature = "tch")]
pub use imp::Ranks;

#[cfg(not(feature = "tch"))]
pub use stub::Ranks;

#[cfg(not(feature = "tch"))]
mod stub {
    use super::*;

    /// Without LibTorch there is no c10d; [`Ranks::join`] always fails.
    pub enum Ranks {}

    impl Ranks {
        pub fn join(world: World, device: DeviceName) -> Result<Ranks, DistError> {
            let _ = world;
            check_device(device)?;
            Err(DistError::NotBuilt)
        }
        pub fn world(&self) -> &World {
            match *self {}
        }
        pub fn sync_config(&mut self, _: &impl serde::Serialize) -> Result<(), DistError> {
            match *self {}
        }
        pub fn broadcast_module<M: Module>(&mut self, _: M) -> Result<M, DistError> {
            match *self {}
        }
        pub fn all_reduce_grads<M: Module>(
            &mut self,
            _: &M,
            _: GradientsParams,
            _: &[f64],
        ) -> Result<(GradientsParams, Vec<f64>), DistError> {
            match *self {}
        }
        pub fn sum(&mut self, _: &[f64]) -> Result<Vec<f64>, DistError> {
            match *self {}
        }
        pub fn barrier(&mut self, _: &str) -> Result<(), DistError> {
            match *self {}
        }
        pub fn finish(self) -> Result<(), DistError> {
            match self {}
        }
    }
}

#[cfg(feature = "tch")]
mod imp {
    // burn marks LibTorch deprecated; botui builds on it on purpose.
    #![allow(deprecated)]

    use super::*;
    use crate::dist::agree::{Fingerprint, differing_keys};
    use crate::dist::c10d::{Backend, C10dError, Group, Store};
    use crate::dist::liveness::{self, Liveness};

    use burn::backend::libtorch::TchTensor;
    use burn::backend::{BackendTensor, DispatchKindConversion, DispatchTensor, LibTorch};
    use burn::module::{ModuleMapper, ModuleVisitor, Param, ParamId};
    use burn::tensor::Tensor;

    /// This rank, joined to the others.
    pub struct Ranks {
        world: World,
        store: Store,
        group: Group,
        liveness: Liveness,
        timeout: Duration,
        device: tch::Device,
    }

    impl Ranks {
        /// Meets the other ranks at the world's rendezvous and forms the process group.
        pub fn join(world: World, device: DeviceName) -> Result<Ranks, DistError> {
            check_device(device)?;
            let timeout = timeout();
            let rendezvous = |e: C10dError| {
                let text = e.message.to_ascii_lowercase();
                if text.contains("eaddrinuse") || text.contains("address already in use") {
                    DistError::PortInUse {
                        rank: world.rank,
                        addr: world.master_addr.clone(),
                        port: world.master_port,
                    }
                } else {
                    DistError::Rendezvous {
                        rank: world.rank,
                        addr: world.master_addr.clone(),
                        port: world.master_port,
                        launcher: world.launcher,
                        message: e.message,
                    }
                }
            };
            let store = Store::connect(
                &world.master_addr,
                world.master_port,
                world.hosts_store,
                world.size,
                timeout,
                "",
            )
            .map_err(rendezvous)?;
            let (backend, device) = match device {
                DeviceName::Gpus(_) => {
                    return Err(DistError::Other {
                        rank: world.rank,
                        message: format!(
                            "a rank trains on one GPU of {device}, not all of them (World::device \
                             picks it)"
                        ),
                    });
                }
                // This rank's own GPU ([`World::device`]).
                DeviceName::Cuda(index) => {
                    if !crate::dist::c10d::has_nccl() {
                        return Err(DistError::Other {
                            rank: world.rank,
                            message: "this botui was built without c10d's NCCL backend, which \
                                      several GPUs need (see the build warning and README)"
                                .into(),
                        });
                    }
                    (Backend::Nccl { device: index }, tch::Device::Cuda(index))
                }
                _ => (Backend::Gloo, tch::Device::Cpu),
            };
            let group =
                Group::new(&store, backend, world.rank, world.size, timeout).map_err(rendezvous)?;
            let beat = store.try_clone().map_err(rendezvous)?;
            let liveness = Liveness::start(beat, world.rank, world.size, timeout);
            Ok(Ranks {
                world,
                store,
                group,
                liveness,
                timeout,
                device,
            })
        }

        pub fn world(&self) -> &World {
            &self.world
        }

        /// Rank 0 publishes `config`; every other rank checks that its own hashes alike and
        /// otherwise fails naming the keys that differ.
        pub fn sync_config(&mut self, config: &impl serde::Serialize) -> Result<(), DistError> {
            let ours = Fingerprint::of(config);
            let key = "botui/config";
            if self.world.rank == 0 {
                let message = format!("{}\n{}", ours.hash, ours.json);
                self.store
                    .set(key, message.as_bytes())
                    .map_err(|e| self.failed("publishing the run config", e))?;
            } else {
                let bytes = self
                    .store
                    .get(key, self.timeout)
                    .map_err(|e| self.failed("reading rank 0's run config", e))?;
                let text = String::from_utf8_lossy(&bytes);
                let (hash, json) = text.split_once('\n').unwrap_or((&text, ""));
                if hash != ours.hash {
                    return Err(DistError::ConfigMismatch {
                        rank: self.world.rank,
                        differences: differing_keys(&ours.json, json),
                    });
                }
            }
            self.barrier("agreeing on the run config")
        }

        /// Rank 0's values of every float tensor of `module` (parameters and BN running
        /// statistics), on every rank.
        pub fn broadcast_module<M: Module>(&mut self, module: M) -> Result<M, DistError> {
            let mut collect = Collect::default();
            module.visit(&mut collect);
            let refs: Vec<&tch::Tensor> = collect.tensors.iter().collect();
            let values = self
                .group
                .broadcast(&refs, BUCKET_BYTES)
                .map_err(|e| self.failed("broadcasting rank 0's weights", e))?;
            let mut replace = Replace {
                ids: collect.ids,
                values: values.into_iter(),
                next: 0,
            };
            Ok(module.map(&mut replace))
        }

        /// Averages `grads` over the ranks in buckets; `extra` numbers are summed in the same
        /// collective (their sums come back).
        pub fn all_reduce_grads<M: Module>(
            &mut self,
            module: &M,
            mut grads: GradientsParams,
            extra: &[f64],
        ) -> Result<(GradientsParams, Vec<f64>), DistError> {
            let mut take = TakeGrads {
                grads: &mut grads,
                ids: Vec::new(),
                tensors: Vec::new(),
            };
            module.visit(&mut take);
            let (ids, mut tensors) = (take.ids, take.tensors);
            // The extra numbers go in a bucket of their own (another dtype), summed, not
            // averaged: they are divided by the world size below, then multiplied back.
            if !extra.is_empty() {
                tensors.push(tch::Tensor::from_slice(extra).to_device(self.device));
            }
            let refs: Vec<&tch::Tensor> = tensors.iter().collect();
            let mut reduced = self
                .group
                .all_reduce(&refs, BUCKET_BYTES, true)
                .map_err(|e| self.failed("the gradient all-reduce", e))?;
            let world = self.world.size as f64;
            let sums: Vec<f64> = if extra.is_empty() {
                Vec::new()
            } else {
                let sums = reduced.pop().expect("the extra tensor comes back");
                Vec::<f64>::try_from(sums.to_device(tch::Device::Cpu))
                    .unwrap_or_default()
                    .into_iter()
                    .map(|v| v * world)
                    .collect()
            };
            let mut put = PutGrads {
                grads: &mut grads,
                ids,
                values: reduced.into_iter(),
                next: 0,
            };
            module.visit(&mut put);
            Ok((grads, sums))
        }

        /// Element-wise sums over the ranks.
        pub fn sum(&mut self, values: &[f64]) -> Result<Vec<f64>, DistError> {
            let t = tch::Tensor::from_slice(values).to_device(self.device);
            let out = self
                .group
                .all_reduce(&[&t], BUCKET_BYTES, false)
                .map_err(|e| self.failed("summing over ranks", e))?;
            Ok(Vec::<f64>::try_from(out[0].to_device(tch::Device::Cpu)).unwrap_or_default())
        }

        /// Waits for every rank (`during` names the moment in errors).
        pub fn barrier(&mut self, during: &str) -> Result<(), DistError> {
            self.group.barrier().map_err(|e| self.failed(during, e))
        }

        /// The end of the run: every rank says it is done; rank 0, which hosts the store, waits
        /// for the others' word before it goes.
        pub fn finish(mut self) -> Result<(), DistError> {
            self.barrier("the final barrier")?;
            liveness::mark_done(&self.store, self.world.rank);
            self.liveness.stop();
            if self.world.hosts_store {
                for peer in 1..self.world.size {
                    // A peer gone after the barrier has nothing left to lose.
                    let _ = self
                        .store
                        .get(&format!("botui/done/{peer}"), Duration::from_secs(30));
                }
            }
            Ok(())
        }

        /// Turns a failed c10d call into an error that names the lost rank, when one is.
        fn failed(&self, during: &str, e: C10dError) -> DistError {
            let rank = self.world.rank;
            match liveness::lost_ranks(&self.store, rank, self.world.size, Duration::from_secs(3)) {
                Ok(lost) if !lost.is_empty() => DistError::Lost {
                    rank,
                    lost,
                    during: during.to_string(),
                    cause: e.message,
                },
                Ok(_) => DistError::Collective {
                    rank,
                    during: during.to_string(),
                    message: e.message,
                },
                Err(store) if !self.world.hosts_store => {
                    let host_is_rank0 = self.world.launcher != Launcher::Torchrun
                        || std::env::var("TORCHELASTIC_USE_AGENT_STORE").as_deref() != Ok("True");
                    if host_is_rank0 {
                        DistError::Lost {
                            rank,
                            lost: vec![0],
                            during: during.to_string(),
                            cause: format!(
                                "{}; the rendezvous store that rank 0 hosted does not answer either ({store})",
                                e.message
                            ),
                        }
                    } else {
                        DistError::Collective {
                            rank,
                            during: during.to_string(),
                            message: format!(
                                "{}; torchrun's rendezvous store does not answer either ({store})",
                                e.message
                            ),
                        }
                    }
                }
                Err(store) => DistError::Collective {
                    rank,
                    during: during.to_string(),
                    message: format!("{} (and the store: {store})", e.message),
                },
            }
        }
    }

    impl Drop for Ranks {
        fn drop(&mut self) {
            self.liveness.stop();
        }
    }

    /// The LibTorch tensor inside a burn tensor on a LibTorch device (not autodiff).
    fn to_tch<const D: usize>(tensor: Tensor<D>) -> tch::Tensor {
        let dispatch: DispatchTensor = tensor.into_dispatch();
        match <DispatchTensor as DispatchKindConversion<LibTorch>>::try_into_backend(dispatch) {
            Ok(t) => t.float().tensor,
            Err(e) => panic!("data-parallel training needs LibTorch tensors: {e}"),
        }
    }

    fn from_tch<const D: usize>(tensor: tch::Tensor) -> Tensor<D> {
        Tensor::from_dispatch(
            <DispatchTensor as DispatchKindConversion<LibTorch>>::from_backend(
                BackendTensor::Float(TchTensor::new(tensor)),
            ),
        )
    }

    /// The value of a float tensor, outside autodiff.
    fn plain<const D: usize>(tensor: Tensor<D>) -> Tensor<D> {
        if tensor.device().is_autodiff() {
            tensor.inner()
        } else {
            tensor
        }
    }

    #[derive(Default)]
    struct Collect {
        ids: Vec<ParamId>,
        tensors: Vec<tch::Tensor>,
    }

    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.ids.push(param.id);
            self.tensors.push(to_tch(plain(param.val())));
        }
    }

    struct Replace<I: Iterator<Item = tch::Tensor>> {
        ids: Vec<ParamId>,
        values: I,
        next: usize,
    }

    impl<I: Iterator<Item = tch::Tensor>> ModuleMapper for Replace<I> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            assert_eq!(
                self.ids.get(self.next),
                Some(&param.id),
                "a module is visited and mapped in the same order"
            );
            self.next += 1;
            let value = from_tch::<D>(self.values.next().expect("one value per tensor"));
            param.map(|old| {
                if old.device().is_autodiff() {
                    let new = Tensor::from_inner(value);
                    if old.is_require_grad() {
                        new.require_grad()
                    } else {
                        new
                    }
                } else {
                    value
                }
            })
        }
    }

    struct TakeGrads<'a> {
        grads: &'a mut GradientsParams,
        ids: Vec<ParamId>,
        tensors: Vec<tch::Tensor>,
    }

    impl ModuleVisitor for TakeGrads<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(grad) = self.grads.remove::<D>(param.id) {
                self.ids.push(param.id);
                self.tensors.push(to_tch(grad));
            }
        }
    }

    struct PutGrads<'a, I: Iterator<Item = tch::Tensor>> {
        grads: &'a mut GradientsParams,
        ids: Vec<ParamId>,
        values: I,
        next: usize,
    }

    impl<I: Iterator<Item = tch::Tensor>> ModuleVisitor for PutGrads<'_, I> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if self.ids.get(self.next) == Some(&param.id) {
                self.next += 1;
                let value = self.values.next().expect("one value per gradient");
                self.grads.register::<D>(param.id, from_tch(value));
            }
        }
    }
}
