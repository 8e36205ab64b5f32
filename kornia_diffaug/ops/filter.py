"""Kornia's stock filters, made safe for half precision on the CPU (used by the SSL view policies)."""

from __future__ import annotations

import torch
from kornia import augmentation as K

__all__ = ["RandomGaussianBlur"]


class RandomGaussianBlur(K.RandomGaussianBlur):
    """``kornia.augmentation.RandomGaussianBlur`` with the same arguments, draws and float32/float64 results.

    On the CPU a float16/bfloat16 image is blurred in float32 and rounded back once, as every convolution of
    ours is (``functional/_conv.py``): PyTorch's half-precision CPU convolutions are slow and can hang for
    kernels of 15 taps and more, and SimCLR's kernel is 10% of the image side (23 taps at 224 px).
    """

    def apply_transform(self, input, params, flags, transform=None):  # noqa: D102
        if input.device.type == "cpu" and input.dtype in (torch.float16, torch.bfloat16):
            return super().apply_transform(input.float(), params, flags, transform).to(input.dtype)
        return super().apply_transform(input, params, flags, transform)
