#!/usr/bin/env bash
# botui's GPU check: one prepared command for a machine with an NVIDIA GPU, no cargo and no
# network (the `device` tool's H200: python3 with torch 2.11.0+cu130, torchvision, timm).
#
#   scripts/gpu-check.sh --prepare          # here: build, strip, lay out gpu/, print the call
#   scripts/gpu-check.sh --run              # there: the check on cuda:0, results under $OUT
#   scripts/gpu-check.sh --local            # here: the same sequence on LibTorch CPU, tiny sizes
#
# --prepare builds a release botui with --features tch against PyPI's torch==2.11.0 (its own
#   venv, through scripts/setup-libtorch.sh with BOTUI_TORCH_VERSION=2.11.0; tch 0.22 expects
#   2.9.0, so LIBTORCH_BYPASS_VERSION_CHECK=1), without this machine's rpath, runs the kernel
#   self-test on LibTorch CPU with it (proof that burn-tch and tch work against 2.11), strips it
#   and copies it with a tmux into the git-ignored folder gpu/ (under 64 MiB), then prints the
#   `device` tool call to make.
# --run runs, each step under its own timeout and all within 8 minutes: `botui devices`, the
#   training kernels' self-test on cuda:0, training-step images/s for FP32, FP16 and BF16 beside
#   PyTorch AMP eager with channels_last (resnet50 D at 224, batch 256; resnet18 small stem at 32,
#   batch 512), a 3-epoch learning run on the built-in data in FP32 and one in FP16, the data
#   loader with 16 threads at 224, the hardware pane's NVML readings, and the workbench in tmux
#   for 30 s of training. It writes results.md (tables, PASS/FAIL lines, raw JSON lines),
#   log.txt and screen.txt to $OUT (or --out DIR).
# --local runs the same steps on `libtorch` (CPU) with tiny sizes in 3 to 8 minutes (CI runs
#   it); FP16 is CUDA-only, so BF16 stands in where the CPU has AVX512-BF16.
#
# Options: --binary PATH (default: gpu/botui for --run, target/release/botui for --local),
#   --out DIR (default: $OUT, else target/gpu-check-<mode>), --python PATH (the torch Python:
#   default python3 for --run; $PYTHON, the active venv or the 2.9.0 venv for --local).
# Exit status: 0 when every correctness check passed and every step ran; 1 otherwise. The speed
# targets (FP16 step >= 1.0x PyTorch AMP; loader >= training rate at 224) are PASS/FAIL lines in
# results.md that do not change the exit status (CPU timings in CI are noise).
set -uo pipefail
cd "$(dirname "$0")/.."

mode=""
binary=""
out="${OUT:-}"
python=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prepare|--run|--local) mode="${1#--}" ;;
    --binary) binary="$2"; shift ;;
    --out) out="$2"; shift ;;
    --python) python="$2"; shift ;;
    -h|--help) sed -n '2,31p' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$mode" ]; then
  echo "gpu-check: say --prepare, --run or --local (see --help)" >&2
  exit 2
fi

torch_version=2.11.0
gpu_dir=gpu
# The `device` tool's limits: 64 MiB travel (tracked files + carried), 2000-character command.
travel_limit=$((64 * 1024 * 1024))

