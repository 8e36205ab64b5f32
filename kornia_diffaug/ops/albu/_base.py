"""Shared base of the ``Albu*`` ops: config storage, validation helpers, draws, and the CPU gated path."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from kornia.augmentation import GeometricAugmentationBase2D, IntensityAugmentationBase2D
from kornia.augmentation.utils import _transform_output_shape
from kornia.core.utils import is_autocast_enabled, is_exporting

from ..._validate import check_range
from ...functional import albu as FA
from .._base import SeededOpMixin

__all__ = ["AlbuGeometricBase", "AlbuIntensityBase", "choice", "odd_sizes", "pair", "randint"]


def pair(name: str, value: Any, lower: float = float("-inf"), upper: float = float("inf")) -> tuple[float, float]:
    """Validated ``(low, high)`` of plain floats."""
    lo, hi = check_range(name, value, lower=lower, upper=upper)
    return float(lo), float(hi)


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
    _cfg: dict[str, Any]

    def _setup(self, p: float, generator: torch.Generator | None, **cfg: Any) -> None:
        self._init_common(p, generator)
        self._cfg = cfg

    def config(self) -> dict[str, Any]:
        return {**self._cfg, **super().config()}

    def transform_inputs(self, input, params, flags, transform=None, **kwargs):
        """Kornia runs ``apply_transform`` on the whole batch and keeps the gated samples with ``torch.where``.
        On the CPU, where reading the gate costs no device sync, only the gated samples are transformed, a few
        at a time (the working set stays in cache), and copied back: same draws, same per-sample results.
        Accelerators keep Kornia's branch-free whole-batch path."""
        if kwargs or input.device.type != "cpu" or self.SUBSTITUTE_SKIPPED_SAMPLES \
                or torch.compiler.is_compiling() or is_exporting():
            return super().transform_inputs(input, params, flags, transform, **kwargs)
        params, flags = self._process_kwargs_to_params_and_flags(self._params if params is None else params, flags)
        ori_shape = input.shape
        x = self.transform_tensor(input)
        self.validate_tensor(x)
        output = _apply_gated(self, x, params, flags, transform, self.p == 1.0 and self.p_batch == 1.0)
        if is_autocast_enabled():
            output = output.type(input.dtype)
        return _transform_output_shape(output, ori_shape) if self.keepdim else output


_CPU_CHUNK = 8  # samples per ``apply_transform`` call on the CPU


def _apply_gated(op: Any, x: torch.Tensor, params: dict[str, Any], flags: dict[str, Any],
                 transform: torch.Tensor | None, always: bool) -> torch.Tensor:
    """``where(gate, apply_transform(x), apply_non_transform(x))`` (just ``apply_transform(x)`` when ``always``,
    as Kornia does for ``p == p_batch == 1``) computing the transform on gated rows only, in chunks."""
    b = x.shape[0]
    gate = torch.atleast_1d(params["batch_prob"] > 0.5)
    if gate.shape[0] != b:
        y = op.apply_transform(x, params, flags, transform=transform)
        return y if always else op._blend_by_prob(y, op.apply_non_transform(x, params, flags, transform=transform),
                                                  gate)
    idx = None if always else gate.to(x.device).nonzero().view(-1)
    if idx is not None and idx.numel() == b:
        idx = None
    if idx is None:
        return _apply_chunked(op, x, params, flags, transform, None)
    rest = op.apply_non_transform(x, params, flags, transform=transform)
    if idx.numel() == 0:
        return rest
    y = _apply_chunked(op, x, params, flags, transform, idx)
    if y.shape[1:] != rest.shape[1:]:  # a shape-changing op with a mixed gate: let Kornia raise its error
        return op._blend_by_prob(op.apply_transform(x, params, flags, transform=transform), rest, gate)
    return rest.index_copy(0, idx, y.to(rest.dtype))


