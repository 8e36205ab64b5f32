"""GAN-side helpers: the adaptive ``p`` controller of StyleGAN2-ADA and augmenting reals and fakes alike.

In a GAN loop the discriminator must see reals and fakes through the same (stochastic, differentiable)
augmentation, and ADA adapts its strength ``p`` from the overfitting heuristic
``r_t = E[sign(D(x_real))]``::

    aug = ADAPipeline("bgc", p=0.0)
    ada = ADAController(aug, target=0.6, speed_kimg=500)
    d_real = D(aug(real)); d_fake = D(aug(G(z)))      # or augment_real_fake(aug, real, G(z))
    ada.observe(d_real)                                # no host sync; p moves every `interval` calls
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from ._validate import check_int, check_number, check_positive, check_probability

__all__ = ["ADAController", "augment_real_fake"]


def augment_real_fake(aug: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Augment reals and fakes with one call (one draw per sample, same distribution); returns both halves.

    Gradients flow to ``fake`` (and to ``real`` if it requires them). Batches must share ``(C, H, W)``.
    """
    if real.shape[1:] != fake.shape[1:]:
        raise ValueError(f"real and fake must share (C, H, W), got {tuple(real.shape)} and {tuple(fake.shape)}")
    out = aug(torch.cat([real, fake.to(real.dtype)]))
    return out[: real.shape[0]], out[real.shape[0] :]


def _writers(target: nn.Module) -> list[nn.Module]:
    """Modules whose ``p`` the controller writes: the target itself if it has ``p``, else every op inside it."""
    if hasattr(target, "p"):
        return [target]
    found = [m for m in target.modules() if m is not target and hasattr(m, "p")]
    # Nested modules of an op that itself has ``p`` are driven through that op.
    return [m for m in found if not any(o is not m and m in list(o.modules()) for o in found)]


