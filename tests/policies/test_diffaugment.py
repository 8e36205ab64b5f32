"""DiffAugment: reference formulas, distributions, the Kornia pipeline and value ranges."""

from __future__ import annotations

import kornia.augmentation as K
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import kornia_diffaug as kd
from benchmarks.reference_diffaugment import reference_diff_augment
from kornia_diffaug import functional as F
from kornia_diffaug.functional.sampling import cutout_boxes, translate_shifts
from tests._strategies import images

POLICIES = ["color", "translation", "cutout", "color,translation,cutout", "translation,cutout"]


@pytest.mark.parametrize("policy", POLICIES)
@given(x=images(dtypes=[torch.float32], min_b=1, max_side=40), seed=st.integers(0, 10_000))
def test_functional_equals_reference_release(policy, x, seed):
    ours = F.diff_augment(x, policy, generator=torch.Generator().manual_seed(seed))
    ref = reference_diff_augment(x, policy, generator=torch.Generator().manual_seed(seed))
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("policy", POLICIES)
@given(x=images(max_b=6, max_side=32), seed=st.integers(0, 10_000))
def test_module_equals_functional(policy, x, seed):
    aug = kd.DiffAugment(policy, generator=torch.Generator().manual_seed(seed))
    expected = F.diff_augment(x, policy, generator=torch.Generator().manual_seed(seed))
    torch.testing.assert_close(aug(x), expected, atol=1e-6, rtol=0)
    assert torch.equal(aug(x, params=aug._params), aug(x, params=aug._params))


@pytest.mark.parametrize("policy", POLICIES)
@given(x=images(min_b=1, max_b=6, max_side=24, dtypes=[torch.float64]), seed=st.integers(0, 10_000))
def test_fused_path_equals_kornia_path_with_gates(policy, x, seed):
    aug = kd.DiffAugment(policy, p=0.5, generator=torch.Generator().manual_seed(seed))
    fused = aug(x)
    matrix = aug.transform_matrix
    assert torch.equal(aug(x, params=aug._params), fused)  # a replay takes the fused path: bit for bit
    per_op = K.AugmentationSequential.forward(aug, x, params=aug._params)  # Kornia's per-op path
    torch.testing.assert_close(fused, per_op)
    if "translation" in policy:
        torch.testing.assert_close(matrix, aug.transform_matrix)


@pytest.mark.parametrize("policy", POLICIES)
def test_replay_is_bitwise_on_every_path(policy):
    x = torch.rand(5, 3, 20, 24)
    for keys in (["input"], ["input", "mask"]):
        aug = kd.DiffAugment(policy, p=0.5, value_range=(0, 1), data_keys=keys,
                             generator=torch.Generator().manual_seed(3))
        args = (x,) if keys == ["input"] else (x, torch.ones(5, 1, 20, 24))
        first = aug(*args)
        again = aug(*args, params=aug._params)
        for a, b in zip(first if isinstance(first, list) else [first], again if isinstance(again, list) else [again],
                        strict=True):
            assert torch.equal(a, b)


def test_parameter_distributions_ks():
    n, g = 4000, torch.Generator().manual_seed(0)
    x = torch.zeros(n, 1, 1, 1)
    shift = kd.RandomBrightnessShift(generator=g)(x).flatten()
    assert stats.kstest(shift.numpy(), stats.uniform(-0.5, 1.0).cdf).statistic < 0.03
    op = kd.RandomSaturationScale(generator=g)
    op(torch.rand(n, 3, 1, 1))
    assert stats.kstest(op._params["factor"].numpy(), stats.uniform(0.0, 2.0).cdf).statistic < 0.03
    op = kd.RandomContrastScale(generator=g)
    op(torch.rand(n, 3, 2, 2))
    assert stats.kstest(op._params["factor"].numpy(), stats.uniform(0.5, 1.0).cdf).statistic < 0.03
    # integer shifts: uniform over [-s, s], s = int(32 / 8 + 0.5) = 4 (and 2 for a side of 16)
    tx, ty = translate_shifts(n, (16, 32), 0.125, g)
    for t, s in ((tx, 4), (ty, 2)):
        counts = torch.bincount(t + s, minlength=2 * s + 1).numpy()
        assert len(counts) == 2 * s + 1
        assert stats.chisquare(counts).pvalue > 1e-3
    # cutout centres: uniform over randint(0, side + 1 - size % 2); side 15 -> size 8 (even) -> 16 values
    boxes = cutout_boxes(n, (15, 9), 0.5, g)
    assert boxes["height"].unique().tolist() == [8] and boxes["width"].unique().tolist() == [5]
    centres_y = boxes["top"] + 4
    centres_x = boxes["left"] + 2
    assert centres_y.min() == 0 and centres_y.max() == 15
    assert centres_x.min() == 0 and centres_x.max() == 8  # odd size 5: randint(0, 9)
    assert stats.chisquare(torch.bincount(centres_y).numpy()).pvalue > 1e-3


def test_value_range_scales_brightness_and_fill():
    x = torch.full((2000, 1, 4, 4), 0.5)
    aug = kd.DiffAugment("color", value_range=(0.0, 1.0), generator=torch.Generator().manual_seed(0))
    aug[0](x)
    shift = aug[0]._params["shift"]
    assert -0.25 <= float(shift.min()) < -0.24 and 0.24 < float(shift.max()) <= 0.25
    cut = kd.DiffAugment("cutout", value_range=(0.0, 1.0), generator=torch.Generator().manual_seed(0))
    y = cut(torch.ones(4, 3, 8, 8))
    assert set(y.unique().tolist()) == {0.5, 1.0}
    cut_pm1 = kd.DiffAugment("cutout", generator=torch.Generator().manual_seed(0))
    assert set(cut_pm1(torch.ones(4, 3, 8, 8)).unique().tolist()) == {0.0, 1.0}


