//! The workbench end to end: the real binary in a tmux session of a fixed size, driven with
//! `send-keys` and read back with `capture-pane`. Skipped (with a message) where tmux is not
//! installed. Each test gets its own config and data folders (XDG_CONFIG_HOME,
//! XDG_DATA_HOME) so nothing of the user's is read or written.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_botui");

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A detached tmux session running one command; killed on drop.
struct Session {
    name: String,
}

impl Session {
    /// Starts `botui` (with `env` before it) in a `width` x `height` session. After botui
    /// exits the shell prints `BOTUI-EXIT=<code>` and waits, so the screen can be read.
    fn start(test: &str, env: &[(&str, &Path)], extra_env: &str, width: u16, height: u16) -> Self {
        let name = format!("botui-e2e-{test}-{}", std::process::id());
        let mut vars = String::new();
        for (k, v) in env {
            vars.push_str(&format!("{k}='{}' ", v.display()));
        }
        let cmd =
            format!("env {vars}{extra_env} '{BIN}'; echo BOTUI-EXIT=$?; tput cnorm; sleep 600");
        let status = Command::new("tmux")
            .args(["new-session", "-d", "-s", &name])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .arg(cmd)
            .status()
            .expect("running tmux");
        assert!(status.success(), "tmux new-session failed");
        Session { name }
    }

    fn send(&self, keys: &[&str]) {
        for k in keys {
            let status = Command::new("tmux")
                .args(["send-keys", "-t", &self.name, k])
                .status()
                .expect("tmux send-keys");
            assert!(status.success());
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    fn capture(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// tmux's view of the pane: whether the alternate screen is on.
    fn alternate_on(&self) -> bool {
        let out = Command::new("tmux")
            .args(["display-message", "-p", "-t", &self.name, "#{alternate_on}"])
            .output()
            .expect("tmux display-message");
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    /// Polls the screen until `pred` holds; panics with the last screen after `timeout`.
    fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if pred(&screen) {
                return screen;
            }
            if start.elapsed() > timeout {
                panic!("timed out after {timeout:?} waiting for {what}; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

#[test]
fn without_a_terminal_the_workbench_points_to_botui_train() {
    let out = Command::new(BIN).output().expect("running botui");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs a terminal"), "{err}");
    assert!(err.contains("botui train"), "{err}");
    assert!(out.stdout.is_empty(), "nothing on stdout");
}

#[test]
fn a_panic_restores_the_terminal_before_its_message_prints() {
    if !tmux_available() {
        eprintln!("skipping: tmux is not installed (the CI installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("XDG_CONFIG_HOME", dir.path()),
        ("XDG_DATA_HOME", dir.path()),
    ];
    let s = Session::start("panic", &env, "BOTUI_TEST_PANIC=1", 100, 30);
    let screen = s.wait_for("the shell after the panic", Duration::from_secs(60), |t| {
        t.contains("BOTUI-EXIT=")
    });
    assert!(!s.alternate_on(), "the alternate screen was left");
    // The message is on the normal screen, not lost in the alternate one.
    assert!(screen.contains("BOTUI_TEST_PANIC is set"), "{screen}");
    assert!(!screen.contains("EXIT=0"), "a panic is a failure: {screen}");
}
