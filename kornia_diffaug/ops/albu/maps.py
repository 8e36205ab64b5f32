"""Albumentations' lens and mesh distortions as Kornia ops (``OpticalDistortion``, ``PiecewiseAffine``): dense
per-sample maps from ``functional.albu.maps``, resampled as ``cv2.remap``, built like ``ops.albu.distortion``
(keypoints follow by inverting the map, boxes as Albumentations moves them; no inverse). ``interpolation``,
``border_mode`` and ``fill`` as in ``ops.albu.geometry``; common arguments (``p``, ``same_on_batch``, ``keepdim``,
``generator``) as in ``ops.albu.color``."""

from __future__ import annotations

import torch

from ...functional import albu as FA
from ...functional.sampling import uniform
from .._registry import register_op
from ._base import int_range, pair, randint
from .distortion import _Remap

__all__ = ["AlbuOpticalDistortion", "AlbuPiecewiseAffine"]


def _size_of(params, size):
    return tuple(params["forward_input_shape"][-2:].tolist()) if size is None else tuple(size)


# k = 0 is not the identity: OpenCV's map then reads u + 0.5 (the distortion centre is W / 2, the output's
# (W - 1) / 2), as in Albumentations; the registered identity is p=0.
@register_op(identity={"p": 0.0},
             example={"distort_limit": (-0.3, 0.3), "shift_limit": (-2, 2)})
