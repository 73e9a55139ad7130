//! What `botui train --nproc` and `botui bench train --nproc` share: which GPUs the ranks get.

use anyhow::bail;
use botui::device::DeviceName;

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
