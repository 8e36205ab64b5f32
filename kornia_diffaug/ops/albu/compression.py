"""Albumentations' ``ImageCompression`` (JPEG) as a Kornia op, on Kornia's differentiable JPEG codec
(``functional.albu.compression``). Common arguments (``p``, ``same_on_batch``, ``keepdim``, ``generator``) as in
``ops.albu.color``."""

from __future__ import annotations

from ...functional import albu as FA
from .._registry import register_op
from ._base import AlbuIntensityBase, pair, randint

__all__ = ["AlbuImageCompression"]


@register_op(identity={"p": 0.0})
class AlbuImageCompression(AlbuIntensityBase):
    """``ImageCompression`` (``compression_type="jpeg"``): JPEG-code each image at a quality ``q ~ randint[
    quality_range]`` (libjpeg's scale, 4:2:0 chroma) and decode it, channels handled as OpenCV's ``imencode``
    (see :func:`kornia_diffaug.functional.albu.jpeg`); differentiable through Kornia's codec.

    Args:
        quality_range: ``(low, high)`` integer qualities in [1, 100] (100: finest quantisation).
        compression_type: ``"jpeg"`` only (WebP has no differentiable codec here).

    Example:
        >>> op = AlbuImageCompression((50, 90))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "ImageCompression"

    def __init__(self, quality_range=(99, 100), compression_type="jpeg", p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        lo, hi = pair("quality_range", quality_range, 1, 100)
        if lo != int(lo) or hi != int(hi):
            raise ValueError(f"quality_range must hold integers, got {quality_range!r}")
        if compression_type != "jpeg":
            raise ValueError(f"compression_type must be 'jpeg', got {compression_type!r}")
        super().__init__(p, same_on_batch, keepdim, generator, quality_range=(int(lo), int(hi)),
                         compression_type="jpeg")

    def sample(self, n, size, generator, device):
        return {"quality": randint(n, *self._cfg["quality_range"], generator, device).float()}

    def apply_transform(self, input, params, flags, transform=None):
        return FA.jpeg(input, params["quality"])
