"""Albumentations' crops, resizes and pads as Kornia ops. They change the image size; the next op in a pipeline
is drawn for the new size. A batch holds one size, so a call that applies one of them to some samples only
raises; :class:`~kornia_diffaug.ops.albu.PerSampleBranches` runs such a segment per group of samples.

Each builds the crop/resize/pad matrix with ``functional.albu.crop`` so boxes, keypoints and masks follow;
Albumentations scales keypoints and boxes by the plain size ratio while images are resampled with half-pixel
centres, so resizing ops carry a second matrix (``params["target"]``) for them. Common arguments (``p``,
``same_on_batch``, ``keepdim``, ``generator``) as in ``ops.albu.color``.
"""

from __future__ import annotations

from typing import Any

import torch

from ..._host import host_reads_free_no_grad
from ..._validate import check_int
from ...functional import albu as FA
from ...functional.geometry import translation_matrix
from .._alloc import empty_batch
from .._base import resample_flag
from .._registry import register_op
from ._base import AlbuGeometricBase, pair

__all__ = [
    "AlbuCrop",
    "AlbuLongestMaxSize",
    "AlbuPadIfNeeded",
    "AlbuRandomCrop",
    "AlbuRandomResizedCrop",
    "AlbuResize",
    "AlbuSmallestMaxSize",
]


def _int_size(name: str, value: Any) -> tuple[int, int]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{name} must be (height, width), got {value!r}")
    return check_int(f"{name}[0]", value[0]), check_int(f"{name}[1]", value[1])


class _ExactCrop:
    """Mixin of the crops that do not resize: the box is cut out exactly (a gather, not a resampling)."""

    _out: tuple[int, int]

    def apply_transform(self, input, params, flags, transform=None):
        return FA.crop_box(input, params["box"], self._out)

    def apply_transform_mask(self, input, params, flags, transform=None):
        return FA.crop_box(input, params["box"], self._out)


class _Crop(AlbuGeometricBase):
    """Crop ``(x0, y0)`` + size, optionally resized to ``self.size``; exact (nearest) when not resized. Its
    inverse puts the crop back in place on a zero canvas of the input's size."""

    resizes = True
    inverse_border = 0
    # CPU rows path: the whole batch in one call. The kernels go one image at a time (slices, ``F.interpolate``)
    # and make no batch temporaries, so chunks would only add a copy of each chunk into the output.
    cpu_chunk = 1 << 30

    def output_size(self, size):
        return self._out

    @property
    def fixed_size(self) -> tuple[int, int]:
        """The output ``(height, width)``, whatever the input's."""
        return self._out

    @property
    def min_input_size(self) -> tuple[int, int] | None:
        """The smallest input ``(H, W)`` the crop fits in (None: any)."""
        return self._out

    def _fixed_size(self, size, name: str) -> tuple[int, int]:
        """The crop's ``(height, width)``, checked to fit in the image ``size``."""
        ch, cw = self._out
        if ch > size[0] or cw > size[1]:
            raise ValueError(f"{name} size {self._out} exceeds the image size {tuple(size)}")
        return ch, cw

    def _crop_resize(self, input, params, interpolation: int, out=None) -> torch.Tensor:
        """The crop ``params["box"]`` resized to the output size as ``cv2.resize`` of the crop: nearest picks
        pixels (exact); linear and cubic repeat the crop's edge, never reading the pixels around it. Written into
        ``out`` when given (the lent batch when the output size is the input's)."""
        if out is None and interpolation != 0 and host_reads_free_no_grad(input):  # one image at a time into one batch
            out = empty_batch(input, (*input.shape[:2], *self._out))
        return FA.crop_resize(input, params["box"], self._out, interpolation, out=out)

    def apply_transform_mask(self, input, params, flags, transform=None):
        return self._crop_resize(input, params, resample_flag(flags, 0))

    def _box_sample(self, n, size, x0, y0, ch, cw) -> dict[str, torch.Tensor]:
        box = torch.stack([x0, y0, x0 + cw, y0 + ch], 1).double()
        return {"matrix": FA.crop_resize_matrix(box, self._out), "box": box}  # integer shift: same for targets


