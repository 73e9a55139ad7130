#!/usr/bin/env bash
# Training-step throughput: botui (LibTorch CPU and flex) against PyTorch eager, interleaved
# in one session so that the machine's load hits all of them alike. Prints a Markdown table
# of medians over ROUNDS rounds and the ratios botui / PyTorch. "libtorch, burn ops" is botui
# on LibTorch with its training kernels off (`--kernels burn`): what they buy.
#
#   source "$(scripts/setup-libtorch.sh)"; cargo build --release --features tch
#   benches/train.sh [ROUNDS]          # default 3
#
# Environment: BOTUI (default target/release/botui), PYTHON (default: the LibTorch venv's).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
botui="${BOTUI:-target/release/botui}"
python="${PYTHON:-${VIRTUAL_ENV:-$HOME/.local/share/botui/torch-2.9.0}/bin/python}"
threads="$(nproc)"

# name | model | input | batch | warmup | steps
cases=(
  "resnet18 small stem, 32x32, batch 128|resnet18|32|128|2|5"
  "resnet50 D, 224x224, batch 16|resnet50d|224|16|1|3"
)

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ips() { "$@" | tail -1 | "$python" -c 'import json,sys; print(json.load(sys.stdin)["images_per_sec"])'; }

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds, median images/s"
echo
echo "| case | PyTorch eager | botui libtorch | botui libtorch, burn ops | botui flex | libtorch / PyTorch | burn ops / PyTorch | flex / PyTorch |"
echo "|---|---|---|---|---|---|---|---|"
for c in "${cases[@]}"; do
  IFS='|' read -r label model input batch warmup steps <<<"$c"
  py=() lt=() lb=() fx=()
  for _ in $(seq "$rounds"); do
    py+=("$(ips "$python" benches/train_pytorch.py --model "$model" --input "$input" --batch "$batch" --threads "$threads" --warmup "$warmup" --steps "$steps")")
    lt+=("$(ips "$botui" bench train --json --model "$model" --input "$input" --batch "$batch" --device libtorch --warmup "$warmup" --steps "$steps")")
    lb+=("$(ips "$botui" bench train --json --model "$model" --input "$input" --batch "$batch" --device libtorch --kernels burn --warmup "$warmup" --steps "$steps")")
    fx+=("$(ips "$botui" bench train --json --model "$model" --input "$input" --batch "$batch" --device flex --warmup "$warmup" --steps "$steps")")
  done
  p=$(printf '%s\n' "${py[@]}" | median)
  l=$(printf '%s\n' "${lt[@]}" | median)
  b=$(printf '%s\n' "${lb[@]}" | median)
  f=$(printf '%s\n' "${fx[@]}" | median)
  awk -v n="$label" -v p="$p" -v l="$l" -v b="$b" -v f="$f" \
    'BEGIN { printf "| %s | %.1f | %.1f | %.1f | %.1f | %.2f x | %.2f x | %.2f x |\n", n, p, l, b, f, l / p, b / p, f / p }'
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
