"""Convolutions that are safe on every dtype and device: the only place the package calls ``F.conv*``.

PyTorch's CPU convolutions in half precision (float16, bfloat16) have no oneDNN kernel on many CPUs and fall
back to reference code (``aten::_slow_conv2d_forward``) that is slow and, on some CPUs, hangs: a float16
depthwise ``conv2d`` with a kernel of 15 taps or more was reported not to return in 100 s (13 taps: instant).
CPU autocast sends float32 convolutions down the same path. So on the CPU a half-precision convolution runs in
float32 (autocast off) and the result is cast back: the exact float32 result, rounded once to the half type.
Accelerators keep the native dtype and autocast. float32/float64 calls are passed through unchanged.

``weight`` (and ``bias``) may be of any float dtype: they are cast to the dtype the convolution runs in, so
callers can keep kernels in float64 and lose no precision to a half-precision copy of the kernel.
Gradients flow through the casts.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["conv1d", "conv2d", "conv_transpose2d"]

_HALF = (torch.float16, torch.bfloat16)


def _cpu_autocast_dtype() -> torch.dtype | None:
    """The CPU autocast dtype when CPU autocast is on, else ``None``."""
    return torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") else None


def _run(fn, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, *args) -> torch.Tensor:
    if x.device.type == "cpu":
        amp = _cpu_autocast_dtype() if x.dtype != torch.float64 else None  # autocast leaves float64 alone
        out = amp if amp in _HALF else x.dtype if x.dtype in _HALF else None
        if out is not None:
            with torch.autocast("cpu", enabled=False):
                b = None if bias is None else bias.to(torch.float32)
                y = fn(x.to(torch.float32), weight.to(torch.float32), b, *args)
            return y.to(out)
    b = None if bias is None else bias.to(x.dtype)
    return fn(x, weight.to(x.dtype), b, *args)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> torch.Tensor:
    """``F.conv1d``, computed in float32 for half-precision CPU inputs (see the module docstring)."""
    return _run(F.conv1d, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> torch.Tensor:
    """``F.conv2d``, computed in float32 for half-precision CPU inputs (see the module docstring)."""
    return _run(F.conv2d, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> torch.Tensor:
    """``F.conv_transpose2d``, computed in float32 for half-precision CPU inputs (see the module docstring)."""
    return _run(F.conv_transpose2d, input, weight, bias, stride, padding, output_padding, groups, dilation)
