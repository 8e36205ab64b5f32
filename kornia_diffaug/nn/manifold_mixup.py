"""Manifold Mixup (Verma et al., "Manifold Mixup: Better Representations by Interpolating Hidden States",
ICML 2019) as a wrapper that mixes hidden states through a forward hook (no model surgery)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from .._validate import check_generator, check_int, check_positive
from ..functional.feature_mix import mix_pairs
from ..functional.sampling import beta

__all__ = ["ManifoldMixup", "MixInfo"]

INPUT = "input"


@dataclass(frozen=True)
class MixInfo:
    """What the last training forward did: the mixed ``layer`` (``"input"`` for the input), the weight
    ``lam`` and the CPU partner indices ``perm``; ``h_i <- lam h_i + (1 - lam) h_perm(i)``."""

    layer: str
    lam: float
    perm: torch.Tensor


def _mix_output(out: object, perm: torch.Tensor, lam: float, b: int) -> object:
    """Mix a tensor output, or the batch-first floating tensors of a tuple/list output."""
    if isinstance(out, torch.Tensor):
        if out.ndim == 0 or out.shape[0] != b or not out.is_floating_point():
            raise RuntimeError(f"ManifoldMixup can only mix floating (B={b}, ...) outputs, got {tuple(out.shape)}")
        return mix_pairs(out, perm, lam)
    if isinstance(out, (tuple, list)):

        def mixable(o: object) -> bool:
            return isinstance(o, torch.Tensor) and o.is_floating_point() and o.ndim > 0 and o.shape[0] == b

        mixed = [mix_pairs(o, perm, lam) if mixable(o) else o for o in out]
        return type(out)(mixed)
    raise RuntimeError(f"ManifoldMixup cannot mix a layer output of type {type(out).__name__}")


class ManifoldMixup(nn.Module):
    """Train ``model`` on convex combinations of hidden states of pairs of samples and of their targets.

    Training forward ``forward(x, targets) -> (output, mixed_targets)``: pick one of ``layers`` uniformly
    (``"input"`` names the input itself, i.e. plain input Mixup), draw one ``lam ~ Beta(alpha, alpha)`` and a
    shuffle ``perm`` of the batch, replace that layer's output ``h`` by ``lam h + (1 - lam) h[perm]`` (a forward
    hook, first call only) and return the model output with ``mixed_targets = lam t + (1 - lam) t[perm]``.
    Targets are class indices ``(B,)`` (one-hot encoded with ``num_classes``, else the output's last
    dimension) or soft targets ``(B, K)``; train with a soft-target loss, e.g.
    ``F.cross_entropy(output, mixed_targets)``.

    Eval forward: the plain model; ``forward(x)`` returns ``output`` and ``forward(x, targets)`` returns
    ``(output, targets)`` with ``targets`` untouched. The last training mix is in :attr:`last_mix`.

    Args:
        model: any ``nn.Module``; ``layers`` are names from ``model.named_modules()``.
        layers: candidate layers, non-empty; ``"input"`` always means the model input.
        alpha: Beta concentration, ``> 0`` (paper: 2.0).
        num_classes: number of classes for index targets (default: ``output.shape[-1]``).
        generator: CPU ``torch.Generator`` for the layer, ``lam`` and ``perm`` draws.

    Example:
        >>> net = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))
        >>> mm = ManifoldMixup(net, ["input", "1", "2"], alpha=2.0).train()
        >>> out, soft = mm(torch.randn(4, 3, 2, 2), torch.tensor([0, 1, 2, 0]))
        >>> loss = torch.nn.functional.cross_entropy(out, soft)
    """

    def __init__(
        self,
        model: nn.Module,
        layers: Sequence[str],
        alpha: float = 2.0,
        *,
        num_classes: int | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if isinstance(layers, str) or not isinstance(layers, Sequence) or len(layers) == 0:
            raise ValueError(f"layers must be a non-empty sequence of module names or 'input', got {layers!r}")
        names = dict(model.named_modules())
        for name in layers:
            if not isinstance(name, str):
                raise TypeError(f"layers must hold strings, got {type(name).__name__}")
            if name != INPUT and (name == "" or name not in names):
                avail = [n for n in names if n][:20]
                raise ValueError(f"layers: {name!r} is not a submodule of the model; e.g. {avail} or 'input'")
        self.model = model
        self.layers = list(layers)
        self.alpha = check_positive("alpha", alpha)
        self.num_classes = None if num_classes is None else check_int("num_classes", num_classes, lower=1)
        self.generator = check_generator(generator, cpu=True)
        self.last_mix: MixInfo | None = None

    def extra_repr(self) -> str:
        return f"layers={self.layers}, alpha={self.alpha}, num_classes={self.num_classes}"

    def _encode(self, targets: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
        b = output.shape[0]
        dtype = output.dtype if output.is_floating_point() else torch.float32
        if targets.is_floating_point():
            if targets.ndim != 2 or targets.shape[0] != b:
                raise ValueError(f"soft targets must have shape ({b}, K), got {tuple(targets.shape)}")
            return targets
        if targets.ndim != 1 or targets.shape[0] != b:
            raise ValueError(f"class-index targets must have shape ({b},), got {tuple(targets.shape)}")
        k = self.num_classes if self.num_classes is not None else output.shape[-1]
        onehot = torch.zeros(b, k, dtype=dtype, device=targets.device)
        return onehot.scatter_(1, targets.long().unsqueeze(1), 1.0)

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None):
        if not self.training:
            out = self.model(x)
            return out if targets is None else (out, targets)
        if targets is None:
            raise ValueError("ManifoldMixup needs targets in training mode: call forward(x, targets)")
        if not isinstance(targets, torch.Tensor):
            raise TypeError(f"targets must be a torch.Tensor, got {type(targets).__name__}")
        b = x.shape[0]
        if targets.shape[0] != b:
            raise ValueError(f"targets must have batch size {b}, got shape {tuple(targets.shape)}")
        g = self.generator
        layer = self.layers[int(torch.randint(len(self.layers), (), generator=g))]  # CPU draw, no sync
        lam = float(beta((), self.alpha, g))
        perm_cpu = torch.randperm(b, generator=g)
        perm = perm_cpu.to(x.device, non_blocking=True)
        self.last_mix = MixInfo(layer, lam, perm_cpu)
        if layer == INPUT:
            out = self.model(mix_pairs(x, perm, lam))
        else:
            done = []

            def hook(module: nn.Module, args: tuple, output: object) -> object:
                if done:  # a module called twice is mixed once, so no third sample leaks in
                    return output
                done.append(True)
                return _mix_output(output, perm, lam, b)

            handle = self.model.get_submodule(layer).register_forward_hook(hook)
            try:
                out = self.model(x)
            finally:
                handle.remove()
            if not done:
                raise RuntimeError(f"ManifoldMixup: layer {layer!r} was not called during the forward pass")
        soft = self._encode(targets, out)
        return out, mix_pairs(soft, perm.to(soft.device), lam)
