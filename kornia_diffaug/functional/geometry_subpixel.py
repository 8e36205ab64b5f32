"""Sub-pixel (bilinear) translation whose output is differentiable w.r.t. the shifts.

Same convention as :func:`kornia_diffaug.functional.integer_translate`: a shift ``(tx, ty)`` moves the content
``tx`` pixels right and ``ty`` pixels down, zero fill outside the image.
"""

from __future__ import annotations

import torch

from .._validate import check_image, check_shifts
from .geometry import integer_translate

__all__ = ["subpixel_translate"]


def subpixel_translate(x: torch.Tensor, shift_x: torch.Tensor, shift_y: torch.Tensor) -> torch.Tensor:
    """Bilinear translation with zero fill: ``y[v, u] = bilinear(x)(v - ty, u - tx)``.

    With ``n = floor(t)`` and ``f = t - n`` per axis the result is the separable blend
    ``y = sum_{i,j in {0,1}} wx_i wy_j T(x, nx + i, ny + j)`` of four exact integer translations ``T``,
    ``wx = (1 - fx, fx)``, ``wy = (1 - fy, fy)``. ``dy/dt = T(n + 1) - T(n)``, so gradients reach the shifts
    (e.g. predicted by a network); integer shifts reproduce ``integer_translate`` exactly.

    Args:
        x: images ``(B, C, H, W)``, any float dtype.
        shift_x: ``tx``, ``(B,)`` float pixels along the width (positive moves right); may require grad.
        shift_y: ``ty``, ``(B,)`` float pixels along the height (positive moves down); may require grad.

    Example:
        >>> x = torch.tensor([[[[0.0, 1.0, 0.0, 0.0]]]])
        >>> subpixel_translate(x, torch.tensor([0.5]), torch.tensor([0.0]))
        tensor([[[[0.0000, 0.5000, 0.5000, 0.0000]]]])
    """
    check_image(x)
    check_shifts(x, shift_x, shift_y)
    for name, s in (("shift_x", shift_x), ("shift_y", shift_y)):
        if not s.is_floating_point():
            raise TypeError(f"{name} must be a floating tensor (use integer_translate for integer shifts)")
    tx = shift_x.to(x.device)
    ty = shift_y.to(x.device)
    nx, ny = tx.detach().floor(), ty.detach().floor()
    fx = (tx - nx).to(x.dtype).view(-1, 1, 1, 1)
    fy = (ty - ny).to(x.dtype).view(-1, 1, 1, 1)
    row0 = (1 - fx) * integer_translate(x, nx, ny) + fx * integer_translate(x, nx + 1, ny)
    row1 = (1 - fx) * integer_translate(x, nx, ny + 1) + fx * integer_translate(x, nx + 1, ny + 1)
    return (1 - fy) * row0 + fy * row1