@register_op(identity=None, example={"height": 3, "width": 2}, geometric=True, resizes=True, min_size=(3, 2))
class AlbuRandomCrop(_ExactCrop, _Crop):
    """``RandomCrop``: an ``(height, width)`` window at ``y0 = int((H - height + 1) u)``,
    ``x0 = int((W - width + 1) v)``, ``u, v ~ U(0, 1)``; exact (no resampling).

    Args:
        height: crop height in pixels, ``1 <= height <= H``.
        width: crop width in pixels, ``1 <= width <= W``.

    Example:
        >>> op = AlbuRandomCrop(height=24, width=20)
        >>> y = op(torch.rand(2, 3, 32, 32))  # (2, 3, 24, 20)
    """

    albu_name = "RandomCrop"

    def __init__(self, height=1, width=1, p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, height=check_int("height", height),
                         width=check_int("width", width))
        self._out = (height, width)
        self._check_modes(0, 0, 0.0)

    def sample(self, n, size, generator, device):
        ch, cw = self._fixed_size(size, "RandomCrop")
        x0, y0 = FA.crop_origin(torch.rand(n, 2, generator=generator, device=device), size, (ch, cw))
        return self._box_sample(n, size, x0, y0, ch, cw)


@register_op(identity=None, example={"x_min": 1, "y_min": 0, "x_max": 3, "y_max": 2}, geometric=True, resizes=True,
             min_size=(2, 3))
