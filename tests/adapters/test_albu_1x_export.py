"""1.x configs loaded and exported: what 1.x meant survives the trip to 2.0.8 (fills and borders under their 2.x
names, ``Flip``, ``RandomSizedCrop``), or the trip is refused where 2.0.8 cannot say it (``GaussNoise``'s uniform
variance, a moving ``OpticalDistortion`` centre); 1.x ``GaussNoise`` draws its variance as 1.x did, and 1.x
``SomeOf`` loads only where 1.x and 2.x agree."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from kornia_diffaug.adapters.albumentations import UnsupportedTransformError, from_albumentations, to_albumentations

A = pytest.importorskip("albumentations")


def _cfg(version, *ts):
    return {"__version__": version, "transform": {"__class_fullname__": "Compose", "p": 1.0, "transforms": list(ts)}}


def _from_dict(cfg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # 2.0.8 warns (and falls back to its defaults) on keys it does not know: that is the defect tested here
        warnings.filterwarnings("error", message=".*not valid.*")
        return A.from_dict(cfg)


@pytest.mark.parametrize(("node", "fill", "fill_mask", "border"), [
    ({"__class_fullname__": "Rotate", "limit": [10, 10], "border_mode": 0, "value": 128, "mask_value": 3}, 128, 3, 0),
    ({"__class_fullname__": "ShiftScaleRotate", "border_mode": 0, "value": [9, 9, 9], "mask_value": 2}, (9, 9, 9), 2,
     0),
    ({"__class_fullname__": "ShiftScaleRotate"}, 0, 0, 4),  # 1.x's default border: reflect-101
    ({"__class_fullname__": "PadIfNeeded", "min_height": 64, "min_width": 64, "border_mode": 0, "value": 7,
      "mask_value": 1}, 7, 1, 0),
    ({"__class_fullname__": "PadIfNeeded", "min_height": 64, "min_width": 64}, 0, 0, 4),
    ({"__class_fullname__": "Affine", "rotate": [5, 5], "mode": 0, "cval": 40, "cval_mask": 5}, 40, 5, 0),
    ({"__class_fullname__": "Affine", "rotate": [5, 5], "mode": 4}, 0, 0, 4),
    ({"__class_fullname__": "Perspective", "pad_mode": 0, "pad_val": 11, "mask_pad_val": 4}, 11, 4, 0),
])
def test_1x_fills_and_borders_are_exported_under_their_2x_names(node, fill, fill_mask, border):
    pipe = from_albumentations(_cfg("1.3.1", {**node, "p": 1.0}))
    (t,) = _from_dict(to_albumentations(pipe)).transforms
    got = t.fill if isinstance(t.fill, (int, float)) else tuple(t.fill)
    assert got == fill and t.fill_mask == fill_mask and t.border_mode == border
    again = to_albumentations(from_albumentations(to_albumentations(pipe)))
    assert again == to_albumentations(pipe)  # our export loads back into the same pipeline


def test_1x_channel_dropout_fill_value_is_exported_as_fill():
    pipe = from_albumentations(_cfg("1.3.1", {"__class_fullname__": "ChannelDropout", "fill_value": 9, "p": 1.0}))
    assert _from_dict(to_albumentations(pipe)).transforms[0].fill == 9


def test_1x_optical_distortion_shift_is_dropped_when_it_never_moves_and_refused_when_it_does():
    still = {"__class_fullname__": "OpticalDistortion", "shift_limit": 0.05, "p": 1.0}  # round(U(+-0.05)) = 0
    (t,) = _from_dict(to_albumentations(from_albumentations(_cfg("1.3.1", still)))).transforms
    assert t.border_mode == 4
    moving = {**still, "shift_limit": 0.3, "distort_limit": 0.5}
    moving["shift_limit"] = 3
    with pytest.raises(UnsupportedTransformError, match=r"transforms\[0\]: OpticalDistortion: shift_limit"):
        to_albumentations(from_albumentations(_cfg("1.3.1", moving)))


def test_1x_flip_is_exported_as_a_one_of_of_the_three_flips_2_0_8_reads():
    pipe = from_albumentations(_cfg("1.3.1", {"__class_fullname__": "Flip", "p": 0.7}))
    back = _from_dict(to_albumentations(pipe))
    (one_of,) = back.transforms
    assert type(one_of).__name__ == "OneOf" and one_of.p == 0.7
    u = np.arange(12, dtype=np.uint8).reshape(3, 4, 1).repeat(3, 2)
    seen = {back(image=u)["image"][..., 0].tobytes() for _ in range(200)}
    variants = {np.ascontiguousarray(v).tobytes() for v in (u[..., 0], u[:, ::-1, 0], u[::-1, :, 0], u[::-1, ::-1, 0])}
    assert seen == variants  # unchanged (p), horizontal, vertical and both, as 1.x's Flip gives


def test_1x_random_sized_crop_is_exported_with_size():
    node = {"__class_fullname__": "RandomSizedCrop", "min_max_height": [20, 30], "height": 16, "width": 24,
            "p": 1.0}
    (t,) = _from_dict(to_albumentations(from_albumentations(_cfg("1.3.1", node)))).transforms
    assert tuple(t.size) == (16, 24) and tuple(t.min_max_height) == (20, 30)


@pytest.mark.parametrize(("var_limit", "lo", "hi"), [([10, 50], 10, 50), (400, 0, 400)])
def test_1x_gauss_noise_draws_the_variance_uniformly(var_limit, lo, hi):
    node = {"__class_fullname__": "GaussNoise", "var_limit": var_limit, "p": 1.0}
    pipe = from_albumentations(_cfg("1.3.1", node), generator=torch.Generator().manual_seed(0))
    (op,) = pipe.children()
    std = op.sample(20000, (8, 8), torch.Generator().manual_seed(1), torch.device("cpu"))["std"].double() * 255
    var = std**2
    assert var.min() >= lo - 1e-6 and var.max() <= hi + 1e-6
    assert abs(var.mean().item() - (lo + hi) / 2) < 0.02 * hi  # uniform in the variance (its mean is the middle)
    expected_std = (2 / 3) * (hi**1.5 - lo**1.5) / (hi - lo)  # E[sqrt(V)], V ~ U(lo, hi)
    assert abs(std.mean().item() - expected_std) < 0.02 * expected_std
    with pytest.raises(UnsupportedTransformError, match="GaussNoise with var_range"):
        to_albumentations(pipe)


FLIPS = [{"__class_fullname__": "HorizontalFlip", "p": 0.9}, {"__class_fullname__": "VerticalFlip", "p": 0.1}]


def test_1x_some_of_loads_only_where_1x_and_2x_agree():
    weighted = {"__class_fullname__": "SomeOf", "n": 1, "p": 1.0, "transforms": FLIPS}
    with pytest.raises(UnsupportedTransformError, match=r"transforms\[0\]: SomeOf: n=1 .* 1\.3\.1 config"):
        from_albumentations(_cfg("1.3.1", weighted))
    assert from_albumentations(_cfg("2.0.8", weighted)) is not None  # 2.x's own semantics
    forced = {**weighted, "transforms": [{**t, "p": 1.0} for t in FLIPS]}
    assert from_albumentations(_cfg("1.3.1", forced)) is not None
    with pytest.raises(UnsupportedTransformError, match="SomeOf: n=2"):
        from_albumentations(_cfg("1.3.1", {**forced, "n": 2}))


def test_1x_cutout_places_holes_by_their_centre_clipped_at_the_border():
    node = {"__class_fullname__": "Cutout", "num_holes": 1, "max_h_size": 10, "max_w_size": 12, "p": 1.0}
    pipe = from_albumentations(_cfg("1.3.1", node))
    (op,) = pipe.children()
    h, w = 64, 64
    prm = op.sample(20000, (h, w), torch.Generator().manual_seed(0), torch.device("cpu"))
    top, left = prm["top"][:, 0].double(), prm["left"][:, 0].double()
    # 1.x: y ~ randint[0, H] (both ends), y1 = clip(y - 5, 0, H): P(y1 = 0) = 6 / 65, and y1 reaches H - 5.
    assert abs((top == 0).double().mean().item() - 6 / 65) < 0.01 and top.max() == h - 5
    assert abs((left == 0).double().mean().item() - 7 / 65) < 0.01 and left.max() == w - 6
    area = op.hole_mask(prm, (h, w)).double().mean().item()
    expected = sum(min(max(y - 5, 0) + 10, h) - max(y - 5, 0) for y in range(h + 1)) / (h + 1) / h
    expected *= sum(min(max(x - 6, 0) + 12, w) - max(x - 6, 0) for x in range(w + 1)) / (w + 1) / w
    assert abs(area - expected) < 0.002
    with pytest.raises(UnsupportedTransformError, match="1.x Cutout"):
        to_albumentations(pipe)


def _scales(t, n=40):
    """The ``(x, y)`` scales that Albumentations' own transform ``t`` draws, ``n`` times."""
    img = np.zeros((32, 32, 3), np.uint8)
    t.set_random_seed(0)
    out = []
    for _ in range(n):
        s = t.get_params_dependent_on_data(params={"shape": img.shape}, data={"image": img})["scale"]
        out.append((s["x"], s["y"]))
    return np.array(out)


