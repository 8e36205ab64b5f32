"""Geometry of StyleGAN2-ADA (Karras et al. 2020): the per-sample 3x3 matrices of its geometric ops.

Coordinates follow Kornia: ``(x, y)`` at integer pixel centres, ``x`` along the width, ``y`` down. The ops of
the paper act in centred coordinates ``p - c`` with ``c = ((W - 1) / 2, (H - 1) / 2)``; the matrices returned
here are already conjugated to pixel coordinates, ``M = T(c) G T(-c)``, and map input pixels to output pixels
(``M_inv`` maps output pixels back to where they are read from). The image is resampled once under the fused
matrix, see :mod:`kornia_diffaug.functional.ada.resample`.

Order of composition (first applied first), with ``G`` the forward map:
``xflip -> rotate90 -> xint -> scale -> rotate_pre -> aniso -> rotate_post -> xfrac``.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

__all__ = ["GEOMETRY_KEYS", "PIXEL_EXACT_KEYS", "geometry_matrices", "is_identity"]

GEOMETRY_KEYS = ("xflip", "rotate90", "xint", "scale", "rotate_pre", "aniso", "rotate_post", "xfrac")
# Geometric ops that map the pixel grid onto itself (resampled exactly by ``resample.resample_nearest``).
PIXEL_EXACT_KEYS = ("xflip", "rotate90", "xint")

# cos, sin of k * pi / 2, exact (math.cos(math.pi / 2) is 6e-17, not 0).
_COS90 = (1.0, 0.0, -1.0, 0.0)
_SIN90 = (0.0, 1.0, 0.0, -1.0)


def geometry_matrices(
    params: Mapping[str, torch.Tensor],
    size: tuple[int, int],
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Forward and inverse ``(B, 3, 3)`` pixel-coordinate matrices of the ADA geometric ops in ``params``.

    Args:
        params: any subset of (missing keys are the identity)

            - ``xflip`` ``(B,)`` in {0, 1}: mirror ``x -> -x``;
            - ``rotate90`` ``(B,)`` in {0, 1, 2, 3}: rotate by ``k * 90`` degrees. When ``H`` and ``W`` differ
              in parity, odd ``k`` also shifts by half a pixel so that pixels land on pixels;
            - ``xint`` ``(B, 2)``: integer translation ``(tx, ty)`` in pixels;
            - ``scale`` ``(B,)``: isotropic scale factor ``s > 0``;
            - ``rotate_pre`` / ``rotate_post`` ``(B,)``: rotation angles in radians, before/after ``aniso``;
            - ``aniso`` ``(B,)``: anisotropic scale ``diag(s, 1 / s)``, ``s > 0``;
            - ``xfrac`` ``(B, 2)``: fractional translation in pixels.
        size: ``(H, W)`` of the images.
        dtype, device: of the returned matrices.

    Returns:
        ``(M, M_inv)`` or ``None`` when ``params`` holds no geometric key.

    Each op's matrix and inverse are written entry by entry, one stack per op (a quarter turn's shift and
    rotation as one matrix: its entries are in {0, +-1/2, +-1}, so the product is exact).
    """
    present = [k for k in GEOMETRY_KEYS if k in params]
    if not present:
        return None
    h, w = size
    b = params[present[0]].shape[0]
    zero = torch.zeros(b, dtype=dtype, device=device)
    one = torch.ones(b, dtype=dtype, device=device)

    def get(k: str) -> torch.Tensor:
        return params[k].to(device=device, dtype=dtype)

    def mat(a, b_, tx, c, d, ty) -> torch.Tensor:  # [[a, b, tx], [c, d, ty], [0, 0, 1]] as (B, 9)
        return torch.stack([a, b_, tx, c, d, ty, zero, zero, one], dim=-1)

    def shift(tx, ty) -> torch.Tensor:
        return mat(one, zero, tx, zero, one, ty)

    def diag(sx, sy) -> torch.Tensor:
        return mat(sx, zero, zero, zero, sy, zero)

    cx, cy = zero + (w - 1) / 2, zero + (h - 1) / 2
    fwd: list[torch.Tensor] = [shift(-cx, -cy)]  # forward matrices, in order of application (centred)
    inv: list[torch.Tensor] = [shift(cx, cy)]  # their inverses, in the order they multiply (last op first)
    if "xflip" in params:
        f = 1.0 - 2.0 * get("xflip")
        fwd.append(diag(f, one))
        inv.append(fwd[-1])
    if "rotate90" in params:
        k = get("rotate90").round().long().remainder(4)
        cos = torch.tensor(_COS90, dtype=dtype, device=device)[k]
        sin = torch.tensor(_SIN90, dtype=dtype, device=device)[k]
        # Centred coordinates lie on Z + fw along x and Z + fh along y; an odd quarter turn swaps them.
        fw, fh = ((w - 1) % 2) / 2, ((h - 1) % 2) / 2
        odd = k.remainder(2).to(dtype)
        tx, ty = odd * (fw - fh), odd * (fh - fw)
        fwd.append(mat(cos, -sin, tx, sin, cos, ty))  # shift(t) @ rot(cos, sin)
        inv.append(mat(cos, sin, -(cos * tx + sin * ty), -sin, cos, sin * tx - cos * ty))  # rot(-) @ shift(-t)
    if "xint" in params:
        t = get("xint").round()
        fwd.append(shift(t[:, 0], t[:, 1]))
        inv.append(shift(-t[:, 0], -t[:, 1]))
    if "scale" in params:
        s = get("scale")
        fwd.append(diag(s, s))
        inv.append(diag(1 / s, 1 / s))
    for key in ("rotate_pre", "aniso", "rotate_post"):
        if key not in params:
            continue
        v = get(key)
        if key == "aniso":
            fwd.append(diag(v, 1 / v))
            inv.append(diag(1 / v, v))
        else:
            cos, sin = torch.cos(v), torch.sin(v)
            fwd.append(mat(cos, -sin, zero, sin, cos, zero))
            inv.append(mat(cos, sin, zero, -sin, cos, zero))
    if "xfrac" in params:
        t = get("xfrac")
        fwd.append(shift(t[:, 0], t[:, 1]))
        inv.append(shift(-t[:, 0], -t[:, 1]))
    fwd.append(shift(cx, cy))
    inv.append(shift(-cx, -cy))
    # Multiplied one by one, in this order: the float32 rounding of the matrices is part of the outputs (tested
    # against a golden file), and a tree of products rounds differently.
    m = fwd[0].view(b, 3, 3)
    for a in fwd[1:]:
        m = a.view(b, 3, 3) @ m
    m_inv = inv[0].view(b, 3, 3)
    for a in inv[1:]:
        m_inv = m_inv @ a.view(b, 3, 3)
    return m, m_inv


def is_identity(m: torch.Tensor) -> torch.Tensor:
    """``(B,)`` bool, true where the ``(B, 3, 3)`` matrix is exactly the identity (computed on device)."""
    eye = torch.eye(3, dtype=m.dtype, device=m.device)
    return (m == eye).flatten(1).all(dim=1)
