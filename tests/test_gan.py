"""ADAController: update rule, interval, clamping, targets, checkpoints, and the 2-process all-reduce."""

from __future__ import annotations

import math
import os
import socket
import tempfile
from datetime import timedelta

import kornia.augmentation as K
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from kornia.augmentation.presets.ada import AdaptiveDiscriminatorAugmentation
from torch import nn

from kornia_diffaug.gan import ADAController, augment_real_fake
from kornia_diffaug.ops import ADAPipeline


def logits(pos: int, neg: int) -> torch.Tensor:
    return torch.cat([torch.full((pos,), 2.5), torch.full((neg,), -0.7)])


def test_update_rule_every_interval():
    pipe = ADAPipeline("bgc", p=0.1)
    ctrl = ADAController(pipe, target=0.6, speed_kimg=1.0, interval=3)
    assert float(ctrl.p) == pytest.approx(0.1) and math.isnan(float(ctrl.r_t))
    for _ in range(2):
        ctrl.observe(logits(7, 1))
    assert float(ctrl.p) == pytest.approx(0.1), "no update before `interval` calls"
    ctrl.observe(logits(7, 1))  # r_t = (21 - 3) / 24 = 0.75 > 0.6: p += 24 / 1000
    assert float(ctrl.r_t) == pytest.approx(0.75)
    assert float(ctrl.p) == pytest.approx(0.1 + 0.024)
    assert float(pipe.p) == pytest.approx(0.124)
    for _ in range(3):
        ctrl.observe(logits(2, 6))  # r_t = -0.5 < 0.6: p -= 0.024
    assert float(ctrl.r_t) == pytest.approx(-0.5)
    assert float(ctrl.p) == pytest.approx(0.1)


def test_p_is_clamped_to_unit_interval():
    pipe = ADAPipeline("bgc", p=0.0)
    ctrl = ADAController(pipe, speed_kimg=0.01, interval=1)  # 10 images move p by 1
    ctrl.observe(logits(0, 50))
    assert float(ctrl.p) == 0.0 and float(pipe.p) == 0.0
    ctrl.observe(logits(50, 0))
    assert float(ctrl.p) == 1.0 and float(pipe.p) == 1.0
    ctrl.observe(logits(50, 0))
    assert float(ctrl.p) == 1.0


def test_logits_with_extra_dims_count_images_by_rows():
    ctrl = ADAController(ADAPipeline("bgc", p=0.5), speed_kimg=1.0, interval=1)
    ctrl.observe(torch.ones(8, 1))
    assert float(ctrl.p) == pytest.approx(0.508)
    with pytest.raises(ValueError, match="batch"):
        ctrl.observe(torch.tensor(1.0))


def test_checkpoint_round_trip_resumes_identically():
    a = ADAController(ADAPipeline("bgc", p=0.2), speed_kimg=2.0, interval=4)
    for i in range(6):
        a.observe(logits(5 + i % 3, 3))
    state = a.state_dict()
    b_pipe = ADAPipeline("bgc")
    b = ADAController(b_pipe, speed_kimg=2.0, interval=4)
    b.load_state_dict(state)
    assert float(b_pipe.p) == pytest.approx(float(a.p))
    for i in range(6):
        a.observe(logits(1 + i, 4))
        b.observe(logits(1 + i, 4))
    assert float(a.p) == float(b.p) and float(a.r_t) == float(b.r_t)
    with pytest.raises(KeyError, match="stats"):
        b.load_state_dict({"p": 0.1, "r_t": 0.0, "calls": 0})


def test_drives_kornia_sequences_presets_and_plain_modules():
    seq = K.AugmentationSequential(K.RandomHorizontalFlip(), K.ColorJiggle(0.1, 0.1), ADAPipeline("bgc"))
    ctrl = ADAController(seq, initial_p=0.25, speed_kimg=0.1, interval=1)
    ctrl.observe(logits(10, 0))  # p = 0.25 + 0.1
    ps = [float(m.p) for m in seq.children()]
    assert ps == pytest.approx([0.35, 0.35, 0.35])
    ada = AdaptiveDiscriminatorAugmentation()
    ctrl = ADAController(ada, initial_p=0.5, speed_kimg=0.1, interval=1)
    ctrl.observe(logits(0, 20))
    assert ada.p == pytest.approx(0.3)

    class WithTensorP(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("p", torch.tensor([0.5]))

    m = WithTensorP()
    ctrl = ADAController(m, speed_kimg=0.1, interval=1)
    ctrl.observe(logits(10, 0))
    assert m.p.tolist() == pytest.approx([0.6])


def test_bad_arguments():
    pipe = ADAPipeline("bgc")
    with pytest.raises(TypeError, match="pipeline"):
        ADAController(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="target"):
        ADAController(pipe, target=1.5)
    with pytest.raises(ValueError, match="speed_kimg"):
        ADAController(pipe, speed_kimg=0)
    with pytest.raises(ValueError, match="interval"):
        ADAController(pipe, interval=0)
    with pytest.raises(TypeError, match="interval"):
        ADAController(pipe, interval=2.5)
    with pytest.raises(TypeError, match="real_logits"):
        ADAController(pipe).observe([1.0])


def test_augment_real_fake_one_call_and_gradients_to_fakes():
    pipe = ADAPipeline("bgc", p=1.0, generator=torch.Generator().manual_seed(0))
    real = torch.rand(3, 3, 8, 8) * 2 - 1
    fake = (torch.rand(2, 3, 8, 8) * 2 - 1).requires_grad_()
    r, f = augment_real_fake(pipe, real, fake)
    assert r.shape == real.shape and f.shape == fake.shape
    f.sum().backward()
    assert fake.grad is not None and fake.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="share"):
        augment_real_fake(pipe, real, torch.rand(2, 3, 4, 4))


# -- torch.distributed (2 processes, gloo, localhost) ---------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank_main(rank: int, world: int, port: int, out_dir: str) -> None:
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.set_num_threads(1)
    dist.init_process_group(  # a short timeout: a hung collective fails the test instead of stalling CI
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world, timeout=timedelta(seconds=60)
    )
    try:
        pipe = ADAPipeline("bgc", p=0.5)
        ctrl = ADAController(pipe, target=0.6, speed_kimg=0.1, interval=2)
        # rank 0 sees confident reals, rank 1 does not: only the global statistics agree on the direction.
        batch = logits(8, 0) if rank == 0 else logits(1, 7)
        for _ in range(2):
            ctrl.observe(batch)
        torch.save({"p": ctrl.p, "r_t": ctrl.r_t, "pipe_p": pipe.p.clone()}, os.path.join(out_dir, f"{rank}.pt"))
    finally:
        dist.destroy_process_group()


def test_all_reduce_gives_every_rank_the_same_p():
    with tempfile.TemporaryDirectory() as out_dir:
        mp.spawn(_rank_main, args=(2, _free_port(), out_dir), nprocs=2, join=True)
        res = [torch.load(os.path.join(out_dir, f"{r}.pt")) for r in range(2)]
    # Global: 16 + 2 - 14 = sign sum 4 over 32 logits -> r_t = 0.125 < 0.6; N = 32 images on both ranks.
    for r in res:
        assert float(r["r_t"]) == pytest.approx(0.125)
        assert float(r["p"]) == pytest.approx(0.5 - 32 / 100)
        assert float(r["pipe_p"]) == pytest.approx(0.18)
