//! Which rank is gone. Every rank bumps a counter in the run's c10d store once a second from a
//! thread of its own (its own store connection); after a collective fails, a rank reads the
//! counters twice and names the ranks whose counter stood still. A rank that finished says so
//! first (`done`), so the end of a run is never mistaken for a death.
//!
//! The same thread is the backstop against hangs that c10d's own timeout would only end later
//! (a frozen peer, an NCCL collective waiting on a dead one): when a peer has not beaten for
//! `stall`, or the store itself is unreachable for that long, it prints who is gone and ends the
//! process with [`LOST_EXIT_CODE`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::c10d::Store;

/// Exit status of a rank that stopped because another rank was lost.
pub const LOST_EXIT_CODE: i32 = 3;

const BEAT: Duration = Duration::from_secs(1);

fn alive_key(rank: usize) -> String {
    format!("botui/alive/{rank}")
}

fn done_key(rank: usize) -> String {
    format!("botui/done/{rank}")
}

/// This rank's heartbeat thread.
pub struct Liveness {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Liveness {
    /// Starts beating for `rank` on its own connection `store`, and watching the `size - 1`
    /// others.
    pub fn start(store: Store, rank: usize, size: usize, stall: Duration) -> Liveness {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("botui-liveness".into())
            .spawn(move || beat(store, rank, size, stall, flag))
            .expect("spawning the liveness thread");
        Liveness {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops beating (after the rank has said it is done).
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Liveness {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Marks `rank` as finished: its silence from now on is not a death.
pub fn mark_done(store: &Store, rank: usize) {
    let _ = store.set(&done_key(rank), b"1");
}

fn beat(store: Store, rank: usize, size: usize, stall: Duration, stop: Arc<AtomicBool>) {
    let mut last: Vec<(i64, Instant)> = vec![(-1, Instant::now()); size];
    let mut store_ok = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        match store.add(&alive_key(rank), 1) {
            Ok(_) => store_ok = Instant::now(),
            Err(e) if store_ok.elapsed() >= stall => {
                give_up(
                    rank,
                    &format!("the run's rendezvous store is unreachable ({e})"),
                );
            }
            Err(_) => {}
        }
        for (peer, seen) in last.iter_mut().enumerate() {
            if peer == rank {
                continue;
            }
            let Ok(count) = store.add(&alive_key(peer), 0) else {
                continue;
            };
            if count != seen.0 {
                *seen = (count, Instant::now());
            } else if seen.1.elapsed() >= stall && !store.check(&done_key(peer)).unwrap_or(true) {
                give_up(
                    rank,
                    &format!(
                        "rank {peer} stopped answering (no heartbeat for {} s)",
                        stall.as_secs()
                    ),
                );
            }
        }
        std::thread::sleep(BEAT);
    }
}

fn give_up(rank: usize, why: &str) -> ! {
    eprintln!("botui: rank {rank}: {why}; stopping this rank");
    std::process::exit(LOST_EXIT_CODE);
}

/// After a failed collective: the ranks other than `me` whose heartbeat stands still over
/// `window` and that have not finished. `Err` when the store itself does not answer (the rank
/// hosting it is gone).
pub fn lost_ranks(
    store: &Store,
    me: usize,
    size: usize,
    window: Duration,
) -> Result<Vec<usize>, String> {
    let read = |peer: usize| store.add(&alive_key(peer), 0).map_err(|e| e.to_string());
    let before: Vec<i64> = (0..size).map(read).collect::<Result<_, _>>()?;
    std::thread::sleep(window);
    let mut lost = Vec::new();
    for peer in (0..size).filter(|&p| p != me) {
        let done = store.check(&done_key(peer)).map_err(|e| e.to_string())?;
        if !done && read(peer)? == before[peer] {
            lost.push(peer);
        }
    }
    Ok(lost)
}
