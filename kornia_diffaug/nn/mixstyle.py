"""MixStyle (Zhou, Yang, Qiao & Xiang, "Domain Generalization with MixStyle", ICLR 2021)."""

from __future__ import annotations

import torch
from torch import nn

from .._validate import check_choice, check_generator, check_positive, check_probability
from ..functional.feature_mix import mix_styles
from ..functional.sampling import beta

__all__ = ["MixStyle"]

_MIX_MODES = ("random", "crossdomain")


class MixStyle(nn.Module):
    """Mix the per-channel feature statistics of each sample with another sample's, keeping its content.

    In training, with probability ``p`` per batch (as in the paper), for features ``x`` of shape
    ``(B, C, *spatial)``: ``mu, sig`` are the per-sample, per-channel mean and ``sqrt(var + eps)`` over the
    spatial dims (detached, as in the paper), ``lam_i ~ Beta(alpha, alpha)`` per sample and

        ``y = (lam mu + (1 - lam) mu[perm]) + (lam sig + (1 - lam) sig[perm]) * (x - mu) / sig``.

    ``mix="random"`` pairs each sample with a random other one (a shuffle of the batch); ``mix="crossdomain"``
    treats the two halves of the batch as two domains and pairs every sample with a random sample of the other
    half (the batch size must then be even). In eval mode, or for a batch of fewer than two samples, the module
    is the identity. Insert it between the early blocks of a CNN (the paper uses after res1-res3 of a ResNet).

    Args:
        p: probability of mixing a training batch, in ``[0, 1]``.
        alpha: Beta concentration, ``> 0`` (small ``alpha`` keeps ``lam`` near 0 or 1).
        eps: added to the variance, ``> 0``.
        mix: ``"random"`` or ``"crossdomain"``.
        detach: stop gradients through the statistics (paper: yes).
        generator: CPU ``torch.Generator`` for the gate, ``lam`` and pairings.

    Example:
        >>> ms = MixStyle(p=0.5, alpha=0.1).train()
        >>> ms(torch.randn(8, 64, 16, 16)).shape
        torch.Size([8, 64, 16, 16])
    """

    def __init__(
        self,
        p: float = 0.5,
        alpha: float = 0.1,
        eps: float = 1e-6,
        mix: str = "random",
        *,
        detach: bool = True,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.p = check_probability("p", p)
        self.alpha = check_positive("alpha", alpha)
        self.eps = check_positive("eps", eps)
        self.mix = check_choice("mix", mix, _MIX_MODES)
        self.detach = bool(detach)
        self.generator = check_generator(generator, cpu=True)

    def extra_repr(self) -> str:
        return f"p={self.p}, alpha={self.alpha}, eps={self.eps}, mix={self.mix!r}"

    def pairing(self, b: int) -> torch.Tensor:
        """``(b,)`` CPU partner indices for the current ``mix`` mode."""
        g = self.generator
        if self.mix == "random":
            return torch.randperm(b, generator=g)
        if b % 2:
            raise ValueError(f"MixStyle(mix='crossdomain') needs an even batch (two equal domains), got B={b}")
        h = b // 2
        return torch.cat([h + torch.randperm(h, generator=g), torch.randperm(h, generator=g)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.ndim < 3:
            raise ValueError(f"MixStyle expects floating features (B, C, *spatial), got {getattr(x, 'shape', x)}")
        b = x.shape[0]
        if not self.training or self.p == 0.0 or b < 2:
            return x
        if self.p < 1.0 and not bool(torch.rand((), generator=self.generator) < self.p):  # CPU draw, no sync
            return x
        perm = self.pairing(b)
        lam = beta((b,), self.alpha, self.generator)
        return mix_styles(x, perm.to(x.device, non_blocking=True), lam.to(x.device, non_blocking=True),
                          self.eps, self.detach)
