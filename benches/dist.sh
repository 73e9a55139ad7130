#!/usr/bin/env bash
# Data-parallel training steps on this CPU, through c10d's Gloo: 2 ranks x 1 LibTorch thread
# (batch B/2 each, the gradient all-reduce in every step) against 1 process x 2 threads (batch
# B), the same global batch, interleaved in one session. `bench train --nproc 2` also runs 1
# rank x 1 thread with B/2 and prints the scaling efficiency: images/s of 2 ranks / (2 x that).
# Prints a Markdown table of medians over ROUNDS rounds.
#
#   source "$(scripts/setup-libtorch.sh)"; cargo build --release --features tch
#   /work/tools/quiet benches/dist.sh [ROUNDS]   # default 3
#
# Environment: BOTUI (default target/release/botui), PYTHON (default: the LibTorch venv's).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
botui="${BOTUI:-target/release/botui}"
python="${PYTHON:-${VIRTUAL_ENV:-$HOME/.local/share/botui/torch-2.9.0}/bin/python}"

# name | model | input | global batch | warmup | steps
cases=(
  "resnet18 small stem, 32x32, batch 64|resnet18|32|64|2|6"
  "mobilenet, 64x64, batch 32|mobilenet|64|32|2|6"
)

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
field() { "$python" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds, median images/s"
echo
echo "| case | 1 rank x 2 threads | 2 ranks x 1 thread | 2 ranks / 1 rank x 2 threads | 1 rank x 1 thread (B/2) | scaling efficiency |"
echo "|---|---|---|---|---|---|"
for c in "${cases[@]}"; do
  IFS='|' read -r label model input batch warmup steps <<<"$c"
  half=$((batch / 2))
  one=() two=() single=() eff=()
  for _ in $(seq "$rounds"); do
    one+=("$("$botui" bench train --json --model "$model" --input "$input" --batch "$batch" --device libtorch --threads 2 --warmup "$warmup" --steps "$steps" | tail -1 | field 'd["images_per_sec"]')")
    out="$("$botui" bench train --json --model "$model" --input "$input" --batch "$half" --device libtorch --threads 1 --nproc 2 --warmup "$warmup" --steps "$steps" | tail -1)"
    two+=("$(field 'd["ranks"]["images_per_sec"]' <<<"$out")")
    single+=("$(field 'd["one_rank"]["images_per_sec"]' <<<"$out")")
    eff+=("$(field 'd["scaling_efficiency"]' <<<"$out")")
  done
  o=$(printf '%s\n' "${one[@]}" | median)
  t=$(printf '%s\n' "${two[@]}" | median)
  s=$(printf '%s\n' "${single[@]}" | median)
  e=$(printf '%s\n' "${eff[@]}" | median)
  "$python" -c "print(f'| $label | {$o:.1f} | {$t:.1f} | {$t/$o:.2f} x | {$s:.1f} | {100*$e:.0f} % |')"
done
