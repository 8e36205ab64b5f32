"""Per-sample ``OneOf`` / ``SomeOf`` / ``Sequential`` containers with Albumentations' semantics.

Kornia's ``random_apply`` picks one set of children for the whole batch; Albumentations decides per image.
These containers draw the decision per sample and fold it into each child's ``batch_prob`` gate, so images,
masks, boxes and keypoints inside ``AugmentationSequential`` all follow the same per-sample choice.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from kornia.augmentation import ImageSequential
from kornia.augmentation.container.params import ParamItem

from ..._validate import check_generator, check_int, check_probability
from ...functional.sampling import draw_device
from .._alloc import batch_buffer
from .._base import allow_per_sample_gating, is_kornia_augmentation, next_batch_shape, rows_path_allowed, sample_rows

__all__ = ["PerSampleOneOf", "PerSampleSequential", "PerSampleSomeOf"]


class _PerSample(ImageSequential):
    """Children are gated per sample by ``masks`` (B, K) drawn in :meth:`draw`; ``p`` gates the container."""

    def __init__(self, *children: torch.nn.Module, p: float = 1.0, generator: torch.Generator | None = None,
                 same_on_batch: bool = False):
        if not children:
            raise ValueError(f"{type(self).__name__} needs at least one transform")
        if not isinstance(same_on_batch, bool):
            raise TypeError(f"same_on_batch must be a bool, got {type(same_on_batch).__name__}")
        # Kornia's ImageSequential passes same_on_batch=True on to every child; this container's own decision
        # (its p and its choice of children) is then drawn once for the whole batch too.
        super().__init__(*[allow_per_sample_gating(c) for c in children], same_on_batch=same_on_batch or None)
        self.p = check_probability("p", p)
        self.generator = check_generator(generator)
        self.same_on_batch = same_on_batch

    def draw(self, b: int, gen: torch.Generator | None, dev: torch.device) -> torch.Tensor:
        raise NotImplementedError

    forces_children = False  # OneOf: the chosen child runs whatever its own p (Albumentations' force_apply)

    def forward_parameters(self, batch_shape: torch.Size) -> list[ParamItem]:
        return self.forward_parameters_masked(batch_shape, None)

    def decide(self, b: int, outer: torch.Tensor | None, forced: bool = False) -> torch.Tensor:
        """The ``(B, K)`` bool masks of which children each of ``b`` samples runs: this container's ``p`` (unless
        ``forced``) and choice, within ``outer`` (B,), the enclosing container's decision."""
        n = 1 if self.same_on_batch and b > 0 else b  # one decision for the whole batch, branches included
        gen = self.generator
        dev = draw_device(gen, None)
        if self.p < 1 and not forced:
            gate = (torch.rand(n, generator=gen, device=dev) < self.p).expand(b)
        else:
            gate = torch.ones(b, dtype=torch.bool, device=dev)
        if outer is not None:
            gate = gate & outer.to(dev)
        return self.draw(n, gen, dev).expand(b, -1) & gate.view(-1, 1)

    def forward_parameters_masked(
        self, batch_shape: torch.Size, outer: torch.Tensor | None, forced: bool = False
    ) -> list[ParamItem]:
        """Parameters of every child, each child's ``batch_prob`` restricted to the samples that select it.

        ``outer`` (B,) is the enclosing container's decision; ``forced`` skips this container's own ``p``.
        """
        masks = self.decide(int(batch_shape[0]), outer, forced)
        params: list[ParamItem] = []
        for i, (name, module) in enumerate(self.named_children()):
            if hasattr(module, "forward_parameters_masked"):  # a container of ours: gated by this one's choice
                data: Any = module.forward_parameters_masked(batch_shape, masks[:, i], self.forces_children)
            else:
                data = module.forward_parameters(batch_shape)
                prob = data["batch_prob"]
                m = masks[:, i].to(device=prob.device, dtype=prob.dtype)
                data["batch_prob"] = m if self.forces_children else prob * m
            item = ParamItem(name, data)
            batch_shape = next_batch_shape(item, batch_shape, module)
            params.append(item)
        return params

    def get_forward_sequence(self, params=None):
        return self.named_children() if params is None else self.get_children_by_params(params)

    def transform_inputs(self, input: torch.Tensor, params: list[ParamItem], extra_args: Any = None) -> torch.Tensor:
        """Kornia's pass over the children; on the CPU, only the samples that some child applies to go through
        them, and are written back into one copy of the batch (else every child makes a whole-batch output, for
        the few samples a ``OneOf`` gives it). Same results: every child is per-sample."""
        rows = _touched_rows(self, input, params)
        if rows is None or rows.numel() == input.shape[0]:
            return super().transform_inputs(input, params, extra_args=extra_args)
        if rows.numel() == 0:
            return input
        sub = super().transform_inputs(input.index_select(0, rows), _take_params(params, rows, input.shape[0]),
                                       extra_args=extra_args)
        return batch_buffer(input, sub).index_copy_(0, rows, sub.to(input.dtype))


