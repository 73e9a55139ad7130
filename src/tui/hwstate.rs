//! The hardware pane's state: the latest [`HwSample`] and a short history per series.

use std::collections::VecDeque;

use botui::hw::HwSample;

/// Samples kept per series (about two minutes at one sample a second).
pub const HW_HISTORY: usize = 120;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct HwState {
    pub latest: Option<HwSample>,
    /// Per GPU: utilization percent, oldest first.
    pub gpu_util: Vec<VecDeque<u64>>,
    /// Per GPU: memory used, percent of total.
    pub gpu_mem: Vec<VecDeque<u64>>,
    /// Machine CPU percent.
    pub cpu: VecDeque<u64>,
    /// botui's share of the machine's CPU, percent.
    pub process_cpu: VecDeque<u64>,
}

fn push(series: &mut VecDeque<u64>, value: f64) {
    if series.len() == HW_HISTORY {
        series.pop_front();
    }
    series.push_back(value.clamp(0.0, 100.0).round() as u64);
}

pub fn percent(used: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        used as f64 * 100.0 / total as f64
    }
}

impl HwState {
    pub fn apply(&mut self, sample: HwSample) {
        let n = sample.gpus.len();
        if self.gpu_util.len() != n {
            // GPUs appeared or went away: their histories start over.
            self.gpu_util = vec![VecDeque::new(); n];
            self.gpu_mem = vec![VecDeque::new(); n];
        }
        for (i, g) in sample.gpus.iter().enumerate() {
            push(&mut self.gpu_util[i], g.utilization as f64);
            push(&mut self.gpu_mem[i], percent(g.memory_used, g.memory_total));
        }
        push(&mut self.cpu, sample.host.cpu_percent as f64);
        push(
            &mut self.process_cpu,
            sample.host.process_cpu_percent as f64,
        );
        self.latest = Some(sample);
    }
}
