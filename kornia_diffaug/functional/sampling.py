"""Parameter samplers shared by the ops, :func:`diff_augment` and the ``nn`` modules.

Every draw comes from an explicit ``torch.Generator`` (or torch's default one when ``None``), on the
generator's device, so a seeded generator reproduces the same parameters for ops and the one-call policy.
"""

from __future__ import annotations

import torch

__all__ = ["beta", "cutout_boxes", "cutout_size", "draw_device", "translate_extent", "translate_shifts", "uniform"]


def draw_device(generator: torch.Generator | None, device: torch.device | str | None) -> torch.device:
    """Device on which to draw: the generator's own device, else ``device`` (default CPU)."""
    if generator is not None:
        return generator.device
    return torch.device(device) if device is not None else torch.device("cpu")


def uniform(
    n: int,
    low: float,
    high: float,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """``n`` float32 draws from ``U(low, high)``."""
    dev = draw_device(generator, device)
    return torch.rand(n, generator=generator, device=dev) * (high - low) + low


def translate_extent(size: int, ratio: float) -> int:
    """Largest shift of DiffAugment's translation for one axis: ``int(size * ratio + 0.5)``."""
    return int(size * ratio + 0.5)


def cutout_size(size: int, ratio: float) -> int:
    """Side of DiffAugment's cutout for one axis: ``int(size * ratio + 0.5)``."""
    return int(size * ratio + 0.5)


def translate_shifts(
    n: int,
    size: tuple[int, int],
    ratio: float,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Integer shifts ``(tx, ty)``, each uniform over ``[-s, s]`` with ``s = int(side * ratio + 0.5)``.

    Returns two ``(n,)`` int64 tensors: along the width and along the height. The draws are made in the
    reference release's order (height first) and negated, because its index arithmetic moves the content
    by minus the draw; so a seeded generator reproduces the reference output exactly.
    """
    h, w = size
    dev = draw_device(generator, device)
    sy, sx = translate_extent(h, ratio), translate_extent(w, ratio)
    ty = torch.randint(-sy, sy + 1, (n,), generator=generator, device=dev)
    tx = torch.randint(-sx, sx + 1, (n,), generator=generator, device=dev)
    return -tx, -ty


def cutout_boxes(
    n: int,
    size: tuple[int, int],
    ratio: float,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    holes: int = 1,
) -> dict[str, torch.Tensor]:
    """DiffAugment cutout boxes: side ``int(side * ratio + 0.5)``, centre ``c ~ randint(0, side + 1 - size % 2)``.

    The rectangle covers ``[c - size // 2, c - size // 2 + size)`` on each axis, clipped later at the border.
    Returns int64 ``top``, ``left``, ``height``, ``width`` of shape ``(n,)`` (``holes == 1``) or ``(n, holes)``.
    """
    h, w = size
    dev = draw_device(generator, device)
    ch, cw = cutout_size(h, ratio), cutout_size(w, ratio)
    shape = (n,) if holes == 1 else (n, holes)
    cy = torch.randint(0, h + 1 - ch % 2, shape, generator=generator, device=dev)
    cx = torch.randint(0, w + 1 - cw % 2, shape, generator=generator, device=dev)
    return {
        "top": cy - ch // 2,
        "left": cx - cw // 2,
        "height": torch.full(shape, ch, dtype=torch.long, device=dev),
        "width": torch.full(shape, cw, dtype=torch.long, device=dev),
    }


def beta(shape: tuple[int, ...], alpha: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """CPU float32 draws from ``Beta(alpha, alpha)`` as ``G1 / (G1 + G2)``, ``G ~ Gamma(alpha, 1)`` in float64.

    float64 keeps small ``alpha`` (e.g. MixStyle's 0.1) from underflowing both gammas to 0. The ``nn`` modules
    draw on the CPU because they make Python-level choices from the draws (no accelerator sync).
    """
    conc = torch.full((2, *shape), alpha, dtype=torch.float64)
    g = torch._standard_gamma(conc, generator=generator)
    lam = g[0] / (g[0] + g[1])
    return torch.nan_to_num(lam, nan=0.5).float()
