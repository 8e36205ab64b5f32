"""Albumentations' resizes and crops whose output size is drawn per sample (``RandomScale``,
``RandomCropFromBorders``).

A batch holds one size, so these ops draw their size-deciding numbers apart from the rest (``draw_size`` /
``size_from``): :class:`~kornia_diffaug.ops.albu.PerSampleBranches` reads them to group the samples that end at
the same size, and each group runs as one batch. Used alone on a batch, every sample must end at one size (one
scale, ``same_on_batch=True``, or a range narrow enough for the image size), else the call raises. Common
arguments (``p``, ``same_on_batch``, ``keepdim``, ``generator``) as in ``ops.albu.color``.
"""

from __future__ import annotations

import torch

from ..._validate import check_range
from ...functional import albu as FA
from .._base import resample_flag
from .._registry import register_op
from ._base import AlbuGeometricBase, pair

__all__ = ["AlbuRandomCropFromBorders", "AlbuRandomScale"]


class _DrawnSize(AlbuGeometricBase):
    """An op whose output size is decided by its own draw ``draw_size`` (one row per sample); subclasses define
    ``draw_size``, ``size_from`` and ``extreme_sizes``, and ``sample`` reads ``self._given`` (drawn beforehand)."""

    resizes = True
    _given: torch.Tensor | None = None

    def forward_parameters_given(self, batch_shape: torch.Size, drawn: torch.Tensor) -> dict[str, torch.Tensor]:
        """:meth:`forward_parameters` with the size-deciding draw made beforehand (``draw_size``)."""
        self._given = drawn
        try:
            return self.forward_parameters(batch_shape)
        finally:
            self._given = None

    def _one_size(self, sizes: set[tuple[int, int]], size: tuple[int, int]) -> tuple[int, int]:
        if len(sizes) > 1:
            raise ValueError(f"{self.albu_name} draws sizes {sorted(sizes)} for one batch; a batch holds one size "
                             "(in a loaded pipeline, PerSampleBranches groups the samples by size)")
        return sizes.pop() if sizes else tuple(self.output_size(size))

    def _size(self, input: torch.Tensor, params: dict[str, torch.Tensor]) -> tuple[int, int]:
        o = params["output_size"]
        if o.shape[0] == 0:
            return self.output_size((input.shape[-2], input.shape[-1]))
        oh, ow = (int(v) for v in o[0].tolist())  # a CPU tensor: no device sync
        return oh, ow