class ADAController:
    """Adaptive augmentation probability (Karras et al. 2020, Sec. 3).

    Every call of :meth:`observe` adds ``sum(sign(D(x_real)))`` and the counts to on-device accumulators (no
    host sync). Every ``interval`` calls::

        r_t = sum(sign) / count
        p  <- clamp(p + sign(r_t - target) * N / (speed_kimg * 1000), 0, 1)

    with ``N`` the images seen in the interval, so ``p`` can move from 0 to 1 in ``speed_kimg`` thousand
    images. Under ``torch.distributed`` (initialised, ``all_reduce=True``) the sums and counts are
    all-reduced first, so every rank computes the same ``r_t`` and ``p`` and ``N`` counts the images of all
    ranks. Feed each rank's own logits (not logits already gathered from all ranks, or pass
    ``all_reduce=False``).

    The new ``p`` is written into ``pipeline``: an :class:`~kornia_diffaug.ADAPipeline` or any module whose
    ``p`` is a tensor gets an in-place device copy (no host sync); a module whose ``p`` is a Python number
    (Kornia ops, :class:`kornia.augmentation.presets.ada.AdaptiveDiscriminatorAugmentation`) gets ``float(p)``,
    one host sync per update; a Kornia ``AugmentationSequential`` without its own ``p`` has the ``p`` of every
    op in it set.

    Args:
        pipeline: the module(s) to drive.
        target: the target value of ``r_t`` in ``[0, 1)`` (paper: 0.6).
        speed_kimg: thousands of images for ``p`` to go from 0 to 1 (paper: 500), ``> 0``.
        interval: update every ``interval`` calls of :meth:`observe` (paper: 4), ``>= 1``.
        initial_p: ``p`` to start from (written into the pipeline); ``None`` reads it from the pipeline.
        all_reduce: all-reduce the statistics when ``torch.distributed`` is initialised.

    Attributes:
        p: the current probability, a 0-d float64 tensor on the logits' device.
        r_t: ``r_t`` of the last update (``nan`` before the first).
    """

    def __init__(
        self,
        pipeline: nn.Module,
        *,
        target: float = 0.6,
        speed_kimg: float = 500.0,
        interval: int = 4,
        initial_p: float | None = None,
        all_reduce: bool = True,
    ) -> None:
        if not isinstance(pipeline, nn.Module):
            raise TypeError(f"pipeline must be an nn.Module, got {type(pipeline).__name__}")
        self._targets = _writers(pipeline)
        if not self._targets:
            raise TypeError(f"pipeline {type(pipeline).__name__} has no `p` attribute and contains no module with one")
        self.target = check_number("target", target, 0, 1, upper_open=True)
        self.speed_kimg = check_positive("speed_kimg", speed_kimg)
        self.interval = check_int("interval", interval, lower=1)
        self.pipeline = pipeline
        self.all_reduce = bool(all_reduce)
        if initial_p is None:
            first = self._targets[0].p
            p0 = first.detach().double().reshape(()).clone() if torch.is_tensor(first) else torch.tensor(float(first))
        else:
            p0 = torch.tensor(check_probability("initial_p", initial_p))
        self.p = p0.to(torch.float64).clamp(0, 1)
        self.r_t = torch.full((), math.nan, dtype=torch.float64, device=self.p.device)
        self._stats = torch.zeros(3, dtype=torch.float64, device=self.p.device)  # sign sum, numel, images
        self._calls = 0
        if initial_p is not None:
            self._write()

    # -----------------------------------------------------------------------------------------------------
    def observe(self, real_logits: torch.Tensor) -> None:
        """Accumulate ``sign(D(x_real))`` of one step: logits ``(B,)`` or ``(B, ...)``, one row per image."""
        if not isinstance(real_logits, torch.Tensor):
            raise TypeError(f"real_logits must be a torch.Tensor, got {type(real_logits).__name__}")
        if real_logits.ndim == 0:
            raise ValueError("real_logits must have a batch dimension, got a 0-d tensor")
        logits = real_logits.detach()
        if self._stats.device != logits.device:
            self._to(logits.device)
        # In-place adds of a device reduction and of Python numbers: no host sync, no host-to-device copy.
        self._stats[0] += torch.sign(logits).sum(dtype=torch.float64)
        self._stats[1] += float(logits.numel())
        self._stats[2] += float(logits.shape[0])
        self._calls += 1
        if self._calls >= self.interval:
            self.update()

    def update(self) -> None:
        """Apply the accumulated statistics now (called by :meth:`observe` every ``interval`` calls)."""
        stats = self._stats.clone()
        if self.all_reduce and dist.is_available() and dist.is_initialized():
            dist.all_reduce(stats, op=dist.ReduceOp.SUM)
        sign_sum, count, images = stats.unbind()
        seen = count > 0
        r_t = torch.where(seen, sign_sum / count.clamp_min(1), self.r_t)
        step = torch.sign(r_t - self.target) * images / (self.speed_kimg * 1000.0)
        self.p = torch.where(seen, (self.p + step).clamp(0.0, 1.0), self.p)
        self.r_t = r_t
        self._stats.zero_()
        self._calls = 0
        self._write()

    def _write(self) -> None:
        host: float | None = None
        for m in self._targets:
            current = m.p
            if torch.is_tensor(current):
                if hasattr(m, "set_p"):
                    m.set_p(self.p)
                else:
                    with torch.no_grad():
                        current.copy_(self.p.to(current.device, current.dtype).reshape(current.shape))
            else:
                if host is None:
                    host = float(self.p)  # the one host sync, for modules whose p is a Python number
                m.p = host

    def _to(self, device: torch.device) -> None:
        self.p = self.p.to(device)
        self.r_t = self.r_t.to(device)
        self._stats = self._stats.to(device)

    # -----------------------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: ``p``, ``r_t``, the pending statistics and the settings."""
        return {
            "p": self.p.detach().cpu().clone(),
            "r_t": self.r_t.detach().cpu().clone(),
            "stats": self._stats.detach().cpu().clone(),
            "calls": self._calls,
            "target": self.target,
            "speed_kimg": self.speed_kimg,
            "interval": self.interval,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` (also writes ``p`` into the pipeline)."""
        missing = {"p", "r_t", "stats", "calls"} - set(state)
        if missing:
            raise KeyError(f"ADAController state is missing {sorted(missing)}")
        dev = self._stats.device
        self.p = torch.as_tensor(state["p"], dtype=torch.float64).to(dev).reshape(()).clamp(0, 1)
        self.r_t = torch.as_tensor(state["r_t"], dtype=torch.float64).to(dev).reshape(())
        self._stats = torch.as_tensor(state["stats"], dtype=torch.float64).to(dev).reshape(3).clone()
        self._calls = int(state["calls"])
        self.target = float(state.get("target", self.target))
        self.speed_kimg = float(state.get("speed_kimg", self.speed_kimg))
        self.interval = int(state.get("interval", self.interval))
        self._write()

    def __repr__(self) -> str:
        return (
            f"ADAController(target={self.target}, speed_kimg={self.speed_kimg}, interval={self.interval}, "
            f"targets={[type(m).__name__ for m in self._targets]})"
        )
