//! `botui train` as a rank of a data-parallel run on CPU (LibTorch, Gloo), through the binary:
//! under torchrun, killed with SIGKILL, resumed with another number of ranks, and given bad
//! launch input. Each test has its own time limit: a hang fails the test, it never stalls CI.
#![cfg(feature = "tch")]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

mod common;
use common::metrics;

/// [`common::TINY`] (MobileNet x0.25 at 32x32 on 4 built-in classes: 64 training images, global
/// batch 16, 8 images per rank of 2) on LibTorch.
const LIBTORCH: [&str; 2] = ["--device", "libtorch"];

/// How long any one botui process of these tests may take.
const LIMIT: Duration = Duration::from_secs(300);

fn botui(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_botui"));
    c.env("XDG_CONFIG_HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("HOME", home)
        .env("OMP_NUM_THREADS", "1")
        // A lost rank is noticed well within the tests' limits.
        .env("BOTUI_DIST_TIMEOUT", "60");
    for var in [
        "RANK",
        "WORLD_SIZE",
        "LOCAL_RANK",
        "SLURM_PROCID",
        "SLURM_NTASKS",
    ] {
        c.env_remove(var);
    }
    c
}

/// A running process whose stderr is read as it comes (a full pipe would stall it).
struct Running {
    child: Child,
    stderr: Option<JoinHandle<String>>,
}

impl Running {
    fn start(mut command: Command) -> Running {
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("botui starts");
        let mut pipe = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        });
        Running {
            child,
            stderr: Some(stderr),
        }
    }

    /// Waits at most `limit`; a process still running then is killed and the test fails.
    fn finish(mut self, limit: Duration, what: &str) -> (ExitStatus, String) {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let stderr = self.stderr.take().unwrap().join().unwrap();
                panic!("{what} still ran after {limit:?}:\n{stderr}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let stderr = self.stderr.take().unwrap().join().unwrap();
        eprintln!("--- {what}: {status}\n{stderr}");
        (status, stderr)
    }

    fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Rank `rank` of `size`, with torchrun's environment but no agent watching it (as a rank
/// whose launcher cannot stop it).
fn rank(home: &Path, rank: usize, size: usize, port: u16, args: &[&str]) -> Command {
    let mut c = botui(home);
    c.arg("train")
        .args(args)
        .env("RANK", rank.to_string())
        .env("LOCAL_RANK", rank.to_string())
        .env("WORLD_SIZE", size.to_string())
        .env("MASTER_ADDR", "127.0.0.1")
        .env("MASTER_PORT", port.to_string());
    c
}

fn free_port() -> u16 {
    botui::dist::launch::rendezvous_port(None).unwrap()
}

/// Waits until `path` exists while `running` all run.
fn wait_for(path: &Path, running: &mut [&mut Running]) {
    let start = Instant::now();
    while !path.exists() {
        for r in running.iter_mut() {
            assert!(
                r.running(),
                "a rank ended before {} appeared",
                path.display()
            );
        }
        assert!(start.elapsed() < LIMIT, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// torchrun from the LibTorch venv (CI sources its env file before the tch tests).
fn torchrun() -> PathBuf {
    let venv = std::env::var_os("VIRTUAL_ENV").map(|v| Path::new(&v).join("bin/torchrun"));
    if let Some(path) = venv.filter(|p| p.is_file()) {
        return path;
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("torchrun"))
            .find(|p| p.is_file())
    });
    on_path.expect(
        "torchrun not found: source the LibTorch venv's env file (scripts/setup-libtorch.sh) \
         before `cargo test --features tch`",
    )
}

#[test]
fn torchrun_trains_two_ranks_into_one_run_folder() {
    let home = tempfile::tempdir().unwrap();
    let out_dir = home.path().join("run");
    let mut command = Command::new(torchrun());
    command
        .args(["--no-python", "--nproc-per-node", "2", "--master-port"])
        .arg(free_port().to_string())
        .arg(env!("CARGO_BIN_EXE_botui"))
        .arg("train")
        .args(LIBTORCH)
        .args(common::TINY)
        .args(["--epochs", "1", "--out"])
        .arg(&out_dir)
        .env("XDG_CONFIG_HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("BOTUI_DIST_TIMEOUT", "60");
    let (status, stderr) = Running::start(command).finish(LIMIT, "torchrun");
    assert!(status.success(), "{stderr}");
    let lines = metrics(&out_dir);
    assert_eq!(lines.len(), 1, "one epoch, one line");
    // Throughput is the run's: both ranks' images.
    assert!(lines[0]["images_per_sec"].as_f64().unwrap() > 0.0);
    for file in [
        "config.toml",
        "classes.json",
        "last.ckpt",
        "best.ckpt",
        "train.log",
    ] {
        assert!(out_dir.join(file).is_file(), "{file} missing");
    }
    // Rank 0 alone writes: its log, and no other rank made a folder of its own.
    let log = std::fs::read_to_string(out_dir.join("train.log")).unwrap();
    assert!(log.contains("rank 0 of 2 (torchrun)"), "{log}");
    assert!(!log.contains("rank 1 of 2"), "{log}");
    assert!(!home.path().join("data").exists(), "a default run folder");
}

#[test]
fn a_killed_rank_makes_the_other_stop_within_60_s_naming_it() {
    let home = tempfile::tempdir().unwrap();
    let out_dir = home.path().join("run");
    let out = out_dir.to_str().unwrap();
    let port = free_port();
    let args: Vec<&str> = LIBTORCH
        .iter()
        .chain(common::TINY)
        .copied()
        .chain(["--epochs", "1000", "--out", out])
        .collect();
    let mut survivor = Running::start(rank(home.path(), 0, 2, port, &args));
    let mut victim = Running::start(rank(home.path(), 1, 2, port, &args));
    // Both have trained an epoch together.
    wait_for(
        &out_dir.join("metrics.jsonl"),
        &mut [&mut survivor, &mut victim],
    );
    victim.child.kill().unwrap(); // SIGKILL
    victim.child.wait().unwrap();
    let (status, stderr) = survivor.finish(Duration::from_secs(60), "rank 0 after rank 1's death");
    assert!(!status.success());
    assert!(stderr.contains("lost rank 1"), "{stderr}");
}

#[test]
fn a_run_of_one_rank_resumes_on_two() {
    let home = tempfile::tempdir().unwrap();
    let out_dir = home.path().join("run");
    let mut alone = botui(home.path());
    alone
        .arg("train")
        .args(LIBTORCH)
        .args(common::TINY)
        .args(["--epochs", "3", "--out"])
        .arg(&out_dir);
    let mut alone = Running::start(alone);
    wait_for(&out_dir.join("metrics.jsonl"), &mut [&mut alone]);
    // Ctrl-C: stop after this iteration, save `last`.
    unsafe { libc::kill(alone.child.id() as i32, libc::SIGINT) };
    let (status, stderr) = alone.finish(LIMIT, "the run alone");
    assert!(!status.success(), "interrupted: {stderr}");
    let done = metrics(&out_dir).len();
    assert!((1..3).contains(&done), "{done} epochs before the stop");

    let mut resumed = botui(home.path());
    resumed
        .args(["train", "--nproc", "2", "--resume"])
        .arg(&out_dir);
    let (status, stderr) = Running::start(resumed).finish(LIMIT, "resumed on 2 ranks");
    assert!(status.success(), "{stderr}");
    let lines = metrics(&out_dir);
    let epochs: Vec<u64> = lines.iter().map(|m| m["epoch"].as_u64().unwrap()).collect();
    assert_eq!(epochs, [1, 2, 3]);
    let log = std::fs::read_to_string(out_dir.join("train.log")).unwrap();
    assert!(log.contains("rank 0 of 2 (botui --nproc)"), "{log}");
    assert!(log.contains("resumed after"), "{log}");
}

#[test]
fn bad_launch_input_is_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    let out_dir = home.path().join("run");
    let out = out_dir.to_str().unwrap();
    let args: Vec<&str> = LIBTORCH
        .iter()
        .chain(common::TINY)
        .copied()
        .chain(["--epochs", "1", "--out", out])
        .collect();

    // A rendezvous nobody hosts: rank 1 gives up after BOTUI_DIST_TIMEOUT, naming it.
    let port = free_port();
    let mut lonely = rank(home.path(), 1, 2, port, &args);
    lonely.env("BOTUI_DIST_TIMEOUT", "5");
    let (status, stderr) = Running::start(lonely).finish(Duration::from_secs(60), "rank 1 alone");
    assert!(!status.success());
    assert!(
        stderr.contains(&format!("rendezvous at 127.0.0.1:{port}")),
        "{stderr}"
    );
    assert!(!out_dir.exists(), "rank 1 wrote the run folder");

    // A global batch that does not split over the ranks.
    let mut odd = botui(home.path());
    odd.args(["train", "--nproc", "2"])
        .args(&args)
        .args(["--set", "batch_size=15"]);
    let (status, stderr) = Running::start(odd).finish(Duration::from_secs(60), "batch 15");
    assert!(!status.success());
    assert!(
        stderr.contains("batch_size = 15 does not split over 2 ranks"),
        "{stderr}"
    );

    // Ranks that disagree on the config: rank 1 names the key, rank 0 the lost rank.
    let port = free_port();
    let mut other: Vec<&str> = args.clone();
    other.extend(["--set", "base_lr=0.2"]);
    let zero = Running::start(rank(home.path(), 0, 2, port, &args));
    let one = Running::start(rank(home.path(), 1, 2, port, &other));
    let (status1, stderr1) = one.finish(LIMIT, "rank 1 with base_lr 0.2");
    let (status0, stderr0) = zero.finish(LIMIT, "rank 0");
    assert!(!status1.success() && !status0.success());
    assert!(stderr1.contains("base_lr = 0.2 here"), "{stderr1}");
    assert!(stderr0.contains("rank 1"), "{stderr0}");
}

/// [`common::TINY`] on LibTorch as the run config the workbench holds.
fn tiny_config(epochs: usize) -> botui::config::RunConfig {
    use botui::config::overrides::apply_set;
    let mut config = botui::config::RunConfig::default();
    let mut flags = common::TINY.iter();
    while let (Some(flag), Some(value)) = (flags.next(), flags.next()) {
        let assignment = match *flag {
            "--model" => format!("model.name={value}"),
            "--input" => format!("model.input={value}"),
            "--batch-size" => format!("batch_size={value}"),
            "--set" => value.to_string(),
            other => panic!("TINY has {other}"),
        };
        config = apply_set(&config, &assignment).unwrap();
    }
    config.device = botui::device::DeviceName::LibTorch;
    config.epochs = epochs;
    config
}

/// The workbench's start path (what its start key runs for a multi-GPU device), here with 2
/// CPU ranks: rank 0 trains in this process and its events are the run's, rank 1 is a
/// `botui train` child; one run folder, one stream of events.
#[test]
fn the_workbench_start_path_trains_two_ranks_as_one_run() {
    use botui::train::TrainEvent;
    use botui::train::local_ranks::{LocalRanks, start};
    let home = tempfile::tempdir().unwrap();
    let out_dir = home.path().join("run");
    let request = botui::train::RunRequest {
        config: tiny_config(1),
        run_dir: out_dir.clone(),
        resume: false,
        world: None,
    };
    let ranks = LocalRanks {
        program: env!("CARGO_BIN_EXE_botui").into(),
        master_port: None,
        env: [
            ("XDG_CONFIG_HOME", home.path().to_path_buf()),
            ("XDG_DATA_HOME", home.path().join("data")),
            ("HOME", home.path().to_path_buf()),
            ("OMP_NUM_THREADS", "1".into()),
            ("BOTUI_DIST_TIMEOUT", "60".into()),
        ]
        .map(|(k, v)| (k.to_string(), v.into_os_string()))
        .to_vec(),
        grace: Duration::from_secs(20),
    };
    let trainer = start(request, Some(2), 0, ranks, botui::data::source_factory()).unwrap();
    let started = Instant::now();
    let mut events = Vec::new();
    loop {
        assert!(started.elapsed() < LIMIT, "still training: {events:#?}");
        match trainer.events.recv_timeout(Duration::from_millis(100)) {
            Ok(event) => events.push(event),
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => continue,
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
        }
    }
    while !trainer.is_finished() {
        assert!(started.elapsed() < LIMIT, "rank 1 still runs");
        std::thread::sleep(Duration::from_millis(50));
    }
    trainer.join();
    let starts = events
        .iter()
        .filter(|e| matches!(e, TrainEvent::Started(_)))
        .count();
    assert_eq!(starts, 1, "one run: {events:#?}");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TrainEvent::Finished { epochs_done: 1, .. })),
        "{events:#?}"
    );
    // The epoch's numbers are the run's, over both ranks' images.
    let epoch = events.iter().find_map(|e| match e {
        TrainEvent::EpochEnd(m) => Some(m.clone()),
        _ => None,
    });
    assert!(epoch.is_some_and(|m| m.images_per_sec > 0.0), "{events:#?}");
    let log = std::fs::read_to_string(out_dir.join("train.log")).unwrap();
    assert!(log.contains("rank 0 of 2 (botui --nproc)"), "{log}");
    assert_eq!(metrics(&out_dir).len(), 1);
    assert!(
        !home.path().join("data").exists(),
        "rank 1 made a folder of its own"
    );
}
