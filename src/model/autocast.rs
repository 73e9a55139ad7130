//! Autocast: low precision per operation, as `torch.autocast` does it, for the low-precision
//! trick (Sec. 3.2) on LibTorch.
//!
//! Inside an [`autocast`] scope the zoo's convolutions and its classifier (a matrix product) cast
//! their input and their FP32 weights to the scope's dtype (FP16 or BF16) and run in it; batch
//! norm takes the low-precision activations with its FP32 gamma, beta and running statistics
//! (ATen's mixed-type batch norm accumulates its statistics in FP32, as under `torch.autocast`);
//! ReLU, pooling and the residual additions follow their input. The caller computes the loss in
//! FP32 from the up-cast logits. The casts are operations of the autodiff graph, so gradients
//! reach the FP32 master weights in FP32; the optimizer never sees a low-precision tensor.
//!
//! The scope is per thread: a training step's forward pass runs on the thread that set it, and
//! tests running side by side on other threads are untouched.

use std::cell::Cell;

use burn::tensor::FloatDType;

thread_local! {
    static DTYPE: Cell<Option<FloatDType>> = const { Cell::new(None) };
}

/// The dtype of the autocast scope this thread is in, if any.
pub fn dtype() -> Option<FloatDType> {
    DTYPE.with(Cell::get)
}

/// Restores the previous scope when dropped.
#[must_use = "autocast ends when the guard is dropped"]
pub struct AutocastGuard {
    previous: Option<FloatDType>,
}

/// Runs the zoo's layers in `dtype` on this thread until the guard is dropped (`None`: FP32,
/// for a scope that switches autocast off).
pub fn autocast(dtype: Option<FloatDType>) -> AutocastGuard {
    let previous = DTYPE.with(|d| d.replace(dtype));
    AutocastGuard { previous }
}

impl Drop for AutocastGuard {
    fn drop(&mut self) {
        DTYPE.with(|d| d.set(self.previous));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_nest_and_restore() {
        assert_eq!(dtype(), None);
        {
            let _outer = autocast(Some(FloatDType::BF16));
            assert_eq!(dtype(), Some(FloatDType::BF16));
            {
                let _inner = autocast(None);
                assert_eq!(dtype(), None);
            }
            assert_eq!(dtype(), Some(FloatDType::BF16));
            let other = std::thread::spawn(dtype).join().unwrap();
            assert_eq!(other, None, "another thread is not in this scope");
        }
        assert_eq!(dtype(), None);
    }
}
