//! Hardware sampling for the workbench's hardware pane: NVIDIA GPUs through NVML (loaded at
//! run time: a machine without the driver is normal and reported once, quietly), and the
//! machine's and this process's CPU and memory through `sysinfo`.
//!
//! A [`Sampler`] thread sends one [`HwSample`] per interval on a channel; dropping the sampler
//! stops the thread at once. GPUs come from a [`GpuProbe`], so tests (and `botui bench ui`)
//! can inject fake GPUs with [`FakeGpus`]. No terminal code lives here.

use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded, unbounded};

/// One NVIDIA GPU at one moment.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GpuSample {
    pub index: u32,
    pub name: String,
    /// Percent of the last sample period a kernel was running, 0 to 100.
    pub utilization: f32,
    pub memory_used: u64,
    pub memory_total: u64,
    /// Degrees Celsius; `None` when the driver does not say.
    pub temperature_c: Option<u32>,
    /// Watts; `None` when the driver does not say.
    pub power_w: Option<f32>,
    /// The enforced power limit in watts.
    pub power_limit_w: Option<f32>,
}

/// The machine and this process.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct HostSample {
    /// Logical cores.
    pub cores: usize,
    /// All cores together, 0 to 100.
    pub cpu_percent: f32,
    pub memory_used: u64,
    pub memory_total: u64,
    /// This process (botui with its trainer and loader threads), as a share of the whole
    /// machine, 0 to 100 (CPU time used between two samples over wall time x cores).
    pub process_cpu_percent: f32,
    /// Resident memory of this process.
    pub process_memory: u64,
}

/// One reading of everything.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HwSample {
    /// Empty without NVIDIA GPUs (see [`HwSample::gpu_note`]).
    pub gpus: Vec<GpuSample>,
    pub host: HostSample,
    /// Why there are no GPUs ("no NVIDIA driver"), for a label rather than an error.
    pub gpu_note: Option<String>,
}

/// Where GPU readings come from.
pub trait GpuProbe: Send {
    /// The GPUs now; an empty list is fine.
    fn sample(&mut self) -> Vec<GpuSample>;
    /// Why there are no GPUs, when there are none.
    fn note(&self) -> Option<String>;
}

/// NVML, loaded at run time from `libnvidia-ml.so.1` (`nvml.dll` on Windows).
pub struct NvmlProbe {
    nvml: nvml_wrapper::Nvml,
    count: u32,
}

impl NvmlProbe {
    /// Loads NVML and counts the GPUs. The error is one short sentence for a label.
    pub fn open() -> Result<Self, String> {
        let nvml = nvml_wrapper::Nvml::init().map_err(|e| explain_nvml(&e))?;
        let count = nvml
            .device_count()
            .map_err(|e| format!("NVML answers but cannot count GPUs: {e}"))?;
        if count == 0 {
            return Err("the NVIDIA driver sees no GPU".into());
        }
        Ok(Self { nvml, count })
    }

    fn read(&self, index: u32) -> Option<GpuSample> {
        use nvml_wrapper::enum_wrappers::device::TemperatureSensor;
        let device = self.nvml.device_by_index(index).ok()?;
        let memory = device.memory_info().ok();
        Some(GpuSample {
            index,
            name: device.name().unwrap_or_else(|_| format!("GPU {index}")),
            utilization: device.utilization_rates().map_or(0.0, |u| u.gpu as f32),
            memory_used: memory.as_ref().map_or(0, |m| m.used),
            memory_total: memory.as_ref().map_or(0, |m| m.total),
            temperature_c: device.temperature(TemperatureSensor::Gpu).ok(),
            power_w: device.power_usage().ok().map(|mw| mw as f32 / 1000.0),
            power_limit_w: device
                .enforced_power_limit()
                .ok()
                .map(|mw| mw as f32 / 1000.0),
        })
    }
}

fn explain_nvml(e: &nvml_wrapper::error::NvmlError) -> String {
    use nvml_wrapper::error::NvmlError;
    match e {
        NvmlError::LibloadingError(_) => "no NVIDIA driver (NVML library not found)".into(),
        NvmlError::DriverNotLoaded => "the NVIDIA driver is not loaded".into(),
        NvmlError::NoPermission => "no permission to query the NVIDIA driver".into(),
        other => format!("NVML is not usable: {other}"),
    }
}