class AlbuCrop(_ExactCrop, _Crop):
    """``Crop`` of the fixed box ``[x_min, x_max) x [y_min, y_max)``; with ``center=True``, ``CenterCrop`` of
    ``(y_max - y_min, x_max - x_min)`` at ``((H - h) // 2, (W - w) // 2)``. Exact (no resampling).

    Args:
        x_min: left edge in pixels, ``>= 0``.
        y_min: top edge in pixels, ``>= 0``.
        x_max: right edge (excluded) in pixels, ``> x_min`` and ``<= W``.
        y_max: bottom edge (excluded) in pixels, ``> y_min`` and ``<= H``.
        center: centre the box's size in the image instead (``CenterCrop``).

    Example:
        >>> op = AlbuCrop(0, 0, 20, 16, center=True)
        >>> y = op(torch.rand(2, 3, 32, 32))  # (2, 3, 16, 20)
    """

    albu_name = "Crop"

    def __init__(self, x_min=0, y_min=0, x_max=1, y_max=1, center=False, p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        for k, v in (("x_min", x_min), ("y_min", y_min)):
            check_int(k, v, lower=0)
        check_int("x_max", x_max, lower=x_min + 1)
        check_int("y_max", y_max, lower=y_min + 1)
        super().__init__(p, same_on_batch, keepdim, generator, x_min=x_min, y_min=y_min, x_max=x_max, y_max=y_max,
                         center=bool(center))
        self._out = (y_max - y_min, x_max - x_min)
        self._check_modes(0, 0, 0.0)

    def sample(self, n, size, generator, device):
        h, w = size
        ch, cw = self._fixed_size(size, "Crop")
        if self._cfg["center"]:
            y, x = (h - ch) // 2, (w - cw) // 2
        else:
            y, x = self._cfg["y_min"], self._cfg["x_min"]
        return self._box_sample(n, size, torch.full((n,), float(x), device=device),
                                torch.full((n,), float(y), device=device), ch, cw)


class _ResizedCrop(_Crop):
    """A crop box resized to ``self._out`` (half-pixel centres for the image, plain scaling for targets)."""

    min_input_size = None  # the box is drawn inside any image

    def _resized(self, box: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"matrix": FA.crop_resize_matrix(box, self._out), "target": FA.crop_resize_matrix(box, self._out, False),
                "box": box}

    def apply_transform(self, input, params, flags, transform=None):
        return self._crop_resize(input, params, resample_flag(flags, self.interpolation))

    def apply_transform_into(self, input, params, flags, out):
        return self._crop_resize(input, params, resample_flag(flags, self.interpolation), out)


@register_op(identity=None, example={"size": (6, 5), "scale": (0.3, 1.0)}, resizes=True)
class AlbuRandomResizedCrop(_ResizedCrop):
    """``RandomResizedCrop``: a crop of area ``~ U(scale) H W`` and aspect ``w / h`` log-uniform in ``ratio`` (up
    to 10 tries, else a centre crop clamped to ``ratio``; see
    :func:`kornia_diffaug.functional.albu.resized_crop_box`), resized to ``size`` with half-pixel centres.

    Args:
        size: output ``(height, width)`` in pixels, ints ``>= 1``.
        scale: ``(low, high)`` fraction of the image area in [0, 1].
        ratio: ``(low, high)`` aspect ratio ``w / h``, ``> 0``.
        interpolation: OpenCV flag 0 nearest, 1 linear, 2 cubic.

    Example:
        >>> op = AlbuRandomResizedCrop(size=(24, 24), scale=(0.5, 1.0))
        >>> y = op(torch.rand(2, 3, 32, 32))  # (2, 3, 24, 24)
    """

    albu_name = "RandomResizedCrop"

    def __init__(self, size=(224, 224), scale=(0.08, 1.0), ratio=(0.75, 4 / 3), interpolation=1, p=1.0,
                 same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, size=_int_size("size", size),
                         scale=pair("scale", scale, 0, 1), ratio=pair("ratio", ratio, 1e-6),
                         interpolation=interpolation)
        self._out = self._cfg["size"]
        self._check_modes(interpolation, 1, 0.0)

    def sample(self, n, size, generator, device):
        u_area = torch.rand(n, 10, generator=generator, device=device)
        u_ratio = torch.rand(n, 10, generator=generator, device=device)
        u_origin = torch.rand(n, 2, generator=generator, device=device)
        return self._resized(FA.resized_crop_box(u_area, u_ratio, u_origin, size, self._cfg["scale"],
                                                 self._cfg["ratio"]))


class _Resize(AlbuGeometricBase):
    """Whole-image resize (``cv2.resize``); ``target((H, W))`` gives the output size."""

    resizes = True

    def target(self, size: tuple[int, int]) -> tuple[int, int]:
        raise NotImplementedError

    def output_size(self, size):
        return self.target(size)

    def sample(self, n, size, generator, device):
        oh, ow = self.target(size)
        box = torch.tensor([[0.0, 0.0, size[1], size[0]]], dtype=torch.float64, device=device).expand(n, 4)
        return {"matrix": FA.crop_resize_matrix(box, (oh, ow)), "target": FA.crop_resize_matrix(box, (oh, ow), False)}

    def apply_transform(self, input, params, flags, transform=None):
        size = self.target((input.shape[-2], input.shape[-1]))
        return FA.resize(input, size, resample_flag(flags, self.interpolation))

    def apply_transform_mask(self, input, params, flags, transform=None):
        return FA.resize(input, self.target((input.shape[-2], input.shape[-1])), resample_flag(flags, 0))

    def inverse_transform(self, input, flags, transform=None, size=None):
        """A resize back to the forward input's ``size`` (the exact inverse of the half-pixel matrix)."""
        return FA.resize(input, self._inverse_size(size), resample_flag(flags, self.interpolation))


@register_op(identity=None, example={"height": 6, "width": 4}, resizes=True)
class AlbuResize(_Resize):
    """``Resize`` to ``(height, width)`` as ``cv2.resize`` (half-pixel centres, no antialiasing).

    Args:
        height: output height in pixels, ``>= 1``.
        width: output width in pixels, ``>= 1``.
        interpolation: OpenCV flag 0 nearest, 1 linear, 2 cubic.

    Example:
        >>> op = AlbuResize(24, 40)
        >>> y = op(torch.rand(2, 3, 32, 32))  # (2, 3, 24, 40)
    """

    albu_name = "Resize"

    def __init__(self, height=224, width=224, interpolation=1, p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, height=check_int("height", height),
                         width=check_int("width", width), interpolation=interpolation)
        self._check_modes(interpolation, 0, 0.0)

    def target(self, size):
        return self._cfg["height"], self._cfg["width"]

    @property
    def fixed_size(self) -> tuple[int, int]:
        """The output ``(height, width)``, whatever the input's."""
        return self._cfg["height"], self._cfg["width"]


class _MaxSize(_Resize):
    _pick = max

    def __init__(self, max_size=1024, interpolation=1, p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, max_size=check_int("max_size", max_size),
                         interpolation=interpolation)
        self._check_modes(interpolation, 0, 0.0)

    def _scale(self, size: tuple[int, int]) -> float:
        return self._cfg["max_size"] / type(self)._pick(size)

    def target(self, size):
        scale = self._scale(size)
        return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))

    def sample(self, n, size, generator, device):
        params = super().sample(n, size, generator, device)
        # Albumentations scales keypoints by the factor itself, boxes (normalised) by the rounded sizes' ratio.
        params["target_keypoints"] = FA.scale_matrix(torch.full((n,), self._scale(size), device=device,
                                                                dtype=torch.float64))
        return params


@register_op(identity=None, example={"max_size": 6}, resizes=True)
class AlbuLongestMaxSize(_MaxSize):
    """``LongestMaxSize``: resize by ``s = max_size / max(H, W)``, sides ``max(1, round(side * s))``.

    Args:
        max_size: the longer output side in pixels, ``>= 1``.
        interpolation: OpenCV flag 0 nearest, 1 linear, 2 cubic.

    Example:
        >>> op = AlbuLongestMaxSize(16)
        >>> y = op(torch.rand(2, 3, 32, 24))  # (2, 3, 16, 12)
    """

    albu_name = "LongestMaxSize"
    _pick = max