prepare() {
  set -e
  local env_file target bin size tracked total
  env_file="$(BOTUI_TORCH_VERSION=$torch_version scripts/setup-libtorch.sh)"
  # shellcheck disable=SC1090
  source "$env_file"
  target="target/gpu-torch-$torch_version"
  echo "gpu-check: building botui against torch $torch_version in $target (first time: ~40 min)" >&2
  LIBTORCH_BYPASS_VERSION_CHECK=1 BOTUI_NO_RPATH=1 CARGO_TARGET_DIR="$target" \
    cargo build --release --features tch
  bin="$target/release/botui"
  if readelf -d "$bin" | grep -q 'R.*PATH'; then
    echo "gpu-check: $bin still has an rpath: it would look for this machine's LibTorch" >&2
    exit 1
  fi
  echo "gpu-check: kernel self-test on LibTorch CPU with torch $torch_version" >&2
  LD_LIBRARY_PATH="$BOTUI_TORCH_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$bin" selftest --device libtorch
  rm -rf "$gpu_dir"
  mkdir -p "$gpu_dir/tools"
  strip -o "$gpu_dir/botui" "$bin"
  # A tmux for the workbench step, in case the GPU machine's image has none: the binary and its
  # libraries that are not glibc.
  if command -v tmux >/dev/null; then
    cp "$(command -v tmux)" "$gpu_dir/tools/tmux"
    ldd "$(command -v tmux)" | awk '/=> \// {print $3}' \
      | grep -Ev '/(libc|libm|libresolv|libpthread|libdl|ld-linux)[.-]' \
      | while read -r lib; do cp -L "$lib" "$gpu_dir/tools/"; done
  fi
  {
    echo "botui $(git rev-parse HEAD)$(git diff --quiet HEAD || echo ' (uncommitted changes)')"
    echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m), glibc $(ldd --version | head -1 | awk '{print $NF}')"
    echo "against torch $("$VIRTUAL_ENV/bin/python" -c 'import torch; print(torch.__version__)')"
    echo "binary $(stat -c %s "$gpu_dir/botui") bytes stripped ($(stat -c %s "$bin") before)"
  } > "$gpu_dir/MANIFEST.txt"
  size=$(du -sb "$gpu_dir" | cut -f1)
  tracked=$(git ls-files -z | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
  total=$((size + tracked))
  cat "$gpu_dir/MANIFEST.txt"
  echo "gpu/: $size bytes; with the tracked files $total of the $travel_limit bytes that travel"
  if [ "$total" -ge "$travel_limit" ]; then
    echo "gpu-check: too big for the device tool" >&2
    exit 1
  fi
  cat <<'CALL'

Ready. On a session with a GPU machine, make this one `device` tool call (run):
  command:   bash scripts/gpu-check.sh --run
  carry:     ["gpu"]
  timeout_s: 540
It needs nothing else; results come back as $OUT/results.md, log.txt and screen.txt (the check
ends within 8 minutes, leaving time in a 15-minute lease for the machine's start and one rerun).
CALL
}

if [ "$mode" = prepare ]; then
  prepare
  exit $?
fi

# --- run / local -----------------------------------------------------------------------------

started=$SECONDS
if [ "$mode" = run ]; then
  budget=480
  dev="cuda:0"
  binary="${binary:-$gpu_dir/botui}"
  python="${python:-python3}"
  out="${out:-target/gpu-check-run}"
else
  budget=480
  dev="libtorch"
  binary="${binary:-target/release/botui}"
  if [ -z "$python" ]; then
    if [ -n "${PYTHON:-}" ]; then python="$PYTHON"
    elif [ -n "${VIRTUAL_ENV:-}" ]; then python="$VIRTUAL_ENV/bin/python"
    else python="${XDG_DATA_HOME:-$HOME/.local/share}/botui/torch-2.9.0/bin/python"
    fi
  fi
  out="${out:-target/gpu-check-local}"
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/botui-gpu-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT
log="$out/log.txt"
: > "$log"
: > "$work/steps.tsv"
say() { echo "$*" | tee -a "$log"; }

if [ ! -x "$binary" ]; then
  say "gpu-check: no botui binary at $binary (--prepare makes gpu/botui; --local wants --binary)"
  exit 1
fi
binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"
# The torch that runs here: its lib folder is where botui finds LibTorch (not an rpath).
torch_lib="$("$python" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>>"$log")"
if [ -z "$torch_lib" ]; then
  say "gpu-check: $python cannot import torch"
  exit 1
fi
lib_path="$torch_lib"
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
  if [ -d "$d" ]; then lib_path="$lib_path:$d"; fi
done
export LD_LIBRARY_PATH="$lib_path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PYTHONUNBUFFERED=1
botui() { "$binary" "$@"; }

# step NAME TIMEOUT CMD...: runs CMD with its own timeout (cut to what is left of the budget),
# stdout to $work/NAME.out, stderr to the log, one line in steps.tsv.
step() {
  local name="$1" limit="$2"
  shift 2
  local left=$((budget - (SECONDS - started)))
  if [ "$left" -lt 15 ]; then
    printf '%s\tskipped\t-\t0\tthe %d s budget is spent\n' "$name" "$budget" >> "$work/steps.tsv"
    say "== $name: skipped (budget spent)"
    return 0
  fi
  if [ "$limit" -gt "$left" ]; then limit=$left; fi
  say "== $name (at most $limit s): $*"
  local t0=$SECONDS rc status
  if [ "$(type -t "$1")" = function ]; then
    # A function of this script bounds its own waits.
    "$@" > "$work/$name.out" 2>> "$log"
  else
    timeout -k 5 "$limit" "$@" > "$work/$name.out" 2>> "$log"
  fi
  rc=$?
  case "$rc" in
    0) status=ok ;;
    124|137) status=timeout ;;
    *) status=failed ;;
  esac
  printf '%s\t%s\t%s\t%s\t\n' "$name" "$status" "$rc" "$((SECONDS - t0))" >> "$work/steps.tsv"
  tail -n 3 "$work/$name.out" | sed 's/^/   /' | tee -a "$log" >/dev/null
  say "   -> $status (exit $rc, $((SECONDS - t0)) s)"
  return 0
}

