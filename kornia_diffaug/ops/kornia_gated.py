"""Kornia's own flips, grayscale, channel shuffle, invert and ``Normalize``, with an optional seeded ``generator``
(:class:`~._base.SeededGateMixin`) and the CPU gated-rows path of :class:`~._base.RowGatedMixin`.

Same classes to every caller (subclasses of Kornia's, under Kornia's names). Without ``generator`` they draw
from torch's global RNG as Kornia does, bit for bit; with one, from it (the Albumentations loader passes its
``generator``, so a loaded pipeline is reproducible from that seed alone). On the CPU a call transforms only
the samples its gate selects, a few at a time, into one output (:func:`~._alloc.empty_batch`), where Kornia
transforms the whole batch and blends it with ``torch.where`` (two whole-batch tensors for a flip). Results are
the same, bit for bit. ``kornia_class`` names the Kornia class each one is (exporters treat both alike).
"""

from __future__ import annotations

from typing import Any, ClassVar

import kornia.augmentation as K
import torch
from torch import nn

from ._base import RowGatedMixin, SeededGateMixin

__all__ = ["Normalize", "RandomChannelShuffle", "RandomGrayscale", "RandomHorizontalFlip", "RandomInvert",
           "RandomVerticalFlip"]


def _flip_rows_(x: torch.Tensor, dim: int) -> torch.Tensor:
    """``x`` with each sample flipped along ``dim`` in place (Kornia's ``flip``: exact, so the same bits)."""
    for row in x:
        row.copy_(row.flip(dim))
    return x


class RandomHorizontalFlip(SeededGateMixin, RowGatedMixin, K.RandomHorizontalFlip):
    """``kornia.augmentation.RandomHorizontalFlip``; on the CPU only the gated samples are flipped."""

    kornia_class: ClassVar[type[nn.Module]] = K.RandomHorizontalFlip

    def apply_transform_(self, input: torch.Tensor, params: dict[str, torch.Tensor],
                         flags: dict[str, Any]) -> torch.Tensor:
        """The flip written into ``input``, one sample at a time (a sample's flipped copy stays in cache)."""
        return _flip_rows_(input, -1)


class RandomVerticalFlip(SeededGateMixin, RowGatedMixin, K.RandomVerticalFlip):
    """``kornia.augmentation.RandomVerticalFlip``; on the CPU only the gated samples are flipped."""

    kornia_class: ClassVar[type[nn.Module]] = K.RandomVerticalFlip

    def apply_transform_(self, input: torch.Tensor, params: dict[str, torch.Tensor],
                         flags: dict[str, Any]) -> torch.Tensor:
        """The flip written into ``input``, one sample at a time (a sample's flipped copy stays in cache)."""
        return _flip_rows_(input, -2)


class RandomGrayscale(SeededGateMixin, RowGatedMixin, K.RandomGrayscale):
    """``kornia.augmentation.RandomGrayscale``; on the CPU only the gated samples are converted."""

    kornia_class: ClassVar[type[nn.Module]] = K.RandomGrayscale


class Normalize(SeededGateMixin, RowGatedMixin, K.Normalize):
    """``kornia.augmentation.Normalize``; on the CPU the batch is normalised a few samples at a time."""

    kornia_class: ClassVar[type[nn.Module]] = K.Normalize
    chunk_always = True

    def apply_transform_(self, input: torch.Tensor, params: dict[str, torch.Tensor],
                         flags: dict[str, Any]) -> torch.Tensor:
        """Kornia's ``(x - mean) / std`` (statistics cast to ``x``'s dtype) written into a floating ``x`` (the only
        kind an in-place kernel is given): the same two rounded operations, so the same bits, without two
        whole-batch temporaries."""
        mean, std = (torch.as_tensor(flags[k], device=input.device, dtype=input.dtype) for k in ("mean", "std"))
        tail = (1,) * (input.ndim - 2)  # Kornia's (C,), (1, C) or (B, C) statistics over (B, C, H*W)
        return input.sub_(mean.view(*mean.shape, *tail)).div_(std.view(*std.shape, *tail))


class RandomChannelShuffle(SeededGateMixin, RowGatedMixin, K.RandomChannelShuffle):
    """``kornia.augmentation.RandomChannelShuffle``; with ``generator``, each sample's permutation is the argsort of
    ``C`` uniform draws from it (Kornia's rule, from its own RNG)."""

    kornia_class: ClassVar[type[nn.Module]] = K.RandomChannelShuffle

    def seeded_parameters(self, batch_shape: tuple[int, ...], generator: torch.Generator) -> dict[str, torch.Tensor]:
        b, c = int(batch_shape[0]), int(batch_shape[1])
        n = 1 if (self.same_on_batch and b > 0) else b
        scores = torch.rand(n, c, generator=generator, device=generator.device)
        return {"channels": scores.argsort(dim=1).to(torch.long).expand(b, c)}


class RandomInvert(SeededGateMixin, RowGatedMixin, K.RandomInvert):
    """``kornia.augmentation.RandomInvert``; on the CPU only the gated samples are inverted."""

    kornia_class: ClassVar[type[nn.Module]] = K.RandomInvert
