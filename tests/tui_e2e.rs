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

/// A short run on the built-in data: 4 classes x 50 images at batch 25 (8 iterations per
/// epoch), ResNet-18 with the small stem at 32x32 (the `quick` preset), 2 epochs.
const TINY_CONFIG: &str = r#"[run]
preset = "quick"
epochs = 2
batch_size = 25

[run.data]
builtin_classes = 4
builtin_train_per_class = 50
builtin_val_per_class = 10
workers = 1

[run.warmup]
enabled = false
"#;

#[test]
fn toggle_a_trick_train_an_epoch_stop_and_quit_in_tmux() {
    if !tmux_available() {
        eprintln!("skipping: tmux is not installed (the CI installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().join("config");
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(config_dir.join("botui")).unwrap();
    let config_file = config_dir.join("botui").join("config.toml");
    std::fs::write(&config_file, TINY_CONFIG).unwrap();
    let env = [
        ("XDG_CONFIG_HOME", config_dir.as_path()),
        ("XDG_DATA_HOME", data_dir.as_path()),
    ];
    let s = Session::start("train", &env, "", 120, 40);
    let minute = Duration::from_secs(60);
    s.wait_for("the setup tab", minute, |t| {
        t.contains("Tricks") && t.contains("Run setup")
    });
    assert!(s.alternate_on(), "the workbench is on the alternate screen");

    // Toggle label smoothing: focus the checklist, walk down to it, space.
    s.send(&["Tab"]);
    let mut screen = s.capture();
    for _ in 0..30 {
        if screen.contains("▸[ ] label smoothing") {
            break;
        }
        s.send(&["j"]);
        screen = s.capture();
    }
    assert!(screen.contains("▸[ ] label smoothing"), "{screen}");
    s.send(&["Space"]);
    s.wait_for("label smoothing on", minute, |t| {
        t.contains("▸[x] label smoothing")
    });
    // The change is in config.toml (botui writes it at once).
    let text = std::fs::read_to_string(&config_file).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(
        doc["run"]["label_smoothing"]["enabled"].as_bool(),
        Some(true),
        "{text}"
    );

    // Start and wait for the first epoch's top-1 in the metrics pane.
    s.send(&["s"]);
    s.wait_for("the run to start", minute, |t| t.contains("running"));
    let screen = s.wait_for("epoch 1 with a top-1", 10 * minute, |t| {
        t.contains("best top-1") && t.contains("★1 ")
    });
    assert!(screen.contains("val@1"), "{screen}");

    // Keys are answered while the trainer keeps the cores busy.
    let asked = Instant::now();
    s.send(&["?"]);
    s.wait_for("the help overlay", minute, |t| t.contains("any key closes"));
    eprintln!(
        "help overlay on screen {} ms after the key (tmux round trip included)",
        asked.elapsed().as_millis()
    );
    s.send(&["Escape"]);
    s.wait_for("the help overlay to close", minute, |t| {
        !t.contains("any key closes")
    });

    // Stop: the run ends as "stopped" (unless it finished its two epochs first).
    s.send(&["x"]);
    s.wait_for("the run to end", 10 * minute, |t| {
        t.contains("■ stopped") || t.contains("■ finished")
    });
    s.send(&["q"]);
    let screen = s.wait_for("the shell", minute, |t| t.contains("BOTUI-EXIT="));
    assert!(screen.contains("BOTUI-EXIT=0"), "{screen}");
    assert!(!s.alternate_on(), "the alternate screen was left");
    assert!(
        !screen.contains("Run setup"),
        "the workbench is gone: {screen}"
    );

    // The run folder has the epoch.
    let runs = data_dir.join("botui").join("runs");
    let run = std::fs::read_dir(&runs)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    assert!(metrics.lines().count() >= 1, "{metrics}");
}
