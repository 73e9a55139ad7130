//! Safe handles on `c10d.cpp`: a TCPStore connection and a process group (Gloo or NCCL), with
//! bucketed all-reduce and broadcast of LibTorch tensors. Every call that fails returns c10d's
//! own message; nothing here panics across the FFI boundary.

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::ptr;
use std::time::Duration;

use torch_sys::C_tensor;

#[repr(C)]
struct RawStore {
    _private: [u8; 0],
}

#[repr(C)]
struct RawGroup {
    _private: [u8; 0],
}

unsafe extern "C" {
    fn botui_c10d_free(p: *mut c_void);
    fn botui_c10d_has_nccl() -> c_int;
    fn botui_c10d_store_new(
        host: *const c_char,
        port: u16,
        is_server: c_int,
        world: c_int,
        timeout_ms: i64,
        prefix: *const c_char,
        out: *mut *mut RawStore,
    ) -> *mut c_char;
    fn botui_c10d_store_clone(store: *mut RawStore, out: *mut *mut RawStore) -> *mut c_char;
    fn botui_c10d_store_free(store: *mut RawStore);
    fn botui_c10d_store_set(
        store: *mut RawStore,
        key: *const c_char,
        data: *const u8,
        len: usize,
    ) -> *mut c_char;
    fn botui_c10d_store_get(
        store: *mut RawStore,
        key: *const c_char,
        timeout_ms: i64,
        data: *mut *mut u8,
        len: *mut usize,
    ) -> *mut c_char;
    fn botui_c10d_store_add(
        store: *mut RawStore,
        key: *const c_char,
        delta: i64,
        value: *mut i64,
    ) -> *mut c_char;
    fn botui_c10d_store_check(
        store: *mut RawStore,
        key: *const c_char,
        present: *mut c_int,
    ) -> *mut c_char;
    fn botui_c10d_group_new(
        store: *mut RawStore,
        nccl: c_int,
        rank: c_int,
        world: c_int,
        timeout_ms: i64,
        cuda_device: c_int,
        out: *mut *mut RawGroup,
    ) -> *mut c_char;
    fn botui_c10d_group_free(group: *mut RawGroup);
    fn botui_c10d_all_reduce(
        group: *mut RawGroup,
        inputs: *const *const C_tensor,
        n: usize,
        bucket_bytes: i64,
        average: c_int,
        outputs: *mut *mut C_tensor,
    ) -> *mut c_char;
    fn botui_c10d_broadcast(
        group: *mut RawGroup,
        inputs: *const *const C_tensor,
        n: usize,
        bucket_bytes: i64,
        outputs: *mut *mut C_tensor,
    ) -> *mut c_char;
    fn botui_c10d_barrier(group: *mut RawGroup) -> *mut c_char;
}

/// c10d's message for a failed call, with what botui was doing.
#[derive(Debug, Clone, thiserror::Error)]
#[error("c10d {what}: {message}")]
pub struct C10dError {
    pub what: &'static str,
    pub message: String,
}

fn check(error: *mut c_char, what: &'static str) -> Result<(), C10dError> {
    if error.is_null() {
        return Ok(());
    }
    // SAFETY: a non-null result is a NUL-terminated string malloc'd by c10d.cpp.
    let message = unsafe { CStr::from_ptr(error) }
        .to_string_lossy()
        .into_owned();
    unsafe { botui_c10d_free(error.cast()) };
    Err(C10dError { what, message })
}

fn c_string(s: &str, what: &'static str) -> Result<CString, C10dError> {
    CString::new(s).map_err(|_| C10dError {
        what,
        message: format!("'{s}' contains a NUL byte"),
    })
}

fn millis(d: Duration) -> i64 {
    d.as_millis().min(i64::MAX as u128) as i64
}

/// Whether this build has c10d's NCCL backend (a CUDA LibTorch and NCCL's headers at build time).
pub fn has_nccl() -> bool {
    // SAFETY: no arguments, no state.
    unsafe { botui_c10d_has_nccl() != 0 }
}