impl GpuProbe for NvmlProbe {
    fn sample(&mut self) -> Vec<GpuSample> {
        (0..self.count).filter_map(|i| self.read(i)).collect()
    }

    fn note(&self) -> Option<String> {
        None
    }
}

/// No GPU readings, with the reason shown in place of the GPUs.
pub struct NoGpus(pub String);

impl GpuProbe for NoGpus {
    fn sample(&mut self) -> Vec<GpuSample> {
        Vec::new()
    }

    fn note(&self) -> Option<String> {
        Some(self.0.clone())
    }
}

/// GPUs whose readings are given in advance: each call returns the next frame of `frames`,
/// repeating the last one. For tests and benchmarks.
pub struct FakeGpus {
    frames: Vec<Vec<GpuSample>>,
    next: usize,
}

impl FakeGpus {
    pub fn new(frames: Vec<Vec<GpuSample>>) -> Self {
        Self { frames, next: 0 }
    }
}

impl GpuProbe for FakeGpus {
    fn sample(&mut self) -> Vec<GpuSample> {
        let i = self.next.min(self.frames.len().saturating_sub(1));
        self.next += 1;
        self.frames.get(i).cloned().unwrap_or_default()
    }

    fn note(&self) -> Option<String> {
        None
    }
}

/// NVML when it answers with at least one GPU, otherwise [`NoGpus`] with the reason.
pub fn detect_gpus() -> Box<dyn GpuProbe> {
    match NvmlProbe::open() {
        Ok(probe) => Box::new(probe),
        Err(reason) => Box::new(NoGpus(reason)),
    }
}

/// Reads the machine and this process with sysinfo.
pub struct HostProbe {
    /// `None` where sysinfo cannot read this platform: samples stay zero.
    system: Option<sysinfo::System>,
    pid: Option<sysinfo::Pid>,
    /// The process's CPU milliseconds and the wall clock at the last sample: botui computes
    /// its own share from these (sysinfo reads 0 until the process has used a full tick).
    last: Option<(u64, std::time::Instant)>,
}

impl HostProbe {
    pub fn new() -> Self {
        Self {
            system: sysinfo::System::new().ok(),
            pid: sysinfo::get_current_pid().ok(),
            last: None,
        }
    }

    /// CPU percentages are differences between two calls: the first reads 0.
    pub fn sample(&mut self) -> HostSample {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let Some(system) = self.system.as_mut() else {
            return HostSample {
                cores,
                ..HostSample::default()
            };
        };
        system.refresh_cpu_usage();
        system.refresh_memory();
        let cores = system.cpus().len().max(1);
        let mut out = HostSample {
            cores,
            cpu_percent: system.global_cpu_usage(),
            memory_used: system.used_memory(),
            memory_total: system.total_memory(),
            ..HostSample::default()
        };
        if let Some(pid) = self.pid {
            system.refresh_processes_specifics(
                sysinfo::ProcessesToUpdate::Some(&[pid]),
                false,
                sysinfo::ProcessRefreshKind::nothing()
                    .with_cpu()
                    .with_memory(),
            );
            if let Some(p) = system.process(pid) {
                let now = std::time::Instant::now();
                let cpu_ms = p.accumulated_cpu_time();
                if let Some((last_ms, last_at)) = self.last {
                    let wall_ms = now.duration_since(last_at).as_secs_f64() * 1000.0;
                    let used = cpu_ms.saturating_sub(last_ms) as f64;
                    out.process_cpu_percent =
                        (used / (wall_ms.max(1.0) * cores as f64) * 100.0).min(100.0) as f32;
                }
                self.last = Some((cpu_ms, now));
                out.process_memory = p.memory();
            }
        }
        out
    }
}

impl Default for HostProbe {
    fn default() -> Self {
        Self::new()
    }
}

/// A running sampler thread; dropping it stops the thread.
pub struct Sampler {
    samples: Receiver<HwSample>,
    _stop: Sender<()>,
}

