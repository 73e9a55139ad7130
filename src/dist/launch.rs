//! `botui train --nproc N`: botui's own launcher. It starts N ranks of the same program on this
//! machine with the environment torchrun would give them (`RANK`, `WORLD_SIZE`, `LOCAL_RANK`,
//! `MASTER_ADDR`, `MASTER_PORT`), forwards their output line by line prefixed with `[rank R]`,
//! and supervises them:
//!
//! - when a rank fails (non-zero exit, or killed by a signal) the others get SIGTERM, then
//!   SIGKILL after a grace period, and the launcher fails naming the rank and how it ended;
//! - Ctrl-C (SIGINT) or SIGTERM reaches the launcher alone (the ranks run in their own process
//!   group) and is forwarded once to every rank, which stop together after the same iteration;
//!   a second one kills them;
//! - on Linux every rank dies with the launcher (`PR_SET_PDEATHSIG`), so none is left behind.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::world::LAUNCHER_VAR;

/// What to start.
#[derive(Debug, Clone)]
pub struct Launch {
    pub nproc: usize,
    /// The rendezvous port; `None` picks a free one.
    pub master_port: Option<u16>,
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// `CUDA_VISIBLE_DEVICES` for every rank (rank r then uses `cuda:r`).
    pub cuda_visible: Option<Vec<usize>>,
    /// How long the other ranks get to stop after one failed, before SIGKILL.
    pub grace: Duration,
    /// More environment for every rank.
    pub env: Vec<(String, OsString)>,
}

/// Why the launch failed.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("--nproc 0: expected at least 1 rank")]
    NoRanks,
    #[error(
        "port {port} is already in use on this machine (another run?); choose another with \
         --master-port, or leave it out to pick a free one"
    )]
    PortInUse { port: u16 },
    #[error("cannot start rank {rank} ({program}): {source}")]
    Spawn {
        rank: usize,
        program: String,
        source: std::io::Error,
    },
    #[error("rank {rank} {how}; the other ranks were stopped")]
    RankFailed { rank: usize, how: String },
    #[error("interrupted; the ranks were stopped")]
    Interrupted,
}

impl Launch {
    /// A launch of `nproc` ranks of this very executable with `args`.
    pub fn this_program(nproc: usize, args: Vec<OsString>) -> std::io::Result<Launch> {
        Ok(Launch {
            nproc,
            master_port: None,
            program: std::env::current_exe()?,
            args,
            cuda_visible: None,
            grace: Duration::from_secs(20),
            env: Vec::new(),
        })
    }
}

#[cfg(all(test, unix))]
impl Launch {
    /// `nproc` ranks of `sh -c script`, for tests of the supervision.
    pub(crate) fn shell(nproc: usize, script: &str) -> Launch {
        Launch {
            nproc,
            master_port: None,
            program: "/bin/sh".into(),
            args: vec!["-c".into(), script.into()],
            cuda_visible: None,
            grace: Duration::from_secs(5),
            env: Vec::new(),
        }
    }
}

/// `args` without the given flags and their values (`--nproc 2`, `--nproc=2`): what a rank
/// runs is the launcher's own command line minus the launch options.
pub fn without_flags(args: impl IntoIterator<Item = OsString>, flags: &[&str]) -> Vec<OsString> {
    let mut out = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        if flags.iter().any(|f| text == *f) {
            args.next();
        } else if !flags.iter().any(|f| text.starts_with(&format!("{f}="))) {
            out.push(arg);
        }
    }
    out
}

/// `port` when it is free on every interface (where c10d's TCPStore will listen), or a free one
/// the system picks.
pub fn rendezvous_port(port: Option<u16>) -> Result<u16, LaunchError> {
    match port {
        Some(port) => match TcpListener::bind(("0.0.0.0", port)) {
            Ok(_) => Ok(port),
            Err(_) => Err(LaunchError::PortInUse { port }),
        },
        None => Ok(TcpListener::bind(("0.0.0.0", 0))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(super::world::DEFAULT_PORT)),
    }
}

/// How a finished rank ended, in words.
pub fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("was killed by signal {signal} ({})", signal_name(signal));
        }
    }
    match status.code() {
        Some(code) => format!("exited with status {code}"),
        None => "ended without a status".into(),
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        _ => "a signal",
    }
}

static INTERRUPTS: AtomicUsize = AtomicUsize::new(0);

