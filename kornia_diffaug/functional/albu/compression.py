"""``ImageCompression`` (JPEG): Kornia's differentiable JPEG codec with the channel handling of Albumentations'
``image_compression`` (OpenCV ``imencode``/``imdecode``).

OpenCV reads a 3-channel array as BGR, so Albumentations' RGB image is coded with R and B swapped (its luma is
``0.114 R + 0.587 G + 0.299 B``); the codec here swaps them the same way. 1-channel images are coded as greyscale
JPEG (luma only), 2-channel images with a zero third channel, and channels past the third as greyscale images of
their own. Chroma is subsampled 4:2:0 as libjpeg's default. Pure functions; no randomness.
"""

from __future__ import annotations

import torch
from kornia.enhance import jpeg_codec_differentiable

from ..._validate import check_image

__all__ = ["jpeg"]


def _codec(rgb: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
    """Kornia's codec on ``(N, 3, H, W)`` with the channels in OpenCV's (BGR) order."""
    return jpeg_codec_differentiable(rgb.flip(1), quality).flip(1)


def jpeg(x: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
    """JPEG-code each image at its own ``quality`` (B,) in [1, 100] (libjpeg's quality: tables scaled by
    ``5000 / q`` below 50 and ``200 - 2 q`` above), returning the decoded image in [0, 1].

    The codec's rounding is Kornia's differentiable one (``round(t) + (t - round(t))^3``), so the gradient
    reaches the input; values are clamped to [0, 1] first, as a uint8 image is."""
    check_image(x)
    b, c, h, w = x.shape
    if x.numel() == 0:
        return x.clone()
    q = quality.to(device=x.device, dtype=torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype)
    x01 = x.clamp(0, 1)
    if c == 1:
        return _codec(x01.expand(b, 3, h, w), q)[:, :1]
    if c == 2:
        return _codec(torch.cat([x01, torch.zeros_like(x01[:, :1])], 1), q)[:, :2]
    out = [_codec(x01[:, :3], q)]
    if c > 3:  # each extra channel as a greyscale JPEG, batched as extra images
        extra = x01[:, 3:].reshape(b * (c - 3), 1, h, w).expand(-1, 3, h, w)
        out.append(_codec(extra, q.repeat_interleave(c - 3))[:, :1].reshape(b, c - 3, h, w))
    return torch.cat(out, 1)
