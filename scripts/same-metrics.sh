#!/bin/bash
# usage: scripts/same-metrics.sh OLD_BOTUI NEW_BOTUI OUTDIR
# Trains the same three seeded flex runs (the quick preset; a zero-gamma run used as a teacher; MobileNet with
# distillation, mixup and label smoothing) with both binaries and compares their metrics.jsonl with the
# wall-clock fields masked: a refactor that claims "behaviour unchanged" shows it with this. Exit 1 on a difference.
set -euo pipefail
OLD=$1; NEW=$2; OUT=$3
rm -rf "$OUT"; mkdir -p "$OUT"
mask() { python3 -c '
import json,sys
for line in open(sys.argv[1]):
    d=json.loads(line)
    for k in ("seconds","images_per_sec","data_wait_seconds","time","elapsed","wall_seconds","step_seconds","timestamp"):
        if k in d: d[k]=0
    print(json.dumps(d,sort_keys=True))
' "$1"; }
run() { # name bin args...
  local name=$1 bin=$2; shift 2
  "$bin" train --out "$OUT/$name" "$@" --set data.builtin_train_per_class=12 --set data.builtin_val_per_class=6 > "$OUT/$name.log" 2>&1
}
for who in old new; do
  bin=$OLD; [ $who = new ] && bin=$NEW
  run $who-quick $bin --preset quick --epochs 2
  run $who-teacher $bin --preset quick --epochs 2 --set zero_gamma.enabled=true --set warmup.enabled=false
  run $who-tricks $bin --preset mobilenet-mixup-laptop --epochs 3 --batch-size 32 \
      --set distillation.enabled=true --set distillation.teacher=$OUT/$who-teacher --set label_smoothing.enabled=true
done
rc=0
for name in quick teacher tricks; do
  if diff <(mask $OUT/old-$name/metrics.jsonl) <(mask $OUT/new-$name/metrics.jsonl) >/dev/null; then
    echo "$name: identical ($(wc -l < $OUT/old-$name/metrics.jsonl) lines)"
    cmp -s $OUT/old-$name/metrics.jsonl $OUT/new-$name/metrics.jsonl && echo "  (raw bytes identical too)"
  else echo "$name: DIFFERENT"; diff <(mask $OUT/old-$name/metrics.jsonl) <(mask $OUT/new-$name/metrics.jsonl) | head -5; rc=1; fi
done
exit $rc
