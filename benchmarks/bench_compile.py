"""Eager against ``torch.compile``: DiffAugment, ADAPipeline and a loaded Albumentations pipeline.

Run by hand: ``python benchmarks/bench_compile.py [--repeats 20] [--backends inductor,aot_eager] [--threads 1,2]``.
Prints the one-off compile time (the first call) and milliseconds per forward call (median), and the ratio
``eager / compiled`` (> 1 means compiling pays). Inductor runs with ``fallback_random`` so its draws are eager's.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch._dynamo as dynamo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import fwd, time_call  # noqa: E402
from kornia_diffaug import ADAPipeline, DiffAugment, from_albumentations  # noqa: E402

LOADED = {"__class_fullname__": "Compose", "p": 1.0, "transforms": [
    {"__class_fullname__": "HorizontalFlip", "p": 0.5},
    {"__class_fullname__": "GaussianBlur", "p": 0.5, "blur_limit": [3, 5]},
    {"__class_fullname__": "RandomBrightnessContrast", "p": 0.5},
    {"__class_fullname__": "HueSaturationValue", "p": 0.5},
]}


def cases() -> list[tuple[str, torch.nn.Module, torch.Tensor]]:
    return [
        ("DiffAugment color,translation,cutout", DiffAugment(), torch.rand(64, 3, 32, 32) * 2 - 1),
        ("ADAPipeline bgc p=0.6", ADAPipeline("bgc", p=0.6), torch.rand(16, 3, 64, 64) * 2 - 1),
        ("loaded flip/blur/brightness/HSV", from_albumentations(LOADED), torch.rand(32, 3, 64, 64)),
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--backends", default="inductor,aot_eager")
    ap.add_argument("--threads", default="1,2")
    args = ap.parse_args()
    import torch._inductor.config as inductor_config

    inductor_config.fallback_random = True
    cpu = torch.device("cpu")
    print(f"torch {torch.__version__}, CPU; ms per forward call (median of {args.repeats})")
    print(f"{'threads':>7} {'module':<36} {'backend':<10} {'compile s':>9} {'eager ms':>9} {'comp ms':>9} {'ratio':>6}")
    for threads in (int(t) for t in args.threads.split(",")):
        torch.set_num_threads(threads)
        for name, module, x in cases():
            eager = time_call(fwd(module, x), cpu, args.repeats)
            for backend in args.backends.split(","):
                dynamo.reset()
                compiled = torch.compile(module, backend=backend)
                t0 = time.perf_counter()
                with torch.no_grad():
                    compiled(x)
                first = time.perf_counter() - t0
                ms = time_call(fwd(compiled, x), cpu, args.repeats)
                print(f"{threads:>7} {name:<36} {backend:<10} {first:>9.1f} {eager:>9.2f} {ms:>9.2f} "
                      f"{eager / ms:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
