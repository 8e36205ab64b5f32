"""Kornia's flips, grayscale and Normalize with the CPU gated-rows path give Kornia's own results, bit for bit."""

from __future__ import annotations

import kornia.augmentation as K
import pytest
import torch

from kornia_diffaug.ops import kornia_gated as KG

MEAN, STD = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])
CASES = [
    (KG.RandomHorizontalFlip, K.RandomHorizontalFlip, {"p": 0.5}),
    (KG.RandomHorizontalFlip, K.RandomHorizontalFlip, {"p": 1.0}),
    (KG.RandomVerticalFlip, K.RandomVerticalFlip, {"p": 0.4}),
    (KG.RandomGrayscale, K.RandomGrayscale, {"p": 0.3}),
    (KG.Normalize, K.Normalize, {"mean": MEAN, "std": STD, "p": 1.0}),
    (KG.Normalize, K.Normalize, {"mean": MEAN, "std": STD, "p": 0.5}),
]


@pytest.mark.parametrize("ours, theirs, kwargs", CASES, ids=lambda v: getattr(v, "__name__", None) or str(v))
@pytest.mark.parametrize("batch", [0, 1, 19])
def test_rows_path_matches_kornia(ours, theirs, kwargs, batch):
    x = torch.rand(batch, 3, 9, 14, generator=torch.Generator().manual_seed(batch))
    torch.manual_seed(3)
    ref = theirs(**kwargs)(x)
    torch.manual_seed(3)
    op = ours(**kwargs)
    y = op(x)
    assert isinstance(op, theirs) and type(op).__name__ == theirs.__name__
    assert torch.equal(y, ref)
    assert torch.equal(op(x, params=op._params), y)
    if batch == 19 and kwargs["p"] < 1 and not op.same_on_batch:  # a mixed gate: the skipped samples kept exactly
        gate = op._params["batch_prob"] > 0.5
        assert 0 < int(gate.sum()) < batch and torch.equal(y[~gate], x[~gate]) and not torch.equal(y[gate], x[gate])


def test_rows_path_keeps_gradients_keepdim_and_masks():
    x = torch.rand(12, 3, 8, 10, generator=torch.Generator().manual_seed(0), requires_grad=True)
    torch.manual_seed(1)
    y = KG.RandomHorizontalFlip(p=0.5)(x)
    y.square().sum().backward()
    g = x.grad.clone()
    x.grad = None
    torch.manual_seed(1)
    K.RandomHorizontalFlip(p=0.5)(x).square().sum().backward()
    assert torch.equal(g, x.grad)
    single = torch.rand(3, 8, 10)
    torch.manual_seed(2)
    assert KG.RandomHorizontalFlip(p=1.0, keepdim=True)(single).shape == (3, 8, 10)
    mask = (torch.rand(12, 1, 8, 10) > 0.5).float()
    for seq in (K.AugmentationSequential(KG.RandomHorizontalFlip(p=0.5), data_keys=["input", "mask"]),
                K.AugmentationSequential(K.RandomHorizontalFlip(p=0.5), data_keys=["input", "mask"])):
        torch.manual_seed(4)
        out = seq(x.detach(), mask)
        torch.manual_seed(4)
        ref = K.AugmentationSequential(K.RandomHorizontalFlip(p=0.5), data_keys=["input", "mask"])(x.detach(), mask)
        assert all(torch.equal(a, b) for a, b in zip(out, ref, strict=True))


class _FakeLibc:
    def __init__(self):
        self.calls = []

    def madvise(self, start, length, advice):
        self.calls.append((start, length, advice))
        return 0


def test_empty_batch_marks_only_the_huge_page_interior_of_large_cpu_blocks(monkeypatch):
    from kornia_diffaug.ops import _alloc

    fake = _FakeLibc()
    monkeypatch.setattr(_alloc, "_LIBC", fake)
    like = torch.zeros(2, 3, 4, 5, dtype=torch.float64)
    small = _alloc.empty_batch(like)
    assert small.shape == like.shape and small.dtype == like.dtype and fake.calls == []
    big = _alloc.empty_batch(like, (9, 1024, 1024))  # 72 MiB of float64
    assert big.shape == (9, 1024, 1024) and big.dtype == torch.float64
    ((start, length, advice),) = fake.calls
    ptr, n = big.data_ptr(), big.numel() * big.element_size()
    huge = 2 << 20
    assert advice == 14 and start % huge == 0 and length % huge == 0
    assert ptr <= start < ptr + huge and ptr + n - huge < start + length <= ptr + n
