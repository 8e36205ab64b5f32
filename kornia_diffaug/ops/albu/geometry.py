"""Albumentations' affine-like transforms as Kornia ops: ``Affine`` (also ``Rotate``, ``ShiftScaleRotate``),
``SafeRotate``, ``Perspective``, ``Transpose``, ``RandomRotate90``.

Each draws its parameters as Albumentations does and builds the OpenCV-convention forward matrix (input ->
output pixels, integer pixel centres) with a kernel of ``functional.albu.geometry``; the image is resampled
once with ``warp`` and the matrix is exposed so boxes, keypoints and masks follow inside
``AugmentationSequential``. ``interpolation`` is an OpenCV flag (0 nearest, 1 linear, 2 cubic), ``border_mode``
one too (0 constant, 1 replicate, 2 reflect, 4 reflect-101), ``fill`` the constant border in [0, 1] (a number
or one per channel). Common arguments (``p``, ``same_on_batch``, ``keepdim``, ``generator``) as in
``ops.albu.color``.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ...functional import albu as FA
from ...functional.sampling import uniform
from .._registry import register_op
from ._base import AlbuGeometricBase, pair

__all__ = ["AlbuAffine", "AlbuFlip", "AlbuNoOp", "AlbuPerspective", "AlbuRandomRotate90", "AlbuSafeRotate",
           "AlbuTranspose"]


def _xy(name: str, value: Any, lower: float = -math.inf, upper: float = math.inf) -> dict[str, tuple[float, float]]:
    """Albumentations' ``{"x": (lo, hi), "y": (lo, hi)}`` (a bare pair applies to both axes)."""
    if isinstance(value, dict):
        if set(value) != {"x", "y"}:
            raise ValueError(f"{name} must have keys 'x' and 'y', got {sorted(value)}")
        return {k: pair(f"{name}.{k}", value[k], lower, upper) for k in ("x", "y")}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = (value, value)
    p = pair(name, value, lower, upper)
    return {"x": p, "y": p}