/// Starts the ranks and waits for them all; `Ok` when every rank exited with status 0.
pub fn run(launch: &Launch) -> Result<(), LaunchError> {
    if launch.nproc == 0 {
        return Err(LaunchError::NoRanks);
    }
    let port = rendezvous_port(launch.master_port)?;
    catch_interrupts();
    let mut ranks: Vec<Child> = Vec::with_capacity(launch.nproc);
    let mut pumps: Vec<JoinHandle<()>> = Vec::new();
    for rank in 0..launch.nproc {
        match spawn_rank(launch, rank, port, true) {
            Ok((child, out)) => {
                ranks.push(child);
                pumps.extend(out);
            }
            Err(e) => {
                stop_all(&mut ranks, launch.grace);
                return Err(e);
            }
        }
    }
    let result = supervise(&mut ranks, launch.grace);
    for p in pumps {
        let _ = p.join();
    }
    result
}

/// Starts rank `rank` of `launch` with the rendezvous at `port` on this machine, in its own
/// process group (dying with this process on Linux). Its stderr, and its stdout when
/// `stdout` is set (else it is dropped), are copied to ours line by line, prefixed
/// `[rank R]`, by the returned threads.
pub fn spawn_rank(
    launch: &Launch,
    rank: usize,
    port: u16,
    stdout: bool,
) -> Result<(Child, Vec<JoinHandle<()>>), LaunchError> {
    let mut command = Command::new(&launch.program);
    command
        .args(&launch.args)
        .env("RANK", rank.to_string())
        .env("LOCAL_RANK", rank.to_string())
        .env("WORLD_SIZE", launch.nproc.to_string())
        .env("LOCAL_WORLD_SIZE", launch.nproc.to_string())
        .env("MASTER_ADDR", "127.0.0.1")
        .env("MASTER_PORT", port.to_string())
        .env(LAUNCHER_VAR, "1")
        .envs(launch.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(if stdout {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stderr(Stdio::piped());
    if let Some(devices) = &launch.cuda_visible {
        let list: Vec<String> = devices.iter().map(|d| d.to_string()).collect();
        command.env("CUDA_VISIBLE_DEVICES", list.join(","));
    }
    isolate(&mut command);
    let mut child = command.spawn().map_err(|source| LaunchError::Spawn {
        rank,
        program: launch.program.display().to_string(),
        source,
    })?;
    let mut pumps = Vec::new();
    if let Some(out) = child.stdout.take() {
        pumps.push(pump(rank, out, false));
    }
    let err = child.stderr.take().expect("piped stderr");
    pumps.push(pump(rank, err, true));
    Ok((child, pumps))
}

/// Waits for the ranks; on the first failure stops the others.
fn supervise(ranks: &mut [Child], grace: Duration) -> Result<(), LaunchError> {
    let mut done = vec![false; ranks.len()];
    let mut forwarded = 0;
    loop {
        let interrupts = INTERRUPTS.load(Ordering::SeqCst);
        if interrupts > forwarded {
            forwarded = interrupts;
            let signal = if interrupts == 1 {
                Signal::Interrupt
            } else {
                Signal::Kill
            };
            for (rank, child) in ranks.iter().enumerate() {
                if !done[rank] {
                    send(child, signal);
                }
            }
        }
        for rank in 0..ranks.len() {
            if done[rank] {
                continue;
            }
            if let Ok(Some(status)) = ranks[rank].try_wait() {
                done[rank] = true;
                if !status.success() {
                    stop_all(ranks, grace);
                    if forwarded > 0 {
                        return Err(LaunchError::Interrupted);
                    }
                    return Err(LaunchError::RankFailed {
                        rank,
                        how: describe(status),
                    });
                }
            }
        }
        if done.iter().all(|&d| d) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGTERM to every rank still running, SIGKILL to those still running after `grace`.
pub fn stop_all(ranks: &mut [Child], grace: Duration) {
    let mut running: Vec<&mut Child> = ranks
        .iter_mut()
        .filter_map(|c| matches!(c.try_wait(), Ok(None)).then_some(c))
        .collect();
    for child in &running {
        send(child, Signal::Terminate);
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        running.retain_mut(|c| matches!(c.try_wait(), Ok(None)));
        if running.is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    for child in running {
        let _ = child.kill();
        let _ = child.wait();
    }
}

#[derive(Clone, Copy)]
enum Signal {
    Interrupt,
    Terminate,
    Kill,
}

fn send(child: &Child, signal: Signal) {
    #[cfg(unix)]
    {
        let number = match signal {
            Signal::Interrupt => libc::SIGINT,
            Signal::Terminate => libc::SIGTERM,
            Signal::Kill => libc::SIGKILL,
        };
        // SAFETY: signalling a child we spawned and have not reaped.
        unsafe { libc::kill(child.id() as libc::pid_t, number) };
    }
    #[cfg(not(unix))]
    {
        let _ = signal;
        let _ = child;
    }
}

/// Own process group (a terminal's Ctrl-C reaches the launcher only), and on Linux death with
/// the launcher.
fn isolate(command: &mut Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
        #[cfg(target_os = "linux")]
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
    }
    #[cfg(not(unix))]
    let _ = command;
}

fn catch_interrupts() {
    #[cfg(unix)]
    {
        extern "C" fn handler(_: libc::c_int) {
            INTERRUPTS.fetch_add(1, Ordering::SeqCst);
        }
        // SAFETY: the handler only touches an atomic.
        unsafe {
            libc::signal(libc::SIGINT, handler as *const () as libc::sighandler_t);
            libc::signal(libc::SIGTERM, handler as *const () as libc::sighandler_t);
        }
    }
}

/// Copies a rank's output to ours, a line at a time, prefixed with its rank.
fn pump(rank: usize, from: impl Read + Send + 'static, stderr: bool) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name(format!("botui-rank{rank}-output"))
        .spawn(move || {
            let mut reader = BufReader::new(from);
            let mut line = Vec::new();
            loop {
                line.clear();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                let text = String::from_utf8_lossy(&line);
                // A rank's in-place progress (\r) becomes its own line here.
                let text = text.trim_end_matches(['\n', '\r']).replace('\r', "");
                let _ = if stderr {
                    writeln!(std::io::stderr().lock(), "[rank {rank}] {text}")
                } else {
                    writeln!(std::io::stdout().lock(), "[rank {rank}] {text}")
                };
            }
        })
        .expect("spawning an output thread")
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(nproc: usize, script: &str) -> Launch {
        Launch::shell(nproc, script)
    }

    #[test]
    fn launch_flags_are_left_out_of_a_rank_s_command() {
        let args = [
            "train",
            "--nproc",
            "2",
            "--epochs",
            "1",
            "--master-port=29999",
            "--out",
            "x",
        ];
        let kept = without_flags(args.map(OsString::from), &["--nproc", "--master-port"]);
        assert_eq!(
            kept,
            ["train", "--epochs", "1", "--out", "x"].map(OsString::from)
        );
    }

    #[test]
    fn zero_ranks_is_an_error() {
        let err = run(&sh(0, "true")).unwrap_err().to_string();
        assert!(err.contains("--nproc 0"), "{err}");
    }

    #[test]
    fn ranks_get_the_torchrun_environment() {
        let script = r#"test "$WORLD_SIZE" = 2 && test "$LOCAL_RANK" = "$RANK" && test -n "$MASTER_PORT" && test "$BOTUI_LAUNCHER" = 1"#;
        run(&sh(2, script)).unwrap();
    }

    #[test]
    fn a_killed_rank_stops_the_others_and_is_named() {
        // Rank 1 kills itself; rank 0 would sleep far longer than the test allows.
        let launch = sh(
            2,
            r#"if [ "$RANK" = 1 ]; then kill -9 $$; fi; exec sleep 600"#,
        );
        let started = Instant::now();
        let err = run(&launch).unwrap_err().to_string();
        assert!(
            err.contains("rank 1 was killed by signal 9 (SIGKILL)"),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(60), "{err}");
    }

    #[test]
    fn a_failing_rank_is_named_with_its_status() {
        let err = run(&sh(
            3,
            r#"if [ "$RANK" = 2 ]; then exit 7; fi; exec sleep 600"#,
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("rank 2 exited with status 7"), "{err}");
    }

    #[test]
    fn a_port_in_use_is_refused() {
        let taken = TcpListener::bind(("0.0.0.0", 0)).unwrap();
        let port = taken.local_addr().unwrap().port();
        let mut launch = sh(2, "true");
        launch.master_port = Some(port);
        let err = run(&launch).unwrap_err().to_string();
        assert!(
            err.contains(&format!("port {port} is already in use")),
            "{err}"
        );
    }
}
