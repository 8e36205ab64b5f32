"""A policy whose magnitudes and application probabilities are ``nn.Parameter``s (in the spirit of Faster
AutoAugment, Hataya et al. 2020, and DADA, Li et al. 2020): relaxed Bernoulli gates with straight-through
estimators give both kinds of parameter gradients, so the policy can be fitted by gradient descent, e.g. to
match a target data distribution."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .._validate import check_bool, check_generator, check_image, check_positive, check_probability, check_value_range
from ..functional.color import brightness_shift, contrast_scale, saturation_scale
from ..functional.geometry_subpixel import subpixel_translate
from ..functional.policy_string import COLOR_GROUP, parse_policy
from ..functional.relaxed import box_mask, relaxed_bernoulli
from ..functional.sampling import draw_device
from ._learnable_albu import apply_albumentations_op, rotate_or_scale

__all__ = ["LearnablePolicy"]

OPS = ("brightness", "saturation", "contrast", "rotation", "scale", "translation", "cutout")


def _st_unit(t: torch.Tensor) -> torch.Tensor:
    """Clamp to ``[0, 1]`` in the forward pass, identity gradient (a parameter never gets stuck at a bound)."""
    return t.clamp(0.0, 1.0) + (t - t.detach())


class LearnablePolicy(nn.Module):
    """Apply a sequence of differentiable operations, each with a learnable magnitude ``m`` and probability ``p``.

    Each operation ``k`` (in the written order) is applied to sample ``i`` when its gate ``g_ik = 1[u < p_k]``
    fires: ``x <- g op_k(x) + (1 - g) x``. In the backward pass ``g`` is the binary Concrete relaxation at
    ``temperature`` (straight-through), so ``p_k`` gets gradients; ``m_k`` enters each operation through a
    reparameterised draw ``s = 2v - 1``, ``v ~ U(0, 1)``:

    - ``brightness``: ``x + m (hi - lo)/2 s`` (``m = 0.5`` is DiffAugment's ``U(-0.5, 0.5)`` on [-1, 1]);
    - ``saturation``, ``contrast``: scale the deviation from the mean by ``1 + m s`` (DiffAugment: ``m = 1``,
      ``0.5``);
    - ``rotation``: rotate by ``90 m s`` degrees about the centre; ``scale``: scale by ``1 + m/2 s`` about the
      centre (bilinear, the outside filled with ``(lo + hi) / 2``; ``m`` gets gradients through the warp);
    - ``translation``: sub-pixel shift by ``0.25 m s`` times the side per axis (DiffAugment: ``m = 0.5``);
    - ``cutout``: a ``m H x m W`` box filled with ``(lo + hi) / 2`` at a uniform centre; the size gets
      gradients through a straight-through soft box (DiffAugment: ``m = 0.5``).

    ``m`` and ``p`` are stored unconstrained and clamped to ``[0, 1]`` with a straight-through clamp; ``m = 0``
    or ``p = 0`` is exactly the identity (``rotation`` and ``scale`` at ``m = 0``: up to the resampler's rounding;
    with ``albumentations=True``: up to rounding when ``value_range`` is not ``(0, 1)``).

    With ``albumentations=True`` each operation instead draws what its Albumentations twin draws (see
    :mod:`kornia_diffaug.nn._learnable_albu`): colours clipped to ``value_range``, whole-pixel shifts
    ``trunc(0.25 m s side)`` and a ``floor(m H) x floor(m W)`` hole inside the image, both filled with ``lo``,
    contrast/saturation about OpenCV's grey, and rotation and scale by ``Affine``'s matrix with a border of ``lo``.
    Such a policy is what
    :func:`~kornia_diffaug.adapters.albumentations.to_albumentations` exports, with the same distribution.

    ``"color"`` expands to ``brightness,saturation,contrast``. In eval mode the module is the identity (it is a
    training-time augmentation); call ``.train()`` to sample from it.

    Args:
        policy: comma-separated operations from ``color, brightness, saturation, contrast, rotation, scale,
            translation, cutout``.
        temperature: relaxation temperature, ``> 0``.
        value_range: ``(lo, hi)`` of the image values.
        init_magnitude: initial ``m`` of every operation, in ``[0, 1]``.
        init_probability: initial ``p`` of every operation, in ``[0, 1]``.
        generator: ``torch.Generator`` for all draws (any device; draws are moved to the input's device).
        albumentations: sample with Albumentations' semantics, so that the policy can be exported.

    Example:
        >>> pol = LearnablePolicy("color,translation,cutout", temperature=0.1)
        >>> y = pol(torch.rand(8, 3, 32, 32) * 2 - 1)            # differentiable w.r.t. pol's parameters
        >>> opt = torch.optim.Adam(pol.parameters(), lr=1e-2)   # fit them with any differentiable loss
    """

    def __init__(
        self,
        policy: str = "color,translation,cutout",
        temperature: float = 0.1,
        value_range: Sequence[float] = (-1.0, 1.0),
        *,
        init_magnitude: float = 0.5,
        init_probability: float = 0.5,
        generator: torch.Generator | None = None,
        albumentations: bool = False,
    ) -> None:
        super().__init__()
        self.ops = parse_policy(policy, OPS, groups=COLOR_GROUP, unique=True, nonempty=True)
        self.temperature = check_positive("temperature", temperature)
        self.value_range = check_value_range(value_range)
        k = len(self.ops)
        self.magnitude = nn.Parameter(torch.full((k,), check_probability("init_magnitude", init_magnitude)))
        self.probability = nn.Parameter(torch.full((k,), check_probability("init_probability", init_probability)))
        self.generator = check_generator(generator)
        self.albumentations = check_bool("albumentations", albumentations)

    @property
    def policy(self) -> str:
        return ",".join(self.ops)

    def extra_repr(self) -> str:
        return (f"policy={self.policy!r}, temperature={self.temperature}, value_range={self.value_range}, "
                f"albumentations={self.albumentations}")

    def magnitudes(self) -> torch.Tensor:
        """Effective ``m``, ``(K,)`` in ``[0, 1]``, differentiable."""
        return _st_unit(self.magnitude)

    def probabilities(self) -> torch.Tensor:
        """Effective ``p``, ``(K,)`` in ``[0, 1]``, differentiable."""
        return _st_unit(self.probability)

    def summary(self) -> dict[str, tuple[float, float]]:
        """``{op: (m, p)}`` as Python floats (for logging; synchronises)."""
        m, p = self.magnitudes().detach().cpu(), self.probabilities().detach().cpu()
        return {op: (float(m[i]), float(p[i])) for i, op in enumerate(self.ops)}

    def _apply_op(self, op: str, x: torch.Tensor, m: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        lo, hi = self.value_range
        b, _, h, w = x.shape
        if self.albumentations:
            if (lo, hi) == (0.0, 1.0):  # skip the unit mapping: exact identities
                return apply_albumentations_op(op, x, m, v)
            return lo + (hi - lo) * apply_albumentations_op(op, (x - lo) / (hi - lo), m, v)
        s = 2 * v - 1  # (B, 2) in [-1, 1)
        if op == "brightness":
            return brightness_shift(x, m * (hi - lo) / 2 * s[:, 0])
        if op == "saturation":
            return saturation_scale(x, 1 + m * s[:, 0])
        if op == "contrast":
            return contrast_scale(x, 1 + m * s[:, 0])
        if op in ("rotation", "scale"):
            return rotate_or_scale(op, x, m, s[:, 0], (lo + hi) / 2)
        if op == "translation":
            return subpixel_translate(x, 0.25 * m * w * s[:, 0], 0.25 * m * h * s[:, 1])
        # cutout: centres uniform over [-0.5, side - 0.5), box sides m * side (pixels)
        mask = box_mask(v[:, 0] * h - 0.5, v[:, 1] * w - 0.5, m * h / 2 * v.new_ones(b), m * w / 2 * v.new_ones(b),
                        (h, w)).to(x.dtype)
        return x * (1 - mask) + (lo + hi) / 2 * mask

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image(x)
        if not self.training:
            return x
        b, k = x.shape[0], len(self.ops)
        dev = draw_device(self.generator, x.device)
        gate_u = torch.rand(b, k, generator=self.generator, device=dev).to(x.device)
        value_u = torch.rand(b, k, 2, generator=self.generator, device=dev).to(x.device)
        mags = self.magnitudes().to(x.device)
        gates = relaxed_bernoulli(self.probabilities().to(x.device), gate_u, self.temperature)  # (B, K)
        for i, op in enumerate(self.ops):
            y = self._apply_op(op, x, mags[i], value_u[:, i])
            g = gates[:, i].to(x.dtype).view(-1, 1, 1, 1)
            x = g * y + (1 - g) * x
        return x