def _apply_chunked(op: Any, x: torch.Tensor, params: dict[str, Any], flags: dict[str, Any],
                   transform: torch.Tensor | None, idx: torch.Tensor | None) -> torch.Tensor:
    """``apply_transform`` on the rows ``idx`` of the batch (all rows when ``None``), ``_CPU_CHUNK`` at a time."""
    b = x.shape[0]
    n = b if idx is None else idx.numel()
    parts = []
    for start in range(0, n, _CPU_CHUNK) if n else [0]:
        sel: Any = slice(start, start + _CPU_CHUNK) if idx is None else idx[start : start + _CPU_CHUNK]
        if idx is None and n <= _CPU_CHUNK:
            sel = slice(None)

        def take(v: Any, sel: Any = sel) -> Any:
            if isinstance(v, torch.Tensor) and v.ndim > 0 and v.shape[0] == b:
                return v[sel if isinstance(sel, slice) else sel.to(v.device)]
            return v

        sub = {k: (v if k == "forward_input_shape" else take(v)) for k, v in params.items()}
        parts.append(op.apply_transform(take(x), sub, flags, transform=take(transform)))
    return parts[0] if len(parts) == 1 else torch.cat(parts)


class AlbuIntensityBase(_AlbuMixin, IntensityAugmentationBase2D):
    """Pixel-level op; subclasses define ``sample`` and ``apply_transform``."""

    def __init__(self, p: float, same_on_batch: bool, keepdim: bool, generator: torch.Generator | None, **cfg: Any):
        super().__init__(p=p, same_on_batch=same_on_batch, keepdim=keepdim)
        self._setup(p, generator, **cfg)


class AlbuGeometricBase(_AlbuMixin, GeometricAugmentationBase2D):
    """Geometric op driven by a forward 3x3 matrix ``params["matrix"]`` (input -> output pixels, OpenCV style);
    ``params["target"]``, when present, is the matrix for boxes and keypoints.

    Output size comes from ``output_size((H, W))``; ops that change the size must run with ``p = 1``
    (a batch cannot hold images of two sizes).
    """

    interpolation: int = 1
    border_mode: int = 0
    fill: float | tuple[float, ...] = 0.0
    resizes: bool = False

    def __init__(self, p: float, same_on_batch: bool, keepdim: bool, generator: torch.Generator | None, **cfg: Any):
        super().__init__(p=p, same_on_batch=same_on_batch, keepdim=keepdim)
        self._setup(p, generator, **cfg)
        if self.resizes and p != 1.0:
            raise ValueError(f"{type(self).__name__} changes the image size and needs p=1 in a batch, got p={p}")

    def _check_modes(self, interpolation: int, border_mode: int, fill: Any) -> None:
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

    def output_size(self, size: tuple[int, int]) -> tuple[int, int]:
        return size

    def forward_parameters(self, batch_shape):
        params = super().forward_parameters(batch_shape)
        h, w = int(batch_shape[-2]), int(batch_shape[-1])
        out = tuple(self.output_size((h, w)))
        if out != (h, w):
            # Kornia's containers read ``output_size`` to size the next op's draw (sizes flow: a CenterCrop after a
            # Resize crops the resized image); without it the next op was drawn for the input size.
            params["output_size"] = torch.tensor(out, dtype=torch.long).repeat(int(batch_shape[0]), 1)
        return params

    def compute_transformation(self, input, params, flags):
        # Boxes/keypoints may follow a different matrix than the pixels (Albumentations scales keypoints by the
        # plain size ratio but resamples images with half-pixel centres).
        m = params["target"] if "target" in params else params["matrix"]
        return m.to(device=input.device, dtype=input.dtype)

    def apply_transform(self, input, params, flags, transform=None):
        size = self.output_size((input.shape[-2], input.shape[-1]))
        return FA.warp(input, params["matrix"], size, self.interpolation, self.border_mode, self.fill)

    def apply_non_transform(self, input, params, flags, transform=None):
        return input

    def apply_transform_mask(self, input, params, flags, transform=None):
        size = self.output_size((input.shape[-2], input.shape[-1]))
        return FA.warp(input, params["matrix"], size, 0, self.border_mode if self.border_mode else 0, 0.0)