/// One connection to a c10d TCPStore.
pub struct Store {
    raw: *mut RawStore,
}

// SAFETY: a TCPStore client serializes its own requests (TCPStore::activeOpLock_); a handle is
// used by one thread at a time here (`&self` methods from a `Send` owner), and other threads get
// their own connection through `try_clone`.
unsafe impl Send for Store {}

impl Store {
    /// The store at `host:port`: hosted here when `server`, else joined as a client. Every
    /// rank counts itself in, and the server waits up to `timeout` until `world` have (as
    /// `torch.distributed`'s TCPStore with `wait_for_workers`). Keys go under `prefix`.
    pub fn connect(
        host: &str,
        port: u16,
        server: bool,
        world: usize,
        timeout: Duration,
        prefix: &str,
    ) -> Result<Store, C10dError> {
        let what = "TCPStore";
        let (host, prefix) = (c_string(host, what)?, c_string(prefix, what)?);
        let mut raw = ptr::null_mut();
        // SAFETY: valid C strings; `raw` is written only on success.
        check(
            unsafe {
                botui_c10d_store_new(
                    host.as_ptr(),
                    port,
                    c_int::from(server),
                    world as c_int,
                    millis(timeout),
                    prefix.as_ptr(),
                    &mut raw,
                )
            },
            what,
        )?;
        Ok(Store { raw })
    }

    /// A second connection to the same store (for another thread).
    pub fn try_clone(&self) -> Result<Store, C10dError> {
        let mut raw = ptr::null_mut();
        // SAFETY: `self.raw` is live; `raw` is written only on success.
        check(
            unsafe { botui_c10d_store_clone(self.raw, &mut raw) },
            "TCPStore clone",
        )?;
        Ok(Store { raw })
    }

    pub fn set(&self, key: &str, value: &[u8]) -> Result<(), C10dError> {
        let key = c_string(key, "store set")?;
        // SAFETY: live handle, valid key and buffer.
        check(
            unsafe { botui_c10d_store_set(self.raw, key.as_ptr(), value.as_ptr(), value.len()) },
            "store set",
        )
    }

    /// Waits up to `timeout` for `key` and returns its value.
    pub fn get(&self, key: &str, timeout: Duration) -> Result<Vec<u8>, C10dError> {
        let key = c_string(key, "store get")?;
        let (mut data, mut len) = (ptr::null_mut(), 0usize);
        // SAFETY: live handle; `data` is a malloc'd buffer of `len` bytes on success.
        check(
            unsafe {
                botui_c10d_store_get(self.raw, key.as_ptr(), millis(timeout), &mut data, &mut len)
            },
            "store get",
        )?;
        // SAFETY: as above; copied, then freed with the allocator that made it.
        let value = unsafe { std::slice::from_raw_parts(data, len) }.to_vec();
        unsafe { botui_c10d_free(data.cast()) };
        Ok(value)
    }

    /// Adds `delta` to the counter at `key` and returns the new value.
    pub fn add(&self, key: &str, delta: i64) -> Result<i64, C10dError> {
        let key = c_string(key, "store add")?;
        let mut value = 0;
        // SAFETY: live handle, valid key.
        check(
            unsafe { botui_c10d_store_add(self.raw, key.as_ptr(), delta, &mut value) },
            "store add",
        )?;
        Ok(value)
    }

    /// Whether `key` is set (does not wait).
    pub fn check(&self, key: &str) -> Result<bool, C10dError> {
        let key = c_string(key, "store check")?;
        let mut present = 0;
        // SAFETY: live handle, valid key.
        check(
            unsafe { botui_c10d_store_check(self.raw, key.as_ptr(), &mut present) },
            "store check",
        )?;
        Ok(present != 0)
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // SAFETY: the handle came from store_new/store_clone and is dropped once.
        unsafe { botui_c10d_store_free(self.raw) };
    }
}

