"""Two-view policies for self-supervised learning: SimCLR (Chen et al. 2020) and BYOL (Grill et al. 2020).

A view policy is a :class:`TwoViews` module: ``v1, v2 = views(x)`` draws two independent augmentations of the
same batch, the first with ``views.view1``, the second with ``views.view2`` (both Kornia
``AugmentationSequential`` pipelines of Kornia's stock ops, the blur made safe for half precision on the
CPU, so each is also usable alone). SimCLR's two views
come from the same distribution; BYOL's are asymmetric (view 1 always blurred, never solarised; view 2 rarely
blurred, solarised with probability 0.2). Images are in [0, 1]; single-channel batches are repeated to RGB for
the colour ops and averaged back, so the output always has the input's channels.

Example:
    >>> views = make_policy("ssl:simclr", size=32)
    >>> v1, v2 = views(torch.rand(8, 3, 32, 32))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from kornia import augmentation as K
from torch import nn

from .._validate import check_int_pair
from ..ops.filter import RandomGaussianBlur
from .registry import register_policy

__all__ = ["TwoViews", "byol_view", "simclr_view"]


def _pair(size: int | tuple[int, int]) -> tuple[int, int]:
    return check_int_pair("size", size, lower=1)


def _blur_kernel(size: tuple[int, int]) -> int:
    """SimCLR's blur kernel: 10% of the image side, odd, at least 3."""
    k = max(3, int(0.1 * min(size)))
    return k if k % 2 else k + 1


def simclr_view(
    size: int | tuple[int, int], *, crop_scale: tuple[float, float] = (0.08, 1.0)
) -> K.AugmentationSequential:
    """One SimCLR view: RandomResizedCrop(0.08-1), flip, ColorJitter(0.4, 0.4, 0.4, 0.1) p=0.8, grayscale p=0.2,
    Gaussian blur (sigma 0.1-2, kernel 10% of the side) p=0.5."""
    hw = _pair(size)
    return K.AugmentationSequential(
        K.RandomResizedCrop(hw, scale=crop_scale),
        K.RandomHorizontalFlip(),
        K.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8),
        K.RandomGrayscale(p=0.2),
        RandomGaussianBlur(_blur_kernel(hw), (0.1, 2.0), p=0.5),
    )


def byol_view(size: int | tuple[int, int], *, blur_p: float, solarize_p: float) -> K.AugmentationSequential:
    """One BYOL view: RandomResizedCrop(0.08-1), flip, ColorJitter(0.4, 0.4, 0.2, 0.1) p=0.8, grayscale p=0.2,
    Gaussian blur p=``blur_p``, solarize at 0.5 p=``solarize_p`` (view 1: 1.0 / 0.0, view 2: 0.1 / 0.2)."""
    hw = _pair(size)
    return K.AugmentationSequential(
        K.RandomResizedCrop(hw, scale=(0.08, 1.0)),
        K.RandomHorizontalFlip(),
        K.ColorJitter(0.4, 0.4, 0.2, 0.1, p=0.8),
        K.RandomGrayscale(p=0.2),
        RandomGaussianBlur(_blur_kernel(hw), (0.1, 2.0), p=blur_p),
        K.RandomSolarize(thresholds=(0.5, 0.5), additions=(0.0, 0.0), p=solarize_p),
    )


class TwoViews(nn.Module):
    """``forward(x) -> (view1(x), view2(x))``; ``x`` is ``(B, C, H, W)`` in [0, 1], C in {1, 3}.

    With ``size=None`` the views keep the input's ``(H, W)`` (pipelines are built per input size and cached).
    """

    def __init__(self, build: Callable[[tuple[int, int]], tuple[nn.Module, nn.Module]], size=None) -> None:
        super().__init__()
        self._build = build
        self.size = None if size is None else _pair(size)
        self._views = nn.ModuleDict()
        if self.size is not None:
            self._pipelines(self.size)

    def _pipelines(self, hw: tuple[int, int]) -> nn.ModuleList:
        key = f"{hw[0]}x{hw[1]}"
        if key not in self._views:
            self._views[key] = nn.ModuleList(self._build(hw))
        return self._views[key]

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        # With size=None the pipelines are built per input size on first use: build those of the checkpoint
        # (keys "_views.<H>x<W>.") before the children load, so it loads into a freshly built instance.
        head = prefix + "_views."
        for key in state_dict:
            if key.startswith(head):
                h, w = key[len(head) :].split(".", 1)[0].split("x")
                self._pipelines((int(h), int(w)))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def views_for(self, hw: tuple[int, int]) -> tuple[nn.Module, nn.Module]:
        """The two pipelines used for ``(H, W)`` inputs."""
        v1, v2 = self._pipelines(self.size or _pair(tuple(hw)))
        return v1, v2

    @property
    def view1(self) -> nn.Module:
        if self.size is None:
            raise RuntimeError("view1 needs a fixed size; use views_for((H, W)) when size=None")
        return self.views_for(self.size)[0]

    @property
    def view2(self) -> nn.Module:
        if self.size is None:
            raise RuntimeError("view2 needs a fixed size; use views_for((H, W)) when size=None")
        return self.views_for(self.size)[1]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if x.ndim != 4 or x.shape[1] not in (1, 3):
            raise ValueError(f"expected a (B, 1 or 3, H, W) batch, got shape {tuple(x.shape)}")
        grey = x.shape[1] == 1
        rgb = x.expand(-1, 3, -1, -1) if grey else x
        v1, v2 = self.views_for((x.shape[-2], x.shape[-1]))
        a, b = v1(rgb), v2(rgb)
        return (a.mean(1, keepdim=True), b.mean(1, keepdim=True)) if grey else (a, b)


# The builders are module-level functions, not lambdas, so that a TwoViews pickles (DataLoader workers).
def _simclr_pair(hw: tuple[int, int]) -> tuple[nn.Module, nn.Module]:
    return simclr_view(hw), simclr_view(hw)


def _byol_pair(hw: tuple[int, int]) -> tuple[nn.Module, nn.Module]:
    return byol_view(hw, blur_p=1.0, solarize_p=0.0), byol_view(hw, blur_p=0.1, solarize_p=0.2)


@register_policy("ssl:simclr", description="SimCLR two views: crop 0.08-1, flip, jitter p=0.8, grey p=0.2, blur")
def simclr_views(size: int | tuple[int, int] | None = None) -> TwoViews:
    """SimCLR's pair of i.i.d. views (:func:`simclr_view` twice)."""
    return TwoViews(_simclr_pair, size)


@register_policy("ssl:byol", description="BYOL asymmetric views: view 2 adds solarize p=0.2, blur 1.0 vs 0.1")
def byol_views(size: int | tuple[int, int] | None = None) -> TwoViews:
    """BYOL's asymmetric pair: view 1 blur p=1, no solarize; view 2 blur p=0.1, solarize p=0.2."""
    return TwoViews(_byol_pair, size)
