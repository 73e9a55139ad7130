//! Where the time of a training step goes inside the flex kernels: `botui bench train --profile`
//! switches this on for the timed steps and prints one row per kernel and shape (calls, seconds,
//! GFLOP/s of the convolutions), beside the step's wall time, so that what is left outside the
//! kernels (burn's own operations, autodiff bookkeeping, the optimizer) shows as the difference.
//!
//! Off (the default) a kernel call costs one relaxed atomic load.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

static ON: AtomicBool = AtomicBool::new(false);
static TABLE: Mutex<BTreeMap<String, KernelTime>> = Mutex::new(BTreeMap::new());

/// One kernel at one shape, summed over the profiled calls.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct KernelTime {
    /// e.g. "conv backward (input, weight) 3x3/2 64->128 at 16x16, batch 128".
    pub kernel: String,
    pub calls: usize,
    pub seconds: f64,
    /// Multiply-adds times two (0 where not counted, e.g. batch norm).
    pub flops: f64,
}

/// Clears the table and starts timing kernel calls.
pub fn start() {
    lock().clear();
    ON.store(true, Ordering::Relaxed);
}

/// Stops timing; the rows, slowest first.
pub fn stop() -> Vec<KernelTime> {
    ON.store(false, Ordering::Relaxed);
    let mut rows: Vec<KernelTime> = std::mem::take(&mut *lock()).into_values().collect();
    rows.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
    rows
}

/// Runs `f`, adding its time to the row `kernel()` names (only built while profiling).
pub(super) fn time<R>(kernel: impl FnOnce() -> String, flops: f64, f: impl FnOnce() -> R) -> R {
    if !ON.load(Ordering::Relaxed) {
        return f();
    }
    let start = Instant::now();
    let result = f();
    let seconds = start.elapsed().as_secs_f64();
    let kernel = kernel();
    let mut table = lock();
    let row = table.entry(kernel.clone()).or_insert_with(|| KernelTime {
        kernel,
        ..KernelTime::default()
    });
    row.calls += 1;
    row.seconds += seconds;
    row.flops += flops;
    result
}

fn lock() -> std::sync::MutexGuard<'static, BTreeMap<String, KernelTime>> {
    // A panic inside a profiled kernel leaves the table usable: it only holds sums.
    TABLE.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_per_kernel_only_while_on() {
        assert_eq!(time(|| "untimed".into(), 1.0, || 3), 3);
        start();
        for _ in 0..2 {
            time(|| "a".into(), 5.0, || ());
        }
        time(
            || "b".into(),
            0.0,
            || std::thread::sleep(std::time::Duration::from_millis(5)),
        );
        let rows = stop();
        time(|| "after".into(), 1.0, || ());
        // Only this test profiles, but other tests' kernels may run meanwhile: look at ours.
        let ours: Vec<_> = rows
            .iter()
            .filter(|r| ["a", "b"].contains(&r.kernel.as_str()))
            .collect();
        assert_eq!(ours.len(), 2, "{rows:?}");
        assert_eq!((ours[0].kernel.as_str(), ours[0].calls), ("b", 1));
        assert!(ours[0].seconds >= 0.005);
        assert_eq!(
            (ours[1].kernel.as_str(), ours[1].calls, ours[1].flops),
            ("a", 2, 10.0)
        );
        assert!(
            !rows
                .iter()
                .any(|r| r.kernel == "untimed" || r.kernel == "after")
        );
        assert!(stop().is_empty());
    }
}
