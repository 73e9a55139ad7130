//! Where runs live and what their folders are called: `<data dir>/runs/<UTC stamp>-<name>`,
//! the same for the workbench and `botui train`.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// `<data dir>/runs` (`~/.local/share/botui/runs` on Linux); `None` without a home directory.
pub fn runs_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "botui").map(|d| d.data_dir().join("runs"))
}

/// (year, month, day, hour, minute, second) in UTC of a Unix time.
pub fn civil(secs: u64) -> (i64, u32, u32, u32, u32, u32) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        (rem / 60 % 60) as u32,
        (rem % 60) as u32,
    )
}

/// A new run's folder: `<runs>/<YYYYMMDD-HHMMSS>-<name>`, the name made file-safe.
pub fn new_run_dir(runs: &Path, name: &str) -> PathBuf {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, mo, d, h, mi, s) = civil(now);
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let stem = format!("{y}{mo:02}{d:02}-{h:02}{mi:02}{s:02}");
    let mut path = runs.join(if safe.is_empty() {
        stem.clone()
    } else {
        format!("{stem}-{safe}")
    });
    let mut n = 2;
    while path.exists() {
        path = runs.join(format!("{stem}-{safe}-{n}"));
        n += 1;
    }
    path
}
