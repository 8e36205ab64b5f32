"""ADAPipeline: the op contract on its full (anti-aliased) path, each op's statistics, presets, Kornia interop.

The registry-driven contract tests (tests/ops/test_contract.py) cover the registered pixel-exact example;
here the same properties are checked for the presets that resample with interpolation. The kernels alone are
tested in tests/functional/test_ada.py.
"""

from __future__ import annotations

import math
import pickle

import kornia.augmentation as K
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from kornia_diffaug import list_policies, make_policy
from kornia_diffaug.functional.ada import ada_augment, ada_resample
from kornia_diffaug.functional.ada.color import color_matrix
from kornia_diffaug.functional.ada.geometry import geometry_matrices
from kornia_diffaug.ops.ada import ADA_OPS, ADA_PRESETS, ADAPipeline
from tests._strategies import devices, images

FULL = "bgcfnc"


def seeded(preset=FULL, seed=0, **kw):
    kw.setdefault("p", 1.0)
    return ADAPipeline(preset, generator=torch.Generator().manual_seed(seed), **kw)


# -- contract on the full pipeline ------------------------------------------------------------------------------
@given(x=images(max_b=4, max_c=3, max_side=40), preset=st.sampled_from(["bg", "bgc", FULL]))
def test_shape_dtype_kept_input_untouched_finite(x, preset):
    before = x.clone()
    y = seeded(preset)(x)
    assert y.shape == x.shape and y.dtype == x.dtype and y.device == x.device
    assert torch.equal(x, before)
    if y.numel():
        assert torch.isfinite(y.float()).all()


@given(x=images(max_b=4, max_side=24))
def test_p_zero_is_the_input_without_drawing_or_resampling(x):
    op = seeded(FULL, p=0.0)
    y = op(x)
    assert torch.equal(y, x)
    assert not any(k in op._params for k in ("xflip", "scale", "brightness")), "p=0 must not draw"


@given(x=images(min_b=1, max_b=4, max_c=3, max_side=20), seed=st.integers(0, 100))
def test_identity_draws_pass_through_bit_exact(x, seed):
    """Params drawn at p = 0 (as when p lives on a GPU and is unknown to the host) are applied as the identity."""
    op = seeded(FULL, seed, p=1.0)
    op.p = 0.0
    params = op.sample(x.shape[0], tuple(x.shape[-2:]), op.generator, torch.device("cpu"), channels=x.shape[1])
    assert torch.equal(ada_augment(x, params), x)


@given(x=images(max_b=3, max_c=3, max_side=20), seed=st.integers(0, 1000), p=st.sampled_from([0.3, 1.0]))
def test_seeded_determinism_and_replay(x, seed, p):
    op = seeded(FULL, seed, p=p)
    y1 = op(x)
    assert torch.equal(op(x, params=op._params), y1)
    assert torch.equal(seeded(FULL, seed, p=p)(x), y1)


@given(x=images(min_b=2, max_b=4, max_c=3, max_side=14, dtypes=[torch.float64]))
def test_batched_equals_per_sample(x):
    op = seeded(FULL, 3)
    y = op(x)
    params, b = op._params, x.shape[0]
    for i in range(b):
        one = {k: v[i : i + 1] for k, v in params.items() if k != "forward_input_shape"}
        one["forward_input_shape"] = torch.tensor([1, *x.shape[1:]])
        torch.testing.assert_close(op(x[i : i + 1], params=one), y[i : i + 1])


def test_gradcheck_full_pipeline_and_per_sample_jacobian():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 5, 6, dtype=torch.float64, requires_grad=True)
    op = seeded(FULL, 11)
    op(x.detach())
    params = op._params
    assert params["scale"].ne(1).any() or params["rotate_pre"].ne(0).any(), "draw exercises interpolation"

    def f(t):
        return op(t, params=params)

    assert torch.autograd.gradcheck(f, (x,), eps=1e-6, atol=1e-6, fast_mode=True)
    for i in range(2):  # output sample i depends on input sample i only
        (g,) = torch.autograd.grad(f(x)[i].square().sum(), x)
        assert torch.count_nonzero(g[1 - i]) == 0 and torch.count_nonzero(g[i]) > 0


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_low_precision_matches_float32(dtype):
    x = torch.rand(4, 3, 16, 16) * 2 - 1
    op = seeded("bgc", 5)
    y32 = op(x)
    y = op(x.to(dtype), params=op._params)
    assert y.dtype == dtype
    torch.testing.assert_close(y.float(), y32, atol=0.1 if dtype == torch.bfloat16 else 0.02, rtol=0)


