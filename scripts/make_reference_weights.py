#!/usr/bin/env python3
"""Reference weights and logits for botui's import test (tests/import_pytorch.rs).

For each model it writes, into OUT_DIR:
  NAME.pth          torch.save(model.state_dict())
  NAME.safetensors  safetensors.torch.save_file(model.state_dict())
  NAME.io.safetensors  {"input": [n, 3, s, s], "logits": [n, classes]}: PyTorch's eval-mode output

Weights are random (seeded), and so are every BN's gamma, beta, running mean and running
variance: with PyTorch's defaults (1, 0, 0, 1) a BN that botui mapped wrongly, or not at all,
would still compute the right thing.

Models: torchvision resnet18 (basic blocks) and resnet50 (ResNet-B), timm resnet50d (ResNet-D).

Usage: make_reference_weights.py OUT_DIR [--input 224] [--batch 2]
Needs torch, torchvision, timm and safetensors (scripts/setup-libtorch.sh --reference).
"""

import argparse
import json
import os

import safetensors.torch
import timm
import torch
import torchvision

MODELS = {
    "resnet18": lambda: torchvision.models.resnet18(weights=None),
    "resnet50": lambda: torchvision.models.resnet50(weights=None),
    "resnet50d": lambda: timm.create_model("resnet50d", pretrained=False),
}


def randomize_batch_norms(model: torch.nn.Module, gen: torch.Generator) -> None:
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            with torch.no_grad():
                m.weight.copy_(torch.rand(c, generator=gen) + 0.5)  # gamma in [0.5, 1.5)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.2)  # beta
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.2)
                m.running_var.copy_(torch.rand(c, generator=gen) + 0.5)  # in [0.5, 1.5)
                m.num_batches_tracked.fill_(1234)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("--input", type=int, default=224)
    parser.add_argument("--batch", type=int, default=2)
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(args.batch, 3, args.input, args.input, generator=gen)
    manifest = {}
    for name, make in MODELS.items():
        model = make()
        randomize_batch_norms(model, gen)
        model.eval()
        with torch.no_grad():
            logits = model(x)
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        base = os.path.join(args.out_dir, name)
        torch.save(state, base + ".pth")
        safetensors.torch.save_file(state, base + ".safetensors")
        safetensors.torch.save_file(
            {"input": x.contiguous(), "logits": logits.contiguous()}, base + ".io.safetensors"
        )
        manifest[name] = {
            "tensors": len(state),
            "max_abs_logit": logits.abs().max().item(),
        }
    with open(os.path.join(args.out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    print(json.dumps(manifest))


if __name__ == "__main__":
    main()
