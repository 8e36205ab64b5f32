"""Smooth, spatially correlated noise fields: low-resolution Gaussian grids upsampled and summed over octaves.

Pure functions of the image and explicit noise grids (the randomness lives in the op's sampler). The field is
``N(u, v) = sum_k a_k U_k(G_k)(u, v) / sqrt(sum_k a_k^2)`` with ``a_k = persistence**k``, ``G_k`` an i.i.d.
standard normal grid of ``cells * 2**k`` values per axis (clipped at the side) and ``U_k`` a bicubic or
bilinear upsampling to the image size; it has about unit standard deviation at the grid nodes. It is low-pass:
for one octave about 90% of the power lies below ``cells`` cycles per image and under 5% (the interpolation
kernel's side lobes) above ``2 * cells``, against 95% there for white noise.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from .._validate import check_choice, check_image
from ._broadcast import per_sample

__all__ = ["noise_grid_sizes", "noise_field", "add_noise_field", "NOISE_MODES"]

NOISE_MODES = ("bicubic", "bilinear")


def noise_grid_sizes(size: tuple[int, int], cells: tuple[int, int], octaves: int) -> list[tuple[int, int]]:
    """Grid shape of each octave: ``(min(cells_h * 2**k, H), min(cells_w * 2**k, W))`` for ``k < octaves``."""
    h, w = size
    ch, cw = cells
    return [(max(1, min(ch << k, h)), max(1, min(cw << k, w))) for k in range(octaves)]


def noise_field(
    grids: Sequence[torch.Tensor],
    size: tuple[int, int],
    mode: str = "bicubic",
    persistence: float = 0.5,
) -> torch.Tensor:
    """Upsample each ``(B, Cn, h_k, w_k)`` grid to ``size = (H, W)`` and sum them with weights ``persistence**k``.

    Returns ``(B, Cn, H, W)`` in the grids' dtype (float64 grids stay float64), normalised by
    ``sqrt(sum_k persistence**(2k))`` so that the octave count does not change the overall scale.
    """
    check_choice("mode", mode, NOISE_MODES)
    if len(grids) == 0:
        raise ValueError("grids must hold at least one (B, Cn, h, w) tensor")
    shape0 = tuple(grids[0].shape[:2])
    out = None
    norm = 0.0
    for k, g in enumerate(grids):
        if not isinstance(g, torch.Tensor) or g.ndim != 4 or tuple(g.shape[:2]) != shape0:
            got = getattr(g, "shape", g)
            raise ValueError(f"grids[{k}] must be a tensor of shape {shape0 + ('h', 'w')}, got {got}")
        a = persistence**k
        norm += a * a
        up = F.interpolate(g, size=size, mode=mode, align_corners=False) if tuple(g.shape[2:]) != size else g
        out = up * a if out is None else out + up * a
    return out / norm**0.5


def add_noise_field(
    x: torch.Tensor,
    grids: Sequence[torch.Tensor],
    amplitude: torch.Tensor | float,
    mode: str = "bicubic",
    persistence: float = 0.5,
) -> torch.Tensor:
    """Add a smooth noise field: ``y = x + A * N``, see :func:`noise_field`.

    Args:
        x: images ``(B, C, H, W)``, any float dtype.
        grids: one ``(B, Cn, h_k, w_k)`` standard-normal grid per octave; ``Cn = C`` (per-channel noise) or
            ``Cn = 1`` (the same field in every channel).
        amplitude: ``A``, scalar or ``(B,)``, the field's standard deviation in the image's value unit; may
            require grad. ``A = 0`` is the identity.
        mode: ``"bicubic"`` or ``"bilinear"`` upsampling.
        persistence: weight ratio between successive octaves, ``> 0``.

    The field is computed in float32 (float64 for float64 images) and cast to ``x``'s dtype; the gradient
    w.r.t. ``x`` is the identity.

    Example:
        >>> g = [torch.randn(2, 1, 4, 4)]
        >>> add_noise_field(torch.zeros(2, 3, 32, 32), g, 0.1).shape
        torch.Size([2, 3, 32, 32])
    """
    check_image(x)
    b, c, h, w = x.shape
    cn = grids[0].shape[1] if len(grids) else 0
    if len(grids) and (grids[0].shape[0] != b or cn not in (1, c)):
        raise ValueError(
            f"grids must have shape ({b}, 1 or {c}, h, w) for an image of shape {tuple(x.shape)}, "
            f"got {tuple(grids[0].shape)}"
        )
    work = torch.float64 if x.dtype == torch.float64 else torch.float32
    field = noise_field([g.to(x.device, work) for g in grids], (h, w), mode, persistence)
    amp = per_sample(amplitude, field, "amplitude")
    return x + (amp * field).to(x.dtype)
