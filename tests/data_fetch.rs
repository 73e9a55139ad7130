//! `data fetch` against a small HTTP/1.1 server on 127.0.0.1 (no internet): resume after a
//! connection that closes early, resume of a `.part` left by an earlier run, a corrupt file
//! (checksum error, nothing kept), unpacking an archive into a readable dataset, and the
//! command line end to end.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use botui::data::fetch::{self, Checksum, DatasetInfo, Event, FetchOptions, Remote};
use botui::data::{DataError, Dataset, cifar};
use md5::{Digest, Md5};

/// What the server saw: request path and Range header, one per request.
type Log = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// Serves `files`; a file in `cut` is sent only up to that many bytes (with the full
/// Content-Length) the first time it is asked for, then the connection closes.
fn serve(files: HashMap<String, Vec<u8>>, cut: HashMap<String, usize>) -> (String, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log: Log = Arc::default();
    let seen = log.clone();
    std::thread::spawn(move || {
        let mut cut = cut;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let path = line
                .split_whitespace()
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/')
                .to_string();
            let mut range = None;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
                if let Some((k, v)) = h.split_once(':')
                    && k.eq_ignore_ascii_case("range")
                {
                    range = Some(v.trim().to_string());
                }
            }
            seen.lock().unwrap().push((path.clone(), range.clone()));
            let Some(body) = files.get(&path) else {
                let _ = stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                continue;
            };
            let start = range
                .as_deref()
                .and_then(|r| r.strip_prefix("bytes="))
                .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok());
            let (head, from) = match start {
                Some(s) if s >= body.len() => {
                    let h = format!(
                        "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(h.as_bytes());
                    continue;
                }
                Some(s) => (
                    format!(
                        "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {s}-{}/{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len() - 1,
                        body.len(),
                        body.len() - s
                    ),
                    s,
                ),
                None => (
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    ),
                    0,
                ),
            };
            let end = cut.remove(&path).map_or(body.len(), |c| c.max(from));
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body[from..end]);
            let _ = stream.flush();
            // Dropping the stream closes the connection, early when `end` < the length.
        }
    });
    (base, log)
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn payload(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn a_connection_that_closes_early_is_resumed() {
    let body = payload(100_000);
    let (base, log) = serve(
        HashMap::from([("f.bin".into(), body.clone())]),
        HashMap::from([("f.bin".into(), 37_000)]),
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("f.bin");
    let mut events = Vec::new();
    let md5 = leak(md5_hex(&body));
    fetch::download(
        &format!("{base}/f.bin"),
        &dest,
        Checksum::Publisher(md5),
        3,
        &mut |e| events.push(e),
    )
    .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), body);
    assert!(!dir.path().join("f.bin.part").exists());
    let requests = log.lock().unwrap().clone();
    assert_eq!(
        requests,
        vec![
            ("f.bin".into(), None),
            ("f.bin".into(), Some("bytes=37000-".into()))
        ]
    );
    assert!(
        events.iter().any(|e| matches!(e, Event::Retry { .. })),
        "{events:?}"
    );
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Start {
            resume_from: 37_000,
            ..
        }
    )));
    assert!(events.iter().any(|e| matches!(e, Event::Verified { .. })));
    // A second run finds the verified file and downloads nothing.
    fetch::download(
        &format!("{base}/f.bin"),
        &dest,
        Checksum::Publisher(md5),
        3,
        &mut |e| events.push(e),
    )
    .unwrap();
    assert_eq!(log.lock().unwrap().len(), 2);
    assert!(matches!(events.last(), Some(Event::AlreadyThere { .. })));
}

#[test]
fn a_part_file_from_an_earlier_run_is_resumed() {
    let body = payload(5000);
    let (base, log) = serve(
        HashMap::from([("g.bin".into(), body.clone())]),
        HashMap::new(),
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("g.bin.part"), &body[..1234]).unwrap();
    let dest = dir.path().join("g.bin");
    let md5 = leak(md5_hex(&body));
    fetch::download(
        &format!("{base}/g.bin"),
        &dest,
        Checksum::Publisher(md5),
        1,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), body);
    assert_eq!(log.lock().unwrap()[0].1.as_deref(), Some("bytes=1234-"));
}

