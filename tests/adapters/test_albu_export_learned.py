"""to_albumentations(LearnablePolicy): the exported config loads in Albumentations and draws what the policy
draws. Both sides run on the same uint8 images (Albumentations per image, the policy batched on ``u / 255``,
quantised back to levels); per-image statistics of the change agree within sampling error."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

A = pytest.importorskip("albumentations")

from kornia_diffaug.adapters.albumentations import (  # noqa: E402
    UnsupportedTransformError,
    from_albumentations,
    to_albumentations,
)

from kornia_diffaug.nn import LearnablePolicy  # noqa: E402

N = 1000
OPS = ("brightness", "saturation", "contrast", "rotation", "scale", "translation", "cutout")


def _policy(ops: str, m, p, seed: int = 0, **kw) -> LearnablePolicy:
    pol = LearnablePolicy(ops, value_range=(0.0, 1.0), albumentations=True,
                          generator=torch.Generator().manual_seed(seed), **kw).train()
    with torch.no_grad():
        pol.magnitude.copy_(torch.as_tensor(m, dtype=torch.float32).expand_as(pol.magnitude))
        pol.probability.copy_(torch.as_tensor(p, dtype=torch.float32).expand_as(pol.probability))
    return pol


def _images(channels: int, seed: int = 0) -> np.ndarray:
    """(N, 16, 16, C) uint8: smooth blobs on noise over the full range, so clipping and borders matter."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:16, :16]
    cy, cx = rng.uniform(3, 13, (2, N, 1, 1, 1))
    blob = np.exp(-((yy[None, ..., None] - cy) ** 2 + (xx[None, ..., None] - cx) ** 2) / 18.0)
    tint = rng.uniform(0.3, 1.0, (N, 1, 1, channels))
    noise = rng.uniform(0, 60, (N, 16, 16, channels))
    return np.clip(255 * blob * tint + noise, 0, 255).astype(np.uint8)


