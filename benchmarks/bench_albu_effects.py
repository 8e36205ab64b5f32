"""Per-image time of the pixel effects (weather, lighting, noise, compression, emboss, defocus, FancyPCA,
GlassBlur, RandomGridShuffle, AdditiveNoise): Albumentations
(CPU, one uint8 image at a time) against the mapped op (CPU, a float batch), at 224x224 by default.

    python benchmarks/bench_albu_effects.py [--size 224] [--batch 16] [--threads 1]

Prints one row per transform: ms per image for each and the ratio (ours / Albumentations). Not a test.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from kornia_diffaug.adapters.albumentations import from_albumentations

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._timing import best_of  # noqa: E402

CASES = {  # row label -> (transform, parameters)
    "ImageCompression": ("ImageCompression", {"quality_range": (50, 90)}),
    "RandomFog": ("RandomFog", {"fog_coef_range": (0.3, 1.0)}),
    "RandomRain": ("RandomRain", {}),
    "RandomSnow": ("RandomSnow", {}),
    "RandomShadow": ("RandomShadow", {}),
    "RandomSunFlare": ("RandomSunFlare", {}),
    "ISONoise": ("ISONoise", {}),
    "SaltAndPepper": ("SaltAndPepper", {}),
    "Emboss": ("Emboss", {}),
    "Defocus": ("Defocus", {}),
    "FancyPCA": ("FancyPCA", {"alpha": 0.1}),
    "GlassBlur fast": ("GlassBlur", {"sigma": 0.7, "max_delta": 4, "iterations": 2}),
    "GlassBlur exact": ("GlassBlur", {"sigma": 0.7, "max_delta": 4, "iterations": 2, "mode": "exact"}),
    "RandomGridShuffle": ("RandomGridShuffle", {"grid": (3, 3)}),
    "AdditiveNoise gauss": ("AdditiveNoise", {"noise_type": "gaussian", "spatial_mode": "per_pixel",
                                              "noise_params": {"mean_range": (0, 0), "std_range": (0.05, 0.1)}}),
    "AdditiveNoise beta": ("AdditiveNoise", {"noise_type": "beta", "spatial_mode": "shared"}),
}


def main() -> None:
    import albumentations as A

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    u = rng.integers(0, 256, (args.batch, args.size, args.size, 3), dtype=np.uint8)
    x = torch.from_numpy(u).permute(0, 3, 1, 2).float() / 255
    print(f"{args.size}x{args.size}, batch {args.batch}, {args.threads} thread(s)")
    print(f"{'case':20s} {'albumentations ms':>18s} {'ours ms':>9s} {'ratio':>7s}")
    for label, (name, case) in CASES.items():
        cfg = {"transform": {"__class_fullname__": name, "p": 1.0, **case}}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = A.from_dict(cfg)
        pipe = from_albumentations(cfg, generator=torch.Generator().manual_seed(0))
        ta = best_of(lambda t=t: [t(image=img) for img in u], args.repeats) / args.batch

        def ours(pipe=pipe):
            with torch.no_grad():
                pipe(x)

        tk = best_of(ours, args.repeats) / args.batch
        print(f"{label:20s} {ta * 1e3:18.2f} {tk * 1e3:9.2f} {tk / ta:7.2f}")


if __name__ == "__main__":
    main()
