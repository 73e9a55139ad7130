#!/usr/bin/env python3
"""results.md for scripts/gpu-check.sh: reads the step outputs it left in --work and prints
Markdown (PASS/FAIL lines, tables, raw JSON lines) to stdout. Exit status 1 when a correctness
check failed or a step errored or timed out; the speed targets are reported, not enforced.

Only the standard library: it runs under whatever python3 holds torch.
"""
import argparse
import datetime
import json
import os
import platform
import sys


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def json_lines(text):
    out = []
    for line in (text or "").splitlines():
        line = line.strip()
        if line.startswith("{") or line.startswith("["):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def last_json(text):
    lines = json_lines(text)
    return lines[-1] if lines else None


def fmt(v, digits=1):
    return "n/a" if v is None else f"{v:,.{digits}f}"


class Report:
    def __init__(self, a):
        self.a = a
        self.work = a.work
        self.verdicts = []
        self.failed = False
        self.raw = []
        self.steps = []
        for line in (read(os.path.join(self.work, "steps.tsv")) or "").splitlines():
            parts = line.split("\t")
            if len(parts) >= 4:
                self.steps.append({"name": parts[0], "status": parts[1], "rc": parts[2],
                                   "seconds": parts[3], "note": parts[4] if len(parts) > 4 else ""})
        self.status = {s["name"]: s for s in self.steps}

    def output(self, name):
        text = read(os.path.join(self.work, name + ".out"))
        for obj in json_lines(text):
            self.raw.append({"step": name, **obj} if isinstance(obj, dict) else {"step": name, "value": obj})
        return text

    def verdict(self, ok, what, gating=True):
        """ok: True, False or None (skipped)."""
        word = "SKIP" if ok is None else ("PASS" if ok else "FAIL")
        self.verdicts.append(f"- **{word}** {what}")
        if ok is False and gating:
            self.failed = True

    def ran(self, name):
        s = self.status.get(name)
        return s is not None and s["status"] == "ok"

    def why_not(self, name):
        s = self.status.get(name)
        if s is None:
            return "not run"
        if s["status"] == "skipped":
            return "skipped: " + s["note"]
        return f"{s['status']} (exit {s['rc']}, {s['seconds']} s; see log.txt)"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", required=True)
    p.add_argument("--device", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--learn-chance", type=float, required=True)
    p.add_argument("--learn-factor", type=float, required=True)
    p.add_argument("--target-precision", default="fp16")
    p.add_argument("--cpu-bf16", default="0")
    a = p.parse_args()
    r = Report(a)
    body = []

    # Devices and hardware.
    devices = r.output("devices")
    hw_idle = [s for s in json_lines(r.output("hw-idle"))]
    hw_train = [s for s in json_lines(r.output("hw-train"))]
    gpus = (hw_idle[-1].get("gpus") if hw_idle else None) or []
    gpu_name = gpus[0]["name"] if gpus else None
    r.verdict(r.ran("devices") and a.device.split(":")[0] in (devices or ""),
              f"`botui devices` lists {a.device}")

    # Self-test.
    st = json_lines(r.output("selftest"))
    summary = st[-1] if st and "failures" in st[-1] else None
    checks = [c for c in st if "what" in c]
    if summary:
        variants = sorted({f"{c['precision']} {c['layout']}" for c in checks})
        r.verdict(summary["failures"] == 0 and r.ran("selftest"),
                  f"kernel self-test on {summary['device']}: {summary['checks'] - summary['failures']} of "
                  f"{summary['checks']} checks ({', '.join(variants)}) in {summary['seconds']:.1f} s"
                  + "".join(f"; note: {n}" for n in summary.get("notes", [])))
        for c in checks:
            if not c["passed"]:
                r.verdicts.append(f"  - failed: {c['case']} [{c['precision']} {c['layout']}] {c['what']}: "
                                  f"{c['value']:.3e} (bound {c['bound']:.3e})")
    else:
        r.verdict(False, "kernel self-test: " + r.why_not("selftest"))

    # Training steps.
    bench = {}
    for s in r.steps:
        if s["name"].startswith("bench-") and s["status"] != "skipped" and s["name"] != "bench-fp16":
            case, precision, impl = s["name"][len("bench-"):].rsplit("-", 2)
            res = last_json(r.output(s["name"]))
            bench[(case, precision, impl)] = res if (res and s["status"] == "ok") else None
            if s["status"] != "ok":
                r.verdict(False, f"{s['name']}: {r.why_not(s['name'])}")
    cases = []
    for (case, _, _) in bench:
        if case not in cases:
            cases.append(case)
    rows = []
    for case in cases:
        for precision in ("fp32", "fp16", "bf16"):
            if (case, precision, "botui") not in bench and (case, precision, "pytorch") not in bench:
                continue
            b = bench.get((case, precision, "botui"))
            t = bench.get((case, precision, "pytorch"))
            bi = b and b["images_per_sec"]
            ti = t and t["images_per_sec"]
            ratio = bi / ti if bi and ti else None
            batch = (b or t or {}).get("batch")
            skipped = []
            if b and b.get("skipped_steps"):
                skipped.append(f"botui skipped {b['skipped_steps']}")
            if t and t.get("skipped_steps"):
                skipped.append(f"PyTorch skipped {t['skipped_steps']}")
            rows.append((case, batch, precision, bi, ti, ratio, ", ".join(skipped)))
    target = a.target_precision
    cpu_note = "" if a.mode == "run" else " [CPU, tiny sizes: the target is for the GPU]"
    for case in cases:
        row = next((x for x in rows if x[0] == case and x[2] == target), None)
        stand_in = "" if target == "fp16" else f" ({target} stands in for fp16: FP16 is CUDA-only)"
        if row is None or row[5] is None:
            r.verdict(None, f"target: {target} step >= 1.0x PyTorch AMP eager with channels_last, {case}: not measured{stand_in}")
        else:
            r.verdict(row[5] >= 1.0,
                      f"target: {target} step >= 1.0x PyTorch AMP eager with channels_last, {case} batch {row[1]}: "
                      f"botui {fmt(row[3])} vs PyTorch {fmt(row[4])} images/s = {row[5]:.2f}x{stand_in}{cpu_note}",
                      gating=False)
    body.append("## Training step, images/s\n")
    body.append("Forward, loss, backward and the NAG update on random data after warm-up; botui with "
                "`--channels-last --cudnn-benchmark` and autocast in low precision, PyTorch eager with "
                "`torch.autocast` (+ GradScaler for fp16), channels_last and cudnn.benchmark.\n")
    body.append("| case | batch | precision | botui | PyTorch AMP eager | botui / PyTorch | notes |")
    body.append("|---|---|---|---|---|---|---|")
    for case, batch, precision, bi, ti, ratio, notes in rows:
        body.append(f"| {case} | {batch} | {precision} | {fmt(bi)} | {fmt(ti)} | "
                    f"{'n/a' if ratio is None else f'{ratio:.2f} x'} | {notes} |")
    body.append("")

    # Data loader.
    data = last_json(r.output("data"))
    train_224 = [x[3] for x in rows if x[0].endswith("-224") and x[3]]
    if data and r.ran("data"):
        consume = max(train_224) if train_224 else None
        if consume is None:
            r.verdict(None, f"target: loader >= training rate at 224: loader {fmt(data['images_per_sec'])} images/s "
                            f"on {data['threads']} threads; no training rate at 224 measured")
        else:
            r.verdict(data["images_per_sec"] >= consume,
                      f"target: loader >= training rate at 224: {fmt(data['images_per_sec'])} images/s on "
                      f"{data['threads']} threads vs botui's fastest step at 224, {fmt(consume)} images/s "
                      f"({data['images_per_sec'] / consume:.2f}x){cpu_note}", gating=False)
        body.append("## Data loader\n")
        body.append("Decode + the paper's training transform to 224 x 224 (`botui bench data`, "
                    "generated ImageNet-like JPEGs):\n")
        body.append("| threads | images | images/s | images per CPU-second |")
        body.append("|---|---|---|---|")
        body.append(f"| {data['threads']} | {data['images']} | {fmt(data['images_per_sec'])} | "
                    f"{fmt(data.get('images_per_cpu_sec'))} |")
        body.append("")
    else:
        r.verdict(False, "data loader bench: " + r.why_not("data"))

    # Learning runs.
    body.append("## Learning runs (built-in data, 3 epochs)\n")
    body.append("| run | epoch | train loss | val loss | val top-1 % | val top-5 % | images/s | seconds |")
    body.append("|---|---|---|---|---|---|---|---|")
    need = 100 * a.learn_chance * a.learn_factor
    for s in r.steps:
        if not s["name"].startswith("learn-"):
            continue
        name = s["name"]
        r.output(name)
        if s["status"] == "skipped":
            r.verdict(None, f"{name}: {s['note']}")
            continue
        metrics = json_lines(read(os.path.join(r.work, name + ".metrics.jsonl")))
        for m in metrics:
            r.raw.append({"step": name, **m})
            body.append(f"| {name} | {m['epoch']} | {m['train_loss']:.4f} | {m['val_loss']:.4f} | "
                        f"{m['val_top1']:.2f} | {m['val_top5']:.2f} | {fmt(m.get('images_per_sec'))} | "
                        f"{m['seconds']:.1f} |")
        if metrics and s["status"] == "ok":
            # The best epoch, as tests/learns_builtin.rs judges: a 3-epoch run on a few hundred
            # images has a noisy last epoch (BN statistics of tiny batches).
            best = max(metrics, key=lambda m: m["val_top1"])
            top1 = best["val_top1"]
            r.verdict(top1 >= need, f"{name}: best val top-1 {top1:.2f} % (epoch {best['epoch']} of "
                                    f"{metrics[-1]['epoch']}; chance {100 * a.learn_chance:.0f} %, "
                                    f"needs {need:.1f} %)")
        else:
            r.verdict(False, f"{name}: {r.why_not(name)}")
    body.append("")

    # Hardware pane.
    body.append("## Hardware pane readings (`botui hw --json`)\n")
    body.append("| when | GPU | utilization % | memory GiB | temperature C | power W (limit) | CPU % busy |")
    body.append("|---|---|---|---|---|---|---|")
    for when, samples in (("idle", hw_idle), ("training", hw_train)):
        for smp in samples:
            host = smp.get("host", {})
            if smp.get("gpus"):
                for g in smp["gpus"]:
                    body.append(f"| {when} | {g['index']} {g['name']} | {g['utilization']:.0f} | "
                                f"{g['memory_used'] / 2**30:.1f} / {g['memory_total'] / 2**30:.1f} | "
                                f"{g.get('temperature_c')} | {fmt(g.get('power_w'), 0)} ({fmt(g.get('power_limit_w'), 0)}) | "
                                f"{host.get('cpu_percent', 0):.0f} |")
            else:
                body.append(f"| {when} | none: {smp.get('gpu_note')} | | | | | {host.get('cpu_percent', 0):.0f} |")
    body.append("")
    if a.mode == "run":
        r.verdict(bool(gpus) and all(g.get("power_w") is not None for g in gpus),
                  f"NVML readings headless: {len(gpus)} GPU(s)" + (f", {gpu_name}" if gpu_name else ""))
    else:
        host_ok = bool(hw_idle) and hw_idle[-1].get("host", {}).get("memory_total", 0) > 0
        r.verdict(host_ok, "hardware readings headless (no GPU here: CPU and memory, and why no GPU)")

    # Workbench.
    wb = r.status.get("workbench")
    wb_text = r.output("workbench") or ""
    if wb is None or wb["status"] == "skipped":
        r.verdict(None, "workbench in tmux: " + (wb["note"] if wb else "not run"))
    else:
        r.verdict(wb["status"] == "ok" and "captured" in wb_text,
                  f"workbench in tmux: {wb_text.strip().splitlines()[0] if wb_text.strip() else r.why_not('workbench')}"
                  " (screen.txt)")

    # Any other step that failed.
    for s in r.steps:
        if s["status"] in ("failed", "timeout") and not s["name"].startswith(("bench-", "learn-", "selftest", "data")):
            r.verdict(False, f"{s['name']}: {r.why_not(s['name'])}")

    torch_version = next((v.get("torch") for v in bench.values() if v and v.get("torch")), None)
    title = f"# botui GPU check: `--{a.mode}` on {a.device}"
    print(title + ("" if a.mode == "run" else " (CPU: tiny sizes, not GPU figures)"))
    print()
    print(f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; {platform.machine()}, "
          f"{os.cpu_count()} cores; GPU: {gpu_name or 'none'}; torch {torch_version or 'n/a'}; "
          f"CPU AVX512-BF16: {'yes' if a.cpu_bf16 == '1' else 'no'}")
    print()
    print("## Verdicts\n")
    print("\n".join(r.verdicts))
    print()
    print("\n".join(body))
    print("## Devices\n")
    print("```text\n" + (devices or "(no output)").rstrip() + "\n```\n")
    print("## Steps\n")
    print("| step | status | exit | seconds | note |")
    print("|---|---|---|---|---|")
    for s in r.steps:
        print(f"| {s['name']} | {s['status']} | {s['rc']} | {s['seconds']} | {s['note']} |")
    print()
    print("## Raw JSON lines\n")
    print("```json")
    for obj in r.raw:
        print(json.dumps(obj))
    print("```")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