impl Sampler {
    /// Samples `gpus` and the host now and then every `interval`.
    pub fn spawn(mut gpus: Box<dyn GpuProbe>, interval: Duration) -> Self {
        let (tx, rx) = unbounded();
        let (stop_tx, stop_rx) = bounded::<()>(0);
        let spawned = std::thread::Builder::new()
            .name("botui-hw".into())
            .spawn(move || {
                let mut host = HostProbe::new();
                loop {
                    let sample = HwSample {
                        gpus: gpus.sample(),
                        host: host.sample(),
                        gpu_note: gpus.note(),
                    };
                    if tx.send(sample).is_err() {
                        return;
                    }
                    match stop_rx.recv_timeout(interval) {
                        Err(RecvTimeoutError::Timeout) => continue,
                        _ => return,
                    }
                }
            });
        // Without a thread the channel stays empty: the pane says "waiting for samples".
        drop(spawned);
        Self {
            samples: rx,
            _stop: stop_tx,
        }
    }

    /// The channel samples arrive on (drain with `try_iter`).
    pub fn samples(&self) -> &Receiver<HwSample> {
        &self.samples
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpu(index: u32, utilization: f32) -> GpuSample {
        GpuSample {
            index,
            name: format!("Fake GPU {index}"),
            utilization,
            memory_used: 1 << 30,
            memory_total: 16 << 30,
            temperature_c: Some(60),
            power_w: Some(250.0),
            power_limit_w: Some(300.0),
        }
    }

    #[test]
    fn sampler_sends_the_fake_gpus_in_order_then_repeats_the_last() {
        let frames = vec![vec![gpu(0, 10.0)], vec![gpu(0, 20.0), gpu(1, 30.0)]];
        let sampler = Sampler::spawn(Box::new(FakeGpus::new(frames)), Duration::from_millis(5));
        let got: Vec<HwSample> = (0..3)
            .map(|_| {
                sampler
                    .samples()
                    .recv_timeout(Duration::from_secs(5))
                    .unwrap()
            })
            .collect();
        assert_eq!(got[0].gpus, vec![gpu(0, 10.0)]);
        assert_eq!(got[1].gpus, vec![gpu(0, 20.0), gpu(1, 30.0)]);
        assert_eq!(got[2].gpus, got[1].gpus);
        assert!(got.iter().all(|s| s.gpu_note.is_none()));
        assert!(got[0].host.cores >= 1);
        assert!(
            got[0].host.memory_total > 0,
            "sysinfo reads the machine's memory"
        );
    }

    #[test]
    fn no_gpus_carries_the_reason_instead_of_an_error() {
        let sampler = Sampler::spawn(
            Box::new(NoGpus("no NVIDIA driver".into())),
            Duration::from_millis(5),
        );
        let s = sampler
            .samples()
            .recv_timeout(Duration::from_secs(5))
            .unwrap();
        assert!(s.gpus.is_empty());
        assert_eq!(s.gpu_note.as_deref(), Some("no NVIDIA driver"));
    }

    #[test]
    fn dropping_the_sampler_stops_its_thread() {
        let sampler = Sampler::spawn(Box::new(NoGpus(String::new())), Duration::from_secs(60));
        let rx = sampler.samples().clone();
        rx.recv_timeout(Duration::from_secs(5)).unwrap();
        drop(sampler);
        // The thread wakes from its 60 s wait at once, ends, and drops the sender.
        let end = rx.recv_timeout(Duration::from_secs(5));
        assert_eq!(end, Err(RecvTimeoutError::Disconnected));
    }

    #[test]
    fn detecting_gpus_never_fails() {
        // With or without a driver: a probe comes back, and without GPUs it says why.
        let mut probe = detect_gpus();
        let gpus = probe.sample();
        assert_eq!(gpus.is_empty(), probe.note().is_some());
    }

    #[test]
    fn process_cpu_is_a_share_of_the_machine() {
        let mut host = HostProbe::new();
        host.sample();
        // Keep every core busy for a moment, then read again. Per-core accounting would say
        // about 100 x cores percent; a share of the machine is at most 100 (other tests in
        // this process only add to the load, so only the upper bound is exact).
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let spin = || {
            let start = std::time::Instant::now();
            let mut x = 0u64;
            while start.elapsed() < Duration::from_millis(400) {
                x = x.wrapping_mul(31).wrapping_add(7);
            }
            std::hint::black_box(x);
        };
        std::thread::scope(|s| {
            for _ in 0..cores {
                s.spawn(spin);
            }
        });
        let s = host.sample();
        assert!(
            s.process_cpu_percent > 100.0 / (2.0 * s.cores as f32),
            "{s:?}"
        );
        assert!(s.process_cpu_percent <= 105.0, "{s:?}");
        assert!(s.process_memory > 0, "{s:?}");
    }
}
