"""DiffAugment (Zhao et al., NeurIPS 2020) as a Kornia ``AugmentationSequential`` of our ops.

The one place where a policy calls kernels of :mod:`kornia_diffaug.functional` itself: the fused forward
(:meth:`DiffAugment._fused_forward`) draws through the ops, as Kornia's path does, then applies colour,
translation and cutout in one fused kernel (:func:`~kornia_diffaug.functional.diffaugment_fused`) and skips
Kornia's per-op dispatch; ``params=aug._params`` replays it bit for bit through the same path.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from kornia.augmentation import AugmentationSequential
from kornia.constants import DataKey

from .. import functional as F
from .._validate import check_generator, check_image, check_ratio, check_value_range
from ..functional.diffaugment import DIFFAUGMENT_POLICIES, in_fused_order
from ..functional.policy_string import parse_policy
from ..ops import (
    RandomBrightnessShift,
    RandomContrastScale,
    RandomCutout,
    RandomIntegerTranslate,
    RandomSaturationScale,
)
from .registry import register_policy

__all__ = ["DiffAugment"]


def _gated(value: torch.Tensor, gate: torch.Tensor | None, identity: float) -> torch.Tensor:
    """``value`` where the per-sample ``gate`` is open, else the op's identity parameter."""
    if gate is None:
        return value
    return torch.where(gate.view(-1, *([1] * (value.ndim - 1))), value, identity)


class DiffAugment(AugmentationSequential):
    """DiffAugment's ``color``, ``translation`` and ``cutout`` as one nestable Kornia pipeline.

    On ``value_range=(-1, 1)`` this is exactly the paper's formulas (see
    :func:`kornia_diffaug.functional.diff_augment`). For another range ``(lo, hi)`` the brightness shift is
    scaled by ``(hi - lo) / 2`` (``U(-0.25, 0.25)`` on [0, 1]) and cutout fills with the mid value
    ``(lo + hi) / 2``, so the policy means the same thing; saturation and contrast are range-independent.

    Args:
        policy: comma-separated subset of ``color,translation,cutout``, applied in that order as written.
        value_range: ``(lo, hi)`` of the image values.
        translation_ratio: largest shift as a fraction of the side (paper: 1/8).
        cutout_ratio: cutout side as a fraction of the image side (paper: 1/2).
        p: probability of applying each op to each sample (paper: 1).
        generator: one ``torch.Generator`` shared by all ops, for reproducible draws.
        data_keys: Kornia data keys, e.g. ``["input", "mask", "keypoints", "bbox_xyxy"]``.

    Example:
        >>> aug = DiffAugment("color,translation,cutout", value_range=(0.0, 1.0))
        >>> d_real = discriminator(aug(real))  # doctest: +SKIP
    """

    def __init__(
        self,
        policy: str = "color,translation,cutout",
        value_range: Sequence[float] = (-1.0, 1.0),
        *,
        translation_ratio: float = 0.125,
        cutout_ratio: float = 0.5,
        p: float = 1.0,
        same_on_batch: bool = False,
        generator: torch.Generator | None = None,
        data_keys: Sequence[str] = ("input",),
    ) -> None:
        names = parse_policy(policy, DIFFAUGMENT_POLICIES)
        lo, hi = check_value_range(value_range)
        check_generator(generator)
        half = (hi - lo) / 2
        common = {"p": p, "same_on_batch": same_on_batch, "generator": generator}
        ops = []
        for name in names:
            if name == "color":
                ops += [
                    RandomBrightnessShift((-0.5 * half, 0.5 * half), **common),
                    RandomSaturationScale((0.0, 2.0), **common),
                    RandomContrastScale((0.5, 1.5), **common),
                ]
            elif name == "translation":
                ops.append(RandomIntegerTranslate(check_ratio("translation_ratio", translation_ratio), **common))
            else:
                ops.append(RandomCutout(check_ratio("cutout_ratio", cutout_ratio), fill=(lo + hi) / 2, **common))
        super().__init__(*ops, data_keys=list(data_keys))
        self.policy = ",".join(names)
        self.value_range = (lo, hi)
        self._names = names

    def forward(self, *args, params=None, data_keys=None):
        """As ``AugmentationSequential.forward``; a lone image takes the fused path, fresh draws and replays alike.

        The fused path draws the same parameters from the same children as Kornia's path, applies the three
        colour ops in one kernel and skips Kornia's per-op dispatch; ``params=self._params`` replays it through
        the same path, bit for bit. It also records ``transform_matrix``. Calls with other data keys go
        through Kornia's per-op path (replays of those too), which agrees with the fused one to float rounding.
        """
        if (
            data_keys is None
            and len(args) == 1
            and isinstance(args[0], torch.Tensor)
            and args[0].ndim == 4
            and self.data_keys == [DataKey.INPUT]
        ):
            return self._fused_forward(args[0], params)
        return super().forward(*args, params=params, data_keys=data_keys)

    @property
    def transform_matrix(self) -> torch.Tensor | None:
        """Kornia's chained matrix; after a fused call, the translation's ``(B, 3, 3)``, built on first read."""
        pending = self.__dict__.get("_pending_shift")
        if pending is not None:
            self._pending_shift = None
            self._transform_matrices = [F.translation_matrix(pending[0], pending[1], dtype=pending[2])]
        return super().transform_matrix

    def clear_state(self) -> None:
        self._pending_shift = None
        super().clear_state()

    def _fused_forward(self, x: torch.Tensor, params=None) -> torch.Tensor:
        """The image-only path; ``params`` (e.g. ``aug._params``) replays a draw through the same floating-point
        operations, so the replay is bitwise identical."""
        ops = list(self.children())
        check_image(x, "input")
        self.clear_state()
        if params is None:
            params = self.forward_parameters(x.shape)
        dev = x.device
        data = [{k: v.to(dev) for k, v in item.data.items()} for item in params]
        # With p == 1 every gate is open: skip the per-op blending entirely (a Python float, no sync).
        gates = [None if op.p == 1.0 else d["batch_prob"] > 0.5 for op, d in zip(ops, data, strict=True)]
        # A sample an op's gate skips gets that op's identity parameter.
        steps: list[tuple[str, tuple]] = []
        i = 0
        for name in self._names:
            if name == "color":
                shift = _gated(data[i]["shift"], gates[i], 0.0)
                sat = _gated(data[i + 1]["factor"], gates[i + 1], 1.0)
                steps.append((name, (shift, sat, _gated(data[i + 2]["factor"], gates[i + 2], 1.0))))
                i += 3
            elif name == "translation":
                tx, ty = _gated(data[i]["shift_x"], gates[i], 0), _gated(data[i]["shift_y"], gates[i], 0)
                steps.append((name, (tx, ty)))
                self._pending_shift = (tx, ty, x.dtype)  # the matrix is built when read
                i += 1
            else:
                d = data[i]
                box = (d["top"], d["left"], _gated(d["height"], gates[i], 0), d["width"])
                steps.append((name, (box, ops[i].fill)))
                i += 1
        if in_fused_order(self._names):
            got = dict(steps)
            box, fill = got.get("cutout", (None, 0.0))
            x = F.diffaugment_fused(x, got.get("color"), got.get("translation"), box, fill=fill)
        else:
            for name, args in steps:
                if name == "color":
                    x = F.diffaugment_color(x, *args)
                elif name == "translation":
                    x = F.integer_translate(x, *args)
                else:
                    x = F.cutout(x, *args[0], fill=args[1])
        self._params = params
        return x


register_policy("diffaugment", DiffAugment, description="DiffAugment color,translation,cutout (Zhao et al. 2020)")
