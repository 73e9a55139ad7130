//! With the `tch` feature, bakes the directory of LibTorch's shared libraries into the rpath of
//! botui's binaries and tests, so that they start without LD_LIBRARY_PATH. The directory is the
//! one torch-sys linked against: `$LIBTORCH/lib`, or the torch package of the Python on PATH
//! (`LIBTORCH_USE_PYTORCH=1`, see scripts/setup-libtorch.sh).

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    println!("cargo:rerun-if-env-changed=LIBTORCH_USE_PYTORCH");
    println!("cargo:rerun-if-env-changed=VIRTUAL_ENV");
    if std::env::var_os("CARGO_FEATURE_TCH").is_none() {
        return;
    }
    match torch_lib_dir() {
        Some(dir) => {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
        }
        None => println!(
            "cargo:warning=botui: could not find LibTorch's lib directory; set LIBTORCH or \
             source the env file that scripts/setup-libtorch.sh prints, or set LD_LIBRARY_PATH \
             at run time"
        ),
    }
}

fn torch_lib_dir() -> Option<PathBuf> {
    if let Some(root) = std::env::var_os("LIBTORCH") {
        let lib = PathBuf::from(root).join("lib");
        return lib.is_dir().then_some(lib);
    }
    let python = std::env::var_os("VIRTUAL_ENV")
        .map(|venv| PathBuf::from(venv).join("bin").join("python"))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("python3"));
    let out = Command::new(python)
        .args([
            "-c",
            "import os, torch; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))",
        ])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let dir = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    dir.is_dir().then_some(dir)
}
