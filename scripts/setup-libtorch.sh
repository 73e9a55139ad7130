#!/usr/bin/env bash
# Creates (or reuses) a Python venv holding PyPI's torch wheel, whose torch/lib is the LibTorch that
# burn-tch (tch 0.22) builds and runs against. Prints the environment a `--features tch` build needs and
# writes it to "$VENV/botui-tch.env" so it can be sourced.
#
#   scripts/setup-libtorch.sh                 # torch only
#   scripts/setup-libtorch.sh --reference     # + torchvision and timm (the weight-import tests need them)
#
# Environment:
#   BOTUI_TORCH_VENV     where the venv lives (default: $XDG_DATA_HOME/botui/torch-<version>)
#   BOTUI_TORCH_VERSION  torch version (default 2.9.0, what tch 0.22 expects)
#   PYTHON               interpreter used to create the venv (default python3)
set -euo pipefail

version="${BOTUI_TORCH_VERSION:-2.9.0}"
data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
venv="${BOTUI_TORCH_VENV:-$data_home/botui/torch-$version}"
python="${PYTHON:-python3}"
reference=0
for arg in "$@"; do
  case "$arg" in
    --reference) reference=1 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "setup-libtorch: unknown argument '$arg' (expected --reference)" >&2; exit 2 ;;
  esac
done

# torchvision pairs with one torch release; timm follows torch.
case "$version" in
  2.9.0) torchvision=0.24.0 ;;
  2.10.0) torchvision=0.25.0 ;;
  2.11.0) torchvision=0.26.0 ;;
  *) torchvision="" ;;
esac

if [ ! -x "$venv/bin/python" ]; then
  echo "setup-libtorch: creating venv at $venv" >&2
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv "$venv"
fi

have() { "$venv/bin/python" - "$1" "$2" <<'PY' 2>/dev/null
import importlib.metadata as m, sys
try:
    v = m.version(sys.argv[1])
except m.PackageNotFoundError:
    sys.exit(1)
want = sys.argv[2]
sys.exit(0 if want == "" or v.split("+")[0] == want else 1)
PY
}

pkgs=()
have torch "$version" || pkgs+=("torch==$version")
if [ "$reference" = 1 ]; then
  if [ -n "$torchvision" ]; then have torchvision "$torchvision" || pkgs+=("torchvision==$torchvision"); fi
  have timm "" || pkgs+=("timm")
  have safetensors "" || pkgs+=("safetensors")
fi
if [ "${#pkgs[@]}" -gt 0 ]; then
  echo "setup-libtorch: installing ${pkgs[*]} (torch with its CUDA libraries is about 4 GB)" >&2
  "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q "${pkgs[@]}"
else
  echo "setup-libtorch: reusing $venv (torch $version already installed)" >&2
fi

torch_lib="$("$venv/bin/python" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')"
env_file="$venv/botui-tch.env"
cat > "$env_file.tmp" <<ENV
# Source this before building botui with --features tch.
export VIRTUAL_ENV="$venv"
export PATH="$venv/bin:\$PATH"
export LIBTORCH_USE_PYTORCH=1
# build.rs bakes this into the binary's rpath; set it at run time only for binaries built elsewhere.
export BOTUI_TORCH_LIB="$torch_lib"
ENV
mv "$env_file.tmp" "$env_file"
echo "setup-libtorch: done. Build with:" >&2
echo "  source '$env_file' && cargo build --release --features tch" >&2
echo "$env_file"
