#!/usr/bin/env python3
"""The paper's training transform with torchvision + PIL, for `botui bench data`.

Same files, same thread count, same batch size (32), same timing rule (the first batch is a
warm-up; images/s is measured from its arrival to the end) as `botui bench data`. Also
reported: images per CPU-second (all images over the CPU time of this process and its
worker processes during the loop), which a busy machine disturbs less than wall time.

Pipeline (PAPER.md section 1), torchvision's closest equivalents:
  decode (PIL) -> RandomResizedCrop(size, scale=(0.08, 1), ratio=(3/4, 4/3))
  -> RandomHorizontalFlip -> ColorJitter -> ToTensor -> lighting (a small tensor op)
  -> Normalize.
Differences that are torchvision's, not botui's:
  * RandomResizedCrop draws the aspect ratio log-uniformly; botui uniformly (as the paper).
  * Hue: the paper scales hue by U[0.6, 1.4]; botui (like MXNet/GluonCV) rotates the YIQ
    chroma plane by (h - 1) * pi, i.e. up to +/- 72 degrees. The closest torchvision knob is
    ColorJitter(hue=0.2): an HSV hue shift of up to +/- 0.2 turn = 72 degrees.
  * --jitter paper (default): ColorJitter(brightness=0.4, saturation=0.4, hue=0.2), the
    paper's three; --jitter bcs: ColorJitter(0.4, 0.4, 0.4) = brightness, contrast,
    saturation, the common ImageNet recipe (and GluonCV's actual code), no hue, which is
    cheaper in torchvision because its hue step goes through HSV with numpy.

Usage: data_torchvision.py --dir DIR [--threads T] [--size 224] [--images 512] [--batch 32]
"""
import argparse
import glob
import json
import os
import resource
import time

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

EIGVAL = torch.tensor([0.2175, 0.0188, 0.0045])
EIGVEC = torch.tensor([[-0.5675, 0.7192, 0.4009],
                       [-0.5808, -0.0045, -0.8140],
                       [-0.5836, -0.6948, 0.4203]])


class Lighting:
    """AlexNet PCA lighting on a [0, 1] tensor: + V (alpha * lambda), alpha ~ N(0, std)."""

    def __init__(self, std):
        self.std = std

    def __call__(self, img):
        alpha = torch.randn(3) * self.std
        rgb = EIGVEC @ (alpha * EIGVAL)
        return img + rgb.view(3, 1, 1)


class Files(Dataset):
    def __init__(self, files, n, transform):
        self.files, self.n, self.transform = files, n, transform

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        with open(self.files[i % len(self.files)], "rb") as f:
            img = Image.open(f).convert("RGB")
        return self.transform(img), 0


def one_thread_each(_):
    torch.set_num_threads(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--images", type=int, default=512)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--jitter", choices=["paper", "bcs"], default="paper")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()

    files = sorted(f for ext in ("jpg", "jpeg", "png", "JPEG")
                   for f in glob.glob(os.path.join(a.dir, "**", f"*.{ext}"), recursive=True))
    if not files:
        raise SystemExit(f"{a.dir}: no images")
    jitter = (transforms.ColorJitter(brightness=0.4, saturation=0.4, hue=0.2) if a.jitter == "paper"
              else transforms.ColorJitter(0.4, 0.4, 0.4))
    transform = transforms.Compose([
        transforms.RandomResizedCrop(a.size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)),
        transforms.RandomHorizontalFlip(),
        jitter,
        transforms.ToTensor(),
        Lighting(0.1),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    torch.set_num_threads(1)
    total = a.images + a.batch  # one warm-up batch, as botui
    loader = DataLoader(Files(files, total, transform), batch_size=a.batch, shuffle=False,
                        num_workers=a.threads, worker_init_fn=one_thread_each,
                        prefetch_factor=2, persistent_workers=False)
    def cpu():
        # This process and its (finished, reaped) DataLoader worker processes.
        s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime

    cpu_before = cpu()
    started, timed, seen = None, 0, 0
    for images, _ in loader:
        seen += images.shape[0]
        if started is None:
            started = time.perf_counter()
        else:
            timed += images.shape[0]
    secs = time.perf_counter() - started
    del loader  # workers have exited once the iterator is exhausted
    per_cpu_sec = seen / (cpu() - cpu_before)
    rate = timed / secs
    if a.json:
        print(json.dumps({"threads": a.threads, "images": timed, "seconds": secs,
                          "images_per_sec": rate, "images_per_cpu_sec": per_cpu_sec,
                          "jitter": a.jitter}))
    else:
        print(f"torchvision {a.jitter} jitter: {timed} images in {secs:.2f} s on {a.threads} "
              f"worker(s): {rate:.1f} images/s; {per_cpu_sec:.1f} images per CPU-second")


if __name__ == "__main__":
    main()