class PerSampleSequential(_PerSample):
    """Albumentations ``Sequential(p)``: with probability ``p`` per sample, run every child (each with its
    own ``p``)."""

    def draw(self, b, gen, dev):
        return torch.ones(b, len(self), dtype=torch.bool, device=dev)


class PerSampleOneOf(_PerSample):
    """Albumentations ``OneOf(p)``: with probability ``p`` per sample, apply exactly one child, child ``i``
    chosen with probability ``w_i / sum(w)`` (Albumentations' weights are the children's ``p``; the chosen
    child is then always applied, so children are built with the weights kept in ``weights``)."""

    forces_children = True

    def __init__(self, *children: torch.nn.Module, weights: list[float], p: float = 1.0,
                 generator: torch.Generator | None = None, same_on_batch: bool = False):
        super().__init__(*children, p=p, generator=generator, same_on_batch=same_on_batch)
        if len(weights) != len(children) or any(w < 0 for w in weights) or sum(weights) <= 0:
            raise ValueError(f"weights must be {len(children)} non-negative numbers with a positive sum, got {weights}")
        self.weights = [float(w) for w in weights]

    def draw(self, b, gen, dev):
        w = torch.tensor(self.weights, dtype=torch.float64, device=dev)
        cum = (w.cumsum(0) / w.sum()).to(torch.float32)
        u = torch.rand(b, 1, generator=gen, device=dev)
        pick = (u >= cum[:-1].view(1, -1)).sum(1)
        return torch.nn.functional.one_hot(pick, len(self.weights)).bool()


class PerSampleSomeOf(_PerSample):
    """Albumentations 2.x ``SomeOf(n, replace, p)``: with probability ``p`` per sample, choose ``n`` children
    uniformly (without replacement unless ``replace``) and run them in their listed order, each with its own
    ``p``. With ``replace``, child ``i`` is held ``n`` times (copies) and copy ``j`` runs when ``i`` was drawn
    more than ``j`` times."""

    def __init__(self, *children: torch.nn.Module, n: int = 1, replace: bool = False, p: float = 1.0,
                 generator: torch.Generator | None = None, same_on_batch: bool = False):
        n = check_int("n", n, lower=0)
        self.k = len(children)
        self.n = n if replace else min(n, len(children))
        self.replace = bool(replace)
        if self.replace and n > 1:
            children = tuple(c if j == 0 else copy.deepcopy(c) for c in children for j in range(n))
        super().__init__(*children, p=p, generator=generator, same_on_batch=same_on_batch)

    def draw(self, b, gen, dev):
        if not self.replace:
            rank = torch.rand(b, self.k, generator=gen, device=dev).argsort(1).argsort(1)
            return rank < self.n
        picks = torch.randint(0, self.k, (b, self.n), generator=gen, device=dev)
        counts = torch.nn.functional.one_hot(picks, self.k).sum(1)  # (B, K)
        copies = max(self.n, 1) if self.n > 1 else 1
        j = torch.arange(copies, device=dev).view(1, 1, -1)
        return (counts.unsqueeze(-1) > j).reshape(b, self.k * copies)


def _touched_rows(container: _PerSample, x: torch.Tensor, params: list[ParamItem]) -> torch.Tensor | None:
    """The rows of ``x`` that some leaf under ``container`` applies to (by the ``batch_prob`` gates in
    ``params``), or ``None`` where the subset pass does not hold: off the CPU path, a leaf that changes size or
    ignores its gate's shape, or a child that is not one of Kornia's augmentations or our containers."""
    if x.ndim != 4 or not rows_path_allowed(None, x):
        return None
    b = x.shape[0]
    hit = torch.zeros(b, dtype=torch.bool)

    def visit(module: torch.nn.Module, items: list[ParamItem]) -> bool:
        for item in items:
            m = module.get_submodule(item.name)
            if isinstance(m, _PerSample) and isinstance(item.data, list):
                if not visit(m, item.data):
                    return False
                continue
            if not (is_kornia_augmentation(m) and isinstance(item.data, dict)) or getattr(m, "resizes", False):
                return False
            gate = item.data.get("batch_prob")
            if not isinstance(gate, torch.Tensor) or gate.shape != (b,):
                return False
            if m.p == 1.0 and m.p_batch == 1.0:  # Kornia applies such an op whatever its gate
                hit.fill_(True)
            else:
                hit.logical_or_(gate.cpu() > 0.5)
        return True

    return hit.nonzero().view(-1) if visit(container, params) else None


def _take_params(items: list[ParamItem], rows: torch.Tensor, b: int) -> list[ParamItem]:
    """``items`` for the samples ``rows`` of a batch of ``b``: every per-sample tensor cut to those rows
    (``forward_input_shape`` is the call's shape, not per sample)."""

    def take(data: Any) -> Any:
        if isinstance(data, list):
            return _take_params(data, rows, b)
        if isinstance(data, dict):
            return sample_rows(data, b, rows)
        return data

    return [ParamItem(item.name, take(item.data)) for item in items]
