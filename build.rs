//! With the `tch` feature:
//! - bakes the directory of LibTorch's shared libraries into the rpath of botui's binaries and
//!   tests, so that they start without LD_LIBRARY_PATH (not with `BOTUI_NO_RPATH=1`: a binary
//!   for another machine, such as the one `scripts/gpu-check.sh --prepare` makes, finds that
//!   machine's LibTorch through LD_LIBRARY_PATH instead of a path of this one);
//! - compiles `src/model/kernels/libtorch.cpp`, the two ATen backward kernels (convolution,
//!   batch norm) that tch does not bind, against the same LibTorch headers and C++ ABI.
//!
//! The LibTorch is the one torch-sys linked against: `$LIBTORCH`, or the torch package of the
//! Python on PATH (`LIBTORCH_USE_PYTORCH=1`, see scripts/setup-libtorch.sh).

#[cfg(feature = "tch")]
use std::path::PathBuf;
#[cfg(feature = "tch")]
use std::process::Command;

const KERNELS: &str = "src/model/kernels/libtorch.cpp";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={KERNELS}");
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    println!("cargo:rerun-if-env-changed=LIBTORCH_USE_PYTORCH");
    println!("cargo:rerun-if-env-changed=LIBTORCH_CXX11_ABI");
    println!("cargo:rerun-if-env-changed=VIRTUAL_ENV");
    println!("cargo:rerun-if-env-changed=BOTUI_NO_RPATH");
    #[cfg(feature = "tch")]
    libtorch();
}

#[cfg(feature = "tch")]
fn libtorch() {
    let Some(torch) = LibTorch::find() else {
        panic!(
            "botui: could not find LibTorch (needed by the `tch` feature); set LIBTORCH, or \
             source the env file that scripts/setup-libtorch.sh prints"
        );
    };
    if std::env::var("BOTUI_NO_RPATH").is_ok_and(|v| v == "1") {
        println!(
            "cargo:warning=BOTUI_NO_RPATH=1: botui will need LD_LIBRARY_PATH={}",
            torch.lib.display()
        );
    } else {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", torch.lib.display());
    }
    compile_kernels(&torch);
}

#[cfg(feature = "tch")]
struct LibTorch {
    lib: PathBuf,
    include: PathBuf,
    cxx11_abi: String,
}

#[cfg(feature = "tch")]
impl LibTorch {
    fn find() -> Option<LibTorch> {
        if let Some(root) = std::env::var_os("LIBTORCH") {
            let root = PathBuf::from(root);
            // torch-sys's default for a standalone LibTorch.
            let cxx11_abi = std::env::var("LIBTORCH_CXX11_ABI").unwrap_or_else(|_| "1".into());
            return Some(LibTorch {
                lib: root.join("lib"),
                include: root.join("include"),
                cxx11_abi,
            })
            .filter(|t| t.lib.is_dir());
        }
        let python = std::env::var_os("VIRTUAL_ENV")
            .map(|venv| PathBuf::from(venv).join("bin").join("python"))
            .filter(|p| p.exists())
            .unwrap_or_else(|| PathBuf::from("python3"));
        let out = Command::new(python)
            .args([
                "-c",
                "import os, torch; print(os.path.dirname(torch.__file__)); \
                 print(int(torch._C._GLIBCXX_USE_CXX11_ABI))",
            ])
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        let text = String::from_utf8(out.stdout).ok()?;
        let mut lines = text.lines();
        let root = PathBuf::from(lines.next()?.trim());
        let cxx11_abi = lines.next()?.trim().to_string();
        Some(LibTorch {
            lib: root.join("lib"),
            include: root.join("include"),
            cxx11_abi,
        })
        .filter(|t| t.lib.is_dir())
    }
}

#[cfg(feature = "tch")]
fn compile_kernels(torch: &LibTorch) {
    cc::Build::new()
        .cpp(true)
        .pic(true)
        .std("c++17")
        .include(&torch.include)
        .define("_GLIBCXX_USE_CXX11_ABI", torch.cxx11_abi.as_str())
        .define("GLOG_USE_GLOG_EXPORT", None)
        // ATen's headers are not warning-clean; botui's own file is.
        .flag_if_supported("-Wno-unused-parameter")
        .opt_level(2)
        .file(KERNELS)
        .compile("botui_torch_kernels");
}
