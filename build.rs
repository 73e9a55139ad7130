//! With the `tch` feature:
//! - bakes the directory of LibTorch's shared libraries into the rpath of botui's binaries and
//!   tests, so that they start without LD_LIBRARY_PATH (not with `BOTUI_NO_RPATH=1`: a binary
//!   for another machine, such as the one `scripts/gpu-check.sh --prepare` makes, finds that
//!   machine's LibTorch through LD_LIBRARY_PATH instead of a path of this one);
//! - compiles `src/model/kernels/libtorch.cpp`, the two ATen backward kernels (convolution,
//!   batch norm) that tch does not bind, against the same LibTorch headers and C++ ABI;
//! - compiles `src/dist/c10d.cpp`, botui's door to c10d (TCPStore, ProcessGroupGloo, and
//!   ProcessGroupNCCL when this LibTorch is a CUDA build and NCCL's and the CUDA toolkit's
//!   headers are found: `CUDA_HOME`, else /usr/local/cuda; `BOTUI_C10D_NCCL=0` leaves it out).
//!
//! The LibTorch is the one torch-sys linked against: `$LIBTORCH`, or the torch package of the
//! Python on PATH (`LIBTORCH_USE_PYTORCH=1`, see scripts/setup-libtorch.sh).

#[cfg(feature = "tch")]
use std::path::PathBuf;
#[cfg(feature = "tch")]
use std::process::Command;

const KERNELS: &str = "src/model/kernels/libtorch.cpp";
const C10D: &str = "src/dist/c10d.cpp";
/// Declarations of the few Gloo names c10d's ProcessGroupGloo.hpp mentions, for a LibTorch (the
/// PyPI wheel) that ships that header without Gloo's own (see the README there).
const GLOO_DECL: &str = "src/dist/gloo_decl";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={KERNELS}");
    println!("cargo:rerun-if-changed={C10D}");
    println!("cargo:rerun-if-changed={GLOO_DECL}");
    println!("cargo:rerun-if-env-changed=CUDA_HOME");
    println!("cargo:rerun-if-env-changed=BOTUI_C10D_NCCL");
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
    compile_c10d(&torch);
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

#[cfg(feature = "tch")]
fn compile_c10d(torch: &LibTorch) {
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .pic(true)
        .std("c++17")
        .include(&torch.include)
        .include(torch.include.join("torch/csrc/api/include"))
        .define("_GLIBCXX_USE_CXX11_ABI", torch.cxx11_abi.as_str())
        .define("GLOG_USE_GLOG_EXPORT", None)
        .define("USE_DISTRIBUTED", None)
        .define("USE_C10D_GLOO", None)
        .flag_if_supported("-Wno-unused-parameter")
        .opt_level(2)
        .file(C10D);
    if !torch.include.join("gloo/context.h").is_file() {
        build.include(GLOO_DECL);
    }
    match nccl_includes(torch) {
        Ok(dirs) => {
            build
                .define("USE_C10D_NCCL", None)
                .define("USE_CUDA", None)
                .define("BOTUI_C10D_NCCL", None);
            for dir in dirs {
                build.include(dir);
            }
        }
        Err(Some(why)) => println!(
            "cargo:warning=botui: c10d's NCCL backend not built ({why}); multi-GPU training \
             needs it, CPU ranks (Gloo) work"
        ),
        Err(None) => {}
    }
    build.compile("botui_c10d");
}

/// The include folders ProcessGroupNCCL.hpp needs: NCCL's, the CUDA toolkit's, and the CUDA
/// libraries' headers that ship in the wheel's `nvidia/*` packages. `Err(None)` for a CPU-only
/// LibTorch (nothing to say), `Err(Some(why))` when a CUDA LibTorch lacks a header.
#[cfg(feature = "tch")]
fn nccl_includes(torch: &LibTorch) -> Result<Vec<PathBuf>, Option<String>> {
    if !torch.lib.join("libtorch_cuda.so").is_file()
        || std::env::var("BOTUI_C10D_NCCL").is_ok_and(|v| v == "0")
    {
        return Err(None);
    }
    let nvidia = torch.include.join("../../nvidia");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&nvidia)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path().join("include")))
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    let toolkit = std::env::var_os("CUDA_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/local/cuda"))
        .join("include");
    dirs.push(toolkit);
    let has = |header: &str| dirs.iter().any(|d| d.join(header).is_file());
    if !has("nccl.h") {
        return Err(Some("nccl.h not found".into()));
    }
    if !has("crt/host_config.h") {
        return Err(Some(
            "the CUDA toolkit's headers (crt/host_config.h) were not found; set CUDA_HOME".into(),
        ));
    }
    Ok(dirs)
}
