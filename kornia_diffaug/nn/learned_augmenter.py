"""A small network that predicts per-sample parameters of a differentiable augmentation policy, trained end to
end with the task model, adversarially (in the spirit of Adversarial AutoAugment, Zhang et al. 2020, and
"Learning to augment", Tang et al. 2020) or cooperatively."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .._validate import (
    check_choice,
    check_generator,
    check_image,
    check_int,
    check_number,
    check_positive,
    check_ratio,
    check_value_range,
)
from ..functional.color import brightness_shift, contrast_scale, saturation_scale
from ..functional.geometry_subpixel import subpixel_translate
from ..functional.policy_string import COLOR_GROUP, parse_policy
from ..functional.sampling import draw_device

__all__ = ["LearnedAugmenter", "grad_reverse"]

OPS = ("brightness", "saturation", "contrast", "translation")
_WIDTH = {"brightness": 1, "saturation": 1, "contrast": 1, "translation": 2}
_MODES = ("adversarial", "cooperative")


class _GradReverse(torch.autograd.Function):
    """Identity forward; backward multiplies the gradient by ``-scale``."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, scale: float) -> torch.Tensor:  # type: ignore[override]
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        return -ctx.scale * grad, None


def grad_reverse(x: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """Gradient reversal (Ganin & Lempitsky 2015): ``y = x`` forward, ``dL/dx = -scale dL/dy`` backward."""
    return _GradReverse.apply(x, scale)


class LearnedAugmenter(nn.Module):
    """Predict each image's augmentation parameters with a small CNN and apply them differentiably.

    The network reads the image (each channel through the same first convolution, then averaged over channels,
    so any channel count works) and ``noise_dim`` Gaussian noise values (so one image gets different
    augmentations), and outputs ``u = tanh(z)`` in ``(-1, 1)`` per parameter:

    - ``brightness``: shift ``0.25 (hi - lo) u`` (DiffAugment's largest shift at ``|u| = 1``);
    - ``saturation``: factor ``1 + u`` in ``(0, 2)``; ``contrast``: factor ``1 + 0.5 u`` in ``(0.5, 1.5)``;
    - ``translation``: sub-pixel shift ``max_translation * side * u`` per axis (bilinear, so gradients reach
      the predicted shifts).

    Training: one optimiser over the task model and the augmenter, one backward of
    ``task_loss + augmenter.penalty()``. In ``mode="adversarial"`` a gradient reversal sits between the
    predicted parameters and the kernels, so the augmenter ascends the task loss while the task model descends
    it; the penalty ``penalty_weight * mean(u^2)`` is not reversed, so the augmenter maximises
    ``task_loss - penalty`` (hard but bounded augmentations). In ``mode="cooperative"`` it minimises
    ``task_loss + penalty`` (e.g. to canonicalise inputs). In eval mode the module is the identity.

    Args:
        policy: comma-separated subset of ``color`` (= ``brightness,saturation,contrast``), ``brightness``,
            ``saturation``, ``contrast``, ``translation``.
        hidden: width of the network, ``>= 1``.
        mode: ``"adversarial"`` or ``"cooperative"``.
        penalty_weight: weight of the magnitude penalty, ``>= 0``.
        adversarial_scale: gradient-reversal factor, ``> 0`` (adversarial mode only).
        value_range: ``(lo, hi)`` of the image values.
        max_translation: largest shift as a fraction of the side, in ``(0, 1]`` (DiffAugment: 1/8).
        noise_dim: noise values fed to the network, ``>= 0``.
        generator: ``torch.Generator`` for the noise (any device).

    Example:
        >>> aug = LearnedAugmenter("color,translation", hidden=16, mode="adversarial")
        >>> opt = torch.optim.Adam([*model.parameters(), *aug.parameters()], lr=1e-3)  # doctest: +SKIP
        >>> loss = F.cross_entropy(model(aug(x)), y) + aug.penalty()                    # doctest: +SKIP
        >>> opt.zero_grad(); loss.backward(); opt.step()                                # doctest: +SKIP
    """

    def __init__(
        self,
        policy: str = "color,translation",
        hidden: int = 16,
        *,
        mode: str = "adversarial",
        penalty_weight: float = 1.0,
        adversarial_scale: float = 1.0,
        value_range: Sequence[float] = (-1.0, 1.0),
        max_translation: float = 0.125,
        noise_dim: int = 8,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.ops = parse_policy(policy, OPS, groups=COLOR_GROUP, unique=True, nonempty=True)
        check_int("hidden", hidden, lower=1)
        self.noise_dim = check_int("noise_dim", noise_dim, lower=0)
        self.mode = check_choice("mode", mode, _MODES)
        self.penalty_weight = check_number("penalty_weight", penalty_weight, lower=0)
        self.adversarial_scale = check_positive("adversarial_scale", adversarial_scale)
        self.value_range = check_value_range(value_range)
        self.max_translation = check_ratio("max_translation", max_translation)
        self.generator = check_generator(generator)
        self.num_params = sum(_WIDTH[op] for op in self.ops)
        self.stem = nn.Conv2d(1, hidden, 3, stride=2, padding=1)
        self.body = nn.Sequential(nn.ReLU(), nn.Conv2d(hidden, hidden, 3, stride=2, padding=1), nn.ReLU())
        self.head = nn.Sequential(
            nn.Linear(hidden + noise_dim, hidden), nn.ReLU(), nn.Linear(hidden, self.num_params)
        )
        # Start close to the identity (u ~ 0) while every weight still receives gradients.
        nn.init.normal_(self.head[-1].weight, std=1e-2)
        nn.init.zeros_(self.head[-1].bias)
        self._last_u: torch.Tensor | None = None

    @property
    def policy(self) -> str:
        return ",".join(self.ops)

    def extra_repr(self) -> str:
        return f"policy={self.policy!r}, mode={self.mode!r}, penalty_weight={self.penalty_weight}"

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Unit parameters ``u = tanh(z)``, ``(B, num_params)``, from the (detached) images and fresh noise."""
        b, c, h, w = x.shape
        wdt = self.stem.weight.dtype
        lo, hi = self.value_range
        z = (x.detach().to(wdt) - (lo + hi) / 2) / ((hi - lo) / 2)  # about [-1, 1]
        f = self.stem(z.reshape(b * c, 1, h, w))
        f = f.view(b, c, *f.shape[1:]).mean(1)
        f = self.body(f).mean((2, 3))
        if self.noise_dim:
            dev = draw_device(self.generator, x.device)
            noise = torch.randn(b, self.noise_dim, generator=self.generator, device=dev, dtype=wdt)
            f = torch.cat([f, noise.to(x.device)], 1)
        return torch.tanh(self.head(f))

    def augment(self, x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        """Apply the policy with unit parameters ``u`` ``(B, num_params)`` to ``x`` (pure, differentiable)."""
        lo, hi = self.value_range
        h, w = x.shape[-2:]
        j = 0
        for op in self.ops:
            if op == "brightness":
                x = brightness_shift(x, 0.25 * (hi - lo) * u[:, j])
            elif op == "saturation":
                x = saturation_scale(x, 1 + u[:, j])
            elif op == "contrast":
                x = contrast_scale(x, 1 + 0.5 * u[:, j])
            else:
                s = self.max_translation
                x = subpixel_translate(x, s * w * u[:, j], s * h * u[:, j + 1])
            j += _WIDTH[op]
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image(x)
        if not self.training:
            return x
        u = self.predict(x)
        self._last_u = u
        if self.mode == "adversarial":
            u = grad_reverse(u, self.adversarial_scale)
        return self.augment(x, u)

    def __getstate__(self) -> dict:
        # The last forward's ``u`` carries that step's graph, which cannot be copied or pickled: a copy (e.g. an
        # EMA of the model) or an unpickled module starts without it, as a freshly built one does.
        state = dict(self.__dict__)
        state["_last_u"] = None
        return state

    def penalty(self) -> torch.Tensor:
        """``penalty_weight * mean(u^2)`` of the last training forward (add it to the task loss)."""
        if self._last_u is None:
            raise RuntimeError("LearnedAugmenter.penalty() needs a training-mode forward pass first")
        u = self._last_u
        return self.penalty_weight * u.pow(2).mean() if u.numel() else u.sum()
