"""Images/s of Albumentations (CPU, one image at a time, as users run it) against the same config loaded with
``from_albumentations`` and run batched in Kornia (CPU, and CUDA when present), at 224x224.

    python benchmarks/bench_albumentations.py [--batch 64] [--images 256] [--threads N]

Prints one row per config and device with images/s and the ratio to Albumentations. Not a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from kornia_diffaug.adapters.albumentations import from_albumentations

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {"classification": ROOT / "examples/configs/classification.json",
           "simclr": ROOT / "examples/configs/simclr.json"}


def _albu_rate(path: Path, images: np.ndarray, repeats: int) -> float:
    import albumentations as A

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = A.load(str(path))
    for u in images[:8]:
        t(image=u)
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        for u in images:
            t(image=u)
        best = max(best, len(images) / (time.perf_counter() - t0))
    return best


def _kornia_rate(path: Path, images: np.ndarray, batch: int, device: str, repeats: int) -> float:
    pipe = from_albumentations(path).to(device)
    x = torch.from_numpy(images).permute(0, 3, 1, 2).to(device).float().div(255)
    chunks = list(x.split(batch))
    with torch.no_grad():
        pipe(chunks[0])
        best = 0.0
        for _ in range(repeats):
            if device == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            for c in chunks:
                pipe(c)
            if device == "cuda":
                torch.cuda.synchronize()
            best = max(best, len(images) / (time.perf_counter() - t0))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--images", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (args.images, 224, 224, 3), dtype=np.uint8)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs visible, torch threads "
          f"{torch.get_num_threads()}, torch {torch.__version__}"
          + (f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""))
    print(f"# {args.images} images 224x224, Kornia batch {args.batch}, best of {args.repeats}")
    print(f"{'config':<16}{'albumentations img/s':>22}{'device':>8}{'kornia img/s':>14}{'ratio':>8}")
    for name, path in CONFIGS.items():
        a = _albu_rate(path, images, args.repeats)
        for dev in devices:
            k = _kornia_rate(path, images, args.batch, dev, args.repeats)
            print(f"{name:<16}{a:>22.0f}{dev:>8}{k:>14.0f}{k / a:>8.2f}")


if __name__ == "__main__":
    main()