@pytest.mark.parametrize("device", devices())
def test_device_and_module_to(device):
    op = seeded("bgc").to(device)
    x = torch.rand(2, 3, 8, 8, device=device)
    assert op(x).device == x.device
    assert op.p.device.type == torch.device(device).type


def test_keepdim_same_on_batch_and_pickle():
    x = torch.rand(3, 12, 10)
    op = seeded("bgc", keepdim=True)
    y = op(x)
    assert y.shape == x.shape
    clone = pickle.loads(pickle.dumps(op))
    assert torch.equal(clone(x, params=op._params), y)
    batch = torch.rand(1, 3, 12, 10).expand(5, -1, -1, -1).contiguous()
    out = seeded(FULL, 2, same_on_batch=True)(batch)
    assert all(torch.equal(out[0], out[i]) for i in range(5))


# -- p, presets and arguments ----------------------------------------------------------------------------------
def test_p_is_a_buffer_in_state_dict_and_settable():
    op = ADAPipeline("bgc", p=0.25)
    assert isinstance(op.p, torch.Tensor) and "p" in op.state_dict()
    assert float(op.state_dict()["p"]) == 0.25
    op.p = 0.5
    assert float(op.p) == 0.5
    op.set_p(torch.tensor(0.75))
    assert float(op.p) == 0.75
    other = ADAPipeline("bgc")
    other.load_state_dict(op.state_dict())
    assert float(other.p) == 0.75
    with pytest.raises(ValueError, match="p must lie in"):
        op.p = 1.5
    with pytest.raises(ValueError, match="p must be a scalar"):
        op.set_p(torch.ones(2))


def test_presets_enable_exactly_their_ops_and_register():
    for name, ops in ADA_PRESETS.items():
        op = ADAPipeline(name)
        assert {k for k in ADA_OPS if op.strengths[k] > 0} == set(ops)
        assert f"ada:{name}" in list_policies("ada:")
    assert set(ADA_PRESETS) == {"blit", "geom", "color", "filter", "noise", "cutout", "bg", "bgc", "bgcf", "bgcfn",
                                "bgcfnc"}  # fmt: skip
    assert float(make_policy("ada:bgc", p=0.3).p) == pytest.approx(0.3)
    only = ADAPipeline(brightness=1, p=1.0)
    assert [k for k in ADA_OPS if only.strengths[k] > 0] == ["brightness"]
    assert ADAPipeline("bgc", xflip=0).strengths["xflip"] == 0


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="blit, geom, color, filter, noise, cutout, bg, bgc, bgcf, bgcfn, bgcfnc"):
        ADAPipeline("bgcx")
    with pytest.raises(ValueError, match="xflip"):
        ADAPipeline(xflip=-1)
    with pytest.raises(TypeError, match="scale_std"):
        ADAPipeline(scale_std="big")
    with pytest.raises(ValueError, match="cutout_size"):
        ADAPipeline(cutout_size=2.0)
    with pytest.raises(ValueError, match="value_range"):
        ADAPipeline(value_range=(1.0, 0.0))
    with pytest.raises(TypeError, match="generator"):
        ADAPipeline(generator=1)
    with pytest.raises(TypeError, match="float"):
        ADAPipeline("bgc", p=1.0)(torch.zeros(1, 3, 4, 4, dtype=torch.uint8))
    with pytest.raises(TypeError, match="unexpected keyword"):
        ADAPipeline(flip=1)


# -- statistics of each op --------------------------------------------------------------------------------------
N = 4000


