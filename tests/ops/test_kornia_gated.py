"""Kornia's flips, grayscale, channel shuffle, invert and Normalize with the CPU gated-rows path give Kornia's own
results, bit for bit; with a ``generator`` they draw from it alone."""

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
    (KG.RandomChannelShuffle, K.RandomChannelShuffle, {"p": 0.6}),
    (KG.RandomInvert, K.RandomInvert, {"p": 0.5}),
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


IN_PLACE = [c for c in CASES if hasattr(c[0], "apply_transform_")]


@pytest.mark.parametrize("ours, theirs, kwargs", IN_PLACE, ids=lambda v: getattr(v, "__name__", None) or str(v))
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("lent", [False, True], ids=["own", "lent"])
def test_in_place_kernels_give_kornias_bits(ours, theirs, kwargs, dtype, lent):
    # Flips and Normalize write into a lent batch (else into their one output copy): Kornia's bits in every dtype,
    # and, lent, the very tensor they were given comes back.
    from kornia_diffaug.ops._alloc import writable_batch

    x = torch.rand(19, 3, 9, 14, generator=torch.Generator().manual_seed(5)).to(dtype)
    torch.manual_seed(3)
    ref = theirs(**kwargs)(x.clone())
    x0 = x.clone()
    torch.manual_seed(3)
    with torch.no_grad(), writable_batch(x if lent else None):
        y = ours(**kwargs)(x)
    assert y.dtype == ref.dtype and torch.equal(y, ref)
    assert (y.data_ptr() == x.data_ptr()) is lent
    assert lent or torch.equal(x, x0)


# Kornia's Normalize has no same_on_batch (nothing to draw but its gate).
SEEDED = [(*c, s) for c in CASES for s in (False, True) if not (s and c[0] is KG.Normalize)]


@pytest.mark.parametrize("ours, theirs, kwargs, same_on_batch", SEEDED,
                         ids=lambda v: getattr(v, "__name__", None) or str(v))
def test_generator_makes_the_draws_independent_of_the_global_rng(ours, theirs, kwargs, same_on_batch):
    x = torch.rand(16, 3, 9, 14, generator=torch.Generator().manual_seed(0))
    extra = {"same_on_batch": True} if same_on_batch else {}
    outs = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)
        op = ours(**kwargs, **extra, generator=torch.Generator().manual_seed(7))
        outs.append((op(x), op._params["batch_prob"]))
    assert torch.equal(outs[0][0], outs[1][0]) and torch.equal(outs[0][1], outs[1][1])
    gate = outs[0][1]
    assert gate.shape == (16,)
    if kwargs["p"] < 1 and same_on_batch:
        assert len(set(gate.tolist())) == 1
    op = ours(**kwargs, generator=torch.Generator().manual_seed(7))
    y = op(x)
    assert torch.equal(op(x, params=op._params), y)  # replay
    big = ours(**kwargs, generator=torch.Generator().manual_seed(8))
    if kwargs["p"] < 1 and not big.same_on_batch:  # the gate follows p: about p of 4000 samples (Kornia's
        rate = big.forward_parameters((4000, 3, 2, 2))["batch_prob"].mean().item()  # Normalize: one per batch)
        assert abs(rate - kwargs["p"]) < 0.04


@pytest.mark.parametrize("same_on_batch", [False, True])
def test_seeded_channel_shuffle_draws_permutations(same_on_batch):
    op = KG.RandomChannelShuffle(p=1.0, same_on_batch=same_on_batch, generator=torch.Generator().manual_seed(0))
    x = torch.arange(5.0).view(1, 5, 1, 1).expand(64, 5, 2, 2).contiguous()
    y = op(x)
    perms = y[:, :, 0, 0].long()
    assert all(sorted(r.tolist()) == list(range(5)) for r in perms)
    assert torch.equal(perms, op._params["channels"])
    distinct = {tuple(r.tolist()) for r in perms}
    assert len(distinct) == 1 if same_on_batch else len(distinct) > 20


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
