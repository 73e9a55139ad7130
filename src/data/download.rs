//! One file over HTTP(S): into `<file>.part`, resumed with a `Range` request after a broken
//! connection (in the same run or a later one), checked against an md5, then renamed to its
//! final name. A file whose md5 does not match is deleted, never kept as good.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use md5::{Digest, Md5};

use super::DataError;

/// Where a checksum comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// Published by whoever publishes the file.
    Publisher(&'static str),
    /// Not published by the publisher; pinned by a third party, named here.
    ThirdParty { md5: &'static str, by: &'static str },
    /// Nothing to check against.
    None,
}

impl Checksum {
    pub fn md5(&self) -> Option<&'static str> {
        match self {
            Checksum::Publisher(m) | Checksum::ThirdParty { md5: m, .. } => Some(m),
            Checksum::None => None,
        }
    }
}

/// What a fetch is doing, for a progress display.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Start {
        file: String,
        url: String,
        resume_from: u64,
    },
    Progress {
        file: String,
        done: u64,
        total: Option<u64>,
    },
    Retry {
        file: String,
        attempt: usize,
        attempts: usize,
        reason: String,
    },
    AlreadyThere {
        file: String,
    },
    Verified {
        file: String,
        md5: String,
        source: String,
    },
    NotVerified {
        file: String,
    },
    Unpacking {
        file: String,
    },
}

/// Downloads `url` to `dest` (through `dest.part`, resuming it), checks `checksum`.
pub fn download(
    url: &str,
    dest: &Path,
    checksum: Checksum,
    attempts: usize,
    on_event: &mut dyn FnMut(Event),
) -> Result<(), DataError> {
    let file = dest
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    if dest.is_file() {
        match checksum.md5() {
            Some(expected) if md5_file(dest)? != expected => {
                // A stale or damaged file under the final name: fetch it anew.
                std::fs::remove_file(dest).map_err(|e| DataError::io(dest, e))?;
            }
            _ => {
                on_event(Event::AlreadyThere { file });
                return Ok(());
            }
        }
    }
    let part = part_path(dest);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .accept_encoding(ureq::config::AutoHeaderValue::None)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_per_read(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut last_error = String::new();
    let mut complete = false;
    for attempt in 1..=attempts {
        if attempt > 1 {
            on_event(Event::Retry {
                file: file.clone(),
                attempt,
                attempts,
                reason: last_error.clone(),
            });
        }
        let before = part_len(&part);
        match get_into_part(&agent, url, &part, &file, on_event)? {
            Transfer::Complete => {
                complete = true;
                break;
            }
            Transfer::Broken(reason) => last_error = reason,
        }
        if part_len(&part) == before && attempt < attempts {
            // No progress (refused, reset before any byte): wait a little longer each time.
            std::thread::sleep(Duration::from_secs(attempt.min(5) as u64));
        }
    }
    if !complete {
        let kept = if part_len(&part) > 0 {
            format!("; {} is kept and the next run resumes it", part.display())
        } else {
            String::new()
        };
        return Err(DataError::Download {
            url: url.into(),
            reason: format!("gave up after {attempts} attempts: {last_error}{kept}"),
        });
    }
    if let Some(expected) = checksum.md5() {
        let actual = md5_file(&part)?;
        if actual != expected {
            std::fs::remove_file(&part).map_err(|e| DataError::io(&part, e))?;
            return Err(DataError::ChecksumMismatch {
                path: dest.to_path_buf(),
                expected: expected.into(),
                actual,
            });
        }
        let source = match checksum {
            Checksum::ThirdParty { by, .. } => {
                format!("not published by the publisher; the md5 {by} pins")
            }
            _ => "the publisher's md5".into(),
        };
        on_event(Event::Verified {
            file: file.clone(),
            md5: actual,
            source,
        });
    } else {
        on_event(Event::NotVerified { file: file.clone() });
    }
    std::fs::rename(&part, dest).map_err(|e| DataError::io(dest, e))
}

fn part_len(part: &Path) -> u64 {
    std::fs::metadata(part).map(|m| m.len()).unwrap_or(0)
}

fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    dest.with_file_name(name)
}

enum Transfer {
    Complete,
    /// The connection broke or ended early; what is in the `.part` is kept.
    Broken(String),
}

/// One request: appends to `part` from its current length.
fn get_into_part(
    agent: &ureq::Agent,
    url: &str,
    part: &Path,
    file: &str,
    on_event: &mut dyn FnMut(Event),
) -> Result<Transfer, DataError> {
    let have = part_len(part);
    let mut request = agent.get(url);
    if have > 0 {
        request = request.header("Range", format!("bytes={have}-"));
    }
    let response = match request.call() {
        Ok(r) => r,
        Err(e) => return Ok(Transfer::Broken(e.to_string())),
    };
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (start, total) = match status {
        200 => (
            0,
            header("content-length").and_then(|v| v.parse::<u64>().ok()),
        ),
        206 => {
            // Content-Range: bytes START-END/TOTAL
            let range = header("content-range").unwrap_or_default();
            let start = range
                .strip_prefix("bytes ")
                .and_then(|r| r.split('-').next())
                .and_then(|s| s.parse::<u64>().ok());
            let total = range.rsplit('/').next().and_then(|t| t.parse::<u64>().ok());
            match start {
                Some(s) if s == have => (s, total),
                _ => {
                    return Ok(Transfer::Broken(format!(
                        "the server answered the range request with {range:?}"
                    )));
                }
            }
        }
        // The part is already whole: nothing is left to send.
        416 if have > 0 => return Ok(Transfer::Complete),
        500..=599 => return Ok(Transfer::Broken(format!("HTTP {status}"))),
        _ => {
            return Err(DataError::Download {
                url: url.into(),
                reason: format!("the server answered HTTP {status}"),
            });
        }
    };
    on_event(Event::Start {
        file: file.into(),
        url: url.into(),
        resume_from: start,
    });
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(start > 0)
        .write(true)
        .truncate(start == 0)
        .open(part)
        .map_err(|e| DataError::io(part, e))?;
    let mut body = response.into_body().into_reader();
    let mut done = start;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                out.flush().map_err(|e| DataError::io(part, e))?;
                return Ok(Transfer::Broken(format!(
                    "connection broke after {done} bytes: {e}"
                )));
            }
        };
        out.write_all(&buf[..n])
            .map_err(|e| DataError::io(part, e))?;
        done += n as u64;
        on_event(Event::Progress {
            file: file.into(),
            done,
            total,
        });
    }
    out.flush().map_err(|e| DataError::io(part, e))?;
    match total {
        Some(t) if done < t => Ok(Transfer::Broken(format!(
            "connection closed after {done} of {t} bytes"
        ))),
        _ => Ok(Transfer::Complete),
    }
}

/// The md5 of a file, lowercase hex.
pub fn md5_file(path: &Path) -> Result<String, DataError> {
    let mut f = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|e| DataError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
