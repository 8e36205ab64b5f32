"""What every kornia-diffaug op shares on top of Kornia's base classes, and our only door to Kornia's private API.

Kornia samples with torch's global RNG and validates little; our ops add:
- a per-instance ``torch.Generator`` (``generator=``) for the gate and every parameter;
- one ``sample(n, size, generator, device)`` method per op, the only place its randomness lives;
- input errors that name the problem (``TypeError`` for dtype, ``ValueError`` for rank);
- one ``transform_inputs`` with three gating modes (:attr:`SeededOpMixin.gating`): Kornia's own, the whole batch
  for ops that gate inside their parameters (ADA), and gated-rows-only on the CPU (the ``Albu*`` ops).

**Kornia's private API** is used here and nowhere else in the package; each name says what breaks if Kornia
changes it. Tested against the kornia versions ``pyproject.toml`` declares (``.ci/run`` runs the lowest).
Argument checks are in :mod:`kornia_diffaug._validate`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, ClassVar, Literal

import torch

# Marks ``transform_tensor`` as reading only the input's metadata (Kornia 0.9 calls it on meta tensors when it
# computes output shapes); without it our dtype/rank checks would run on, and reject, those placeholders.
from kornia.augmentation._2d.base import _input_metadata_only

# The base class of every Kornia augmentation (``p``, ``p_batch``, ``_blend_by_prob``): containers use it to
# tell an augmentation child from another module.
from kornia.augmentation.base import _AugmentationBase

# How an ``ImageSequential`` advances the batch shape past a child (sizes flow through our containers).
from kornia.augmentation.container.image import _get_new_batch_shape

# Undoes the (C, H, W) -> (1, C, H, W) promotion for ``keepdim=True`` (what Kornia's ``transform_inputs`` does).
from kornia.augmentation.utils import _transform_output_shape

# Kornia's own guards in ``transform_inputs``: autocast output dtype, and ONNX/Dynamo export (where our CPU
# branch on the gate must not run).
from kornia.constants import Resample
from kornia.core.utils import is_autocast_enabled, is_exporting

from .._host import host_reads_free
from .._validate import FLOAT_DTYPES, check_generator, check_probability
from ..functional.sampling import draw_device
from ._alloc import batch_buffer, empty_batch, may_write

__all__ = ["NotInvertibleError", "RowGatedMixin", "SeededGateMixin", "SeededOpMixin", "allow_per_sample_gating",
           "is_kornia_augmentation", "next_batch_shape", "own_gate", "resample_flag", "rows_path_allowed",
           "sample_rows"]

_JUST_BELOW_ONE = math.nextafter(1.0, 0.0)
_CPU_CHUNK = 8  # samples per ``apply_transform`` call on the CPU's gated path


class NotInvertibleError(NotImplementedError):
    """``inverse`` of an op or container that has no inverse; the message names it and says why. A
    ``NotImplementedError``, as Kornia raises for what it cannot invert."""


def resample_flag(flags: dict[str, Any], default: int) -> int:
    """The interpolation a call asks for as an OpenCV flag (0 nearest, 1 linear, 2 cubic; Kornia's ``Resample``
    numbers them alike): ``flags["resample"]`` (a ``Resample`` member, its name or number; what
    ``extra_args`` sets) when present, else ``default``."""
    value = flags.get("resample")
    return default if value is None else int(Resample.get(value).value)


def is_kornia_augmentation(module: object) -> bool:
    """Whether ``module`` is a Kornia augmentation (has ``p``, ``p_batch`` and a per-sample gate)."""
    return isinstance(module, _AugmentationBase)


def next_batch_shape(item: Any, batch_shape: torch.Size, module: torch.nn.Module) -> torch.Size:
    """The batch shape after ``module`` ran with the parameters of ``item`` (a Kornia ``ParamItem``)."""
    return _get_new_batch_shape(item, batch_shape, module)


def own_gate(module: torch.nn.Module, batch_shape: torch.Size) -> torch.Tensor:
    """The ``(B,)`` float gate ``module`` would draw for itself (its ``p``, ``p_batch``, ``same_on_batch``):
    :meth:`SeededOpMixin.draw_gate` for ours, Kornia's private per-sample draw for Kornia's own ops."""
    if isinstance(module, SeededOpMixin):
        return module.draw_gate(int(batch_shape[0]))
    op: Any = module
    return op.__batch_prob_generator__(batch_shape, op.p, op.p_batch, op.same_on_batch).float().view(-1)


def allow_per_sample_gating(module: torch.nn.Module) -> torch.nn.Module:
    """Make Kornia honour a per-sample ``batch_prob`` that a container writes into ``module``'s params.

    Kornia skips the gate when ``p == p_batch == 1``; a ``p_batch`` one ulp below 1 keeps its per-sample blend
    path, while its batch-level draw ``rand < p_batch`` (float32 ``rand < 1``) still always passes.
    Breaks if Kornia renames ``p_batch`` or changes that shortcut.
    """
    if is_kornia_augmentation(module) and module.p == 1.0 and module.p_batch == 1.0:
        module.p_batch = _JUST_BELOW_ONE
    return module


class SeededOpMixin:
    """Mixin placed before a Kornia ``AugmentationBase2D`` subclass in the MRO.

    ``gating`` picks how ``transform_inputs`` applies the per-sample gate ``params["batch_prob"]``:
    ``"kornia"`` (Kornia's ``where(gate, apply_transform(x), x)``), ``"whole_batch"`` (no gate: the op gates
    inside its own parameters) or ``"cpu_rows"`` (on the CPU, where reading the gate costs no device sync,
    ``apply_transform`` runs on the gated rows only, a few at a time, and they are copied back: same draws,
    same results; accelerators, ``torch.compile``, ``jit.trace`` and export keep Kornia's branch-free path).
    """

    generator: torch.Generator | None
    same_on_batch: bool
    p: float
    gating: ClassVar[Literal["kornia", "whole_batch", "cpu_rows"]] = "kornia"

    def _init_common(self, p: float, generator: torch.Generator | None) -> None:
        self.p = check_probability("p", p)
        self.generator = check_generator(generator)

    def sample(
        self, n: int, size: tuple[int, int], generator: torch.Generator | None, device: torch.device
    ) -> dict[str, torch.Tensor]:
        """Draw ``n`` samples of this op's parameters for images of ``size = (H, W)``."""
        raise NotImplementedError

    def forward_parameters(self, batch_shape: tuple[int, ...]) -> dict[str, torch.Tensor]:
        b = int(batch_shape[0])
        size = (int(batch_shape[-2]), int(batch_shape[-1]))
        gen = self.generator
        dev = draw_device(gen, getattr(self, "device", None))
        n = 1 if (self.same_on_batch and b > 0) else b
        params = self.sample(n, size, gen, dev)
        if n != b:
            params = {k: v.expand(b, *v.shape[1:]) for k, v in params.items()}
        params["batch_prob"] = self.draw_gate(b)
        params["forward_input_shape"] = torch.tensor(tuple(batch_shape), dtype=torch.long)
        return params

    def draw_gate(self, b: int) -> torch.Tensor:
        """The ``(B,)`` float gate of ``b`` samples: 1 where the op applies (probability ``p``; one draw for the
        whole batch with ``same_on_batch``)."""
        gen = self.generator
        dev = draw_device(gen, getattr(self, "device", None))
        if self.p == 1.0:
            return torch.ones(b, device=dev)
        if self.p == 0.0:
            return torch.zeros(b, device=dev)
        n = 1 if (self.same_on_batch and b > 0) else b
        return (torch.rand(n, generator=gen, device=dev) < self.p).float().expand(b)

    @_input_metadata_only
    def transform_tensor(
        self, input: torch.Tensor, *, shape: torch.Tensor | None = None, match_channel: bool = True
    ) -> torch.Tensor:
        if not isinstance(input, torch.Tensor):
            raise TypeError(f"input must be a torch.Tensor, got {type(input).__name__}")
        if input.dtype not in FLOAT_DTYPES:
            raise TypeError(
                f"{type(self).__name__} expects a floating image (float16, bfloat16, float32 or float64), "
                f"got {input.dtype}; convert integer images with x.float() / 255"
            )
        if input.ndim not in (2, 3, 4):
            raise ValueError(
                f"{type(self).__name__} expects an image of shape (B, C, H, W), (C, H, W) or (H, W), "
                f"got shape {tuple(input.shape)}"
            )
        return super().transform_tensor(input, shape=shape, match_channel=match_channel)  # type: ignore[misc]

    def transform_inputs(self, input, params, flags, transform=None, **kwargs) -> torch.Tensor:
        op: Any = self  # a Kornia augmentation (see the class docstring)
        mode = self.gating
        if mode == "cpu_rows" and (kwargs or not rows_path_allowed(op, input)):
            mode = "kornia"
        if mode == "kornia":
            return super().transform_inputs(input, params, flags, transform, **kwargs)  # type: ignore[misc]
        if mode == "cpu_rows":
            return _transform_rows(op, input, params, flags, transform)
        params = op._params if params is None else params
        params, flags = op._process_kwargs_to_params_and_flags(params, flags, **kwargs)
        x = op.transform_tensor(input)
        op.validate_tensor(x)
        output = op.apply_transform(x, params, flags, transform=transform)
        return _transform_output_shape(output, input.shape) if op.keepdim else output

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"

    def config(self) -> dict[str, Any]:
        """Constructor arguments as a plain dict (``type(op)(**op.config())`` rebuilds the op)."""
        return {"p": self.p, "same_on_batch": self.same_on_batch}


class SeededGateMixin:
    """Placed before one of Kornia's own augmentations in the MRO: an optional ``generator`` draws its random
    parameters (the per-sample gate, as Kornia draws it from ``p``, ``p_batch`` and ``same_on_batch``; the op's own
    draws where :meth:`seeded_parameters` is overridden). Without one, Kornia's own draws from torch's global
    RNG, bit for bit."""

    generator: torch.Generator | None = None

    def __init__(self, *args: Any, generator: torch.Generator | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.generator = check_generator(generator)

    def __batch_prob_generator__(self, batch_shape: tuple[int, ...], p: float, p_batch: float,
                                 same_on_batch: bool) -> torch.Tensor:
        op: Any = self
        gen = self.generator
        if gen is None:
            return super().__batch_prob_generator__(batch_shape, p, p_batch, same_on_batch)  # type: ignore[misc]
        b = int(batch_shape[0])
        dev = draw_device(gen, None)
        if p_batch in (0, 1):
            batch = torch.full((1,), float(p_batch), device=dev)
        else:
            batch = (torch.rand(1, generator=gen, device=dev) < p_batch).float()
        if p in (0, 1):
            elem = torch.full((b,), float(p), device=dev)
        elif same_on_batch:
            elem = (torch.rand(1, generator=gen, device=dev) < p).float().expand(b)
        else:
            elem = (torch.rand(b, generator=gen, device=dev) < p).float()
        return (batch * elem).to(device=op.device, dtype=op.dtype)

    def generate_parameters(self, batch_shape: tuple[int, ...]) -> dict[str, torch.Tensor]:
        if self.generator is None:
            return super().generate_parameters(batch_shape)  # type: ignore[misc]
        return self.seeded_parameters(batch_shape, self.generator)

    def seeded_parameters(self, batch_shape: tuple[int, ...], generator: torch.Generator) -> dict[str, torch.Tensor]:
        """The op's own random parameters drawn from ``generator`` (none for ops whose only draw is the gate)."""
        if getattr(self, "_param_generator", None) is not None:
            raise NotImplementedError(f"{type(self).__name__} draws parameters and does not seed them")
        return {}


class RowGatedMixin:
    """Placed before one of Kornia's own augmentations in the MRO: its draws (Kornia's, from torch's global RNG)
    and maths are untouched, but on the CPU a call whose gate mixes applied and skipped samples transforms only the
    applied ones (:class:`SeededOpMixin`'s ``"cpu_rows"`` path), instead of transforming the whole batch and
    blending with ``torch.where``; ``chunk_always`` also runs ``p == 1`` calls a few samples at a time (ops whose
    maths makes whole-batch temporaries), as does an in-place kernel (``apply_transform_``), so that a lent batch
    reaches it. Same results, bit for bit: the kernels are per-sample."""

    chunk_always: ClassVar[bool] = False

    def transform_inputs(self, input, params, flags, transform=None, **kwargs) -> torch.Tensor:
        op: Any = self
        rows_at_p1 = self.chunk_always or hasattr(self, "apply_transform_")
        if (kwargs or not rows_path_allowed(op, input)
                or (op.p == 1.0 and op.p_batch == 1.0 and not rows_at_p1)):
            return super().transform_inputs(input, params, flags, transform, **kwargs)  # type: ignore[misc]
        return _transform_rows(op, input, params, flags, transform)


def rows_path_allowed(op: Any, input: torch.Tensor) -> bool:
    """Whether a call may read its gate on the host and transform selected rows: CPU tensors, outside
    compilation, tracing and export, for ops that do not substitute their skipped samples."""
    return host_reads_free(input) and not (getattr(op, "SUBSTITUTE_SKIPPED_SAMPLES", False) or is_exporting())


def _transform_rows(op: Any, input: torch.Tensor, params: dict[str, Any] | None, flags: dict[str, Any],
                    transform: torch.Tensor | None) -> torch.Tensor:
    """Kornia's ``transform_inputs`` with the gate applied by :func:`_apply_gated`."""
    params = op._params if params is None else params
    params, flags = op._process_kwargs_to_params_and_flags(params, flags)
    x = op.transform_tensor(input)
    op.validate_tensor(x)
    output = _apply_gated(op, x, params, flags, transform, op.p == 1.0 and op.p_batch == 1.0)
    if is_autocast_enabled():
        output = output.type(input.dtype)
    return _transform_output_shape(output, input.shape) if op.keepdim else output


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
    if _has_in_place_kernel(op, x, params) and rest is x:
        return _rows_in_place(op, batch_buffer(rest, rest), params, flags, idx)
    out = None
    for sel, y in _chunks(op, x, params, flags, transform, idx):
        if out is None:
            if y.shape[1:] != rest.shape[1:]:  # a shape-changing op with a mixed gate: let Kornia raise its error
                return op._blend_by_prob(op.apply_transform(x, params, flags, transform=transform), rest, gate)
            out = batch_buffer(rest, y)  # the one output tensor (the lent batch, else a copy): each chunk goes in
        out.index_copy_(0, sel, y.to(out.dtype))
    return out


def _has_in_place_kernel(op: Any, x: torch.Tensor, params: dict[str, Any]) -> bool:
    """Whether ``op`` has ``apply_transform_(x, params, flags)``, its transform written into ``x`` (a batch or a
    view of some of its rows) with the same bits, and may use it: a floating ``x``, and autograd tracking neither
    ``x`` nor a parameter."""
    if not (hasattr(op, "apply_transform_") and x.is_floating_point()):
        return False
    return not (torch.is_grad_enabled() and x.requires_grad) and not _params_record(params)


def _params_record(params: dict[str, Any]) -> bool:
    """Whether autograd records through a per-sample parameter (a learnable magnitude)."""
    return torch.is_grad_enabled() and any(isinstance(v, torch.Tensor) and v.requires_grad for v in params.values())


def _writes_into_lent(op: Any, x: torch.Tensor, params: dict[str, Any]) -> bool:
    """Whether ``op`` has ``apply_transform_into(x, params, flags, out)`` (its result written into ``out``, which
    may be ``x``: each sample is read before its row is written) and may give it the lent batch ``x``: same
    output size, and autograd tracking neither ``x`` nor a parameter."""
    if not (hasattr(op, "apply_transform_into") and may_write(x, x)):
        return False
    return tuple(op.output_size(tuple(x.shape[-2:]))) == tuple(x.shape[-2:]) and not _params_record(params)


def _rows_in_place(op: Any, out: torch.Tensor, params: dict[str, Any], flags: dict[str, Any],
                   idx: torch.Tensor | None, source: torch.Tensor | None = None) -> torch.Tensor:
    """``op.apply_transform_`` on the rows ``idx`` of ``out`` (ascending; all rows when ``None``), on views of
    runs of consecutive rows (at most ``op.cpu_chunk_in_place`` rows, else ``op.cpu_chunk``, where the op sets
    them), each with its rows of the per-sample parameters. With ``source`` (a tensor of ``out``'s shape), each
    run is first copied from it (at most ``_CPU_CHUNK`` rows a run), so ``out`` may start empty."""
    b = out.shape[0]
    step = getattr(op, "cpu_chunk_in_place", getattr(op, "cpu_chunk", None))
    step = step or max(b, 1)  # elementwise in-place kernels make no batch temporaries
    if source is not None:
        step = min(step, _CPU_CHUNK)  # copied and transformed a few rows at a time, while they are in cache
    runs: list[tuple[int, int]] = []
    if idx is None:
        runs = [(0, b)] if b else []
    else:
        rows = idx.tolist()
        first = 0
        for j in range(1, len(rows) + 1):
            if j == len(rows) or rows[j] != rows[j - 1] + 1:
                runs.append((rows[first], rows[j - 1] + 1))
                first = j
    for lo, hi in runs:
        for start in range(lo, hi, step):
            run = slice(start, min(start + step, hi))
            if source is not None:  # the rows copied in just before they are transformed (still in cache)
                out[run].copy_(source[run])
            op.apply_transform_(out[run], sample_rows(params, b, run), flags)
    return out


def _apply_chunked(op: Any, x: torch.Tensor, params: dict[str, Any], flags: dict[str, Any],
                   transform: torch.Tensor | None, idx: torch.Tensor | None) -> torch.Tensor:
    """``apply_transform`` on the rows ``idx`` of the batch (all rows when ``None``), ``_CPU_CHUNK`` at a time.

    Without autograd each chunk is written into the output as soon as it is computed (the lent batch itself,
    else one fresh buffer), so that the chunk's result is freed, and its memory reused, before the next one. An op
    with an in-place kernel ``apply_transform_(x, params, flags)`` (same bits) transforms a lent batch with it."""
    n = x.shape[0] if idx is None else idx.numel()
    if idx is None and _has_in_place_kernel(op, x, params):
        # The lent batch, transformed in place; else one copy of the input (a huge-page buffer), transformed in
        # place: no chunk temporaries and no copy of each chunk's result into the output.
        if may_write(x, x):
            return _rows_in_place(op, x, params, flags, None)
        return _rows_in_place(op, empty_batch(x), params, flags, None, source=x)
    if idx is None and _writes_into_lent(op, x, params):
        return op.apply_transform_into(x, params, flags, out=x)  # the whole batch, its rows written into it
    parts: list[torch.Tensor] = []
    out: torch.Tensor | None = None
    pos = 0  # rows of the output written so far
    for sel, y in _chunks(op, x, params, flags, transform, idx):
        if out is None and not parts:
            if idx is None and sel == slice(None):
                return y  # one chunk holds every row: its result is the output (no copy into the lent batch)
            if idx is None and may_write(x, y):
                out = x  # the lent batch takes every chunk (each read before it is written)
            elif y.shape[0] < n and not (torch.is_grad_enabled() and y.requires_grad):
                out = empty_batch(y, (n, *y.shape[1:]))
        if out is None:
            parts.append(y)
        else:
            out[sel if out is x else slice(pos, pos + y.shape[0])] = y
        pos += y.shape[0]
    if out is not None:
        return out
    return parts[0] if len(parts) == 1 else torch.cat(parts)


def _chunks(op: Any, x: torch.Tensor, params: dict[str, Any], flags: dict[str, Any],
            transform: torch.Tensor | None, idx: torch.Tensor | None) -> Iterator[tuple[Any, torch.Tensor]]:
    """``(rows, apply_transform(x[rows]))`` for the rows ``idx`` (all rows when ``None``), ``op.cpu_chunk`` (default
    ``_CPU_CHUNK``) at a time;
    ``rows`` a slice or an index tensor."""
    b = x.shape[0]
    n = b if idx is None else idx.numel()
    step = getattr(op, "cpu_chunk", _CPU_CHUNK)
    for start in range(0, n, step) if n else [0]:
        sel: Any = slice(start, start + step) if idx is None else idx[start : start + step]
        if idx is None and n <= step:
            sel = slice(None)

        yield sel, op.apply_transform(_rows(x, b, sel), sample_rows(params, b, sel), flags,
                                      transform=_rows(transform, b, sel))


def _rows(v: Any, b: int, sel: slice | torch.Tensor) -> Any:
    """``v``'s rows ``sel`` where ``v`` is a per-sample tensor of a batch of ``b`` (leading dim ``b``), else ``v``."""
    if isinstance(v, torch.Tensor) and v.ndim > 0 and v.shape[0] == b:
        return v[sel if isinstance(sel, slice) else sel.to(v.device)]
    return v


def sample_rows(params: dict[str, Any], b: int, sel: slice | torch.Tensor) -> dict[str, Any]:
    """``params`` for the samples ``sel`` (a slice or an index tensor) of a batch of ``b``: every per-sample
    tensor cut to those rows; ``forward_input_shape`` (the call's shape, not per sample) kept."""
    return {k: v if k == "forward_input_shape" else _rows(v, b, sel) for k, v in params.items()}
