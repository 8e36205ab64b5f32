"""ManifoldMixup: hooks mix the chosen layer's hidden state; targets are the same convex combination."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from kornia_diffaug.functional.feature_mix import mix_pairs
from kornia_diffaug.nn import ManifoldMixup

LAYERS = ["input", "1", "2", "3"]


def mlp(dtype=torch.float32) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3)).to(dtype)


def wrap(model=None, layers=LAYERS, seed=0, **kw) -> ManifoldMixup:
    return ManifoldMixup(model or mlp(), layers, generator=torch.Generator().manual_seed(seed), **kw).train()


def no_hooks(model: nn.Module) -> bool:
    return all(not m._forward_hooks for m in model.modules())


@given(b=st.integers(1, 8), alpha=st.floats(0.1, 4.0), seed=st.integers(0, 10_000),
       dtype=st.sampled_from([torch.float32, torch.float64, torch.bfloat16]), layer=st.sampled_from(LAYERS))
def test_output_is_the_model_on_mixed_hidden_states_and_targets_are_convex(b, alpha, seed, dtype, layer):
    mm = wrap(mlp(dtype), [layer], seed, alpha=alpha)
    x = torch.randn(b, 3, 2, 2, dtype=dtype)
    t = torch.randint(0, 3, (b,))
    out, soft = mm(x, t)
    info = mm.last_mix
    lam, perm = info.lam, info.perm
    assert info.layer == layer and 0.0 <= lam <= 1.0 and sorted(perm.tolist()) == list(range(b))
    net = mm.model
    h = x
    if layer == "input":
        h = mix_pairs(h, perm, lam)
    for i, mod in enumerate(net):
        h = mod(h)
        if str(i) == layer:
            h = lam * h + (1 - lam) * h[perm]
    # bfloat16 keeps 8 mantissa bits: the two evaluation orders may differ by a few ulps of the activations.
    tol = {"atol": 1e-2, "rtol": 2e-2} if dtype == torch.bfloat16 else {}
    torch.testing.assert_close(out, h, **tol)
    onehot = F.one_hot(t, 3).to(soft.dtype)
    torch.testing.assert_close(soft, lam * onehot + (1 - lam) * onehot[perm], **tol)
    assert (soft >= 0).all() and (soft <= 1).all()
    torch.testing.assert_close(soft.sum(1), torch.ones(b, dtype=soft.dtype), **tol)
    assert no_hooks(net)


def test_eval_is_the_plain_model_and_targets_are_untouched():
    mm = wrap().eval()
    x, t = torch.randn(4, 3, 2, 2), torch.tensor([0, 1, 2, 1])
    out, t_out = mm(x, t)
    assert t_out is t
    torch.testing.assert_close(out, mm.model(x))
    torch.testing.assert_close(mm(x), mm.model(x))


def test_soft_targets_and_num_classes():
    x = torch.randn(5, 3, 2, 2)
    soft = torch.softmax(torch.randn(5, 3), 1)
    out, mixed = wrap(seed=1)(x, soft)
    torch.testing.assert_close(mixed.sum(1), torch.ones(5))
    _, wide = wrap(seed=1, num_classes=7)(x, torch.tensor([0, 6, 2, 3, 1]))
    assert wide.shape == (5, 7)


def test_layers_are_chosen_uniformly():
    mm = wrap(seed=4)
    x, t = torch.randn(4, 3, 2, 2), torch.zeros(4, dtype=torch.long)
    counts = dict.fromkeys(LAYERS, 0)
    for _ in range(200):
        mm(x, t)
        counts[mm.last_mix.layer] += 1
    assert all(30 < c < 70 for c in counts.values()), counts  # about 50 each


def test_lambda_follows_beta_alpha():
    mm = wrap(seed=2, alpha=2.0)
    x, t = torch.randn(4, 3, 2, 2), torch.zeros(4, dtype=torch.long)
    lams = []
    for _ in range(400):
        mm(x, t)
        lams.append(mm.last_mix.lam)
    lams = torch.tensor(lams)
    assert abs(float(lams.mean()) - 0.5) < 0.03
    assert abs(float(lams.var()) - 1 / 20) < 0.012  # Var Beta(2, 2) = 1/20


def test_gradients_reach_every_parameter():
    for layer in LAYERS:
        mm = wrap(layers=[layer])
        out, soft = mm(torch.randn(6, 3, 2, 2), torch.randint(0, 3, (6,)))
        F.cross_entropy(out, soft).backward()
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in mm.parameters()), layer


class TwoBranch(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = nn.Linear(4, 4)
        self.unused = nn.Linear(4, 4)
        self.pair = PairOut()
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        h = self.block(self.block(x))  # a shared module, called twice
        a, b = self.pair(h)
        return self.head(a + b)


class PairOut(nn.Module):
    def forward(self, h):
        return h, 2 * h


def test_shared_module_is_mixed_once_tuple_outputs_and_unused_layers():
    torch.manual_seed(0)
    model = TwoBranch()
    x, t = torch.randn(4, 4), torch.tensor([0, 1, 1, 0])
    mm = wrap(model, ["block"], seed=3)
    out, _ = mm(x, t)
    lam, perm = mm.last_mix.lam, mm.last_mix.perm
    h = model.block(x)
    h = lam * h + (1 - lam) * h[perm]
    h = model.block(h)
    torch.testing.assert_close(out, model.head(h + 2 * h))
    mm = wrap(model, ["pair"], seed=3)
    out, _ = mm(x, t)
    lam, perm = mm.last_mix.lam, mm.last_mix.perm
    h = model.block(model.block(x))
    torch.testing.assert_close(out, model.head(3 * (lam * h + (1 - lam) * h[perm])))
    with pytest.raises(RuntimeError, match="was not called"):
        wrap(model, ["unused"])(x, t)
    assert no_hooks(model)


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="layers"):
        ManifoldMixup(mlp(), [])
    with pytest.raises(ValueError, match="layers"):
        ManifoldMixup(mlp(), "1")
    with pytest.raises(ValueError, match="'9' is not a submodule"):
        ManifoldMixup(mlp(), ["9"])
    with pytest.raises(ValueError, match="alpha"):
        ManifoldMixup(mlp(), ["1"], alpha=0.0)
    with pytest.raises(TypeError, match="model"):
        ManifoldMixup(lambda x: x, ["input"])
    with pytest.raises(ValueError, match="num_classes"):
        ManifoldMixup(mlp(), ["1"], num_classes=0)
    with pytest.raises(TypeError, match="generator"):
        ManifoldMixup(mlp(), ["1"], generator="seed")
    mm = wrap()
    x = torch.randn(4, 3, 2, 2)
    with pytest.raises(ValueError, match="needs targets"):
        mm(x)
    with pytest.raises(ValueError, match="batch size 4"):
        mm(x, torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="soft targets"):
        mm(x, torch.zeros(4, 3, 1))
