"""ADA ``bgc``: ADAPipeline against Kornia's stock ops chained for the same transforms and against Kornia's
``AdaptiveDiscriminatorAugmentation`` preset; plus the sharpness of one fused resampling against several.

    python benchmarks/bench_ada.py [--repeats 7] [--threads N] [--quick] [--device cpu|cuda]

Timing: forward + backward (loss ``mean(y^2)``, gradient to the input), at p = 0.2 and p = 1, 64x3x32x32 and
16x3x256x256. The three pipelines run in rotating order within each round (a shared, noisy machine hits them
alike); printed are median ms and the median over rounds of ``other / ours`` (> 1: ours is faster).
Sharpness: PSNR of ``T^-1(T(x))`` against ``x`` (central crop) for random ``geom`` transforms, done as
one fused anti-aliased resampling each way (ours), one fused bilinear warp each way (Kornia ``warp_affine``),
and one bilinear warp per op (the four ops of ``geom`` one after another, as a chain of stock ops does).
Not a test.
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import kornia.augmentation as K
import torch
from kornia.augmentation.presets.ada import AdaptiveDiscriminatorAugmentation
from kornia.geometry.transform import warp_affine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import fwd_bwd, sync  # noqa: E402
from kornia_diffaug import ADAPipeline  # noqa: E402
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


def _interleaved(fns: list, repeats: int, device: torch.device, warmup: int = 2) -> list[list[float]]:
    """Per-round wall times (ms) of each closure, run in rotating order so load spikes hit all of them alike."""
    for fn in fns:
        for _ in range(warmup):
            fn()
    sync(device)
    rounds = []
    for r in range(repeats):
        times = [0.0] * len(fns)
        for j in range(len(fns)):
            i = (j + r) % len(fns)
            t0 = time.perf_counter()
            fns[i]()
            sync(device)
            times[i] = (time.perf_counter() - t0) * 1e3
        rounds.append(times)
    return rounds


def timing(
    repeats: int, quick: bool, device: torch.device
) -> list[tuple[str, float, float, float, float, float, float]]:
    """Rows ``(shape, p, ours ms, chain ms, chain/ours, preset ms, preset/ours)``: medians over rounds."""
    rows = []
    shapes = [(64, 3, 32, 32)] + ([] if quick else [(16, 3, 256, 256)])
    for shape in shapes:
        x = torch.rand(*shape, device=device)
        for p in (0.2, 1.0):
            ours = ADAPipeline("bgc", p=p, value_range=(0.0, 1.0)).to(device)
            reps = repeats if shape[-1] <= 64 or device.type != "cpu" else max(3, repeats // 2)
            fns = [fwd_bwd(ours, x), fwd_bwd(kornia_chain(p).to(device), x), fwd_bwd(kornia_preset(p).to(device), x)]
            rounds = _interleaved(fns, reps, device)
            med = [statistics.median(r[i] for r in rounds) for i in range(3)]
            ratio = [statistics.median(r[i] / r[0] for r in rounds) for i in (1, 2)]
            rows.append(("x".join(map(str, shape)), p, med[0], med[1], ratio[0], med[2], ratio[1]))
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
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="32x32 only")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} threads, CPU"
    print(f"# torch {torch.__version__}, {platform.processor() or platform.machine()}, {where}")
    print("| batch | p | ours ms | Kornia chain ms | chain / ours | Kornia ADA preset ms | preset / ours |")
    print("|---|---|---|---|---|---|---|")
    for shape, p, t_ours, t_chain, r_chain, t_preset, r_preset in timing(args.repeats, args.quick, device):
        print(f"| {shape} | {p} | {t_ours:.1f} | {t_chain:.1f} | {r_chain:.2f}x | {t_preset:.1f} | {r_preset:.2f}x |")
    print("\n| round trip T^-1(T(x)), 128x128, central crop | PSNR dB |")
    print("|---|---|")
    for name, value in sharpness().items():
        print(f"| {name} | {value:.2f} |")


if __name__ == "__main__":
    main()
