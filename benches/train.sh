#!/usr/bin/env bash
# Training-step throughput: botui (LibTorch CPU and flex) against PyTorch eager, interleaved
# in one session so that the machine's load hits all of them alike. Prints a Markdown table
# of medians over ROUNDS rounds and the ratios botui / PyTorch. "burn ops" columns are botui
# with its training kernels off (`--kernels burn`): burn's composite operations, what the
# kernels buy on each backend.
#
#   cargo build --release                                    # flex only: BACKENDS=flex
#   source "$(scripts/setup-libtorch.sh --reference)"; cargo build --release --features tch
#   benches/train.sh [ROUNDS]          # default 3
#
# Environment:
#   BOTUI     default target/release/botui
#   PYTHON    default: the LibTorch venv's (needs torch; timm for resnet50d)
#   BACKENDS  "libtorch flex" (default), "flex" or "libtorch"
#   CASES     names of the cases to run (default all): resnet18 resnet50d mobilenet
#   ROUND     a command prefix each case of each round runs under (all its columns back to
#             back), e.g. ROUND=/work/tools/quiet to take a shared machine's benchmark lock for
#             a minute or two at a time
set -euo pipefail
cd "$(dirname "$0")/.."
botui="${BOTUI:-target/release/botui}"
python="${PYTHON:-${VIRTUAL_ENV:-$HOME/.local/share/botui/torch-2.9.0}/bin/python}"
backends="${BACKENDS:-libtorch flex}"
threads="$(nproc)"

# name | label | model | input | batch | warmup | steps
all_cases=(
  "resnet18|resnet18 small stem, 32x32, batch 128|resnet18|32|128|2|5"
  "resnet50d|resnet50 D, 224x224, batch 16|resnet50d|224|16|1|3"
  "mobilenet|MobileNet, 64x64, batch 64|mobilenet|64|64|2|5"
)
cases=()
for c in "${all_cases[@]}"; do
  if [[ -z "${CASES:-}" || " $CASES " == *" ${c%%|*} "* ]]; then cases+=("$c"); fi
done

# Column names: PyTorch first, then two per backend (kernels, burn ops).
columns=(pytorch)
for b in $backends; do columns+=("$b" "$b-burn"); done

ips() { "$@" | tail -1 | "$python" -c 'import json,sys; print(json.load(sys.stdin)["images_per_sec"])'; }

# One round: every case, every column, one line "case column images/s" each.
if [[ "${1:-}" == "--round" ]]; then
  echo "load $(cut -d' ' -f1 /proc/loadavg)"
  for c in "${cases[@]}"; do
    IFS='|' read -r name _ model input batch warmup steps <<<"$c"
    for col in "${columns[@]}"; do
      case "$col" in
        pytorch) cmd=("$python" benches/train_pytorch.py --threads "$threads") ;;
        *-burn) cmd=("$botui" bench train --json --device "${col%-burn}" --kernels burn) ;;
        *) cmd=("$botui" bench train --json --device "$col") ;;
      esac
      echo "$name $col $(ips "${cmd[@]}" --model "$model" --input "$input" --batch "$batch" --warmup "$warmup" --steps "$steps")"
    done
  done
  echo "load $(cut -d' ' -f1 /proc/loadavg)"
  exit 0
fi

rounds="${1:-3}"
raw="$(mktemp)"
trap 'rm -f "$raw"' EXIT
loads=()
for r in $(seq "$rounds"); do
  for c in "${cases[@]}"; do
    out="$(CASES="${c%%|*}" ${ROUND:-} "$0" --round)"
    grep -v '^load ' <<<"$out" >>"$raw"
    loads+=("round $r, ${c%%|*}: $(grep '^load ' <<<"$out" | cut -d' ' -f2 | paste -sd' ')")
  done
done

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "machine: $(nproc) cores; $rounds rounds, median images/s; load average (1 min) at the start and end of each case's round:"
printf '%s\n' "${loads[@]}" | sed 's/^/  /'
echo
header="| case |" rule="|---|"
for col in "${columns[@]}"; do header+=" $col |"; rule+="---|"; done
for col in "${columns[@]:1}"; do header+=" $col / pytorch |"; rule+="---|"; done
echo "$header"
echo "$rule"
for c in "${cases[@]}"; do
  IFS='|' read -r name label _ <<<"$c"
  row="| $label |"
  declare -A med=()
  for col in "${columns[@]}"; do
    med[$col]=$(awk -v n="$name" -v c="$col" '$1 == n && $2 == c {print $3}' "$raw" | median)
    row+=" $(printf '%.1f' "${med[$col]}") |"
  done
  for col in "${columns[@]:1}"; do
    row+=" $(awk -v a="${med[$col]}" -v b="${med[pytorch]}" 'BEGIN {printf "%.2f x", a / b}') |"
  done
  echo "$row"
done
echo
echo "raw (case column images/s, in run order):"
sed 's/^/  /' "$raw"
