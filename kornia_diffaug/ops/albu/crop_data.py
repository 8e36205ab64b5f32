"""Albumentations' crops drawn from a size range or from the data, as Kornia ops: ``RandomSizedCrop``,
``CropNonEmptyMaskIfExists`` and ``RandomSizedBBoxSafeCrop``. They keep a fixed output size, so the next op is
drawn for it; like the other crops they need ``p=1`` in a batch and expose their matrix, so masks, boxes and
keypoints follow (kernels: ``functional.albu.crop_data``).

The data-driven crops cannot draw their box from the shape alone: ``sample`` draws the uniforms and a fallback
box (Albumentations' choice for an empty mask / no boxes), and :meth:`refine` turns the uniforms into the box
of the data the op receives. The Albumentations pipeline (``from_albumentations``) calls ``refine`` with the
mask or boxes as they reach the op; by hand: ``params = op.forward_parameters(x.shape)``,
``op.refine(params, mask=m)``, then ``op(x, params=params)``. Common arguments as in ``ops.albu.color``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch

from ..._validate import check_int, check_number
from ...functional import albu as FA
from .._registry import register_op
from ._base import pair, randint
from .crop import _int_size, _ResizedCrop

__all__ = ["AlbuCropNonEmptyMaskIfExists", "AlbuRandomSizedBBoxSafeCrop", "AlbuRandomSizedCrop"]


@register_op(identity=None, example={"min_max_height": (3, 5), "size": (4, 6), "w2h_ratio": 1.2}, resizes=True,
             min_size=(5, 6))
class AlbuRandomSizedCrop(_ResizedCrop):
    """``RandomSizedCrop``: a crop of height ``h ~ randint[min_max_height]`` and width ``int(h w2h_ratio)``
    (clipped to the image), at ``y0 = int((H - h + 1) u)``, ``x0 = int((W - w + 1) v)``, resized to ``size``
    (see :func:`kornia_diffaug.functional.albu.sized_crop_box`).

    Args:
        min_max_height: ``(low, high)`` integer crop heights in pixels, ``>= 1``.
        size: output ``(height, width)`` in pixels, ints ``>= 1``.
        w2h_ratio: crop width over height, ``> 0``.
        interpolation: OpenCV flag 0 nearest, 1 linear, 2 cubic.

    Example:
        >>> op = AlbuRandomSizedCrop(min_max_height=(16, 28), size=(24, 24))
        >>> y = op(torch.rand(2, 3, 32, 32))  # (2, 3, 24, 24)
    """

    albu_name = "RandomSizedCrop"

    def __init__(self, min_max_height=(1, 1), size=(224, 224), w2h_ratio=1.0, interpolation=1, p=1.0,
                 same_on_batch=False, keepdim=False, generator=None):
        lo, hi = pair("min_max_height", min_max_height, 1)
        if lo != int(lo) or hi != int(hi):
            raise ValueError(f"min_max_height must hold integers, got {min_max_height!r}")
        super().__init__(p, same_on_batch, keepdim, generator, min_max_height=(int(lo), int(hi)),
                         size=_int_size("size", size), w2h_ratio=check_number("w2h_ratio", w2h_ratio, 1e-9),
                         interpolation=interpolation)
        self._out = self._cfg["size"]
        self._check_modes(interpolation, 1, 0.0)

    def sample(self, n, size, generator, device):
        crop_h = randint(n, *self._cfg["min_max_height"], generator, device)
        u = torch.rand(n, 2, generator=generator, device=device)
        return self._resized(FA.sized_crop_box(crop_h, self._cfg["w2h_ratio"], u, size))


class _DataCrop(_ResizedCrop):
    """A crop whose box depends on a target: ``needs`` names it (``"mask"`` or ``"bboxes"``)."""

    needs: ClassVar[str]

    def refine(self, params: dict[str, Any], **data: Any) -> None:
        """Replace ``params``' box (and matrices) by the box drawn from ``data``, with the uniforms in ``params``."""
        raise NotImplementedError

    def _store(self, params: dict[str, Any], box: torch.Tensor) -> None:
        dev = params["matrix"].device
        params.update(self._resized(box.to(dev)))
        params["refined"] = torch.ones(box.shape[0], device=dev)


