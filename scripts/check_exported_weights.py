#!/usr/bin/env python3
"""PyTorch's side of botui's export test (tests/export_pytorch.rs).

MANIFEST is a JSON list of {"name", "constructor", "weights", "input"}: `constructor` is the
Python expression `botui export` printed (torchvision.models.resnet18(num_classes=4), ...),
`weights` the exported .pth or .safetensors file, `input` a safetensors file holding the
preprocessed batch ("input": [n, 3, s, s]). For each entry this builds the model, loads the
weights with load_state_dict(strict=True) (a .pth through torch.load(weights_only=True)), and
writes its eval-mode logits to OUT_DIR/NAME.logits.safetensors ("logits": [n, classes]).

Usage: check_exported_weights.py MANIFEST OUT_DIR
Needs torch, torchvision, timm and safetensors (scripts/setup-libtorch.sh --reference).
"""

import collections
import json
import os
import sys

import safetensors.torch
import timm
import torch
import torchvision


def load(path: str) -> dict:
    if path.endswith(".safetensors"):
        return safetensors.torch.load_file(path)
    state = torch.load(path, weights_only=True)
    # What torch.save(model.state_dict()) holds.
    assert isinstance(state, collections.OrderedDict), type(state)
    return state


def main() -> None:
    manifest_path, out_dir = sys.argv[1], sys.argv[2]
    with open(manifest_path) as f:
        manifest = json.load(f)
    torch.set_num_threads(2)
    report = {}
    for entry in manifest:
        model = eval(entry["constructor"], {"torchvision": torchvision, "timm": timm})
        state = load(entry["weights"])
        counters = [v for k, v in state.items() if k.endswith("num_batches_tracked")]
        assert counters and all(v.dtype == torch.int64 and v.dim() == 0 for v in counters)
        model.load_state_dict(state, strict=True)
        model.eval()
        x = safetensors.torch.load_file(entry["input"])["input"]
        with torch.no_grad():
            logits = model(x)
        safetensors.torch.save_file(
            {"logits": logits.contiguous()},
            os.path.join(out_dir, entry["name"] + ".logits.safetensors"),
        )
        report[entry["name"]] = {"tensors": len(state), "logits": list(logits.shape)}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