@register_op(identity=None, example={"max_size": 6}, resizes=True)
class AlbuSmallestMaxSize(_MaxSize):
    """``SmallestMaxSize``: as :class:`AlbuLongestMaxSize` with ``s = max_size / min(H, W)``.

    Args:
        max_size: the shorter output side in pixels, ``>= 1``.
        interpolation: as :class:`AlbuLongestMaxSize`.

    Example:
        >>> op = AlbuSmallestMaxSize(12)
        >>> y = op(torch.rand(2, 3, 32, 24))  # (2, 3, 16, 12)
    """

    albu_name = "SmallestMaxSize"
    _pick = min


_POSITIONS = ("center", "top_left", "top_right", "bottom_left", "bottom_right")


@register_op(identity=None, example={"min_height": 10, "min_width": 11}, geometric=True, resizes=True)
class AlbuPadIfNeeded(AlbuGeometricBase):
    """``PadIfNeeded``: pad to at least ``(min_height, min_width)``, or up to the next multiple of the divisors;
    a side's padding ``pad`` splits as ``pad // 2`` before and the rest after for ``position="center"``, or all on
    one side for the corner positions. Exact (no resampling).

    Args:
        min_height: smallest output height in pixels, ``>= 1`` (or None with ``pad_height_divisor``).
        min_width: smallest output width in pixels, ``>= 1`` (or None with ``pad_width_divisor``).
        pad_height_divisor: pad the height up to a multiple of this, ``>= 1`` (or None).
        pad_width_divisor: pad the width up to a multiple of this, ``>= 1`` (or None).
        position: ``"center"``, ``"top_left"``, ``"top_right"``, ``"bottom_left"`` or ``"bottom_right"``.
        border_mode: OpenCV flag 0 constant, 1 replicate, 2 reflect, 4 reflect-101.
        fill: constant border value(s) in [0, 1] (uint8 fill / 255).
        fill_mask: constant border label of masks (not scaled).

    Example:
        >>> op = AlbuPadIfNeeded(40, 36, border_mode=0)
        >>> y = op(torch.rand(2, 3, 32, 32))  # (2, 3, 40, 36)
    """

    albu_name = "PadIfNeeded"
    resizes = True

    def __init__(self, min_height=1024, min_width=1024, pad_height_divisor=None, pad_width_divisor=None,
                 position="center", border_mode=4, fill=0.0, fill_mask=0.0, p=1.0, same_on_batch=False,
                 keepdim=False, generator=None):
        if (min_height is None) == (pad_height_divisor is None) or (min_width is None) == (pad_width_divisor is None):
            raise ValueError("give exactly one of min_height / pad_height_divisor and of min_width / pad_width_divisor")
        for k, v in (("min_height", min_height), ("min_width", min_width), ("pad_height_divisor", pad_height_divisor),
                     ("pad_width_divisor", pad_width_divisor)):
            if v is not None:
                check_int(k, v)
        if position not in _POSITIONS:
            raise ValueError(f"position must be one of {_POSITIONS}, got {position!r}")
        super().__init__(p, same_on_batch, keepdim, generator, min_height=min_height, min_width=min_width,
                         pad_height_divisor=pad_height_divisor, pad_width_divisor=pad_width_divisor,
                         position=position, border_mode=border_mode, fill=fill)
        self._check_modes(0, border_mode, fill, fill_mask)
        self._cfg["fill"] = self.fill

    def _pads(self, size: tuple[int, int]) -> tuple[int, int, int, int]:
        def one(side, minimum, div):
            pad = max(0, minimum - side) if minimum is not None else (div - side % div) % div
            return pad // 2, pad - pad // 2

        c = self._cfg
        top, bottom = one(size[0], c["min_height"], c["pad_height_divisor"])
        left, right = one(size[1], c["min_width"], c["pad_width_divisor"])
        pos = c["position"]
        if pos.startswith("top"):
            top, bottom = 0, top + bottom
        elif pos.startswith("bottom"):
            top, bottom = top + bottom, 0
        if pos.endswith("left"):
            left, right = 0, left + right
        elif pos.endswith("right"):
            left, right = left + right, 0
        return top, bottom, left, right

    def output_size(self, size):
        t, b, l, r = self._pads(size)
        return size[0] + t + b, size[1] + l + r

    def sample(self, n, size, generator, device):
        t, _, l, _ = self._pads(size)
        one = torch.ones(n, dtype=torch.float64, device=device)
        return {"matrix": translation_matrix(one * l, one * t, torch.float64)}