# skip NAME WHY: a step that cannot run here, with the reason.
skip() {
  printf '%s\tskipped\t-\t0\t%s\n' "$1" "$2" >> "$work/steps.tsv"
  say "== $1: skipped ($2)"
}

cpu_bf16=0
if grep -qwE 'avx512_bf16|amx_bf16' /proc/cpuinfo 2>/dev/null; then cpu_bf16=1; fi

# Sizes: the issue's on the GPU, tiny on the CPU.
if [ "$mode" = run ]; then
  low=fp16
  # label|model|input|batch|warmup|steps|precisions
  cases=("resnet50d-224|resnet50d|224|256|5|20|fp16 fp32 bf16"
         "resnet18-32|resnet18|32|512|5|30|fp16 fp32 bf16")
  data_args=(--threads 16 --images 2048)
  learn_args=(--model resnet18 --input 32 --set model.stem=small --epochs 3 --batch-size 128)
  learn_chance=0.05; learn_factor=3
  tmux_seconds=30
  py_threads=0
else
  low=""
  if [ "$cpu_bf16" = 1 ]; then low=bf16; fi
  cases=("resnet50d-224|resnet50d|224|2|1|1|${low:-fp32}"
         "resnet18-32|resnet18|32|16|1|2|fp32${low:+ $low}")
  data_args=(--threads 2 --images 32 --batch 16)
  learn_args=(--model resnet18 --input 32 --set model.stem=small --epochs 3 --batch-size 16
    --set data.builtin_classes=4 --set data.builtin_train_per_class=32
    --set data.builtin_val_per_class=10 --set data.workers=2
    --set warmup.enabled=true --set warmup.epochs=1 --set schedule.decay=cosine)
  learn_chance=0.25; learn_factor=1.5
  tmux_seconds=8
  py_threads=$(nproc)
fi

bench_pair() { # label model input batch warmup steps precision
  local label="$1" model="$2" input="$3" batch="$4" warmup="$5" steps="$6" p="$7"
  local amp=() limit=90
  if [ "$p" != fp32 ]; then amp=(--amp "$p"); fi
  if [ "$mode" = local ]; then limit=60; fi
  step "bench-$label-$p-botui" "$limit" "$binary" bench train --json --device "$dev" --model "$model" \
    --input "$input" --batch "$batch" --warmup "$warmup" --steps "$steps" --precision "$p" \
    --channels-last --cudnn-benchmark
  step "bench-$label-$p-pytorch" "$limit" "$python" benches/train_pytorch.py --device "${dev/libtorch/cpu}" \
    --model "$model" --input "$input" --batch "$batch" --warmup "$warmup" --steps "$steps" \
    --threads "$py_threads" --channels-last --cudnn-benchmark "${amp[@]}"
}

learn() { # name precision
  local name="$1" p="$2" extra=()
  case "$p" in
    fp16) extra=(--set low_precision.enabled=true --set low_precision.dtype=fp16) ;;
    bf16) extra=(--set low_precision.enabled=true --set low_precision.dtype=bf16) ;;
  esac
  rm -rf "$work/$name"
  XDG_DATA_HOME="$work/xdg" XDG_CONFIG_HOME="$work/xdg-config" step "$name" 150 "$binary" train \
    --device "$dev" "${learn_args[@]}" "${extra[@]}" --out "$work/$name"
  if [ -f "$work/$name/metrics.jsonl" ]; then cp "$work/$name/metrics.jsonl" "$work/$name.metrics.jsonl"; fi
}

# tmux: the system's, else the one --prepare carried in gpu/tools.
tmux_bin=""
tmux_env=()
if command -v tmux >/dev/null; then
  tmux_bin="$(command -v tmux)"
elif [ -x "$gpu_dir/tools/tmux" ]; then
  tmux_bin="$PWD/$gpu_dir/tools/tmux"
  tmux_env=(env "LD_LIBRARY_PATH=$PWD/$gpu_dir/tools")
fi

