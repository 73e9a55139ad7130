//! What `botui train --nproc` and `botui bench train --nproc` share: which GPUs the ranks get,
//! and which device a rank computes on.

use anyhow::bail;
use botui::device::DeviceName;
use botui::dist::World;

/// The device a rank computes on: `cuda:LOCAL_RANK` for a GPU run (counted within
/// `CUDA_VISIBLE_DEVICES`, which botui's launcher sets), the configured device otherwise.
pub fn rank_device(device: DeviceName, world: &World) -> DeviceName {
    match device {
        DeviceName::Cuda(_) => DeviceName::Cuda(world.local_rank),
        other => other,
    }
}

/// `CUDA_VISIBLE_DEVICES` for `n` ranks on `cuda:K`: GPUs K..K+n-1, one per rank. An error
/// when this machine has fewer.
pub fn cuda_devices(device: DeviceName, n: usize) -> anyhow::Result<Option<Vec<usize>>> {
    let DeviceName::Cuda(first) = device else {
        return Ok(None);
    };
    let count = botui::device::cuda_device_count();
    if first + n > count {
        bail!(
            "--nproc {n} on {device} needs GPUs {first} to {} (one per rank), but LibTorch sees \
             {count} GPU(s) on this machine",
            first + n - 1
        );
    }
    Ok(Some((first..first + n).collect()))
}
