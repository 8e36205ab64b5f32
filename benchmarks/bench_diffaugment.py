"""DiffAugment speed and memory: kornia-diffaug against the reference formulas and Kornia's nearest stock pipeline.

Run by hand: ``python benchmarks/bench_diffaugment.py [--repeats 15] [--threads 1,2] [--device cpu|cuda|all]``.
Every row at each thread count in one run. Timing: the candidates run in rotating order within each round
(load spikes on a shared machine hit them alike); printed are median ms and the median over rounds of
``baseline / ours`` (> 1: ours is faster). "passes": forward + backward of our module alone (the upstream
gradient given, no loss) divided by the time of ``x.add_(1)`` on the same tensor, i.e. the cost in
elementwise read+write passes over the image. Memory: see ``benchmarks/_memory.py``. Not a test.
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

import kornia.augmentation as K
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._memory import fwd_bwd_memory, memory_label  # noqa: E402
from benchmarks._timing import (  # noqa: E402
    fwd,
    fwd_bwd,
    fwd_bwd_upstream,
    interleaved,
    medians,
    ratio,
    thread_counts,
    time_call,
)
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
        ("RandomBrightnessShift", kd.RandomBrightnessShift(), lambda: F.brightness_shift(x, b),
         K.RandomBrightness(p=1.0)),
        ("RandomSaturationScale", kd.RandomSaturationScale(), lambda: F.saturation_scale(x, b),
         K.RandomSaturation(p=1.0)),
        ("RandomContrastScale", kd.RandomContrastScale(), lambda: F.contrast_scale(x, b), K.RandomContrast(p=1.0)),
        ("RandomIntegerTranslate", kd.RandomIntegerTranslate(), lambda: F.integer_translate(x, t, t),
         K.RandomTranslate(0.125, 0.125, p=1.0)),
        ("RandomCutout", kd.RandomCutout(), lambda: F.cutout(x, t, t, t + 16, t + 16), K.RandomErasing(p=1.0)),
    ]  # fmt: skip
    print(f"\nper-op cost at 64x3x32x32, forward, ms, {torch.get_num_threads()} threads (stock = nearest Kornia class)")
    print("| op | kernel | our op | op / kernel | kornia stock op |")
    print("|---|---|---|---|---|")
    cpu = torch.device("cpu")
    for name, op, kernel, stock in rows:
        k_ms = time_call(kernel, cpu, repeats=repeats)
        o_ms = time_call(fwd(op, x), cpu, repeats=repeats)
        s_ms = time_call(fwd(stock, x), cpu, repeats=repeats)
        print(f"| {name} | {k_ms:.3f} | {o_ms:.3f} | {o_ms / k_ms:.1f}x | {s_ms:.3f} |", flush=True)


def table(dev: torch.device, repeats: int) -> None:
    print(f"\n{dev.type}, {torch.get_num_threads()} threads; memory: {memory_label(dev)}, forward + backward")
    print("| B x C x H x W | pass | ours module ms | ours functional ms | reference ms | kornia stock ms "
          "| vs reference | vs kornia | passes (ours) | memory ours / reference / kornia |")  # fmt: skip
    print("|" + "---|" * 10)
    for shape in SIZES:
        x = torch.rand(shape, device=dev) * 2 - 1
        stock = kornia_stock()
        cands = [DiffAugment(value_range=(-1.0, 1.0)), lambda t: diff_augment(t), reference_diff_augment,
                 lambda t, stock=stock: stock((t + 1) / 2)]  # fmt: skip
        scratch = x.clone()
        add_ms = time_call(lambda scratch=scratch: scratch.add_(1), dev, repeats=repeats)
        alone = medians(interleaved([fwd_bwd_upstream(cands[0], x)], repeats, dev))[0]
        mem = [fwd_bwd_memory(c, x) for c in (cands[0], cands[2], cands[3])]
        for label, make in (("fwd", fwd), ("fwd+bwd", fwd_bwd)):
            rounds = interleaved([make(c, x) for c in cands], repeats, dev)
            ms = medians(rounds)
            extra = (f"{alone / add_ms:.1f} | {mem[0]:.1f} / {mem[1]:.1f} / {mem[2]:.1f}" if label == "fwd+bwd"
                     else " | ")  # fmt: skip
            print(f"| {'x'.join(map(str, shape))} | {label} | {ms[0]:.2f} | {ms[1]:.2f} | {ms[2]:.2f} | {ms[3]:.2f} | "
                  f"{ratio(rounds, 2):.2f}x | {ratio(rounds, 3):.2f}x | {extra} |", flush=True)  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", default="1,2", help="intra-op thread counts, comma-separated")
    ap.add_argument("--device", default="all", choices=["cpu", "cuda", "all"])
    ap.add_argument("--no-per-op", action="store_true", help="skip the per-op overhead table")
    args = ap.parse_args(argv)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    if args.device != "all":
        devices = [args.device]
    print(f"# torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          "policy color,translation,cutout")  # fmt: skip
    for threads in thread_counts(args.threads):
        torch.set_num_threads(threads)
        for dev_name in devices:
            table(torch.device(dev_name), args.repeats)
        if not args.no_per_op and "cpu" in devices:
            per_op_overhead(args.repeats)


if __name__ == "__main__":
    main()
