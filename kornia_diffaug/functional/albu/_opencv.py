"""The one home of OpenCV calls: ``cv2`` kernels that compute bit for bit what a tensor kernel here computes, used
by it on the CPU, in eager mode and without autograd, where OpenCV's compiled loops are faster than any batched
tensor form (a histogram median is a sequential sweep per row).

OpenCV comes with Albumentations (``opencv-python-headless``); where it is not installed, ``opencv()`` is ``None``
and the tensor kernels run. Nothing here changes OpenCV's global settings (its thread count is the user's).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from types import ModuleType

import torch

from ..._host import host_reads_free_no_grad

__all__ = ["median_blur_planes", "opencv", "opencv_can_run"]


@functools.cache
def opencv() -> ModuleType | None:
    """The ``cv2`` module, or ``None`` when OpenCV is not installed (imported once, on first use)."""
    try:
        if importlib.util.find_spec("cv2") is None:
            return None
        return importlib.import_module("cv2")
    except ImportError:  # installed but unusable (a missing system library), or blocked by an import hook
        return None


def opencv_can_run(x: torch.Tensor) -> bool:
    """True when ``x`` may be handed to OpenCV: eager CPU work without autograd on it, and OpenCV installed."""
    return host_reads_free_no_grad(x) and opencv() is not None


def median_blur_planes(x: torch.Tensor, k: int) -> torch.Tensor:
    """``cv2.medianBlur(plane, k)`` (BORDER_REPLICATE) on every (H, W) plane of a CPU tensor (..., H, W).

    Args:
        x: uint8 for any odd ``k >= 3``; float32 only for ``k`` 3 or 5 (OpenCV's limits).
        k: window side in pixels, odd.
    Returns the medians, same shape and dtype (a new tensor).
    """
    cv2 = opencv()
    if cv2 is None:
        raise RuntimeError("OpenCV (cv2) is not installed")
    if k < 3 or k % 2 == 0:
        raise ValueError(f"k must be odd and >= 3, got {k}")
    if x.dtype != torch.uint8 and not (x.dtype == torch.float32 and k <= 5):
        raise ValueError(f"cv2.medianBlur takes uint8 images, or float32 for k 3 and 5; got {x.dtype} with k={k}")
    h, w = x.shape[-2:]
    src = x.detach().contiguous().numpy().reshape(-1, h, w)
    out = torch.empty(x.shape, dtype=x.dtype)
    dst = out.numpy().reshape(-1, h, w)
    for i in range(src.shape[0]):  # one plane a call: OpenCV's median takes 1, 3 or 4 channels, planes any count
        cv2.medianBlur(src[i], k, dst=dst[i])
    return out
