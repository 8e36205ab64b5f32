"""The operations of ``LearnablePolicy(..., albumentations=True)``: each draws what one Albumentations 2.x
transform draws when the learnable magnitude ``m`` is written as that transform's range (its *twin*, which
:func:`kornia_diffaug.adapters.albumentations.to_albumentations` writes), so a learned policy exports exactly.

They work on ``u = (x - lo) / (hi - lo)`` in [0, 1] (Albumentations' ``level / 255``) through the kernels of
:mod:`kornia_diffaug.functional.albu`. Colour results are clipped to [0, 1] as Albumentations clips uint8. With
``s = 2 v - 1``, ``v ~ U(0, 1)`` per sample:

- ``brightness``: ``u + m/2 s`` -- ``RandomBrightnessContrast(brightness_limit=(-m/2, m/2), contrast_limit=0)``;
- ``contrast``: ``u c + g (1 - c)``, ``c = 1 + m s``, ``g`` the image's mean grey --
  ``ColorJitter(contrast=(1 - m, 1 + m))`` (the others idle);
- ``saturation``: ``u c + grey(u) (1 - c)``, ``c = 1 + m s``, identity on 1 channel --
  ``ColorJitter(saturation=(1 - m, 1 + m))``;
- ``rotation``: rotate by ``a = 90 m s`` degrees (counter-clockwise) about the centre -- ``Affine(rotate=(-90 m,
  90 m))``;
- ``scale``: scale both axes by ``f = 1 + m/2 s`` about the centre -- ``Affine(scale=(1 - m/2, 1 + m/2),
  keep_ratio=True)``;
- ``translation``: whole-pixel shifts ``trunc(m/4 s side)`` per axis, level-0 fill --
  ``Affine(translate_percent=(-m/4, m/4))`` (which also truncates ``U(range) * side``);
- ``cutout``: one ``floor(m H) x floor(m W)`` hole of level 0 whose top-left corner is uniform over the
  positions inside the image -- ``CoarseDropout(num_holes_range=(1, 1), hole_*_range=(m, m), fill=0)``.

``rotation`` and ``scale`` build Albumentations' affine matrix (:func:`kornia_diffaug.functional.albu.affine_matrix`,
centre ``(W/2 - 0.5, H/2 - 0.5)``) and resample once, bilinear with a constant border of level 0, as ``Affine``'s
defaults do (``interpolation=1, border_mode=0, fill=0``); ``m`` reaches the output through the matrix and the
sampling grid, so its gradient is exact (no straight-through).

Grey is OpenCV's (0.299, 0.587, 0.114) for RGB; Albumentations' ``ColorJitter`` takes only 1 or 3 channels, so
``contrast`` and ``saturation`` refuse others. Whole-pixel shifts and hole sizes are exact in the forward pass;
their gradient w.r.t. ``m`` is that of the sub-pixel shift and of a soft box edge (straight-through).
"""

from __future__ import annotations

import torch

from ..functional.albu import affine_matrix, brightness_contrast, color_jitter, warp
from ..functional.geometry_subpixel import subpixel_translate
from ..functional.relaxed import box_mask

__all__ = ["ROTATION_DEGREES", "SCALE_SPAN", "apply_albumentations_op", "rotate_or_scale"]

ROTATION_DEGREES = 90.0  # rotation: the angle at m = 1 (degrees)
SCALE_SPAN = 0.5  # scale: the half-width of the factor's range at m = 1
_JITTER_SLOT = {"contrast": 1, "saturation": 2}


def _straight_through(value: torch.Tensor, soft: torch.Tensor) -> torch.Tensor:
    """Forward ``value`` exactly, gradient of ``soft``."""
    return value + (soft - soft.detach())


def rotate_or_scale(op: str, x: torch.Tensor, m: torch.Tensor, s: torch.Tensor, fill: float) -> torch.Tensor:
    """``rotation`` (angle ``ROTATION_DEGREES m s`` degrees) or ``scale`` (factor ``1 + SCALE_SPAN m s``) of ``x``
    ``(B, C, H, W)`` about the image centre, ``s`` ``(B,)`` in [-1, 1]: Albumentations' ``Affine`` matrix,
    bilinear, constant border ``fill``; differentiable in ``x`` and ``m``."""
    b, _, h, w = x.shape
    zero = torch.zeros(b, 2, dtype=torch.float64, device=x.device)
    if op == "rotation":
        angle, factor = ROTATION_DEGREES * m * s, torch.ones_like(s)
    else:
        angle, factor = torch.zeros_like(s), 1 + SCALE_SPAN * m * s
    matrix = affine_matrix(zero, zero, torch.stack([factor, factor], 1), angle, (w / 2 - 0.5, h / 2 - 0.5))
    return warp(x, matrix, (h, w), 1, 0, fill)


def apply_albumentations_op(op: str, u: torch.Tensor, m: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Operation ``op`` on ``u`` ``(B, C, H, W)`` in [0, 1] with magnitude ``m`` (0-d, in [0, 1]) and uniforms
    ``v`` ``(B, 2)`` in [0, 1); returns [0, 1] images (inputs outside [0, 1] are not cut further)."""
    b, c, h, w = u.shape
    s = 2 * v - 1
    if op == "brightness":
        return brightness_contrast(u, 1.0, (m / 2 * s[:, 0]).to(u.dtype))
    if op in _JITTER_SLOT:
        if c not in (1, 3):
            raise ValueError(f"LearnablePolicy(albumentations=True): {op} needs 1- or 3-channel images, as "
                             f"Albumentations' ColorJitter does, got {c} channels")
        slot = _JITTER_SLOT[op]
        base = torch.tensor([1.0, 1.0, 1.0, 0.0], device=u.device, dtype=u.dtype).expand(b, 4)
        factors = torch.where(torch.arange(4, device=u.device) == slot, (1 + m * s[:, :1]).to(u.dtype), base)
        order = torch.arange(4, device=u.device).expand(b, 4)
        active = tuple(k == slot for k in range(4))
        return color_jitter(u, factors, order, active)
    if op in ("rotation", "scale"):
        return rotate_or_scale(op, u, m, s[:, 0], 0.0)
    if op == "translation":
        t = 0.25 * m * torch.stack([w * s[:, 0], h * s[:, 1]])
        shift = _straight_through(t.detach().trunc(), t)
        return subpixel_translate(u, shift[0], shift[1])
    # cutout. Sizes and corners in float64 so that floor(m H) is the integer Albumentations computes.
    dt = torch.float64 if u.dtype == torch.float64 else torch.float32
    md = m.detach().double()
    hh, ww = (torch.floor(md * side).to(dt) for side in (h, w))
    top = torch.floor(v[:, 0].to(dt) * (h - hh + 1))
    left = torch.floor(v[:, 1].to(dt) * (w - ww + 1))
    half_h = _straight_through(hh / 2, (m * h / 2).to(dt)).expand(b)
    half_w = _straight_through(ww / 2, (m * w / 2).to(dt)).expand(b)
    mask = box_mask(top + (hh - 1) / 2, left + (ww - 1) / 2, half_h, half_w, (h, w)).to(u.dtype)
    return u * (1 - mask)