# The contract's keypoint check needs exact resampling: the example uses integer shifts and nearest sampling.
@register_op(identity={"translate_px": (0, 0)}, example={"translate_px": (-3, 3), "interpolation": 0}, geometric=True)
class AlbuAffine(AlbuGeometricBase):
    """``Affine``: ``M = T_c T_t Sh R S T_-c`` about the image centre ``c = (W/2 - 0.5, H/2 - 0.5)``
    (see :func:`kornia_diffaug.functional.albu.affine_matrix`); the adapter also builds ``Rotate`` and
    ``ShiftScaleRotate`` with it.

    Args:
        scale: ``(low, high)`` of the scale factor ``> 0``, or ``{"x": ..., "y": ...}`` per axis (1 is the
            identity).
        translate_percent: ``(low, high)`` fraction of the side in [-1, 1] (or per axis); the shift is
            ``int(U(range) * side)`` pixels. Give this or ``translate_px``, not both.
        translate_px: ``(low, high)`` integer pixels (or per axis), drawn by ``randint`` (both ends included).
        rotate: ``(low, high)`` angle in degrees, counter-clockwise on screen.
        shear: ``(low, high)`` degrees in [-89, 89] (or per axis); negated in the matrix, as Albumentations does.
        interpolation: OpenCV flag 0, 1 or 2.
        border_mode: OpenCV flag 0, 1, 2 or 4.
        fill: constant border value(s) in [0, 1] (uint8 fill / 255).
        keep_ratio: the y scale is the x scale.
        balanced_scale: first pick ``[low, 1]`` or ``[1, high]`` with equal odds, then the scale in it.

    Example:
        >>> op = AlbuAffine(scale=(0.9, 1.1), rotate=(-15, 15), translate_percent=(-0.1, 0.1))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "Affine"

    def __init__(self, scale=(1.0, 1.0), translate_percent=None, translate_px=None, rotate=(0.0, 0.0),
                 shear=(0.0, 0.0), interpolation=1, border_mode=0, fill=0.0, keep_ratio=False, balanced_scale=False,
                 p=1.0, same_on_batch=False, keepdim=False, generator=None):
        if translate_percent is not None and translate_px is not None:
            raise ValueError("give translate_percent or translate_px, not both")
        super().__init__(p, same_on_batch, keepdim, generator, scale=_xy("scale", scale, 1e-6),
                         translate_percent=None if translate_percent is None else _xy("translate_percent",
                                                                                      translate_percent, -1, 1),
                         translate_px=None if translate_px is None else _xy("translate_px", translate_px),
                         rotate=pair("rotate", rotate), shear=_xy("shear", shear, -89, 89),
                         interpolation=interpolation, border_mode=border_mode, fill=fill,
                         keep_ratio=bool(keep_ratio), balanced_scale=bool(balanced_scale))
        self._check_modes(interpolation, border_mode, fill)
        self._cfg["fill"] = self.fill

    def _scale(self, n, gen, dev, rng):
        lo, hi = rng
        u = uniform(n, lo, hi, gen, dev)
        if not self._cfg["balanced_scale"]:
            return u
        low_side = uniform(n, lo, 1.0, gen, dev) if lo < 1 else None
        high_side = uniform(n, 1.0, hi, gen, dev) if hi > 1 else None
        if low_side is not None and high_side is not None:
            return torch.where(torch.rand(n, generator=gen, device=dev) < 0.5, low_side, high_side)
        return low_side if low_side is not None else high_side if high_side is not None else torch.ones(n, device=dev)

    def sample(self, n, size, generator, device):
        h, w = size
        c = self._cfg
        sx = self._scale(n, generator, device, c["scale"]["x"])
        sy = sx if c["keep_ratio"] else self._scale(n, generator, device, c["scale"]["y"])
        angle = uniform(n, *c["rotate"], generator, device)
        shear = -torch.stack([uniform(n, *c["shear"][k], generator, device) for k in ("x", "y")], 1)
        if c["translate_px"] is not None:
            t = torch.stack([torch.randint(int(c["translate_px"][k][0]), int(c["translate_px"][k][1]) + 1, (n,),
                                           generator=generator, device=device) for k in ("x", "y")], 1).double()
        elif c["translate_percent"] is not None:
            t = torch.stack([torch.trunc(uniform(n, *c["translate_percent"][k], generator, device).double() * side)
                             for k, side in (("x", w), ("y", h))], 1)
        else:
            t = torch.zeros(n, 2, dtype=torch.float64, device=device)
        m = FA.affine_matrix(t, shear, torch.stack([sx, sy], 1), angle, (w / 2 - 0.5, h / 2 - 0.5))
        return {"matrix": m}


# geometric=False: its rescaling cannot keep a single marked pixel exact under any sampling; keypoints are
# checked against Albumentations itself in tests/adapters/test_albu_parity.py instead.
@register_op(identity={"p": 0.0})
class AlbuSafeRotate(AlbuGeometricBase):
    """``SafeRotate``: rotate by ``a ~ U(limit)`` degrees about the centre, then scale so the whole rotated image
    fits the original size (see :func:`kornia_diffaug.functional.albu.safe_rotate_matrix`).

    Args:
        limit: ``(low, high)`` of ``a`` in degrees, counter-clockwise.
        interpolation: OpenCV flag 0, 1 or 2.
        border_mode: OpenCV flag 0, 1, 2 or 4.
        fill: constant border value(s) in [0, 1].

    Example:
        >>> op = AlbuSafeRotate(limit=(-30, 30))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "SafeRotate"

    def __init__(self, limit=(-90.0, 90.0), interpolation=1, border_mode=0, fill=0.0, p=1.0, same_on_batch=False,
                 keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, limit=pair("limit", limit), interpolation=interpolation,
                         border_mode=border_mode, fill=fill)
        self._check_modes(interpolation, border_mode, fill)
        self._cfg["fill"] = self.fill

    def sample(self, n, size, generator, device):
        return {"matrix": FA.safe_rotate_matrix(uniform(n, *self._cfg["limit"], generator, device), size)}


