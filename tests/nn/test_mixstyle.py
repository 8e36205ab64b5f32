"""MixStyle: identity outside training, statistics mixed within the batch's range, content kept, gradients."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from kornia_diffaug.functional.feature_mix import mix_styles
from kornia_diffaug.functional.sampling import beta
from kornia_diffaug.nn import MixStyle


def ms(seed: int = 0, **kw) -> MixStyle:
    return MixStyle(generator=torch.Generator().manual_seed(seed), **kw).train()


@st.composite
def features(draw, dtypes=(torch.float32, torch.float64, torch.float16, torch.bfloat16), min_b=2):
    b = draw(st.integers(min_b, 8))
    c = draw(st.integers(1, 4))
    spatial = draw(st.lists(st.integers(1, 12), min_size=1, max_size=3))
    dtype = draw(st.sampled_from(dtypes))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    scale = torch.rand(b, c, *[1] * len(spatial), generator=g, dtype=torch.float64) * 3 + 0.1
    shift = torch.randn(b, c, *[1] * len(spatial), generator=g, dtype=torch.float64) * 2
    return (torch.randn(b, c, *spatial, generator=g, dtype=torch.float64) * scale + shift).to(dtype)


@given(x=features(), mix=st.sampled_from(["random", "crossdomain"]), seed=st.integers(0, 1000))
def test_shape_dtype_finite_and_eval_identity(x, mix, seed):
    if mix == "crossdomain" and x.shape[0] % 2:
        x = torch.cat([x, x[:1]])
    m = ms(seed, p=1.0, alpha=0.3, mix=mix)
    y = m(x)
    assert y.shape == x.shape and y.dtype == x.dtype and torch.isfinite(y.float()).all()
    assert m.eval()(x) is x


@given(x=features(dtypes=(torch.float64,)), alpha=st.floats(0.05, 5.0), seed=st.integers(0, 1000))
def test_mixed_statistics_lie_in_the_batch_range_and_content_is_kept(x, alpha, seed):
    y = ms(seed, p=1.0, alpha=alpha)(x)
    dims = tuple(range(2, x.ndim))
    mu_x, mu_y = x.mean(dims), y.mean(dims)
    sd_x = (x.var(dims, correction=0) + 1e-6).sqrt()
    sd_y = y.var(dims, correction=0).sqrt()
    tol = 1e-9
    # per channel, every mixed mean/std lies between the batch's smallest and largest
    assert (mu_y >= mu_x.min(0).values - tol).all() and (mu_y <= mu_x.max(0).values + tol).all()
    assert (sd_y <= sd_x.max(0).values + tol).all()
    n = torch.tensor(x.shape[2:]).prod()
    if n > 1 and (x.var(dims, correction=0) > 1e-3).all():
        assert (sd_y >= sd_x.min(0).values * (1 - 1e-3)).all()
    if n > 1:  # the normalised content is unchanged
        keep = (x.var(dims, correction=0) > 1e-3)[(...,) + (None,) * len(dims)].expand_as(x)
        zx = (x - x.mean(dims, keepdim=True)) / x.var(dims, correction=0, keepdim=True).sqrt()
        zy = (y - y.mean(dims, keepdim=True)) / y.var(dims, correction=0, keepdim=True).sqrt()
        torch.testing.assert_close(zy[keep], zx[keep], atol=1e-5, rtol=1e-5)


def test_matches_the_formula_with_explicit_lam_and_perm():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 3, 5, 6, generator=g, dtype=torch.float64)
    perm = torch.tensor([2, 0, 3, 1])
    lam = torch.tensor([0.1, 0.5, 0.9, 1.0], dtype=torch.float64)
    mu = x.mean((2, 3), keepdim=True)
    sig = (x.var((2, 3), keepdim=True, unbiased=False) + 1e-6).sqrt()
    lv = lam.view(-1, 1, 1, 1)
    want = (x - mu) / sig * (lv * sig + (1 - lv) * sig[perm]) + lv * mu + (1 - lv) * mu[perm]
    torch.testing.assert_close(mix_styles(x, perm, lam), want)
    torch.testing.assert_close(mix_styles(x, torch.arange(4), 0.3), x)  # own statistics: identity


def test_gate_and_small_batches():
    x = torch.randn(6, 2, 4, 4)
    assert ms(p=0.0)(x) is x
    one = x[:1]
    assert ms(p=1.0)(one) is one
    m = ms(1, p=0.5)
    applied = sum(not torch.equal(m(x), x) for _ in range(200))
    assert 70 < applied < 130  # Binomial(200, 0.5): about 100


def test_crossdomain_pairs_across_halves_and_needs_even_batches():
    m = ms(mix="crossdomain")
    for _ in range(5):
        perm = m.pairing(8)
        assert sorted(perm.tolist()) == list(range(8))
        assert (perm[:4] >= 4).all() and (perm[4:] < 4).all()
    with pytest.raises(ValueError, match="even batch"):
        m(torch.randn(5, 2, 3, 3))


def test_random_pairing_is_a_permutation_and_seeded():
    a, b = ms(3), ms(3)
    x = torch.randn(8, 3, 6, 6)
    assert torch.equal(a(x), b(x))
    assert sorted(a.pairing(10).tolist()) == list(range(10))


def test_gradients_flow_and_detach_follows_the_paper():
    x = torch.randn(4, 3, 6, 6, dtype=torch.float64, requires_grad=True)
    w = torch.randn(4, 3, 6, 6, dtype=torch.float64)
    grads = {}
    for detach in (True, False):
        x.grad = None
        (MixStyle(p=1.0, detach=detach, generator=torch.Generator().manual_seed(0)).train()(x) * w).sum().backward()
        grads[detach] = x.grad.clone()
        assert torch.isfinite(grads[detach]).all() and grads[detach].abs().sum() > 0
    assert not torch.allclose(grads[True], grads[False])
    # with detached statistics the gradient is exactly sig_mix / sig times the upstream gradient
    m = MixStyle(p=1.0, generator=torch.Generator().manual_seed(0)).train()
    x2 = x.detach().clone().requires_grad_(True)
    (m(x2) * w).sum().backward()
    torch.testing.assert_close(x2.grad, grads[True])


def test_inside_a_cnn_all_parameters_get_gradients():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), ms(p=1.0), torch.nn.ReLU(), torch.nn.Conv2d(8, 2, 3))
    net(torch.randn(4, 3, 10, 10)).pow(2).mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())


def test_beta_sampler_moments():
    alpha = 0.1
    lam = beta((20000,), alpha, torch.Generator().manual_seed(0))
    assert lam.min() >= 0 and lam.max() <= 1 and torch.isfinite(lam).all()
    assert abs(float(lam.mean()) - 0.5) < 0.02
    assert abs(float(lam.var()) - 1 / (4 * (2 * alpha + 1))) < 0.01  # Var Beta(a, a) = 1 / (4 (2a + 1))


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"p": 1.5}, ValueError, "p must"),
        ({"alpha": 0.0}, ValueError, "alpha"),
        ({"eps": -1.0}, ValueError, "eps"),
        ({"mix": "halves"}, ValueError, "mix"),
        ({"generator": 3}, TypeError, "generator"),
        ({"p": "0.5"}, TypeError, "p must"),
    ],
)
def test_bad_arguments(kwargs, err, match):
    with pytest.raises(err, match=match):
        MixStyle(**kwargs)


def test_bad_input():
    with pytest.raises(ValueError, match="B, C"):
        ms()(torch.randn(4, 3))
    with pytest.raises(ValueError, match="B, C"):
        ms()(torch.zeros(4, 3, 5, dtype=torch.long))
