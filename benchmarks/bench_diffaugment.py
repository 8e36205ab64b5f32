"""DiffAugment speed: kornia-diffaug against the reference formulas and Kornia's nearest stock pipeline.

Run by hand: ``python benchmarks/bench_diffaugment.py [--repeats 20] [--device cpu|cuda|all]``.
Prints milliseconds per call (median) and ratios ``baseline / ours`` (> 1 means ours is faster).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import kornia.augmentation as K
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import fwd, fwd_bwd, time_call  # noqa: E402
from benchmarks.reference_diffaugment import reference_diff_augment  # noqa: E402
from kornia_diffaug import DiffAugment, diff_augment  # noqa: E402

SIZES = [(64, 3, 32, 32), (32, 3, 128, 128), (16, 3, 256, 256)]


def kornia_stock() -> K.AugmentationSequential:
    """Kornia's closest stock chain: colour jitter, affine translation, random erasing (all p=1)."""
    return K.AugmentationSequential(
        K.ColorJiggle(brightness=0.25, contrast=0.5, saturation=1.0, p=1.0),
        K.RandomAffine(degrees=0.0, translate=(0.125, 0.125), p=1.0),
        K.RandomErasing(scale=(0.25, 0.25), ratio=(1.0, 1.0), value=0.5, p=1.0),
    )


def per_op_overhead(repeats: int) -> None:
    """Each op's forward against the functional kernel it calls (the cost of being a Kornia module)."""
    import kornia_diffaug as kd
    from kornia_diffaug import functional as F

    x = torch.rand(64, 3, 32, 32)
    b = torch.zeros(64)
    t = torch.zeros(64, dtype=torch.long)
    rows = [
        (
            "RandomBrightnessShift",
            kd.RandomBrightnessShift(),
            lambda: F.brightness_shift(x, b),
            K.RandomBrightness(p=1.0),
        ),
        (
            "RandomSaturationScale",
            kd.RandomSaturationScale(),
            lambda: F.saturation_scale(x, b),
            K.RandomSaturation(p=1.0),
        ),
        ("RandomContrastScale", kd.RandomContrastScale(), lambda: F.contrast_scale(x, b), K.RandomContrast(p=1.0)),
        (
            "RandomIntegerTranslate",
            kd.RandomIntegerTranslate(),
            lambda: F.integer_translate(x, t, t),
            K.RandomTranslate(0.125, 0.125, p=1.0),
        ),
        ("RandomCutout", kd.RandomCutout(), lambda: F.cutout(x, t, t, t + 16, t + 16), K.RandomErasing(p=1.0)),
    ]
    print("\nper-op cost at 64x3x32x32, forward, ms (kornia stock op = nearest Kornia class)")
    print("| op | kernel | our op | op / kernel | kornia stock op |")
    print("|---|---|---|---|---|")
    cpu = torch.device("cpu")
    for name, op, kernel, stock in rows:
        k_ms = time_call(kernel, cpu, repeats=repeats)
        o_ms = time_call(fwd(op, x), cpu, repeats=repeats)
        s_ms = time_call(fwd(stock, x), cpu, repeats=repeats)
        print(f"| {name} | {k_ms:.3f} | {o_ms:.3f} | {o_ms / k_ms:.1f}x | {s_ms:.3f} |", flush=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--device", default="all", choices=["cpu", "cuda", "all"])
    args = ap.parse_args(argv)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    if args.device != "all":
        devices = [args.device]
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, policy color,translation,cutout")
    header = (
        "| device | B x C x H x W | pass | ours module ms | ours functional ms | reference ms | kornia stock ms "
        "| vs reference | vs kornia |"
    )
    print(header)
    print("|" + "---|" * 9)
    for dev_name in devices:
        dev = torch.device(dev_name)
        for shape in SIZES:
            x = torch.rand(shape, device=dev) * 2 - 1
            ours = DiffAugment(value_range=(-1.0, 1.0))
            stock = kornia_stock()
            cands = {
                "module": ours,
                "functional": lambda t: diff_augment(t),
                "reference": lambda t: reference_diff_augment(t),
                "kornia": lambda t, stock=stock: stock((t + 1) / 2),
            }
            for label, make in (("fwd", fwd), ("fwd+bwd", fwd_bwd)):
                ms = {k: time_call(make(f, x), dev, repeats=args.repeats) for k, f in cands.items()}
                print(
                    f"| {dev_name} | {'x'.join(map(str, shape))} | {label} | {ms['module']:.2f} | "
                    f"{ms['functional']:.2f} | {ms['reference']:.2f} | {ms['kornia']:.2f} | "
                    f"{ms['reference'] / ms['module']:.2f}x | {ms['kornia'] / ms['module']:.2f}x |",
                    flush=True,
                )
    per_op_overhead(args.repeats)


if __name__ == "__main__":
    main()