def _params(seed=0, n=N, size=(8, 8), channels=3, **kw):
    op = seeded(None, seed, **kw)
    return op.sample(n, size, op.generator, torch.device("cpu"), channels=channels)


def test_brightness_offset_is_normal_0_02_on_minus1_1():
    op = seeded(None, 1, brightness=1)
    y = op(torch.zeros(N, 3, 2, 2))
    b = y[:, 0, 0, 0].double()
    assert torch.equal(y, b.view(-1, 1, 1, 1).float().expand_as(y))  # a constant offset per sample
    assert stats.kstest(b.numpy(), "norm", args=(0, 0.2)).pvalue > 1e-3
    # On [0, 1] the same policy adds half the offset around the same draws.
    op01 = seeded(None, 1, brightness=1, value_range=(0.0, 1.0))
    y01 = op01(torch.full((N, 3, 2, 2), 0.5))
    torch.testing.assert_close(y01[:, 0, 0, 0].double(), 0.5 + b / 2)


def test_xflip_frequency_is_p_over_2():
    p = 0.6
    x = torch.arange(6.0).view(1, 1, 1, 6).expand(N, 1, 2, 6).contiguous()
    y = seeded(None, 2, xflip=1, p=p)(x)
    flipped = (y == x.flip(-1)).flatten(1).all(1)
    kept = (y == x).flatten(1).all(1)
    assert bool((flipped | kept).all())
    rate = flipped.double().mean().item()
    assert abs(rate - p / 2) < 4 * math.sqrt(p / 2 * (1 - p / 2) / N)