class AlbuOpticalDistortion(_Remap):
    """``OpticalDistortion``: barrel (``k < 0``) or pincushion (``k > 0``) distortion, ``k ~ U(distort_limit)``
    (see :func:`kornia_diffaug.functional.albu.optical_distortion_map`).

    Args:
        distort_limit: ``(low, high)`` of ``k``, unitless (radii are in units of the image side).
        mode: ``"camera"`` (OpenCV's lens model, ``k1 = k2 = k``) or ``"fisheye"`` (2.x).
        shift_limit: 1.x only: ``(low, high)`` of the distortion centre's shift ``(dx, dy)`` in pixels, each
            ``round(U(shift_limit))`` (so 1.x's default ``0.05`` never moves it); ``None`` (2.x): no shift.
        interpolation: OpenCV flag 0, 1 or 2.
        border_mode: OpenCV flag 0, 1, 2 or 4.
        fill: constant border value(s) in [0, 1].
        fill_mask: constant border label of masks (not scaled).

    Example:
        >>> op = AlbuOpticalDistortion(distort_limit=(-0.3, 0.3))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "OpticalDistortion"

    def __init__(self, distort_limit=(-0.05, 0.05), mode="camera", shift_limit=None, interpolation=1, border_mode=0,
                 fill=0.0, fill_mask=0.0, p=1.0, same_on_batch=False, keepdim=False, generator=None):
        if mode not in ("camera", "fisheye"):
            raise ValueError(f"mode must be 'camera' or 'fisheye', got {mode!r}")
        if shift_limit is not None and mode != "camera":
            raise ValueError("shift_limit (1.x) goes with mode='camera'")
        super().__init__(p, same_on_batch, keepdim, generator, distort_limit=pair("distort_limit", distort_limit),
                         mode=mode, shift_limit=None if shift_limit is None else pair("shift_limit", shift_limit),
                         interpolation=interpolation, border_mode=border_mode, fill=fill)
        self._check_modes(interpolation, border_mode, fill, fill_mask)
        self._cfg["fill"] = self.fill

    def sample(self, n, size, generator, device):
        out = {"k": uniform(n, *self._cfg["distort_limit"], generator, device).double()}
        if self._cfg["shift_limit"] is not None:
            lo, hi = self._cfg["shift_limit"]
            out["shift"] = torch.round(torch.rand(n, 2, generator=generator, device=device).double() * (hi - lo) + lo)
        return out

    def _map(self, params, size, device=None):
        k = params["k"].to(device) if device is not None else params["k"]
        shift = params.get("shift")
        return FA.optical_distortion_map(k, _size_of(params, size), shift, self._cfg["mode"])


# Zero scale is Albumentations' identity (it skips the remap); nearest taps keep it exact in every dtype.
@register_op(identity={"scale": (0.0, 0.0), "interpolation": 0},
             example={"scale": (0.03, 0.08), "nb_rows": (2, 4), "nb_cols": 3})
class AlbuPiecewiseAffine(_Remap):
    """``PiecewiseAffine`` (2.x): a ``rows x cols`` grid of control points (``rows ~ randint[nb_rows]``,
    ``cols ~ randint[nb_cols]``, at least 2) is moved by ``N(0, s')`` per axis, clipped to the image, and every
    pixel reads the inverse-distance-weighted average of the moved points (see
    :func:`kornia_diffaug.functional.albu.piecewise_affine_map`); ``s' = s min(H, W) / 3`` pixels
    (``absolute_scale``: ``s / 3``), ``s ~ U(scale)``; ``s = 0`` is the identity.

    Args:
        scale: ``(low, high)`` of ``s`` ``>= 0``, a fraction of the shorter side (or pixels, ``absolute_scale``).
        nb_rows: ``(low, high)`` integer rows of control points (an int: fixed), ``>= 2``.
        nb_cols: ``(low, high)`` integer columns of control points (an int: fixed), ``>= 2``.
        absolute_scale: ``scale`` in pixels.
        interpolation: OpenCV flag 0, 1 or 2.
        border_mode: OpenCV flag 0, 1, 2 or 4.
        fill: constant border value(s) in [0, 1].
        fill_mask: constant border label of masks (not scaled).

    Example:
        >>> op = AlbuPiecewiseAffine(scale=(0.03, 0.05), nb_rows=4, nb_cols=4)
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "PiecewiseAffine"
    invert_iterations = 60  # the inverse-distance map is flat at its control points: the solve converges slowly

    def __init__(self, scale=(0.03, 0.05), nb_rows=(4, 4), nb_cols=(4, 4), absolute_scale=False, interpolation=1,
                 border_mode=0, fill=0.0, fill_mask=0.0, p=1.0, same_on_batch=False, keepdim=False, generator=None):
        grid = {"nb_rows": int_range("nb_rows", nb_rows, 2, 64), "nb_cols": int_range("nb_cols", nb_cols, 2, 64)}
        super().__init__(p, same_on_batch, keepdim, generator, scale=pair("scale", scale, 0), **grid,
                         absolute_scale=bool(absolute_scale), interpolation=interpolation, border_mode=border_mode,
                         fill=fill)
        self._check_modes(interpolation, border_mode, fill, fill_mask)
        self._cfg["fill"] = self.fill

    def sample(self, n, size, generator, device):
        c = self._cfg
        rows = randint(n, *c["nb_rows"], generator, device)
        cols = randint(n, *c["nb_cols"], generator, device)
        s = uniform(n, *c["scale"], generator, device).double()
        noise = torch.randn(n, c["nb_rows"][1], c["nb_cols"][1], 2, generator=generator, device=device).double()
        return {"rows": rows, "cols": cols, "scale": s, "noise": noise}

    def _map(self, params, size, device=None):
        c = self._cfg
        h, w = _size_of(params, size)
        dev = device if device is not None else params["scale"].device
        rows, cols = params["rows"].to(dev), params["cols"].to(dev)
        s, noise = params["scale"].to(dev), params["noise"].to(dev)
        pts, real = FA.piecewise_affine_grid(rows, cols, (h, w), c["nb_rows"][1], c["nb_cols"][1])
        std = (s if c["absolute_scale"] else s * min(h, w)) / 3
        jit = noise.reshape(noise.shape[0], pts.shape[1], 2) * std.view(-1, 1, 1)
        # Albumentations' jitter is (dy, dx) per point, applied as x + dx, y + dy.
        tx = (pts[..., 0] + jit[..., 1]).clamp(0, w - 1)
        ty = (pts[..., 1] + jit[..., 0]).clamp(0, h - 1)
        m = FA.piecewise_affine_map(pts, real, torch.stack([tx, ty], -1), (h, w))
        ident = torch.stack(torch.meshgrid(torch.arange(w, device=dev, dtype=torch.float64),
                                           torch.arange(h, device=dev, dtype=torch.float64), indexing="xy"), 0)
        return torch.where((s > 0).view(-1, 1, 1, 1), m, ident.unsqueeze(0))
