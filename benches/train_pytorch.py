#!/usr/bin/env python3
"""The PyTorch-eager reference for `botui bench train`: the same training step (forward,
cross entropy, backward, SGD with Nesterov momentum and weight decay) on the same model,
input size, batch and thread count, timed after warm-up on random data.

    python benches/train_pytorch.py --model resnet18 --input 32 --batch 128 --threads 2
    python benches/train_pytorch.py --model resnet50d --input 224 --batch 16 --threads 2
    python benches/train_pytorch.py --model mobilenet --input 64 --batch 64 --threads 2
    python benches/train_pytorch.py --model resnet50d --input 224 --batch 256 --device cuda \
        --amp fp16 --channels-last --cudnn-benchmark

--amp fp16|bf16 is PyTorch's automatic mixed precision as its documentation recommends it:
the forward pass and the loss under torch.autocast, and for FP16 a torch.amp.GradScaler
(dynamic loss scaling, the step skipped on an overflow). --channels-last puts the model and
the batch in torch.channels_last; --cudnn-benchmark sets torch.backends.cudnn.benchmark.

Models: resnet18/34/50/101/152 (torchvision, variant B), resnetNNd (timm, variant D), mobilenet
(MobileNet v1 at width 1.0, written out below as botui's src/model/mobilenet.rs builds it: neither
torchvision nor timm has v1); inputs of 64 pixels or less get botui's small-input stem (ResNet:
3x3 stride-1 first conv, no max pool; MobileNet: stride-1 first conv), as `botui bench train
--stem auto` does. Prints one JSON line.
"""
import argparse
import json
import sys
import time

import torch
import torch.nn as nn


# (pointwise output channels, depthwise stride) of MobileNet v1's 13 blocks.
MOBILENET_BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [
    (1024, 2),
    (1024, 1),
]


def mobilenet(classes: int, small: bool) -> nn.Module:
    def conv_bn_relu(c_in: int, c_out: int, kernel: int, stride: int, groups: int = 1) -> list:
        return [
            nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, groups=groups, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
        ]

    layers = conv_bn_relu(3, 32, 3, 1 if small else 2)
    c = 32
    for c_out, stride in MOBILENET_BLOCKS:
        layers += conv_bn_relu(c, c, 3, stride, groups=c) + conv_bn_relu(c, c_out, 1, 1)
        c = c_out
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, classes))


def build(name: str, classes: int, small: bool) -> nn.Module:
    if name == "mobilenet":
        return mobilenet(classes, small)
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
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--amp", choices=["fp16", "bf16"], help="automatic mixed precision")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--cudnn-benchmark", action="store_true")
    p.add_argument(
        "--profile",
        action="store_true",
        help="time the steps under torch.profiler and print the slowest ops (self time) to stderr,"
        " beside `botui bench train --profile`",
    )
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.backends.cudnn.benchmark = a.cudnn_benchmark
    torch.manual_seed(0)
    device = torch.device(a.device)
    memory_format = torch.channels_last if a.channels_last else torch.contiguous_format
    model = build(a.model, a.classes, a.input <= 64).to(device, memory_format=memory_format).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4)
    x = torch.randn(a.batch, 3, a.input, a.input, device=device).to(memory_format=memory_format)
    y = torch.arange(a.batch, device=device) % a.classes
    loss_fn = nn.CrossEntropyLoss()
    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16, None: None}[a.amp]
    scaler = torch.amp.GradScaler(device.type) if a.amp == "fp16" else None
    skipped = 0

    def run(n: int) -> None:
        nonlocal skipped
        for _ in range(n):
            opt.zero_grad(set_to_none=True)
            with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
                loss = loss_fn(model(x), y)
            if scaler is None:
                loss.backward()
                opt.step()
            else:
                scale = scaler.get_scale()
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
                skipped += scaler.get_scale() < scale
        if device.type == "cuda":
            torch.cuda.synchronize()

    run(a.warmup)
    skipped = 0
    if a.profile:
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CPU]) as prof:
            start = time.perf_counter()
            run(a.steps)
            seconds = time.perf_counter() - start
        table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15)
        print(table, file=sys.stderr)
    else:
        start = time.perf_counter()
        run(a.steps)
        seconds = time.perf_counter() - start
    print(json.dumps({
        "model": a.model, "device": a.device, "input": a.input, "batch": a.batch,
        "threads": torch.get_num_threads(), "steps": a.steps, "seconds": seconds,
        "images_per_sec": a.steps * a.batch / seconds, "torch": torch.__version__,
        "precision": a.amp or "fp32", "channels_last": a.channels_last,
        "cudnn_benchmark": a.cudnn_benchmark, "skipped_steps": int(skipped),
    }))


if __name__ == "__main__":
    main()
