"""What every kornia-diffaug op shares on top of Kornia's base classes.

Kornia samples with torch's global RNG and validates little; our ops add:
- a per-instance ``torch.Generator`` (``generator=``) for the gate and every parameter;
- one ``sample(n, size, generator, device)`` method per op, the only place its randomness lives;
- input errors that name the problem (``TypeError`` for dtype, ``ValueError`` for rank);
- :meth:`SeededOpMixin.transform_whole_batch` for ops that gate inside their own parameters (ADA).

This is the only module of ours that touches Kornia's private API (``_input_metadata_only``,
``_transform_output_shape``, ``_process_kwargs_to_params_and_flags``). Argument checks are in
:mod:`kornia_diffaug._validate`.
"""

from __future__ import annotations

from typing import Any

import torch
from kornia.augmentation._2d.base import _input_metadata_only
from kornia.augmentation.utils import _transform_output_shape

from .._validate import FLOAT_DTYPES, check_generator, check_probability
from ..functional.sampling import draw_device


class SeededOpMixin:
    """Mixin placed before a Kornia ``AugmentationBase2D`` subclass in the MRO."""

    generator: torch.Generator | None
    same_on_batch: bool
    p: float

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
        if self.p == 1.0:
            gate = torch.ones(b, device=dev)
        elif self.p == 0.0:
            gate = torch.zeros(b, device=dev)
        else:
            gate = (torch.rand(n, generator=gen, device=dev) < self.p).float().expand(b)
        params["batch_prob"] = gate
        params["forward_input_shape"] = torch.tensor(tuple(batch_shape), dtype=torch.long)
        return params

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

    def transform_whole_batch(self, input, params, flags, transform=None, **kwargs) -> torch.Tensor:
        """Kornia's ``transform_inputs`` without its per-sample gate: ``apply_transform`` sees the whole batch."""
        op: Any = self  # a Kornia augmentation (see the class docstring)
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
