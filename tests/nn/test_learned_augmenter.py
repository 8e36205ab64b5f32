"""LearnedAugmenter: shapes/dtypes, identity in eval, gradients to every parameter, reversal in adversarial mode,
sub-pixel shifts that receive gradients, and short end-to-end training in both modes."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import kornia_diffaug as kd
from kornia_diffaug.nn import LearnedAugmenter, grad_reverse
from tests._strategies import images


def aug(policy="color,translation", seed=0, **kw) -> LearnedAugmenter:
    torch.manual_seed(seed)
    return LearnedAugmenter(policy, generator=torch.Generator().manual_seed(seed), **kw).train()


@settings(max_examples=15)
@given(x=images(max_side=32), policy=st.sampled_from(["color,translation", "color", "translation", "contrast"]))
def test_shape_dtype_finite_and_eval_identity(x, policy):
    a = aug(policy)
    y = a(x)
    assert y.shape == x.shape and y.dtype == x.dtype and torch.isfinite(y.float()).all()
    assert a.eval()(x) is x


def test_starts_near_the_identity_and_parameters_are_bounded():
    a = aug(hidden=8)
    x = torch.rand(16, 3, 24, 24) * 2 - 1
    assert a.predict(x).abs().max() < 0.05  # small initial head: u close to 0, so nearly the identity
    assert (a(x) - x).abs().mean() < 0.05
    with torch.no_grad():
        a.head[-1].bias.fill_(100.0)  # saturate tanh: u = 1
    u = a.predict(x)
    assert torch.allclose(u, torch.ones_like(u))
    # the bounds hold at saturation: brightness 0.25 * 2 = 0.5, factors 2 and 1.5, shift 0.125 * 24 = 3 px
    b = aug("brightness")
    with torch.no_grad():
        b.head[-1].bias.fill_(100.0)
    torch.testing.assert_close(b(x) - x, torch.full_like(x, 0.5))


def _task(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(4, 2))


def test_gradients_reach_every_parameter_of_augmenter_and_task_model():
    a, model = aug(noise_dim=4), _task()
    x, y = torch.rand(8, 3, 16, 16) * 2 - 1, torch.randint(0, 2, (8,))
    loss = nn.functional.cross_entropy(model(a(x)), y) + a.penalty()
    loss.backward()
    for name, p in [*a.named_parameters(), *model.named_parameters()]:
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, name


def test_adversarial_mode_reverses_the_task_gradient_but_not_the_penalty():
    x, y = torch.rand(8, 3, 16, 16) * 2 - 1, torch.randint(0, 2, (8,))
    grads = {}
    for mode in ("adversarial", "cooperative"):
        for with_task in (True, False):
            a, model = aug(mode=mode, penalty_weight=0.0 if with_task else 1.0), _task()
            out = a(x)
            loss = nn.functional.cross_entropy(model(out), y) if with_task else a.penalty()
            loss.backward()
            grads[mode, with_task] = torch.cat([p.grad.flatten() for p in a.parameters()])
    torch.testing.assert_close(grads["adversarial", True], -grads["cooperative", True])
    torch.testing.assert_close(grads["adversarial", False], grads["cooperative", False])
    assert grads["adversarial", True].abs().sum() > 0


def test_grad_reverse():
    t = torch.randn(5, requires_grad=True)
    (grad_reverse(t, 0.5) * 2).sum().backward()
    torch.testing.assert_close(t.grad, torch.full((5,), -1.0))


def test_predicted_shifts_are_subpixel_and_get_gradients():
    a = aug("translation")
    x = torch.zeros(4, 1, 16, 16)
    x[:, :, 6:10, 6:10] = 1.0
    with torch.no_grad():
        a.head[-1].weight.zero_()
        a.head[-1].bias.copy_(torch.tensor([0.3, -0.2]))  # u = tanh(.), shift = 0.125 * 16 * u: not integers
    out = a(x)
    assert ((out > 0) & (out < 1)).any()  # bilinear blend at the edges
    ys, xs = torch.meshgrid(torch.arange(16.0), torch.arange(16.0), indexing="ij")
    cx = (out[:, 0] * xs).sum((1, 2)) / out[:, 0].sum((1, 2))
    torch.testing.assert_close(cx, torch.full((4,), 7.5 + 2 * float(torch.tanh(torch.tensor(0.3)))))
    cx.sum().backward()
    assert a.head[-1].bias.grad[0] != 0


def _train(mode: str, penalty: float, steps: int = 25) -> float:
    """Train a brightness-only augmenter on a task loss that rewards (cooperative) or is hurt by (adversarial)
    moving the image mean away from 0; returns the mean |u| at the end."""
    a = aug("brightness", seed=1, mode=mode, penalty_weight=penalty, hidden=8)
    opt = torch.optim.Adam(a.parameters(), lr=0.05)
    g = torch.Generator().manual_seed(2)
    for _ in range(steps):
        x = 0.1 * torch.randn(16, 3, 4, 4, generator=g)
        target = 0.25 if mode == "cooperative" else 0.0
        task_loss = (a(x).mean((1, 2, 3)) - target).pow(2).mean()
        opt.zero_grad()
        (task_loss + a.penalty()).backward()
        opt.step()
    with torch.no_grad():
        return float(a.predict(0.1 * torch.randn(64, 3, 4, 4, generator=g)).abs().mean())


def test_end_to_end_training_in_both_modes():
    # adversarial: the augmenter pushes the shift to the bound unless the penalty outweighs the task loss
    assert _train("adversarial", penalty=0.0) > 0.9
    assert _train("adversarial", penalty=1.0) < 0.1
    # cooperative: it learns the useful shift 0.25 = 0.5 u, i.e. u = 0.5
    assert abs(_train("cooperative", penalty=0.0, steps=50) - 0.5) < 0.1


def test_registry_and_bad_arguments():
    assert kd.make_policy("learned:color").ops == ["brightness", "saturation", "contrast"]
    assert kd.make_policy("learned:color,translation", hidden=4).num_params == 5
    with pytest.raises(ValueError, match="policy: unknown operation 'cutout'"):
        LearnedAugmenter("color,cutout")
    with pytest.raises(ValueError, match="hidden"):
        LearnedAugmenter(hidden=0)
    with pytest.raises(TypeError, match="noise_dim"):
        LearnedAugmenter(noise_dim=1.5)
    with pytest.raises(ValueError, match="mode"):
        LearnedAugmenter(mode="friendly")
    with pytest.raises(ValueError, match="penalty_weight"):
        LearnedAugmenter(penalty_weight=-1)
    with pytest.raises(ValueError, match="max_translation"):
        LearnedAugmenter(max_translation=2.0)
    with pytest.raises(RuntimeError, match="penalty"):
        LearnedAugmenter().penalty()
