"""ADA ``bgc``: ADAPipeline against Kornia's stock ops chained for the same transforms, Kornia's
``AdaptiveDiscriminatorAugmentation`` preset and (for scale) DiffAugment; plus the sharpness of one fused
resampling against several.

    python benchmarks/bench_ada.py [--repeats 9] [--threads 1,2] [--quick] [--device cpu|cuda]

Timing: forward + backward (loss ``mean(y^2)``, gradient to the input), at p = 0.2 and p = 1, 32x3x16x16,
64x3x32x32 and 16x3x256x256, at each thread count in one run. The pipelines run in rotating order within each
round (a shared, noisy machine hits them alike); printed are median ms and the median over rounds of
``other / ours`` (> 1: ours is faster; the DiffAugment column is ``ours / DiffAugment``, the cost of ADA in
DiffAugment calls). Memory: forward + backward, see ``benchmarks/_memory.py``.
Sharpness: PSNR of ``T^-1(T(x))`` against ``x`` (central crop) for random ``geom`` transforms, done as
one fused anti-aliased resampling each way (ours), one fused bilinear warp each way (Kornia ``warp_affine``),
and one bilinear warp per op (the four ops of ``geom`` one after another, as a chain of stock ops does).
Not a test.
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import warnings
from pathlib import Path

import kornia.augmentation as K
import torch
from kornia.augmentation.presets.ada import AdaptiveDiscriminatorAugmentation
from kornia.geometry.transform import warp_affine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._memory import fwd_bwd_memory, memory_label  # noqa: E402
from benchmarks._timing import fwd_bwd, interleaved, medians, ratio, thread_counts  # noqa: E402
from kornia_diffaug import ADAPipeline, DiffAugment  # noqa: E402
from kornia_diffaug.functional.ada import ada_resample  # noqa: E402
from kornia_diffaug.functional.ada.geometry import geometry_matrices  # noqa: E402


def kornia_chain(p: float) -> K.AugmentationSequential:
    """Stock Kornia ops for ADA's ``bgc`` transforms, each with ADA's per-op probability (one resampling each)."""
    p_rot = 1 - math.sqrt(1 - p)
    s, a = 2 ** (2 * 0.2), 2 ** (2 * 0.2)  # +-2 std of ADA's log-normal scales as uniform ranges
    return K.AugmentationSequential(
        K.RandomHorizontalFlip(p=p / 2),
        K.RandomRotation90(times=(0, 3), p=p),
        K.RandomAffine(degrees=0.0, translate=(0.125, 0.125), p=p),  # xint
        K.RandomAffine(degrees=0.0, scale=(1 / s, s), p=p),  # scale
        K.RandomRotation(degrees=180.0, p=p_rot),  # rotate (before aniso)
        K.RandomAffine(degrees=0.0, scale=(1 / a, a, 1 / a, a), p=p),  # aniso
        K.RandomRotation(degrees=180.0, p=p_rot),  # rotate (after aniso)
        K.RandomAffine(degrees=0.0, translate=(0.25, 0.25), p=p),  # xfrac
        K.ColorJiggle(brightness=0.2, contrast=0.5, saturation=0.5, hue=0.5, p=p),
        K.RandomInvert(p=p / 2),  # stands in for lumaflip
    )


def kornia_preset(p: float) -> AdaptiveDiscriminatorAugmentation:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return AdaptiveDiscriminatorAugmentation(initial_p=p, max_p=1.0)


def timing(repeats: int, quick: bool, device: torch.device) -> list[tuple]:
    """Rows ``(shape, p, ms of ours/chain/preset/DiffAugment, chain/ours, preset/ours, ours/DA, memory x3)``."""
    rows = []
    shapes = [(32, 3, 16, 16), (64, 3, 32, 32)] + ([] if quick else [(16, 3, 256, 256)])
    for shape in shapes:
        x = torch.rand(shape, device=device)
        for p in (0.2, 1.0):
            cands = [ADAPipeline("bgc", p=p, value_range=(0.0, 1.0)).to(device), kornia_chain(p).to(device),
                     kornia_preset(p).to(device), DiffAugment(value_range=(0.0, 1.0))]  # fmt: skip
            reps = repeats if shape[-1] <= 64 or device.type != "cpu" else max(3, repeats // 3)
            rounds = interleaved([fwd_bwd(c, x) for c in cands], reps, device)
            mem = [fwd_bwd_memory(c, x) for c in cands[:3]]
            rows.append(("x".join(map(str, shape)), p, *medians(rounds), ratio(rounds, 1), ratio(rounds, 2),
                         ratio(rounds, 0, 3), *mem))  # fmt: skip
    return rows


def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = (a - b).square().mean().item()
    return 10 * math.log10(1.0 / mse)


def test_image(size: int) -> torch.Tensor:
    try:
        from skimage.data import astronaut

        img = torch.from_numpy(astronaut()).permute(2, 0, 1).double() / 255
        return torch.nn.functional.interpolate(img[None], size=(size, size), mode="area")
    except Exception:  # pragma: no cover - no scikit-image: a smooth random texture
        g = torch.Generator().manual_seed(0)
        return torch.nn.functional.interpolate(torch.rand(1, 3, size // 8, size // 8, generator=g), size=size,
                                               mode="bicubic").clamp(0, 1).double()  # fmt: skip


def sharpness(n: int = 32, size: int = 128) -> dict[str, float]:
    x = test_image(size).expand(n, -1, -1, -1).contiguous()
    op = ADAPipeline("geom", p=1.0, generator=torch.Generator().manual_seed(1), scale_std=0.1, aniso_std=0.1,
                     rotate_max=0.1, xfrac_std=0.05)  # fmt: skip
    prm = op.sample(n, (size, size), op.generator, torch.device("cpu"))
    m, m_inv = geometry_matrices(prm, (size, size), torch.float64)
    crop = (..., slice(size // 4, 3 * size // 4), slice(size // 4, 3 * size // 4))
    ours = ada_resample(ada_resample(x, m_inv), m)  # resample under m_inv, then under its inverse m
    fused = warp_affine(warp_affine(x, m[:, :2], (size, size)), m_inv[:, :2], (size, size))
    y = x
    keys = ["scale", "rotate_pre", "aniso", "rotate_post", "xfrac"]
    mats = [geometry_matrices({k: prm[k]}, (size, size), torch.float64)[0] for k in keys]
    for a in mats:
        y = warp_affine(y, a[:, :2], (size, size))
    for a in reversed(mats):
        y = warp_affine(y, torch.linalg.inv(a)[:, :2], (size, size))
    return {
        "ours: 1 anti-aliased resampling each way": _psnr(ours[crop], x[crop]),
        "Kornia warp_affine: 1 bilinear warp each way (fused matrix)": _psnr(fused[crop], x[crop]),
        f"Kornia warp_affine: {len(keys)} bilinear warps each way (op by op)": _psnr(y[crop], x[crop]),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--threads", default="1,2", help="intra-op thread counts, comma-separated")
    ap.add_argument("--quick", action="store_true", help="16 and 32 px only")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = ap.parse_args()
    device = torch.device(args.device)
    print(f"# torch {torch.__version__}, {platform.processor() or platform.machine()}")
    for threads in thread_counts(args.threads):
        torch.set_num_threads(threads)
        where = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
        print(f"\n{where}, {threads} threads; memory: {memory_label(device)} ours / chain / preset")
        print("| batch | p | ours ms | Kornia chain ms | chain / ours | Kornia ADA preset ms | preset / ours "
              "| DiffAugment ms | ours / DiffAugment | memory |")  # fmt: skip
        print("|" + "---|" * 10)
        for shape, p, t0, t1, t2, t3, r1, r2, r3, m0, m1, m2 in timing(args.repeats, args.quick, device):
            print(f"| {shape} | {p} | {t0:.1f} | {t1:.1f} | {r1:.2f}x | {t2:.1f} | {r2:.2f}x | {t3:.1f} | {r3:.2f}x "
                  f"| {m0:.1f} / {m1:.1f} / {m2:.1f} |", flush=True)  # fmt: skip
    print("\n| round trip T^-1(T(x)), 128x128, central crop | PSNR dB |")
    print("|---|---|")
    for name, value in sharpness().items():
        print(f"| {name} | {value:.2f} |")


if __name__ == "__main__":
    main()