def test_rotate90_gives_exact_quarter_turns_uniformly():
    x = torch.rand(N // 4, 2, 5, 5)
    y = seeded(None, 3, rotate90=1)(x)
    turns = torch.stack([(y == torch.rot90(x, k, (2, 3))).flatten(1).all(1) for k in range(4)], 1)
    assert bool((turns.sum(1) == 1).all()), "every output is exactly one quarter turn of its input"
    freq = turns.double().mean(0)
    assert torch.all((freq - 0.25).abs() < 4 * math.sqrt(0.25 * 0.75 / (N // 4)))


def test_integer_translation_keeps_content_exactly():
    x = torch.rand(64, 3, 24, 32)
    op = seeded(None, 4, xint=1)
    y = op(x)
    t = op._params["xint"].long()
    assert int(t[:, 0].abs().max()) <= round(0.125 * 32) and int(t[:, 1].abs().max()) <= round(0.125 * 24)
    for i in range(64):
        tx, ty = t[i].tolist()
        src = x[i, :, max(0, -ty) : 24 - max(0, ty), max(0, -tx) : 32 - max(0, tx)]
        dst = y[i, :, max(0, ty) : 24 - max(0, -ty), max(0, tx) : 32 - max(0, -tx)]
        assert torch.equal(src, dst)


def test_compacted_and_where_selected_resampling_agree():
    x = torch.rand(12, 3, 10, 9, dtype=torch.float64, requires_grad=True)
    prm = _params(16, n=12, size=(10, 9), channels=3, p=0.4, **dict.fromkeys(("xflip", "xint", "scale", "rotate"), 1))
    _, m_inv = geometry_matrices(prm, (10, 9), torch.float64)
    aligned = ((m_inv - m_inv.round()).abs() < 1e-6).flatten(1).all(1)
    assert aligned.any() and not aligned.all()
    dense, packed = ada_resample(x, m_inv, compact=False), ada_resample(x, m_inv, compact=True)
    torch.testing.assert_close(dense, packed)
    g1, g2 = (torch.autograd.grad(y.square().sum(), x)[0] for y in (dense, packed))
    torch.testing.assert_close(g1, g2)


def test_rotate_split_probability_and_geometry_draws():
    p = 0.5
    prm = _params(5, rotate=1, scale=1, aniso=1, xfrac=1, p=p)
    pre, post = prm["rotate_pre"] != 0, prm["rotate_post"] != 0
    p_rot = 1 - math.sqrt(1 - p)
    for g in (pre, post):
        assert abs(g.double().mean().item() - p_rot) < 4 * math.sqrt(p_rot * (1 - p_rot) / N)
    assert abs((pre | post).double().mean().item() - p) < 4 * math.sqrt(p * (1 - p) / N)
    assert prm["rotate_pre"].abs().max() <= math.pi
    log_s = torch.log2(prm["scale"][prm["scale"] != 1]).double().numpy()
    assert stats.kstest(log_s, "norm", args=(0, 0.2)).pvalue > 1e-3
    frac = prm["xfrac"][(prm["xfrac"] != 0).all(1)] / 8  # pixels / side
    assert stats.kstest(frac[:, 0].double().numpy(), "norm", args=(0, 0.125)).pvalue > 1e-3


def test_colour_ops_match_their_definitions():
    x = torch.rand(500, 3, 4, 4, dtype=torch.float64) * 2 - 1
    luma = x.mean(1, keepdim=True)
    for name in ("hue", "saturation"):  # both act orthogonally to the luma axis
        y = seeded(None, 6, **{name: 1})(x)
        torch.testing.assert_close(y.mean(1, keepdim=True), luma)
    y = seeded(None, 7, lumaflip=1)(x)
    flipped = torch.isclose(y.mean(1, keepdim=True), -luma).flatten(1).all(1)
    assert torch.allclose((y - y.mean(1, keepdim=True))[flipped], (x - luma)[flipped])
    assert 0.4 < flipped.double().mean() < 0.6
    op = seeded(None, 8, contrast=1)
    y = op(x)
    c = op._params["contrast"].double().view(-1, 1, 1, 1)
    torch.testing.assert_close(y, x * c)
    assert stats.kstest(torch.log2(c.flatten()).numpy(), "norm", args=(0, 0.5)).pvalue > 1e-3
    grey = color_matrix({"saturation": torch.zeros(1)}, 3, torch.float64)
    assert torch.allclose(grey[0, :3, :3], torch.full((3, 3), 1 / 3, dtype=torch.float64))


def test_noise_and_cutout_statistics():
    op = seeded(None, 9, noise=1)
    y = op(torch.zeros(N // 4, 1, 16, 16))
    sigma = op._params["noise"]
    torch.testing.assert_close(y, op._params["noise_field"] * sigma.view(-1, 1, 1, 1))
    assert stats.kstest(sigma.double().numpy(), "halfnorm", args=(0, 0.1)).pvalue > 1e-3
    op = seeded(None, 10, cutout=1)
    y = op(torch.ones(N // 4, 1, 16, 16))
    inside = (op._params["cutout_center"] - 0.25).clamp(min=0).le(0.5).all(1)  # square fully inside the image
    inside &= op._params["cutout_center"].ge(0.25).all(1)
    erased = (y == 0).flatten(1).double().mean(1)
    assert torch.allclose(erased[inside], torch.full_like(erased[inside], 0.25))
    assert bool(((y == 0) | (y == 1)).all())


def test_value_range_gives_the_same_policy():
    x = torch.rand(6, 3, 12, 12, dtype=torch.float64) * 2 - 1
    op = seeded(FULL, 12)
    y = op(x)
    op01 = seeded(FULL, 12, value_range=(0.0, 1.0))
    y01 = op01((x + 1) / 2, params=op._params)
    torch.testing.assert_close(y01, (y + 1) / 2)


def test_geometry_matrices_are_inverse_pairs_and_fuse_in_order():
    prm = _params(13, n=16, size=(10, 14), **{k: 1 for k in ("xflip", "rotate90", "xint", "scale", "rotate", "aniso",
                                                             "xfrac")})  # fmt: skip
    m, m_inv = geometry_matrices(prm, (10, 14), torch.float64)
    torch.testing.assert_close(m @ m_inv, torch.eye(3, dtype=torch.float64).expand(16, 3, 3))
    # Fusing == applying op by op (forward maps compose left to right in order of application).
    chain = torch.eye(3, dtype=torch.float64).expand(16, 3, 3)
    for key in ("xflip", "rotate90", "xint", "scale", "rotate_pre", "aniso", "rotate_post", "xfrac"):
        one = geometry_matrices({key: prm[key]}, (10, 14), torch.float64)[0]
        chain = one @ chain
    torch.testing.assert_close(m, chain)


# -- Kornia interoperability ------------------------------------------------------------------------------------
def test_masks_keypoints_boxes_follow_the_geometry_in_augmentation_sequential():
    b, h, w = 24, 41, 37
    img = torch.zeros(b, 1, h, w)
    ys, xs = torch.randint(15, h - 15, (b,)), torch.randint(15, w - 15, (b,))
    for i in range(b):
        img[i, 0, ys[i] - 2 : ys[i] + 3, xs[i] - 2 : xs[i] + 3] = 1.0
    kps = torch.stack([xs, ys], -1).float().view(b, 1, 2)
    boxes = torch.stack([xs - 2, ys - 2, xs + 2, ys + 2], -1).float().view(b, 1, 4)
    op = ADAPipeline("bg", p=1.0, generator=torch.Generator().manual_seed(14))
    seq = K.AugmentationSequential(op, data_keys=["input", "mask", "keypoints", "bbox_xyxy"])
    out, mask, kp, bb = seq(img, img.clone(), kps, boxes)
    assert set(mask.unique().tolist()) <= {0.0, 1.0}, "masks are resampled without interpolation"
    checked = 0
    for i in range(b):
        u, v = kp[i, 0].tolist()
        if 0 <= round(u) < w and 0 <= round(v) < h:
            checked += 1
            assert out[i, 0, round(v), round(u)] > 0.5, "the blob centre did not land under its keypoint"
            assert mask[i, 0, round(v), round(u)] == 1.0
            assert bb[i, 0, 0] <= u <= bb[i, 0, 2] and bb[i, 0, 1] <= v <= bb[i, 0, 3]
    assert checked >= b // 2
    assert not torch.equal(kp, kps), "the geometry moved the keypoints"


def test_inverse_undoes_pixel_exact_geometry_and_gradients_flow():
    x = torch.rand(8, 3, 16, 16, requires_grad=True)
    op = seeded("blit", 15)
    y = op(x)
    t = op._params["xint"].abs().max().long().item()  # content shifted out is lost; compare the rest
    inner = (..., slice(t, 16 - t), slice(t, 16 - t))
    assert torch.equal(op.inverse(y)[inner], x.detach()[inner])
    y.square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_pipeline_compensate_phase_flag_reaches_the_resampler():
    from kornia_diffaug.functional.ada import ada_augment

    x = torch.rand(6, 3, 20, 20)
    ops = [
        ADAPipeline("geom", p=1.0, compensate_phase=True, generator=torch.Generator().manual_seed(2)),
        ADAPipeline("geom", p=1.0, compensate_phase=False, generator=torch.Generator().manual_seed(2)),
    ]
    exact, paper = (op(x) for op in ops)
    params = ops[1]._params
    torch.testing.assert_close(paper, ada_augment(x, ops[1]._ada_params(params), compensate_phase=False))
    assert (exact - paper).abs().amax() > 1e-3  # same draws (same seed), other sampling positions
    assert type(ops[1])(**ops[1].config()).compensate_phase is False
    with pytest.raises(TypeError, match="compensate_phase"):
        ADAPipeline("geom", compensate_phase=1)


def test_built_under_inference_mode_works_in_every_grad_mode():
    with torch.inference_mode():
        aug = ADAPipeline("bgc", p=0.5, generator=torch.Generator().manual_seed(0))
    assert not aug.p.is_inference()
    x = torch.rand(2, 3, 16, 16, requires_grad=True)
    aug(x).sum().backward()  # grad mode
    assert x.grad is not None and torch.isfinite(x.grad).all()
    aug.p = 0.3
    with torch.no_grad():
        aug(x)
    with torch.inference_mode():
        aug.set_p(torch.tensor(0.7))
        y = aug(x.detach())
    assert y.shape == x.shape and float(aug.p) == pytest.approx(0.7)
