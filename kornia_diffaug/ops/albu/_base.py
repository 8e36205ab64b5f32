"""Shared base of the ``Albu*`` ops: config storage, validation helpers, draws, and the CPU gated path."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from kornia.augmentation import GeometricAugmentationBase2D, IntensityAugmentationBase2D
from kornia.constants import Resample

from ..._validate import check_range
from ...functional import albu as FA
from .._base import SeededOpMixin, resample_flag

__all__ = ["AlbuGeometricBase", "AlbuIntensityBase", "choice", "int_range", "odd_sizes", "pair", "randint"]


def pair(name: str, value: Any, lower: float = float("-inf"), upper: float = float("inf")) -> tuple[float, float]:
    """Validated ``(low, high)`` of plain floats."""
    lo, hi = check_range(name, value, lower=lower, upper=upper)
    return float(lo), float(hi)


def int_range(name: str, value: Any, lower: float = float("-inf"), upper: float = float("inf")) -> tuple[int, int]:
    """Validated ``(low, high)`` of whole numbers (an int means ``(v, v)``), e.g. the grid sizes of a mesh."""
    v = (value, value) if isinstance(value, int) and not isinstance(value, bool) else value
    lo, hi = pair(name, v, lower, upper)
    if lo != int(lo) or hi != int(hi):
        raise ValueError(f"{name} must hold integers, got {v!r}")
    return int(lo), int(hi)


def odd_sizes(name: str, limit: Any) -> tuple[int, ...]:
    """Odd kernel sizes Albumentations draws from ``blur_limit`` = (low, high): low/high rounded up to odd, >= 3."""
    lo, hi = pair(name, limit, lower=0)
    if lo != int(lo) or hi != int(hi):
        raise ValueError(f"{name} must hold integers, got {limit!r}")
    lo_i = max(3, int(lo) + (int(lo) % 2 == 0))
    hi_i = max(lo_i, max(3, int(hi) + (int(hi) % 2 == 0)))
    return tuple(range(lo_i, hi_i + 1, 2))


def randint(n: int, lo: int, hi: int, gen, dev) -> torch.Tensor:
    """``n`` integers uniform on ``[lo, hi]`` (both ends included, as Python's ``random.randint``)."""
    return torch.randint(int(lo), int(hi) + 1, (n,), generator=gen, device=dev)


def choice(n: int, values: tuple[int, ...], gen, dev) -> torch.Tensor:
    """``n`` draws, uniform over ``values``."""
    idx = torch.randint(0, len(values), (n,), generator=gen, device=dev)
    return torch.tensor(values, device=dev)[idx]


class _AlbuMixin(SeededOpMixin):
    """Stores the constructor arguments in ``self._cfg`` so ``config()`` and exporters can read them back.

    Every public op sets ``albu_name``, the Albumentations transform it reproduces (its 2.x class name).
    """

    albu_name: ClassVar[str]
    gating = "cpu_rows"  # see SeededOpMixin: on the CPU only the gated samples are transformed
    _cfg: dict[str, Any]

    def _setup(self, p: float, generator: torch.Generator | None, **cfg: Any) -> None:
        self._init_common(p, generator)
        self._cfg = cfg

    def config(self) -> dict[str, Any]:
        return {**self._cfg, **super().config()}


class AlbuIntensityBase(_AlbuMixin, IntensityAugmentationBase2D):
    """Pixel-level op; subclasses define ``sample`` and ``apply_transform``."""

    def __init__(self, p: float, same_on_batch: bool, keepdim: bool, generator: torch.Generator | None, **cfg: Any):
        super().__init__(p=p, same_on_batch=same_on_batch, keepdim=keepdim)
        self._setup(p, generator, **cfg)


class AlbuGeometricBase(_AlbuMixin, GeometricAugmentationBase2D):
    """Geometric op driven by a forward 3x3 matrix ``params["matrix"]`` (input -> output pixels, OpenCV style);
    ``params["target"]``, when present, is the matrix for boxes and keypoints (``params["target_keypoints"]``, when
    present, for keypoints alone).

    Kornia's ``flags["resample"]`` holds the op's interpolation, so Kornia's mask rules apply as to its own ops:
    masks are resampled with nearest unless ``extra_args[DataKey.MASK]["resample"]`` says otherwise, in both
    directions. ``align_corners`` is not read: masks always use the pixel grid their image uses (OpenCV's), as
    ``align_corners=None`` asks and as Kornia's resize mask paths do.

    ``inverse`` (and ``AugmentationSequential.inverse``) undoes the op by its matrix: images and masks are
    resampled by ``matrix^-1`` onto the forward input's size (``forward_input_shape``), boxes and keypoints move
    by the inverse of their own matrix. Pixels that a crop cut off or a resampling blurred do not come back.

    Output size comes from ``output_size((H, W))`` (``fixed_size``: the size whatever the input's, or None).
    An op that changes the size may have ``p < 1``, but a batch cannot hold images of two sizes: a call whose
    gate mixes applied and skipped samples raises (Kornia's error); :class:`PerSampleBranches` runs such ops on
    groups of samples that take the same path.
    """

    interpolation: int = 1
    border_mode: int = 0
    fill: float | tuple[float, ...] = 0.0
    fill_mask: float = 0.0  # the constant border of masks (a label, not scaled), as Albumentations' fill_mask
    resizes: bool = False

    def __init__(self, p: float, same_on_batch: bool, keepdim: bool, generator: torch.Generator | None, **cfg: Any):
        super().__init__(p=p, same_on_batch=same_on_batch, keepdim=keepdim)
        self._setup(p, generator, **cfg)

    def _check_modes(self, interpolation: int, border_mode: int, fill: Any, fill_mask: Any = None) -> None:
        """Validate and set the resampling flags and the fills; a ``fill_mask`` given (a number: the label
        that a constant border writes into masks) is stored in the config, so it is exported."""
        if interpolation not in FA.INTERPOLATIONS:
            raise ValueError(
                f"interpolation must be one of {sorted(FA.INTERPOLATIONS)} (OpenCV flags), got {interpolation!r}"
            )
        if border_mode not in FA.BORDERS:
            raise ValueError(f"border_mode must be one of {sorted(FA.BORDERS)} (OpenCV flags), got {border_mode!r}")
        if isinstance(fill, (list, tuple)):
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in fill):
                raise TypeError(f"fill must be a number or a sequence of numbers, got {fill!r}")
            fill = tuple(float(v) for v in fill)
        elif isinstance(fill, bool) or not isinstance(fill, (int, float)):
            raise TypeError(f"fill must be a number or a sequence of numbers, got {fill!r}")
        else:
            fill = float(fill)
        self.interpolation, self.border_mode, self.fill = interpolation, border_mode, fill
        if fill_mask is not None:
            if isinstance(fill_mask, bool) or not isinstance(fill_mask, (int, float)):
                raise TypeError(f"fill_mask must be a number (a mask label), got {fill_mask!r}")
            self.fill_mask = float(fill_mask)
            self._cfg["fill_mask"] = self.fill_mask
        self.flags["resample"] = Resample.get(interpolation)

    def output_size(self, size: tuple[int, int]) -> tuple[int, int]:
        return size

    def forward_parameters(self, batch_shape):
        params = super().forward_parameters(batch_shape)
        h, w = int(batch_shape[-2]), int(batch_shape[-1])
        out = tuple(self.output_size((h, w)))
        if out != (h, w) and "output_size" not in params:
            # Kornia's containers read ``output_size`` to size the next op's draw (sizes flow: a CenterCrop after a
            # Resize crops the resized image); without it the next op was drawn for the input size.
            params["output_size"] = torch.tensor(out, dtype=torch.long).repeat(int(batch_shape[0]), 1)
        return params

    def compute_transformation(self, input, params, flags):
        # Boxes/keypoints may follow a different matrix than the pixels (Albumentations scales keypoints by the
        # plain size ratio but resamples images with half-pixel centres).
        m = params["target"] if "target" in params else params["matrix"]
        return m.to(device=input.device, dtype=input.dtype)

    # Keypoints may follow a third matrix, ``params["target_keypoints"]``: Albumentations moves boxes in
    # normalised coordinates (so by the ratio of the rounded sizes) but scales keypoints by the op's own factor
    # (``LongestMaxSize``, ``SmallestMaxSize``, ``RandomScale``).
    def apply_transform_keypoint(self, input, params, flags, transform=None):
        m = params.get("target_keypoints")
        if m is not None:
            transform = m.to(device=input.data.device, dtype=input.data.dtype)
        return super().apply_transform_keypoint(input, params, flags, transform=transform)

    def inverse_keypoints(self, input, params, flags, transform=None, **kwargs):
        m = None if params is None else params.get("target_keypoints")
        if m is not None:
            transform = torch.linalg.inv(m.to(torch.float64)).to(device=input.data.device, dtype=input.data.dtype)
        return super().inverse_keypoints(input, params, flags, transform=transform, **kwargs)

    def apply_transform(self, input, params, flags, transform=None):
        size = self.output_size((input.shape[-2], input.shape[-1]))
        return FA.warp(input, params["matrix"], size, resample_flag(flags, self.interpolation), self.border_mode,
                       self.fill)

    def apply_non_transform(self, input, params, flags, transform=None):
        return input

    def apply_transform_mask(self, input, params, flags, transform=None):
        size = self.output_size((input.shape[-2], input.shape[-1]))
        return FA.warp(input, params["matrix"], size, resample_flag(flags, 0), self.border_mode, self.fill_mask)

    # -- inverse ---------------------------------------------------------------------------------------------
    def inverse_inputs(self, input, params, flags, transform=None, **kwargs):
        # Images and masks go back by the pixel matrix; Kornia passes the inverse of compute_transformation's,
        # which is the box/keypoint matrix for the resizing ops.
        p = self._params if params is None else params
        if p is not None and "matrix" in p:
            transform = torch.linalg.inv(p["matrix"].to(torch.float64))
        return super().inverse_inputs(input, params, flags, transform, **kwargs)

    def inverse_masks(self, input, params, flags, transform=None, **kwargs):
        kwargs.setdefault("fill", 0.0)  # masks are padded with 0 both ways
        return super().inverse_masks(input, params, flags, transform, **kwargs)

    inverse_border: int | None = None  # the border of the inverse warp (None: the op's own border_mode)

    def _inverse_size(self, size: tuple[int, int] | None) -> tuple[int, int]:
        if size is None:
            raise ValueError(f"{type(self).__name__}.inverse needs the params of a forward call (their "
                             "forward_input_shape gives the size to go back to)")
        return int(size[0]), int(size[1])

    def inverse_transform(self, input, flags, transform=None, size=None):
        """``x = warp(y, M^-1)`` onto the forward input's ``size``, with the op's borders."""
        if transform is None:
            raise ValueError(f"{type(self).__name__}.inverse needs the inverse matrix of a forward call")
        border = self.border_mode if self.inverse_border is None else self.inverse_border
        fill = flags.get("fill")
        return FA.warp(input, transform.to(input.device), self._inverse_size(size),
                       resample_flag(flags, self.interpolation), border, self.fill if fill is None else fill)