@register_op(identity={"scale": (0.0, 0.0), "interpolation": 0})  # geometric=False: as AlbuSafeRotate
class AlbuPerspective(AlbuGeometricBase):
    """``Perspective`` (``keep_size=True``, ``fit_output=False``): each corner moves inward by ``|N(0, s)| mod
    0.32`` of the side, ``s ~ U(scale)``; the quadrilateral is mapped onto the full image (see
    :func:`kornia_diffaug.functional.albu.perspective_matrix`).

    Args:
        scale: ``(low, high)`` of ``s`` in [0, 1], a fraction of the side (0 is the identity).
        interpolation: OpenCV flag 0, 1 or 2.
        border_mode: OpenCV flag 0, 1, 2 or 4.
        fill: constant border value(s) in [0, 1].

    Example:
        >>> op = AlbuPerspective(scale=(0.05, 0.1))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "Perspective"

    def __init__(self, scale=(0.05, 0.1), interpolation=1, border_mode=0, fill=0.0, p=1.0, same_on_batch=False,
                 keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, scale=pair("scale", scale, 0, 1),
                         interpolation=interpolation, border_mode=border_mode, fill=fill)
        self._check_modes(interpolation, border_mode, fill)
        self._cfg["fill"] = self.fill

    def sample(self, n, size, generator, device):
        s = uniform(n, *self._cfg["scale"], generator, device)
        noise = torch.randn(n, 4, 2, generator=generator, device=device)
        return {"matrix": FA.perspective_matrix(noise, s, size)}


# Transpose changes the size of non-square images (a batch then needs p=1): the contract runs it at p=1.
@register_op(identity=None, resizes=True, geometric=True)
class AlbuTranspose(AlbuGeometricBase):
    """``Transpose``: swap rows and columns, ``y[v, u] = x[u, v]``; the output of an ``(H, W)`` image is
    ``(W, H)``, so a batch of non-square images cannot mix transposed and kept samples (see
    :class:`PerSampleBranches`).

    Args:
        none besides the common ones (no random parameters).

    Example:
        >>> op = AlbuTranspose()
        >>> y = op(torch.rand(2, 3, 32, 24))  # (2, 3, 24, 32)
    """

    albu_name = "Transpose"

    def __init__(self, p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator)
        self._check_modes(0, 0, 0.0)

    def output_size(self, size):
        return size[1], size[0]

    def sample(self, n, size, generator, device):
        return {"matrix": FA.transpose_matrix(n, device)}


@register_op(identity={"p": 0.0}, geometric=True, square=True)
class AlbuRandomRotate90(AlbuGeometricBase):
    """``RandomRotate90``: rotate counter-clockwise by ``k * 90`` degrees, ``k ~ randint[0, 3]`` (``np.rot90``);
    square images only, since an odd ``k`` swaps the sides.

    Args:
        none besides the common ones.

    Example:
        >>> op = AlbuRandomRotate90()
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "RandomRotate90"

    def __init__(self, p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator)
        self._check_modes(0, 0, 0.0)

    def sample(self, n, size, generator, device):
        if size[0] != size[1]:
            raise ValueError(f"RandomRotate90 needs square images in a batch, got {size}")
        k = torch.randint(0, 4, (n,), generator=generator, device=device)
        return {"matrix": FA.rotate90_matrix(k, size), "k": k}


@register_op(identity={}, geometric=True)
class AlbuNoOp(AlbuGeometricBase):
    """``NoOp``: the identity, ``y = x``, with the identity matrix (masks, boxes and keypoints stay); also what
    ``ToTensorV2``, ``ToTensor`` and ``ToFloat`` do to the adapter's float ``(B, C, H, W)`` images.

    Args:
        none besides the common ones.

    Example:
        >>> op = AlbuNoOp()
        >>> x = torch.rand(2, 3, 8, 8)
        >>> bool((op(x) == x).all())
        True
    """

    albu_name = "NoOp"

    def __init__(self, p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator)
        self._check_modes(0, 0, 0.0)

    def sample(self, n, size, generator, device):
        return {"matrix": torch.eye(3, dtype=torch.float64, device=device).expand(n, 3, 3).clone()}

    def apply_transform(self, input, params, flags, transform=None):
        return input

    def apply_transform_mask(self, input, params, flags, transform=None):
        return input


@register_op(identity={"p": 0.0}, geometric=True)
class AlbuFlip(AlbuGeometricBase):
    """``Flip`` (1.x): per sample ``d ~ randint[-1, 1]``; 1 flips horizontally, 0 vertically, -1 both (a half
    turn), as ``cv2.flip(img, d)``. Exact (no resampling).

    Args:
        none besides the common ones.

    Example:
        >>> op = AlbuFlip()
        >>> y = op(torch.rand(2, 3, 8, 6))
    """

    albu_name = "Flip"

    def __init__(self, p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator)
        self._check_modes(0, 0, 0.0)

    def sample(self, n, size, generator, device):
        d = torch.randint(-1, 2, (n,), generator=generator, device=device)
        return {"matrix": FA.flip_matrix(d, size), "d": d}

    def _flip(self, x, d):
        d = d.to(x.device).view(-1, *([1] * (x.ndim - 1)))
        fx = torch.where(d != 0, x.flip(-1), x)
        return torch.where(d != 1, fx.flip(-2), fx)

    def apply_transform(self, input, params, flags, transform=None):
        return self._flip(input, params["d"])

    def apply_transform_mask(self, input, params, flags, transform=None):
        return self._flip(input, params["d"])