@pytest.mark.parametrize("version", ["1.3.1", "2.0.8"])
def test_1x_shift_scale_rotate_one_scale_for_both_axes_survives_the_export(version):
    """1.x (and AlbumentationsX) ShiftScaleRotate draws one scale for both axes; 2.0.8's draws x and y apart. The
    1.x op is exported as the Affine it is (keep_ratio=True), so 2.0.8 draws one scale too; a 2.x op stays a
    ShiftScaleRotate."""
    node = {"__class_fullname__": "ShiftScaleRotate", "scale_limit": 0.3, "rotate_limit": 10,
            "rotate_method": "largest_box", "p": 1.0}
    pipe = from_albumentations(_cfg(version, node))
    (t,) = _from_dict(to_albumentations(pipe)).transforms
    s = _scales(t)
    assert s.min() < 0.8 and s.max() > 1.2  # the range is exported
    if version.startswith("1"):
        assert type(t).__name__ == "Affine" and t.keep_ratio and t.rotate_method == "largest_box"
        assert np.array_equal(s[:, 0], s[:, 1])
    else:
        assert type(t).__name__ == "ShiftScaleRotate"
        assert not np.array_equal(s[:, 0], s[:, 1])
    assert to_albumentations(from_albumentations(to_albumentations(pipe))) == to_albumentations(pipe)