# The registry runs it without a mask: it then crops as Albumentations does for an empty mask (a random crop).
@register_op(identity=None, example={"height": 3, "width": 4}, geometric=True, resizes=True, min_size=(3, 4))
class AlbuCropNonEmptyMaskIfExists(_DataCrop):
    """``CropNonEmptyMaskIfExists``: a ``(height, width)`` crop holding a random non-empty pixel of the mask, or a
    random crop where the mask is empty (see :func:`kornia_diffaug.functional.albu.mask_crop_box`). Exact (no
    resampling).

    A pixel is non-empty where the mask's channels (those not in ``ignore_channels``; a 1-channel mask is one
    plane, as an ``(H, W)`` mask is in Albumentations), after setting ``ignore_values`` to 0, sum to non-zero.
    Several masks are merged first (Albumentations' ``masks``). The box comes from :meth:`refine`; without it the
    op crops as for an empty mask.

    Args:
        height: crop height in pixels, ``1 <= height <= H``.
        width: crop width in pixels, ``1 <= width <= W``.
        ignore_values: mask values that count as empty (0 always does), or None.
        ignore_channels: mask channels left out, or None.

    Example:
        >>> op = AlbuCropNonEmptyMaskIfExists(height=16, width=16)
        >>> x, mask = torch.rand(2, 3, 32, 32), torch.zeros(2, 1, 32, 32)
        >>> mask[:, :, 20:24, 3:6] = 1
        >>> params = op.forward_parameters(x.shape)
        >>> op.refine(params, mask=[mask])
        >>> y = op(x, params=params)  # (2, 3, 16, 16), each holding part of its mask
    """

    albu_name = "CropNonEmptyMaskIfExists"
    needs = "mask"

    @property
    def min_input_size(self) -> tuple[int, int]:
        """The crop is ``(height, width)`` itself: the image must hold it."""
        return self._out

    def __init__(self, height=1, width=1, ignore_values=None, ignore_channels=None, p=1.0, same_on_batch=False,
                 keepdim=False, generator=None):
        for name, v in (("ignore_values", ignore_values), ("ignore_channels", ignore_channels)):
            if v is not None and (not isinstance(v, Sequence) or not all(isinstance(t, int) for t in v)):
                raise TypeError(f"{name} must be a list of integers or None, got {v!r}")
        super().__init__(p, same_on_batch, keepdim, generator, height=check_int("height", height),
                         width=check_int("width", width),
                         ignore_values=None if ignore_values is None else tuple(ignore_values),
                         ignore_channels=None if ignore_channels is None else tuple(ignore_channels))
        self._out = (height, width)
        self._check_modes(0, 0, 0.0)

    def sample(self, n, size, generator, device):
        ch, cw = self._fixed_size(size, "CropNonEmptyMaskIfExists")
        h, w = size
        offset = torch.stack([randint(n, 0, cw - 1, generator, device), randint(n, 0, ch - 1, generator, device)], 1)
        free = torch.stack([randint(n, 0, w - cw, generator, device), randint(n, 0, h - ch, generator, device)], 1)
        params = {"u_pick": torch.rand(n, generator=generator, device=device).double(), "offset": offset,
                  "free": free}
        box = torch.cat([free, free + torch.tensor([cw, ch], device=device)], 1).double()
        return {**params, **self._resized(box), "refined": torch.zeros(n, device=device)}

    def nonempty(self, masks: Sequence[torch.Tensor]) -> torch.Tensor:
        """(B, H, W) bool: the pixels that count as non-empty in the merged ``masks`` (each (B, C, H, W))."""
        c = self._cfg
        out = None
        for m in masks:
            if c["ignore_values"] is not None:
                ign = torch.tensor(c["ignore_values"], dtype=m.dtype, device=m.device)
                m = torch.where(torch.isin(m, ign), torch.zeros_like(m), m)
            if m.shape[1] > 1 and c["ignore_channels"] is not None:
                keep = [i for i in range(m.shape[1]) if i not in c["ignore_channels"]]
                m = m[:, keep]
            plane = m.sum(1) != 0
            out = plane if out is None else out | plane
        if out is None:
            raise ValueError("CropNonEmptyMaskIfExists needs a mask")
        return out

    def refine(self, params, mask=None, **data):
        if not mask:
            raise ValueError("CropNonEmptyMaskIfExists needs a mask (Albumentations raises 'Can not find mask for "
                             "CropNonEmptyMaskIfExists'): call with data_keys=[..., 'mask']")
        nz = self.nonempty(mask)
        box = FA.mask_crop_box(nz, params["u_pick"], params["offset"], params["free"], self._out)
        self._store(params, box)


