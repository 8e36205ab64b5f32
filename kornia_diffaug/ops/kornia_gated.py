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

from typing import ClassVar

import kornia.augmentation as K
import torch
from torch import nn

from ._base import RowGatedMixin, SeededGateMixin

__all__ = ["Normalize", "RandomChannelShuffle", "RandomGrayscale", "RandomHorizontalFlip", "RandomInvert",
           "RandomVerticalFlip"]


class RandomHorizontalFlip(SeededGateMixin, RowGatedMixin, K.RandomHorizontalFlip):
    """``kornia.augmentation.RandomHorizontalFlip``; on the CPU only the gated samples are flipped."""

    kornia_class: ClassVar[type[nn.Module]] = K.RandomHorizontalFlip


class RandomVerticalFlip(SeededGateMixin, RowGatedMixin, K.RandomVerticalFlip):
    """``kornia.augmentation.RandomVerticalFlip``; on the CPU only the gated samples are flipped."""

    kornia_class: ClassVar[type[nn.Module]] = K.RandomVerticalFlip


class RandomGrayscale(SeededGateMixin, RowGatedMixin, K.RandomGrayscale):
    """``kornia.augmentation.RandomGrayscale``; on the CPU only the gated samples are converted."""

    kornia_class: ClassVar[type[nn.Module]] = K.RandomGrayscale


class Normalize(SeededGateMixin, RowGatedMixin, K.Normalize):
    """``kornia.augmentation.Normalize``; on the CPU the batch is normalised a few samples at a time."""

    kornia_class: ClassVar[type[nn.Module]] = K.Normalize
    chunk_always = True


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
