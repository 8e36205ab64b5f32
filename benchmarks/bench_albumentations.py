"""Images/s of Albumentations (CPU, one image at a time, as users run it) against the same config loaded with
``from_albumentations`` and run batched in Kornia (CPU, and CUDA when present), at 224x224.

    python benchmarks/bench_albumentations.py [--batch 64] [--images 256] [--threads N] [--top10]

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


# The 10 transforms real configs use most (tests/adapters/wild/), each alone at p=1 with typical parameters.
TOP10 = {
    "Resize": {"height": 192, "width": 192},
    "HorizontalFlip": {},
    "Normalize": {},
    "RandomBrightnessContrast": {},
    "ShiftScaleRotate": {"border_mode": 0},
    "RandomCrop": {"height": 192, "width": 192},
    "HueSaturationValue": {},
    "CoarseDropout": {"num_holes_range": (4, 8), "hole_height_range": (8, 24), "hole_width_range": (8, 24)},
    "GaussNoise": {},
    "Rotate": {"limit": (-30, 30), "border_mode": 0},
}


def _one(name: str, params: dict) -> dict:
    return {"transform": {"__class_fullname__": "Compose", "p": 1.0,
                          "transforms": [{"__class_fullname__": name, "p": 1.0, **params}]}}


def _albu_rate(cfg: Path | dict, images: np.ndarray, repeats: int) -> float:
    import albumentations as A

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = A.load(str(cfg)) if isinstance(cfg, Path) else A.from_dict(cfg)
    for u in images[:8]:
        t(image=u)
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        for u in images:
            t(image=u)
        best = max(best, len(images) / (time.perf_counter() - t0))
    return best


def _kornia_rate(cfg: Path | dict, images: np.ndarray, batch: int, device: str, repeats: int) -> float:
    pipe = from_albumentations(cfg).to(device)
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
    ap.add_argument("--threads", type=int, default=None,
                    help="torch and OpenCV CPU threads (default: each library's choice)")
    ap.add_argument("--top10", action="store_true", help="also one row per transform of the 10 most used")
    args = ap.parse_args()
    if args.threads:
        import cv2  # Albumentations' kernels: the same thread count on both sides

        torch.set_num_threads(args.threads)
        cv2.setNumThreads(args.threads)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (args.images, 224, 224, 3), dtype=np.uint8)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs visible, torch threads "
          f"{torch.get_num_threads()}, torch {torch.__version__}"
          + (f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""))
    print(f"# {args.images} images 224x224, Kornia batch {args.batch}, best of {args.repeats}")
    print(f"{'config / transform':<26}{'albu img/s':>12}{'device':>8}{'kornia img/s':>14}{'ratio':>8}")
    rows: dict[str, Path | dict] = dict(CONFIGS)
    if args.top10:
        rows.update({name: _one(name, params) for name, params in TOP10.items()})
    for name, cfg in rows.items():
        a = _albu_rate(cfg, images, args.repeats)
        for dev in devices:
            k = _kornia_rate(cfg, images, args.batch, dev, args.repeats)
            print(f"{name:<26}{a:>12.0f}{dev:>8}{k:>14.0f}{k / a:>8.2f}")


if __name__ == "__main__":
    main()
