"""Kornia's own flips, grayscale and ``Normalize`` with the CPU gated-rows path of :class:`~._base.RowGatedMixin`.

Same classes to every caller (subclasses of Kornia's, under Kornia's names, drawing from torch's global RNG as
Kornia does); on the CPU a call transforms only the samples its gate selects, a few at a time, into one output
(:func:`~._alloc.empty_batch`), where Kornia transforms the whole batch and blends it with ``torch.where`` (two
whole-batch tensors for a flip). Results are the same, bit for bit.
``kornia_class`` names the Kornia class each one is (exporters treat both alike).
"""

from __future__ import annotations

from typing import ClassVar

import kornia.augmentation as K
from torch import nn

from ._base import RowGatedMixin

__all__ = ["Normalize", "RandomGrayscale", "RandomHorizontalFlip", "RandomVerticalFlip"]


class RandomHorizontalFlip(RowGatedMixin, K.RandomHorizontalFlip):
    """``kornia.augmentation.RandomHorizontalFlip``; on the CPU only the gated samples are flipped."""

    kornia_class: ClassVar[type[nn.Module]] = K.RandomHorizontalFlip


class RandomVerticalFlip(RowGatedMixin, K.RandomVerticalFlip):
    """``kornia.augmentation.RandomVerticalFlip``; on the CPU only the gated samples are flipped."""

    kornia_class: ClassVar[type[nn.Module]] = K.RandomVerticalFlip


class RandomGrayscale(RowGatedMixin, K.RandomGrayscale):
    """``kornia.augmentation.RandomGrayscale``; on the CPU only the gated samples are converted."""

    kornia_class: ClassVar[type[nn.Module]] = K.RandomGrayscale


class Normalize(RowGatedMixin, K.Normalize):
    """``kornia.augmentation.Normalize``; on the CPU the batch is normalised a few samples at a time."""

    kornia_class: ClassVar[type[nn.Module]] = K.Normalize
    chunk_always = True
