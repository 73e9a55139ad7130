//! cuDNN's process-wide switches on LibTorch, as PyTorch names them: autotuning
//! (`torch.backends.cudnn.benchmark`: the first convolution of each shape times cuDNN's
//! algorithms and keeps the fastest) and TF32 for FP32 convolutions
//! (`torch.backends.cudnn.allow_tf32`, on by default in LibTorch). Without the `tch` feature they
//! do nothing; on a CPU they are set but unused.

/// Turns cuDNN autotuning on or off.
pub fn set_benchmark(on: bool) {
    #[cfg(feature = "tch")]
    tch::Cuda::cudnn_set_benchmark(on);
    let _ = on;
}

/// Allows (or forbids) TF32 in FP32 convolutions; returns the previous setting.
pub fn set_allow_tf32(on: bool) -> bool {
    #[cfg(feature = "tch")]
    return super::libtorch::cudnn_allow_tf32(on);
    #[cfg(not(feature = "tch"))]
    {
        let _ = on;
        false
    }
}