#[test]
fn a_corrupt_download_is_an_error_and_is_not_kept() {
    let body = payload(3000);
    let (base, _) = serve(
        HashMap::from([("c.bin".into(), body.clone())]),
        HashMap::new(),
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("c.bin");
    let wrong = "0123456789abcdef0123456789abcdef";
    let err = fetch::download(
        &format!("{base}/c.bin"),
        &dest,
        Checksum::Publisher(wrong),
        2,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(err, DataError::ChecksumMismatch { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("c.bin") && msg.contains(wrong) && msg.contains(&md5_hex(&body)),
        "{msg}"
    );
    assert!(
        !dest.exists() && !dir.path().join("c.bin.part").exists(),
        "nothing kept as good"
    );
}

#[test]
fn a_file_without_a_checksum_is_reported_as_not_verified() {
    let (base, _) = serve(
        HashMap::from([("n.bin".into(), payload(10))]),
        HashMap::new(),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut events = Vec::new();
    fetch::download(
        &format!("{base}/n.bin"),
        &dir.path().join("n.bin"),
        Checksum::None,
        1,
        &mut |e| events.push(e),
    )
    .unwrap();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::NotVerified { .. })),
        "{events:?}"
    );
}

#[test]
fn a_missing_file_is_an_http_error() {
    let (base, _) = serve(HashMap::new(), HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let err = fetch::download(
        &format!("{base}/none.bin"),
        &dir.path().join("none.bin"),
        Checksum::None,
        3,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("HTTP 404") && err.to_string().contains("none.bin"),
        "{err}"
    );
}

/// A tiny CIFAR-10 binary archive: one record per file.
fn fake_cifar_archive() -> Vec<u8> {
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    let record = |label: u8| [vec![label], vec![label * 20; 3072]].concat();
    let mut files: Vec<(String, Vec<u8>)> = (1..=5)
        .map(|i| (format!("data_batch_{i}.bin"), record(i)))
        .collect();
    files.push(("test_batch.bin".into(), record(0)));
    for (name, bytes) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, format!("cifar-10-batches-bin/{name}"), &bytes[..])
            .unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

#[test]
fn fetch_downloads_verifies_unpacks_and_names_the_spec() {
    let archive = fake_cifar_archive();
    let (base, _) = serve(
        HashMap::from([("fake-cifar.tar.gz".into(), archive.clone())]),
        HashMap::from([("fake-cifar.tar.gz".into(), archive.len() / 3)]),
    );
    let files: &'static [Remote] = Box::leak(Box::new([Remote {
        base: "https://unused.invalid",
        file: "fake-cifar.tar.gz",
        checksum: Checksum::Publisher(leak(md5_hex(&archive))),
        archive: true,
    }]));
    let info = DatasetInfo {
        name: "fakecifar",
        files,
        kind: "cifar10",
        data_path: "cifar-10-batches-bin",
    };
    let dir = tempfile::tempdir().unwrap();
    let options = FetchOptions {
        dir: dir.path().to_path_buf(),
        mirror: Some(format!("{base}/")),
        attempts: 3,
    };
    let fetched = fetch::fetch(&info, &options, &mut |_| {}).unwrap();
    let expected = dir.path().join("fakecifar/cifar-10-batches-bin");
    assert_eq!(fetched.path, expected);
    assert_eq!(fetched.spec, format!("cifar10:{}", expected.display()));
    let c = cifar::open(&fetched.path, cifar::Kind::Cifar10).unwrap();
    assert_eq!((c.train.len(), c.test.len(), c.train.label(4)), (5, 1, 5));
    // Fetching again reuses the verified download and the unpacked folder.
    assert_eq!(fetch::fetch(&info, &options, &mut |_| {}).unwrap(), fetched);
}

#[test]
fn the_publishers_checksums_are_listed() {
    for name in ["cifar10", "cifar100", "mnist", "imagenette"] {
        let info = fetch::dataset(name).unwrap();
        for f in info.files {
            let md5 = f.checksum.md5().unwrap();
            assert!(
                md5.len() == 32 && md5.chars().all(|c| c.is_ascii_hexdigit()),
                "{}",
                f.file
            );
        }
    }
    assert_eq!(
        fetch::dataset("cifar10").unwrap().files[0].checksum,
        Checksum::Publisher("c32a1d4ab5d03f1284b67883e8d87530")
    );
    assert!(matches!(
        fetch::dataset("imagenette").unwrap().files[0].checksum,
        Checksum::ThirdParty { .. }
    ));
    let err = fetch::dataset("imagenet").unwrap_err().to_string();
    assert!(
        err.contains("cifar10, cifar100, mnist, imagenette"),
        "{err}"
    );
}

#[test]
fn the_command_reports_a_corrupt_download_and_keeps_nothing() {
    // Served under MNIST's names, these bytes do not match MNIST's published md5s.
    let (base, _) = serve(
        HashMap::from([("train-images-idx3-ubyte.gz".into(), payload(2048))]),
        HashMap::new(),
    );
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_botui"))
        .args(["data", "fetch", "mnist", "--dir"])
        .arg(dir.path())
        .env(fetch::MIRROR_ENV, &base)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("train-images-idx3-ubyte.gz"), "{stderr}");
    assert!(
        stderr.contains("f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        "names the expected md5: {stderr}"
    );
    assert!(
        stderr.contains(&base),
        "says where it downloads from: {stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path().join("mnist"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "nothing kept: {left:?}");
}
