//! `botui bench data`: images/s through decoding and the paper's full training transform,
//! with the real loader (worker threads, batches of 32), on ImageNet-like JPEGs it writes
//! (about 500 x 375, quality 90) or on the images of a folder or data source.
//! benches/data_torchvision.py runs the same pipeline with torchvision on the same files
//! (`--keep DIR` leaves the generated files there).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use botui::config::{AugmentSection, DataSource, RunConfig};
use botui::data::imagefolder::decode_image;
use botui::data::loader::LoaderOptions;
use botui::data::rng::DataRng;
use botui::data::transform::{TrainTransform, Transform};
use botui::data::{self, DataError, Dataset, Loader, RgbImage};
use image::codecs::jpeg::JpegEncoder;

#[derive(clap::Args, Debug)]
pub struct BenchDataArgs {
    /// A folder of images (searched recursively) or a data source (builtin, imagefolder:PATH,
    /// cifar10:PATH, ...) [default: generated ImageNet-like JPEGs].
    #[arg(long)]
    source: Option<String>,
    /// Output side of the random resized crop.
    #[arg(long, default_value_t = 224)]
    size: usize,
    /// Worker threads [default: one per core].
    #[arg(long)]
    threads: Option<usize>,
    /// Images to time (after one warm-up batch).
    #[arg(long, default_value_t = 512)]
    images: usize,
    /// Images per batch.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Write the generated JPEGs to this folder and keep them.
    #[arg(long)]
    keep: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

pub fn bench_data(args: BenchDataArgs) -> anyhow::Result<()> {
    if args.images == 0 || args.batch == 0 || args.size < 8 {
        bail!("--images and --batch must be at least 1 and --size at least 8");
    }
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let total = args.images + args.batch; // one warm-up batch
    let _tmp;
    let (dataset, what): (Arc<dyn Dataset>, String) = match &args.source {
        Some(s) if Path::new(s).is_dir() => (Arc::new(Files::find(Path::new(s))?), s.clone()),
        Some(s) => {
            let source = DataSource::parse(s)
                .map_err(|e| anyhow::anyhow!("--source {s:?}: expected a folder or {e}"))?;
            let splits = data::open_source(&source, &RunConfig::default())?;
            (splits.train, s.clone())
        }
        None => {
            let dir = match &args.keep {
                Some(d) => d.clone(),
                None => {
                    _tmp = TempDir(
                        std::env::temp_dir()
                            .join(format!("botui-bench-data-{}", std::process::id())),
                    );
                    _tmp.0.clone()
                }
            };
            let n = write_jpegs(&dir, total)?;
            (
                Arc::new(Files::find(&dir)?),
                format!("{n} generated JPEGs in {}", dir.display()),
            )
        }
    };
    if dataset.len() < total {
        eprintln!(
            "note: {} images, fewer than the {total} asked for: some are read twice",
            dataset.len()
        );
    }
    let dataset: Arc<dyn Dataset> = Arc::new(Cycle {
        inner: dataset,
        len: total,
    });

    let transform = Transform::Train(TrainTransform::new(args.size, &AugmentSection::default()));
    let options = LoaderOptions {
        batch_size: args.batch,
        shuffle: false,
        drop_last: false,
        workers: threads,
        prefetch: 2 * threads,
        seed: 0,
    };
    let loader = Loader::new(dataset, transform, options);
    let cpu_before = process_cpu_seconds();
    let mut epoch = loader.epoch(0);
    let mut timed = 0usize;
    let mut started = None;
    for batch in epoch.by_ref() {
        let batch = batch?;
        match started {
            None => started = Some(Instant::now()),
            Some(_) => timed += batch.len(),
        }
    }
    let secs = started.map_or(0.0, |s| s.elapsed().as_secs_f64());
    let stats = epoch.stats();
    drop(epoch);
    // CPU time of the whole epoch (warm-up batch included) over all its images: a measure of
    // work per image that a busy machine disturbs far less than wall time.
    let per_cpu_sec = match (cpu_before, process_cpu_seconds()) {
        (Some(a), Some(b)) if b > a => Some(stats.images as f64 / (b - a)),
        _ => None,
    };
    let rate = timed as f64 / secs.max(1e-9);
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "source": what, "size": args.size, "threads": threads, "images": timed,
                "seconds": secs, "images_per_sec": rate, "images_per_cpu_sec": per_cpu_sec,
                "skipped": stats.skipped,
            })
        );
    } else {
        println!("source: {what}");
        println!(
            "decode + train transform to {0}x{0}: {timed} images in {secs:.2} s on {threads} thread(s): {rate:.1} images/s",
            args.size
        );
        if let Some(p) = per_cpu_sec {
            println!("{p:.1} images per CPU-second");
        }
        if stats.skipped > 0 {
            println!(
                "skipped {} unreadable images, e.g. {}",
                stats.skipped, stats.skipped_examples[0]
            );
        }
    }
    Ok(())
}

