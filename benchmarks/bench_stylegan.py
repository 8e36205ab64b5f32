"""The StyleGAN drop-in ``AugmentPipe`` against the ``ADAPipeline`` it is built on (the cost of the adapter), and
the cost of an R1 step through it (forward, gradient with ``create_graph``, double backward).

    python benchmarks/bench_stylegan.py [--repeats 15] [--threads N] [--quick]

Timing: median ms of forward + backward (loss ``mean(y^2)``, gradient to the input) at p = 0.2 and p = 1, preset
``bgc``, 64x3x32x32 and 16x3x128x128, the two pipelines in rotating order within each round; printed is the
median over rounds of ``ADAPipeline / AugmentPipe`` (1.00: the drop-in costs nothing extra). Not a test.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import fwd_bwd  # noqa: E402
from kornia_diffaug import ADAPipeline  # noqa: E402
from kornia_diffaug.stylegan import AugmentPipe, augpipe_specs  # noqa: E402


def _rounds(fns: list, repeats: int) -> list[list[float]]:
    for fn in fns:
        fn()
    out = []
    for r in range(repeats):
        times = [0.0] * len(fns)
        for j in range(len(fns)):
            i = (j + r) % len(fns)
            t0 = time.perf_counter()
            fns[i]()
            times[i] = (time.perf_counter() - t0) * 1e3
        out.append(times)
    return out


def r1_step(aug: torch.nn.Module, x: torch.Tensor, d: torch.nn.Module):
    def run() -> None:
        leaf = x.detach().requires_grad_(True)
        logits = d(aug(leaf))
        (g,) = torch.autograd.grad(logits.sum(), leaf, create_graph=True)
        g.square().sum().backward()

    return run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="one small shape, 3 repeats")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    repeats = 3 if args.quick else args.repeats
    shapes = [(64, 3, 32, 32)] if args.quick else [(64, 3, 32, 32), (16, 3, 128, 128)]
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, {args.threads} thread(s)")
    print(f"{'shape':>18} {'p':>4} {'ADAPipeline ms':>15} {'AugmentPipe ms':>15} {'ratio':>6}")
    for shape in shapes:
        x = torch.rand(shape) * 2 - 1
        for p in (0.2, 1.0):
            ours = AugmentPipe(**augpipe_specs["bgc"], generator=torch.Generator().manual_seed(0))
            ours.p.copy_(torch.as_tensor(p))
            base = ADAPipeline("bgc", p=p, generator=torch.Generator().manual_seed(0))
            rounds = _rounds([fwd_bwd(base, x), fwd_bwd(ours, x)], repeats)
            b, o = (statistics.median(r[i] for r in rounds) for i in range(2))
            ratio = statistics.median(r[0] / r[1] for r in rounds)
            print(f"{'x'.join(map(str, shape)):>18} {p:>4} {b:>15.1f} {o:>15.1f} {ratio:>6.2f}")
    x = torch.rand(shapes[0]) * 2 - 1
    d = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.Softplus(), torch.nn.AdaptiveAvgPool2d(1),
                            torch.nn.Flatten(), torch.nn.Linear(16, 1))  # fmt: skip
    ours = AugmentPipe(**augpipe_specs["bgc"], generator=torch.Generator().manual_seed(0))
    ours.p.copy_(torch.as_tensor(0.6))
    rounds = _rounds([r1_step(ours, x, d), r1_step(torch.nn.Identity(), x, d)], repeats)
    with_aug, without = (statistics.median(r[i] for r in rounds) for i in range(2))
    print(f"R1 step (forward, create_graph gradient, double backward) {'x'.join(map(str, shapes[0]))}, p=0.6: "
          f"{with_aug:.1f} ms through AugmentPipe, {without:.1f} ms without augmentation")  # fmt: skip


if __name__ == "__main__":
    main()