@register_op(identity=None, example={"scale_limit": (0.5, 0.5)}, resizes=True)
class AlbuRandomScale(_DrawnSize):
    """``RandomScale``: resize by ``s ~ U(1 + lo, 1 + hi)`` to ``(int(H s), int(W s))`` (``cv2.resize``, half-pixel
    centres); keypoints and boxes are scaled by ``s`` itself, as Albumentations scales keypoints (its boxes, in
    normalised coordinates, scale by the size ratio ``int(W s) / W``: at most one pixel from ``s`` at the far edge).

    Args:
        scale_limit: ``(lo, hi)``, the scale's range minus 1 (Albumentations' convention), ``lo > -1``.
        interpolation: OpenCV flag 0 nearest, 1 linear, 2 cubic.

    Example:
        >>> op = AlbuRandomScale(scale_limit=(0.5, 0.5))
        >>> y = op(torch.rand(2, 3, 32, 32))  # (2, 3, 48, 48)
    """

    albu_name = "RandomScale"

    @property
    def variable_size(self) -> bool:
        """The output size is drawn per sample (a scale range, not one scale)."""
        lo, hi = self._cfg["scale_limit"]
        return lo != hi

    def __init__(self, scale_limit=(-0.1, 0.1), interpolation=1, p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, scale_limit=pair("scale_limit", scale_limit, -1 + 1e-6),
                         interpolation=interpolation)
        self._check_modes(interpolation, 0, 0.0)

    def draw_size(self, n: int, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
        """The ``(n,)`` scales ``s`` (float64), the only draw that decides the output size."""
        lo, hi = self._cfg["scale_limit"]
        u = torch.rand(n, generator=generator, device=device, dtype=torch.float64)
        return 1.0 + lo + (hi - lo) * u

    def size_from(self, size: tuple[int, int], s: float) -> tuple[int, int]:
        """The output ``(H, W)`` of an ``size`` image at scale ``s`` (``int`` truncates, as Albumentations)."""
        return int(size[0] * s), int(size[1] * s)

    def extreme_sizes(self, size: tuple[int, int]) -> set[tuple[int, int]]:
        lo, hi = self._cfg["scale_limit"]
        return {self.size_from(size, 1.0 + lo), self.size_from(size, 1.0 + hi)}

    def output_size(self, size):
        lo, hi = self._cfg["scale_limit"]
        return self.size_from(size, 1.0 + (lo + hi) / 2)

    def sample(self, n, size, generator, device):
        given = self._given
        s = self.draw_size(n, generator, device) if given is None else given.to(device, torch.float64)
        oh, ow = self._one_size({self.size_from(size, float(v)) for v in s.cpu().tolist()}, size)
        box = torch.tensor([[0.0, 0.0, size[1], size[0]]], dtype=torch.float64, device=device).expand(n, 4)
        # Albumentations scales keypoints by s itself, boxes (normalised) by the rounded sizes' ratio.
        return {"matrix": FA.crop_resize_matrix(box, (oh, ow)), "target": FA.crop_resize_matrix(box, (oh, ow), False),
                "target_keypoints": FA.scale_matrix(s), "scale": s,
                "output_size": torch.tensor([[oh, ow]], dtype=torch.long).expand(n, 2)}

    def apply_transform(self, input, params, flags, transform=None):
        return FA.resize(input, self._size(input, params), resample_flag(flags, self.interpolation))

    def apply_transform_mask(self, input, params, flags, transform=None):
        return FA.resize(input, self._size(input, params), resample_flag(flags, 0))

    def inverse_transform(self, input, flags, transform=None, size=None):
        """A resize back to the forward input's ``size`` (the exact inverse of the pixel matrix)."""
        return FA.resize(input, self._inverse_size(size), resample_flag(flags, self.interpolation))


@register_op(identity=None, example={"crop_left": 0.0, "crop_right": 0.0, "crop_top": 0.0, "crop_bottom": 0.0},
             geometric=True, resizes=True)
class AlbuRandomCropFromBorders(_DrawnSize):
    """``RandomCropFromBorders``: crop ``[x0, x1) x [y0, y1)`` with ``x0 = randint[0, int(crop_left W)]``,
    ``x1 = randint[max(x0 + 1, int((1 - crop_right) W)), W]`` and likewise ``y0, y1`` (Python's ``randint``, both
    ends included); exact (no resampling). Its size is drawn per image, as for :class:`AlbuRandomScale`.

    Args:
        crop_left: largest fraction of the width cut from the left, in [0, 1].
        crop_right: largest fraction of the width cut from the right, in [0, 1].
        crop_top: largest fraction of the height cut from the top, in [0, 1].
        crop_bottom: largest fraction of the height cut from the bottom, in [0, 1].

    Example:
        >>> op = AlbuRandomCropFromBorders(0.1, 0.1, 0.1, 0.1, same_on_batch=True)
        >>> y = op(torch.rand(2, 3, 32, 32))  # both crops alike, e.g. (2, 3, 30, 29)
    """

    albu_name = "RandomCropFromBorders"

    def __init__(self, crop_left=0.1, crop_right=0.1, crop_top=0.1, crop_bottom=0.1, p=1.0, same_on_batch=False,
                 keepdim=False, generator=None):
        fr = {k: float(check_range(k, (v, v), lower=0, upper=1)[0]) for k, v in
              (("crop_left", crop_left), ("crop_right", crop_right), ("crop_top", crop_top),
               ("crop_bottom", crop_bottom))}
        super().__init__(p, same_on_batch, keepdim, generator, **fr)
        self._check_modes(0, 0, 0.0)

    @property
    def variable_size(self) -> bool:
        """The output size is drawn per sample (some border may be cut)."""
        return any(self._cfg[k] > 0 for k in ("crop_left", "crop_right", "crop_top", "crop_bottom"))

    def draw_size(self, n: int, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
        """``(n, 4)`` uniforms deciding ``x0, x1, y0, y1`` (float64), the only draw that decides the size."""
        return torch.rand(n, 4, generator=generator, device=device, dtype=torch.float64)

    def _box(self, size: tuple[int, int], u) -> tuple[int, int, int, int]:
        h, w = size
        c = self._cfg

        def randint(lo: int, hi: int, v: float) -> int:
            return min(hi, lo + int(v * (hi - lo + 1)))

        x0 = randint(0, int(c["crop_left"] * w), u[0])
        x1 = randint(max(x0 + 1, int((1 - c["crop_right"]) * w)), w, u[1])
        y0 = randint(0, int(c["crop_top"] * h), u[2])
        y1 = randint(max(y0 + 1, int((1 - c["crop_bottom"]) * h)), h, u[3])
        return x0, y0, x1, y1

    def size_from(self, size: tuple[int, int], u) -> tuple[int, int]:
        x0, y0, x1, y1 = self._box(size, u)
        return y1 - y0, x1 - x0

    def extreme_sizes(self, size: tuple[int, int]) -> set[tuple[int, int]]:
        return {self.size_from(size, (1.0, 0.0, 1.0, 0.0)), tuple(size)}

    def output_size(self, size):
        return tuple(size) if self.variable_size else self.size_from(size, (0.0, 0.0, 0.0, 0.0))

    def sample(self, n, size, generator, device):
        given = self._given
        u = self.draw_size(n, generator, device) if given is None else given.to(device, torch.float64)
        boxes = [self._box(size, row) for row in u.cpu().tolist()]
        oh, ow = self._one_size({(y1 - y0, x1 - x0) for x0, y0, x1, y1 in boxes}, size)
        box = torch.tensor(boxes, dtype=torch.float64, device=device).view(-1, 4)
        return {"matrix": FA.crop_resize_matrix(box, (oh, ow)), "box": box, "u": u,
                "output_size": torch.tensor([[oh, ow]], dtype=torch.long).expand(n, 2)}

    def apply_transform(self, input, params, flags, transform=None):
        return FA.warp(input, params["matrix"], self._size(input, params), 0, 0, 0.0)

    def apply_transform_mask(self, input, params, flags, transform=None):
        return FA.warp(input, params["matrix"], self._size(input, params), 0, 0, self.fill_mask)
