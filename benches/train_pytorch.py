#!/usr/bin/env python3
"""The PyTorch-eager reference for `botui bench train`: the same training step (forward,
cross entropy, backward, SGD with Nesterov momentum and weight decay) on the same model,
input size, batch and thread count, timed after warm-up on random data.

    python benches/train_pytorch.py --model resnet18 --input 32 --batch 128 --threads 2
    python benches/train_pytorch.py --model resnet50d --input 224 --batch 16 --threads 2

Models: resnet18/34/50/101/152 (torchvision, variant B), resnetNNd (timm, variant D);
inputs of 64 pixels or less get botui's small-input stem (3x3 stride-1 first conv, no max pool),
as `botui bench train --stem auto` does. Prints one JSON line.
"""
import argparse
import json
import time

import torch
import torch.nn as nn


def build(name: str, classes: int, small: bool) -> nn.Module:
    if name.endswith("d"):
        import timm

        model = timm.create_model(name, num_classes=classes, pretrained=False)
        if small:
            # The deep stem's first conv strides 1 and the max pool goes, like botui's.
            model.conv1[0].stride = (1, 1)
            model.maxpool = nn.Identity()
        return model
    import torchvision

    model = getattr(torchvision.models, name)(num_classes=classes)
    if small:
        model.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        model.maxpool = nn.Identity()
    return model


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="resnet18")
    p.add_argument("--input", type=int, default=32)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--classes", type=int, default=100)
    p.add_argument("--threads", type=int, default=0, help="0: torch's default")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--device", default="cpu")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    device = torch.device(a.device)
    model = build(a.model, a.classes, a.input <= 64).to(device).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4)
    x = torch.randn(a.batch, 3, a.input, a.input, device=device)
    y = torch.arange(a.batch, device=device) % a.classes
    loss_fn = nn.CrossEntropyLoss()

    def run(n: int) -> None:
        for _ in range(n):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()

    run(a.warmup)
    start = time.perf_counter()
    run(a.steps)
    seconds = time.perf_counter() - start
    print(json.dumps({
        "model": a.model, "device": a.device, "input": a.input, "batch": a.batch,
        "threads": torch.get_num_threads(), "steps": a.steps, "seconds": seconds,
        "images_per_sec": a.steps * a.batch / seconds, "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