def test_unknown_policy_and_bad_arguments():
    with pytest.raises(ValueError, match="color, translation, cutout"):
        kd.DiffAugment("color,flip")
    with pytest.raises(ValueError, match="value_range"):
        kd.DiffAugment(value_range=(1.0, 0.0))
    with pytest.raises(ValueError, match="translation_ratio"):
        kd.DiffAugment(translation_ratio=0.0)
    with pytest.raises(ValueError, match="cutout_ratio"):
        kd.DiffAugment(cutout_ratio=1.5)
    with pytest.raises(ValueError, match="color, translation, cutout"):
        F.diff_augment(torch.zeros(1, 3, 4, 4), "colour")


def test_registry_builds_diffaugment_and_rejects_duplicates():
    assert "diffaugment" in kd.list_policies()
    aug = kd.make_policy("diffaugment", policy="translation", value_range=(0.0, 1.0))
    assert isinstance(aug, kd.DiffAugment) and isinstance(aug, K.AugmentationSequential)
    with pytest.raises(ValueError, match="already registered"):
        kd.register_policy("diffaugment", kd.DiffAugment)
    with pytest.raises(ValueError, match="diffaugment"):
        kd.make_policy("no-such-policy")


def test_nests_in_kornia_pipeline_with_all_data_keys():
    g = torch.Generator().manual_seed(4)
    aug = K.AugmentationSequential(
        K.RandomHorizontalFlip(p=0.5),
        kd.DiffAugment("color,translation,cutout", value_range=(0.0, 1.0), generator=g),
        data_keys=["input", "mask", "keypoints", "bbox_xyxy"],
    )
    b, h, w = 6, 24, 20
    img = torch.rand(b, 3, h, w)
    mask = torch.zeros(b, 1, h, w)
    mask[:, :, 8:12, 6:10] = 1.0
    kps = torch.tensor([[[6.0, 8.0], [9.0, 11.0]]]).repeat(b, 1, 1)
    boxes = torch.tensor([[[6.0, 8.0, 9.0, 11.0]]]).repeat(b, 1, 1)
    out, m2, k2, b2 = aug(img, mask, kps, boxes)
    assert out.shape == img.shape and m2.shape == mask.shape
    # Keypoints and boxes move by the same integer shifts as the mask (cutout may erase mask pixels).
    for i in range(b):
        lo, hi = k2[i].min(0).values, k2[i].max(0).values
        ys, xs = torch.nonzero(m2[i, 0] > 0.5, as_tuple=True)
        if len(ys):
            assert xs.min() >= lo[0] - 1e-4 and xs.max() <= hi[0] + 1e-4
            assert ys.min() >= lo[1] - 1e-4 and ys.max() <= hi[1] + 1e-4
        torch.testing.assert_close(b2[i, 0], torch.cat([lo, hi]))
    replay = aug(img, mask, kps, boxes, params=aug._params)
    for a, r in zip((out, m2, k2, b2), replay, strict=True):
        torch.testing.assert_close(a, r)


def test_gradients_reach_input_and_learnable_magnitudes():
    shift = torch.tensor(0.3, requires_grad=True)
    op = kd.RandomBrightnessShift(shift=(-shift, shift), generator=torch.Generator().manual_seed(0))
    x = torch.rand(8, 3, 8, 8, requires_grad=True)
    y = kd.DiffAugment("translation,cutout", value_range=(0.0, 1.0))(op(x))
    y.square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert shift.grad is not None and shift.grad.abs() > 0


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_dtypes_and_edge_shapes(dtype):
    for shape in [(0, 3, 8, 8), (1, 1, 1, 1), (2, 1, 5, 17), (3, 4, 64, 3)]:
        x = torch.rand(shape, dtype=dtype)
        y = kd.DiffAugment(value_range=(0.0, 1.0))(x)
        assert y.shape == x.shape and y.dtype == dtype
        assert F.diff_augment(x).shape == x.shape


@pytest.mark.parametrize("policy", ["color,translation,cutout", "translation,cutout", "color"])
@pytest.mark.parametrize("channels_first", [True, False])
def test_release_drop_in_matches_the_release_under_the_global_seed(policy, channels_first):
    # The release's call: DiffAugment(x, policy=..., channels_first=...) with torch's global RNG.
    from kornia_diffaug.functional import DiffAugment as release_DiffAugment

    x = torch.rand(6, 3, 20, 24) * 2 - 1
    torch.manual_seed(11)
    ref = reference_diff_augment(x, policy)
    torch.manual_seed(11)
    y = release_DiffAugment(x if channels_first else x.permute(0, 2, 3, 1), policy=policy,
                            channels_first=channels_first)
    if not channels_first:
        assert y.shape == (6, 20, 24, 3) and y.is_contiguous()
        y = y.permute(0, 3, 1, 2)
    torch.testing.assert_close(y, ref, atol=1e-6, rtol=0)


def test_release_drop_in_empty_policy_is_identity_and_gradients_flow():
    from kornia_diffaug.functional import DiffAugment as release_DiffAugment

    x = torch.rand(2, 3, 8, 8, requires_grad=True)
    assert release_DiffAugment(x) is x
    release_DiffAugment(x, "color,translation,cutout").sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    with pytest.raises(TypeError, match="policy"):
        release_DiffAugment(x, None)