def _stats(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    d = (y.astype(np.float64) - x.astype(np.float64)) / 255
    flat = d.reshape(len(d), -1)
    return {"mean": flat.mean(1), "abs": np.abs(flat).mean(1), "applied": (np.abs(flat).max(1) > 1.5 / 255) * 1.0}


def _albumentations_side(cfg: dict, x: np.ndarray, seed: int = 0) -> np.ndarray:
    aug = A.from_dict(cfg)
    aug.set_random_seed(seed)
    return np.stack([aug(image=img)["image"].reshape(img.shape) for img in x])


def _torch_side(module: nn.Module, x: np.ndarray) -> np.ndarray:
    t = torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255
    with torch.no_grad():
        y = module(t)
    return (y * 255).round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()


def _disagreements(a: dict[str, np.ndarray], k: dict[str, np.ndarray], z: float = 4.5) -> list[str]:
    """Statistics whose mean or standard deviation differ by more than ``z`` standard errors (plus half a level,
    the uint8 rounding of each side)."""
    bad = []
    for name in a:
        u, v = a[name], k[name]
        se = math.sqrt(u.var() / len(u) + v.var() / len(v))
        if abs(u.mean() - v.mean()) > z * se + 0.5 / 255:
            bad.append(f"{name} mean {u.mean():.5f} vs {v.mean():.5f} (se {se:.5f})")
        su, sv = u.std(), v.std()
        if name != "applied" and su + sv > 0:  # delta-method standard error of a standard deviation
            se_s = math.sqrt(((u - u.mean()) ** 2).var() / len(u) / (4 * su**2 + 1e-12)
                             + ((v - v.mean()) ** 2).var() / len(v) / (4 * sv**2 + 1e-12))
            if abs(su - sv) > z * se_s + 0.5 / 255:
                bad.append(f"{name} std {su:.5f} vs {sv:.5f} (se {se_s:.5f})")
    return bad


CASES = [("brightness", 0.6, 0.7), ("saturation", 0.9, 0.8), ("contrast", 0.7, 0.6), ("rotation", 0.5, 0.8),
         ("scale", 0.6, 0.7), ("translation", 0.8, 0.75), ("cutout", 0.45, 0.65)]


@pytest.mark.parametrize(("op", "m", "p"), CASES, ids=[c[0] for c in CASES])
def test_each_operation_draws_what_its_export_draws(op, m, p):
    x = _images(3)
    pol = _policy(op, m, p)
    cfg = to_albumentations(pol)
    a, k = _stats(x, _albumentations_side(cfg, x)), _stats(x, _torch_side(pol, x))
    assert not _disagreements(a, k), (op, _disagreements(a, k))
    assert abs(k["applied"].mean() - a["applied"].mean()) < 0.06  # applied about p of the time on both sides
    assert k["applied"].mean() <= p + 0.05


def test_a_whole_policy_on_grey_images_and_its_loaded_pipeline_agree():
    x = _images(1, seed=1)
    pol = _policy("rotation,scale,translation,brightness,contrast,cutout", [0.3, 0.4, 0.9, 0.5, 0.6, 0.35],
                  [0.5, 0.6, 0.8, 0.6, 0.5, 0.5], seed=2)
    cfg = to_albumentations(pol)
    ours = _stats(x, _torch_side(pol, x))
    theirs = _stats(x, _albumentations_side(cfg, x, seed=3))
    assert not _disagreements(theirs, ours), _disagreements(theirs, ours)
    loaded = from_albumentations(cfg)  # our loader's reading of the exported file: the same distribution again
    back = _stats(x, _torch_side(loaded, x))
    assert not _disagreements(back, ours), _disagreements(back, ours)
    assert to_albumentations(loaded) == cfg


def test_the_comparison_detects_a_wrong_unit():
    # The statistics above are sharp enough to see a twin off by a factor of 2 (e.g. m instead of m/2).
    x = _images(3)
    for op, m, wrong in (("brightness", 0.3, 0.6), ("translation", 0.4, 0.8), ("cutout", 0.3, 0.42),
                         ("rotation", 0.2, 0.4), ("scale", 0.3, 0.6)):
        pol = _policy(op, m, 1.0)
        cfg = to_albumentations(_policy(op, wrong, 1.0))
        assert _disagreements(_stats(x, _albumentations_side(cfg, x)), _stats(x, _torch_side(pol, x))), op


def test_exported_parameters_are_the_learned_ones_in_albumentations_units():
    m, p = [0.2, 0.4, 0.6, 0.3, 0.4, 0.8, 0.5], [0.1, 0.3, 0.5, 0.6, 0.8, 0.7, 0.9]
    pol = _policy(",".join(OPS), m, p)
    cfg = to_albumentations(pol)
    t = cfg["transform"]["transforms"]
    assert [d["__class_fullname__"] for d in t] == [
        "RandomBrightnessContrast", "ColorJitter", "ColorJitter", "Affine", "Affine", "Affine", "CoarseDropout"]
    assert [d["p"] for d in t] == pytest.approx(p)
    assert t[0]["brightness_limit"] == pytest.approx([-0.1, 0.1]) and t[0]["contrast_limit"] == [0, 0]
    assert t[1]["saturation"] == pytest.approx([0.6, 1.4]) and t[1]["contrast"] == [1, 1] and t[1]["hue"] == [0, 0]
    assert t[2]["contrast"] == pytest.approx([0.4, 1.6]) and t[2]["saturation"] == [1, 1]
    assert t[3]["rotate"] == pytest.approx([-27, 27]) and t[3]["scale"] == {"x": [1, 1], "y": [1, 1]}
    assert t[4]["scale"]["x"] == pytest.approx([0.8, 1.2]) and t[4]["keep_ratio"] and t[4]["rotate"] == [0, 0]
    assert all(d["interpolation"] == 1 and d["border_mode"] == 0 and d["fill"] == 0 for d in t[3:6])
    assert t[5]["translate_percent"]["x"] == pytest.approx([-0.2, 0.2]) and t[5]["fill"] == 0
    assert t[6]["hole_height_range"] == pytest.approx([0.5, 0.5]) and t[6]["num_holes_range"] == [1, 1]
    A.from_dict(cfg)  # loads in Albumentations 2.x
    nested = to_albumentations(nn.Sequential(pol))  # inside a pipeline: one Sequential holding the twins
    assert nested["transform"]["transforms"][0]["__class_fullname__"] == "Sequential"
    assert nested["transform"]["transforms"][0]["transforms"] == t
    A.from_dict(nested)


def test_policies_without_twins_are_refused_naming_their_operations():
    with pytest.raises(UnsupportedTransformError, match=r"brightness, translation.*albumentations=True"):
        to_albumentations(LearnablePolicy("brightness,translation"))
    with pytest.raises(UnsupportedTransformError, match=r"transforms\[0\].transforms: LearnablePolicy"):
        to_albumentations(nn.Sequential(LearnablePolicy("cutout")))
    with pytest.raises(UnsupportedTransformError, match=r"transforms\[1\]: cutout with magnitude 1.0"):
        to_albumentations(_policy("brightness,cutout", 1.0, 0.5))