workbench() {
  local home="$work/tui" session="botui-gpu-check-$$" screen="$out/screen.txt"
  local t=( "${tmux_env[@]}" "$tmux_bin" -L "botui-gpu-check-$$" )
  mkdir -p "$home/config/botui" "$home/data"
  cat > "$home/config/botui/config.toml" <<TOML
[run]
preset = "quick"
device = "$dev"
epochs = 50
TOML
  "${t[@]}" new-session -d -s "$session" -x 160 -y 48 \
    "env TERM=xterm-256color LD_LIBRARY_PATH='$LD_LIBRARY_PATH' XDG_CONFIG_HOME='$home/config' XDG_DATA_HOME='$home/data' '$binary'; echo BOTUI-EXIT=\$?; sleep 600" \
    || return 1
  wait_screen() { # TEXT SECONDS
    local i
    for i in $(seq "$2"); do
      if "${t[@]}" capture-pane -p -t "$session" | grep -q "$1"; then return 0; fi
      sleep 1
    done
    return 1
  }
  local rc=0
  if wait_screen "Run setup" 30; then
    "${t[@]}" send-keys -t "$session" s
    if wait_screen "running" 60; then
      sleep "$tmux_seconds"
      "${t[@]}" send-keys -t "$session" 2
      sleep 2
      "${t[@]}" capture-pane -p -t "$session" > "$screen"
      echo "captured the Train tab after $tmux_seconds s of training"
    else
      echo "the run did not start within 60 s"; rc=1
    fi
  else
    echo "the workbench did not draw within 30 s"; rc=1
  fi
  if [ ! -s "$screen" ]; then "${t[@]}" capture-pane -p -t "$session" > "$screen"; fi
  "${t[@]}" send-keys -t "$session" x
  sleep 2
  "${t[@]}" send-keys -t "$session" q
  sleep 1
  "${t[@]}" send-keys -t "$session" y
  wait_screen "BOTUI-EXIT=" 20 && "${t[@]}" capture-pane -p -t "$session" | grep -o 'BOTUI-EXIT=[0-9]*'
  "${t[@]}" kill-server 2>/dev/null
  return $rc
}

say "gpu-check --$mode: botui $binary on $dev, torch from $python ($torch_lib), budget $budget s"
if [ -f "$gpu_dir/MANIFEST.txt" ] && [ "$mode" = run ]; then cat "$gpu_dir/MANIFEST.txt" >> "$log"; fi

# In order of importance, so that a short budget cuts the least important steps.
step devices 20 "$binary" devices
step hw-idle 20 "$binary" hw --json
step selftest 180 "$binary" selftest --device "$dev" --json
target_low="${low:-fp32}"
first="${cases[0]}"
IFS='|' read -r label model input batch warmup steps _ <<<"$first"
bench_pair "$label" "$model" "$input" "$batch" "$warmup" "$steps" "$target_low"
step data 90 "$binary" bench data --json "${data_args[@]}"
# The learning run, with the hardware pane's readings taken while it trains.
( sleep 6; "$binary" hw --json --samples 2 --interval 1000 > "$work/hw-train.out" 2>> "$log" ) &
hw_pid=$!
learn learn-fp32 fp32
wait "$hw_pid" 2>/dev/null
if [ -n "$low" ]; then learn "learn-$low" "$low"; else skip learn-low "no low precision on this device (FP16 is CUDA-only; this CPU has no AVX512-BF16)"; fi
for c in "${cases[@]}"; do
  IFS='|' read -r label model input batch warmup steps case_precisions <<<"$c"
  for p in $case_precisions; do
    if [ "$c" = "$first" ] && [ "$p" = "$target_low" ]; then continue; fi
    bench_pair "$label" "$model" "$input" "$batch" "$warmup" "$steps" "$p"
  done
done
if [ "$mode" = local ]; then
  skip bench-fp16 "LibTorch trains FP16 on CUDA only (PyTorch's CPU FP16 takes minutes per step)"
fi
if [ -n "$tmux_bin" ] && "${tmux_env[@]}" "$tmux_bin" -V > /dev/null 2>&1; then
  step workbench $((tmux_seconds + 100)) workbench
else
  skip workbench "no tmux on this machine (nor a runnable one in $gpu_dir/tools)"
fi

say "== report"
"$python" scripts/gpu_check_report.py --mode "$mode" --device "$dev" --work "$work" \
  --learn-chance "$learn_chance" --learn-factor "$learn_factor" --target-precision "$target_low" \
  --cpu-bf16 "$cpu_bf16" > "$out/results.md"
rc=$?
cat "$out/results.md"
say "gpu-check: results in $out/results.md ($((SECONDS - started)) s)"
exit $rc