@register_op(identity=None, example={"height": 4, "width": 5, "erosion_rate": 0.2}, resizes=True)
class AlbuRandomSizedBBoxSafeCrop(_DataCrop):
    """``RandomSizedBBoxSafeCrop``: a random crop holding every box of the image (their union eroded by
    ``erosion_rate``), resized to ``(height, width)``; an image without boxes takes a crop of height
    ``randint[max(1, int(H (1 - erosion_rate))), H]`` and the image's aspect (see
    :func:`kornia_diffaug.functional.albu.bbox_safe_crop_box`). The boxes come from :meth:`refine`; without it
    the op crops as for an image without boxes.

    Args:
        height: output height in pixels, ``>= 1``.
        width: output width in pixels, ``>= 1``.
        erosion_rate: fraction in [0, 1] the union of several boxes may shrink by.
        interpolation: OpenCV flag 0 nearest, 1 linear, 2 cubic.

    Example:
        >>> op = AlbuRandomSizedBBoxSafeCrop(height=24, width=24)
        >>> x, boxes = torch.rand(2, 3, 32, 40), torch.tensor([[[4.0, 5.0, 20.0, 18.0]]]).repeat(2, 1, 1)
        >>> params = op.forward_parameters(x.shape)
        >>> op.refine(params, bboxes=(boxes, torch.ones(2, 1, dtype=torch.bool)))
        >>> y = op(x, params=params)  # (2, 3, 24, 24), each holding its box
    """

    albu_name = "RandomSizedBBoxSafeCrop"
    needs = "bboxes"

    def __init__(self, height=224, width=224, erosion_rate=0.0, interpolation=1, p=1.0, same_on_batch=False,
                 keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, height=check_int("height", height),
                         width=check_int("width", width),
                         erosion_rate=check_number("erosion_rate", erosion_rate, 0, 1), interpolation=interpolation)
        self._out = (height, width)
        self._check_modes(interpolation, 1, 0.0)

    def sample(self, n, size, generator, device):
        h, w = size
        # Albumentations draws from ``[int(H (1 - erosion_rate)), H]`` and raises on a crop of height 0 (images
        # under ``1 / (1 - erosion_rate)`` pixels high); heights start at 1 here.
        low = max(1, int(h * (1.0 - self._cfg["erosion_rate"])))
        crop_h = randint(n, low, h, generator, device) if low < h else torch.full((n,), h, device=device)
        u = torch.rand(n, 4, generator=generator, device=device).double()
        empty = torch.zeros(n, 0, 4, dtype=torch.float64, device=device)
        box = FA.bbox_safe_crop_box(empty, empty[..., 0].bool(), self._cfg["erosion_rate"], u, crop_h, size)
        return {**self._resized(box), "u": u, "crop_h": crop_h, "refined": torch.zeros(n, device=device)}

    def refine(self, params, bboxes=None, **data):
        if bboxes is None:
            raise ValueError("RandomSizedBBoxSafeCrop needs the boxes (Albumentations raises KeyError 'bboxes' "
                             "without bbox_params)")
        boxes, valid = bboxes
        size = tuple(int(s) for s in params["forward_input_shape"][-2:].tolist())
        box = FA.bbox_safe_crop_box(boxes, valid, self._cfg["erosion_rate"], params["u"], params["crop_h"], size)
        self._store(params, box)