/// Which c10d backend a group runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// ProcessGroupGloo: CPU tensors (LibTorch on the CPU).
    Gloo,
    /// ProcessGroupNCCL on this CUDA device.
    Nccl { device: usize },
}

/// A c10d process group. Collectives must be called in the same order on every rank.
pub struct Group {
    raw: *mut RawGroup,
    pub rank: usize,
    pub size: usize,
}

// SAFETY: the group is used from one thread at a time (all methods take `&mut self` or are
// called by its single owner); c10d's backends are built to be driven from any thread.
unsafe impl Send for Group {}

impl Group {
    /// Joins the group of `size` ranks rendezvousing through `store`. `timeout` bounds every
    /// collective.
    pub fn new(
        store: &Store,
        backend: Backend,
        rank: usize,
        size: usize,
        timeout: Duration,
    ) -> Result<Group, C10dError> {
        let (nccl, device) = match backend {
            Backend::Gloo => (0, 0),
            Backend::Nccl { device } => (1, device as c_int),
        };
        let mut raw = ptr::null_mut();
        // SAFETY: live store; `raw` is written only on success.
        check(
            unsafe {
                botui_c10d_group_new(
                    store.raw,
                    nccl,
                    rank as c_int,
                    size as c_int,
                    millis(timeout),
                    device,
                    &mut raw,
                )
            },
            "process group",
        )?;
        Ok(Group { raw, rank, size })
    }

    /// The sum over ranks of each tensor (divided by the world size when `average`), computed
    /// in buckets of about `bucket_bytes`; new tensors, the inputs are left as they were.
    pub fn all_reduce(
        &mut self,
        tensors: &[&tch::Tensor],
        bucket_bytes: usize,
        average: bool,
    ) -> Result<Vec<tch::Tensor>, C10dError> {
        let inputs: Vec<*const C_tensor> = tensors.iter().map(|t| t.as_ptr()).collect();
        let mut outputs = vec![ptr::null_mut(); inputs.len()];
        // SAFETY: the inputs outlive the call; every output slot is written on success.
        check(
            unsafe {
                botui_c10d_all_reduce(
                    self.raw,
                    inputs.as_ptr(),
                    inputs.len(),
                    bucket_bytes as i64,
                    c_int::from(average),
                    outputs.as_mut_ptr(),
                )
            },
            "all-reduce",
        )?;
        Ok(owned(outputs))
    }

    /// Rank 0's values of `tensors`, on every rank (bucketed like [`Self::all_reduce`]).
    pub fn broadcast(
        &mut self,
        tensors: &[&tch::Tensor],
        bucket_bytes: usize,
    ) -> Result<Vec<tch::Tensor>, C10dError> {
        let inputs: Vec<*const C_tensor> = tensors.iter().map(|t| t.as_ptr()).collect();
        let mut outputs = vec![ptr::null_mut(); inputs.len()];
        // SAFETY: as in `all_reduce`.
        check(
            unsafe {
                botui_c10d_broadcast(
                    self.raw,
                    inputs.as_ptr(),
                    inputs.len(),
                    bucket_bytes as i64,
                    outputs.as_mut_ptr(),
                )
            },
            "broadcast",
        )?;
        Ok(owned(outputs))
    }

    /// Returns once every rank has called it.
    pub fn barrier(&mut self) -> Result<(), C10dError> {
        // SAFETY: live group.
        check(unsafe { botui_c10d_barrier(self.raw) }, "barrier")
    }
}

fn owned(outputs: Vec<*mut C_tensor>) -> Vec<tch::Tensor> {
    outputs
        .into_iter()
        .map(|t| {
            assert!(!t.is_null(), "c10d.cpp returned no tensor");
            // SAFETY: a fresh `new at::Tensor`, which tch frees with `at_free`.
            unsafe { tch::Tensor::from_ptr(t) }
        })
        .collect()
}

impl Drop for Group {
    fn drop(&mut self) {
        // SAFETY: the handle came from group_new and is dropped once.
        unsafe { botui_c10d_group_free(self.raw) };
    }
}