/// User + system CPU time of this process, all threads (Linux: /proc/self/stat, in clock
/// ticks of 1/100 s); `None` elsewhere.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// A folder removed when the bench ends.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every image file under a folder, label 0.
struct Files(Vec<PathBuf>);

impl Files {
    fn find(dir: &Path) -> anyhow::Result<Self> {
        let mut files = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in
                std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))?
            {
                let path = entry?.path();
                let ext = path
                    .extension()
                    .map(|e| e.to_string_lossy().to_ascii_lowercase());
                if path.is_dir() {
                    stack.push(path);
                } else if matches!(ext.as_deref(), Some("jpg" | "jpeg" | "png")) {
                    files.push(path);
                }
            }
        }
        if files.is_empty() {
            bail!("{}: no .jpg, .jpeg or .png files", dir.display());
        }
        files.sort();
        Ok(Files(files))
    }
}

impl Dataset for Files {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn label(&self, _: usize) -> usize {
        0
    }
    fn load(&self, index: usize) -> Result<RgbImage, DataError> {
        let path = &self.0[index];
        let bytes = std::fs::read(path).map_err(|e| DataError::Io {
            path: path.clone(),
            source: e,
        })?;
        decode_image(path, &bytes)
    }
}

/// A dataset read round and round up to `len` images.
struct Cycle {
    inner: Arc<dyn Dataset>,
    len: usize,
}

impl Dataset for Cycle {
    fn len(&self) -> usize {
        self.len
    }
    fn label(&self, index: usize) -> usize {
        self.inner.label(index % self.inner.len())
    }
    fn load(&self, index: usize) -> Result<RgbImage, DataError> {
        self.inner.load(index % self.inner.len())
    }
}

/// Writes `n` photo-like JPEGs (smooth color fields, edges, fine texture and sensor-like
/// noise; 500 x 375, one in four portrait) at quality 90, about the size of ImageNet's.
fn write_jpegs(dir: &Path, n: usize) -> anyhow::Result<usize> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut bytes_total = 0u64;
    for i in 0..n {
        let path = dir.join(format!("img_{i:05}.jpg"));
        if !path.is_file() {
            let img = photo(i as u64);
            let mut buf = Vec::new();
            JpegEncoder::new_with_quality(&mut buf, 90).encode_image(&img)?;
            std::fs::write(&path, &buf).with_context(|| format!("writing {}", path.display()))?;
        }
        bytes_total += std::fs::metadata(&path)?.len();
    }
    eprintln!(
        "{n} JPEGs in {}, {:.0} KB on average",
        dir.display(),
        bytes_total as f64 / n as f64 / 1e3
    );
    Ok(n)
}

fn photo(seed: u64) -> RgbImage {
    let mut rng = DataRng::new(seed);
    let (w, h) = if rng.chance(0.25) {
        (375u32, 500u32)
    } else {
        (500, 375)
    };
    // A few random plane waves per channel (smooth shading), a few disks (edges), a fine
    // texture and noise.
    let waves: Vec<[f64; 5]> = (0..12)
        .map(|_| {
            let f = rng.uniform(0.002, 0.03);
            let a = rng.uniform(0.0, std::f64::consts::TAU);
            [
                f * a.cos(),
                f * a.sin(),
                rng.uniform(0.0, 6.3),
                rng.uniform(10.0, 45.0),
                rng.below(3) as f64,
            ]
        })
        .collect();
    let disks: Vec<[f64; 6]> = (0..6)
        .map(|_| {
            [
                rng.uniform(0.0, w as f64),
                rng.uniform(0.0, h as f64),
                rng.uniform(20.0, 120.0),
                rng.uniform(0.0, 255.0),
                rng.uniform(0.0, 255.0),
                rng.uniform(0.0, 255.0),
            ]
        })
        .collect();
    let base = [
        rng.uniform(60.0, 190.0),
        rng.uniform(60.0, 190.0),
        rng.uniform(60.0, 190.0),
    ];
    let fine = rng.uniform(0.15, 0.6);
    RgbImage::from_fn(w, h, |x, y| {
        let (xf, yf) = (x as f64, y as f64);
        let mut p = base;
        for wv in &waves {
            p[wv[4] as usize] += wv[3] * (wv[0] * xf + wv[1] * yf + wv[2]).sin();
        }
        for d in &disks {
            if (xf - d[0]).hypot(yf - d[1]) < d[2] {
                p = [
                    0.5 * p[0] + 0.5 * d[3],
                    0.5 * p[1] + 0.5 * d[4],
                    0.5 * p[2] + 0.5 * d[5],
                ];
            }
        }
        let texture = 14.0 * (fine * xf).sin() * (fine * 1.3 * yf).cos();
        image::Rgb(p.map(|v| (v + texture + 7.0 * rng.normal()).clamp(0.0, 255.0) as u8))
    })
}
