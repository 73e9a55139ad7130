#!/usr/bin/env python3
"""Fashion-MNIST as an ImageFolder that botui reads (`--data imagefolder:OUT`): real photographs
of clothes (Zalando's product images, 28 x 28 gray), 10 classes, named.

The images come from Debian's `dataset-fashion-mnist` package, which ships the four IDX files
of Fashion-MNIST (github.com/zalandoresearch/fashion-mnist, MIT licence) in
/usr/share/datasets/fashion-mnist:

    apt-get install dataset-fashion-mnist      # 0.0~git20200523.55506a9-1 when this was written
    scripts/fashion-mnist-imagefolder.py --out ~/data/fashion-mnist-2k --train-per-class 200 --val-per-class 100

The first N training images of each class go to train/<class>/, the first M test images of
each class to val/<class>/, as 8-bit gray PNGs; the same arguments always give the same folder.
(botui also reads the IDX files directly, `--data mnist:/usr/share/datasets/fashion-mnist`, with
all 60,000 + 10,000 images and classes named 0-9; this script makes a smaller, named subset.)
Only the Python standard library is used.
"""

import argparse
import gzip
import struct
import subprocess
import sys
import zlib
from pathlib import Path

CLASSES = [
    "t-shirt-top", "trouser", "pullover", "dress", "coat",
    "sandal", "shirt", "sneaker", "bag", "ankle-boot",
]


def read_idx(path: Path, magic: int, dims: int):
    with gzip.open(path, "rb") as f:
        data = f.read()
    got, = struct.unpack(">I", data[:4])
    if got != magic:
        sys.exit(f"{path}: magic {got:#x}, expected {magic:#x}")
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]


def png_gray(width: int, height: int, pixels: bytes) -> bytes:
    """An 8-bit grayscale PNG (no filter)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def export(src: Path, prefix: str, per_class: int, out: Path) -> None:
    (n, rows, cols), pixels = read_idx(src / f"{prefix}-images-idx3-ubyte.gz", 0x803, 3)
    (m,), labels = read_idx(src / f"{prefix}-labels-idx1-ubyte.gz", 0x801, 1)
    if n != m:
        sys.exit(f"{src}: {n} images but {m} labels")
    taken = [0] * len(CLASSES)
    size = rows * cols
    for i in range(n):
        label = labels[i]
        if taken[label] >= per_class:
            continue
        folder = out / CLASSES[label]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{prefix}-{i:05d}.png").write_bytes(
            png_gray(cols, rows, pixels[i * size:(i + 1) * size]))
        taken[label] += 1
        if min(taken) >= per_class:
            break
    if min(taken) < per_class:
        sys.exit(f"{prefix}: only {min(taken)} images in some class, {per_class} asked")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--src", type=Path, default=Path("/usr/share/datasets/fashion-mnist"))
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--train-per-class", type=int, default=1000)
    p.add_argument("--val-per-class", type=int, default=200)
    a = p.parse_args()
    if not (a.src / "train-images-idx3-ubyte.gz").is_file():
        sys.exit(f"{a.src}: no Fashion-MNIST; `apt-get install dataset-fashion-mnist` puts it there")
    export(a.src, "train", a.train_per_class, a.out / "train")
    export(a.src, "t10k", a.val_per_class, a.out / "val")
    try:
        version = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "dataset-fashion-mnist"],
                                 capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        version = "unknown (not installed through dpkg)"
    (a.out / "SOURCE.txt").write_text(
        f"Fashion-MNIST from Debian's dataset-fashion-mnist {version} ({a.src}): "
        f"the first {a.train_per_class} training and {a.val_per_class} test images of each class.\n")
    print(f"{a.out}: {10 * a.train_per_class} training and {10 * a.val_per_class} validation "
          f"images in 10 classes (dataset-fashion-mnist {version})")


if __name__ == "__main__":
    main()
