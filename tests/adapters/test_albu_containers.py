"""Per-sample OneOf / SomeOf / Sequential with Albumentations' semantics (probabilities included)."""

from __future__ import annotations

import pytest
import torch
from kornia_diffaug.adapters.albumentations import from_albumentations

N = 4000


def _t(name, **params):
    return {"__class_fullname__": name, **params}


def _run(node, x=None, seed=0):
    pipe = from_albumentations({"transform": {"__class_fullname__": "Compose", "p": 1.0, "transforms": [node]}},
                               generator=torch.Generator().manual_seed(seed))
    if x is None:
        # A single bright pixel per image identifies which flips were applied.
        x = torch.zeros(N, 1, 2, 2)
        x[:, :, 0, 0] = 1.0
    torch.manual_seed(seed)
    return pipe(x)


def _which(y):
    """0: none, 1: horizontal flip, 2: vertical flip, 3: both (by where the bright pixel went)."""
    return (y[:, 0, 0, 1] > 0.5).long() * 1 + (y[:, 0, 1, 0] > 0.5).long() * 2 + (y[:, 0, 1, 1] > 0.5).long() * 3


def _freq(codes, k=4):
    return torch.bincount(codes, minlength=k).double() / codes.numel()


def test_one_of_picks_one_child_per_sample_with_weights_from_children_p():
    y = _run(_t("OneOf", p=0.8, transforms=[_t("HorizontalFlip", p=0.25), _t("VerticalFlip", p=0.75)]))
    f = _freq(_which(y))
    # applied w.p. 0.8; then hflip w.p. 0.25 / (0.25 + 0.75), vflip w.p. 0.75; never both.
    torch.testing.assert_close(f, torch.tensor([0.2, 0.2, 0.6, 0.0], dtype=f.dtype), atol=0.03, rtol=0)


def test_one_of_child_with_p_one_is_still_gated_per_sample():
    y = _run(_t("OneOf", p=1.0, transforms=[_t("HorizontalFlip", p=1.0), _t("VerticalFlip", p=1.0)]))
    f = _freq(_which(y))
    torch.testing.assert_close(f, torch.tensor([0.0, 0.5, 0.5, 0.0], dtype=f.dtype), atol=0.03, rtol=0)


def test_some_of_chooses_n_uniformly_then_applies_each_with_its_own_p():
    y = _run(_t("SomeOf", p=1.0, n=1, replace=False,
                transforms=[_t("HorizontalFlip", p=1.0), _t("VerticalFlip", p=0.5)]))
    f = _freq(_which(y))
    # child chosen uniformly (p ignored for the choice), then applied with its own p.
    torch.testing.assert_close(f, torch.tensor([0.25, 0.5, 0.25, 0.0], dtype=f.dtype), atol=0.03, rtol=0)
    y = _run(_t("SomeOf", p=0.5, n=2, transforms=[_t("HorizontalFlip", p=1.0), _t("VerticalFlip", p=1.0)]))
    f = _freq(_which(y))
    torch.testing.assert_close(f, torch.tensor([0.5, 0.0, 0.0, 0.5], dtype=f.dtype), atol=0.03, rtol=0)


def test_some_of_with_replacement_can_apply_a_child_twice():
    # Two horizontal flips cancel: with replacement and n=2, hflip twice (1/4), vflip twice (1/4), one each (1/2).
    y = _run(_t("SomeOf", p=1.0, n=2, replace=True, transforms=[_t("HorizontalFlip", p=1.0),
                                                                _t("VerticalFlip", p=1.0)]))
    f = _freq(_which(y))
    torch.testing.assert_close(f, torch.tensor([0.5, 0.0, 0.0, 0.5], dtype=f.dtype), atol=0.03, rtol=0)


def test_sequential_applies_all_children_with_their_own_p_when_it_fires():
    y = _run(_t("Sequential", p=0.6, transforms=[_t("HorizontalFlip", p=1.0), _t("VerticalFlip", p=0.5)]))
    f = _freq(_which(y))
    torch.testing.assert_close(f, torch.tensor([0.4, 0.3, 0.0, 0.3], dtype=f.dtype), atol=0.03, rtol=0)


def test_compose_with_p_below_one_gates_the_whole_pipeline():
    pipe = from_albumentations({"transform": {"__class_fullname__": "Compose", "p": 0.3,
                                              "transforms": [_t("HorizontalFlip", p=1.0)]}},
                               generator=torch.Generator().manual_seed(0))
    x = torch.zeros(N, 1, 2, 2)
    x[:, :, 0, 0] = 1
    f = _freq(_which(pipe(x)))
    assert abs(f[1].item() - 0.3) < 0.03


def test_nested_containers_combine_their_gates():
    inner = _t("OneOf", p=0.5, transforms=[_t("HorizontalFlip", p=1.0)])
    y = _run(_t("Sequential", p=0.5, transforms=[inner]))
    f = _freq(_which(y))
    assert abs(f[1].item() - 0.25) < 0.03


def test_decisions_are_per_sample_and_seeded():
    node = _t("OneOf", p=0.9, transforms=[_t("RandomGamma", p=1.0, gamma_limit=[50, 50]),
                                          _t("InvertImg", p=1.0)])
    x = torch.rand(64, 3, 4, 4)
    a, b = _run(node, x, seed=3), _run(node, x, seed=3)
    torch.testing.assert_close(a, b)
    kinds = set()
    for i in range(64):
        if torch.allclose(a[i], x[i]):
            kinds.add("none")
        elif torch.allclose(a[i], x[i] ** 0.5, atol=1e-6):
            kinds.add("gamma")
        else:
            torch.testing.assert_close(a[i], 1 - x[i])
            kinds.add("invert")
    assert kinds == {"none", "gamma", "invert"}


def test_containers_move_keypoints_per_sample():
    node = _t("OneOf", p=1.0, transforms=[_t("HorizontalFlip", p=1.0), _t("VerticalFlip", p=1.0)])
    pipe = from_albumentations({"transform": {"__class_fullname__": "Compose", "p": 1.0, "transforms": [node],
                                              "keypoint_params": {"format": "xy"}}},
                               generator=torch.Generator().manual_seed(1))
    x = torch.zeros(32, 1, 5, 5)
    x[:, :, 1, 0] = 1.0  # the keypoint (x=0, y=1) marks the bright pixel
    kp = torch.tensor([[[0.0, 1.0]]]).repeat(32, 1, 1)
    img, out = pipe(x, kp)
    for i in range(32):
        u, v = out[i, 0].round().long().tolist()
        assert img[i, 0, v, u] == 1.0


@pytest.mark.parametrize("bad", [
    _t("OneOf", p=1.0, transforms=[_t("HorizontalFlip", p=0.0)]),
    _t("SomeOf", p=1.0, n=-1, transforms=[_t("HorizontalFlip")]),
    _t("SomeOf", p=1.0, n=1, replace="no", transforms=[_t("HorizontalFlip")]),
    _t("Sequential", p=2.0, transforms=[_t("HorizontalFlip")]),
])
def test_bad_container_parameters_raise(bad):
    with pytest.raises(ValueError):
        _run(bad)


@pytest.mark.parametrize("kind", ["oneof", "someof", "sequential"])
def test_same_on_batch_draws_one_decision_for_the_batch_branches_included(kind):
    from kornia_diffaug.ops.albu import AlbuGaussNoise, AlbuRGBShift, AlbuSolarize
    from kornia_diffaug.ops.albu.containers import PerSampleOneOf, PerSampleSequential, PerSampleSomeOf

    def children():
        return (AlbuSolarize(p=0.5), AlbuRGBShift(p=0.5), AlbuGaussNoise(p=0.5))

    make = {
        "oneof": lambda: PerSampleOneOf(*children(), weights=[1, 1, 1], p=0.7, same_on_batch=True),
        "someof": lambda: PerSampleSomeOf(*children(), n=2, p=0.7, same_on_batch=True),
        "sequential": lambda: PerSampleSequential(*children(), p=0.7, same_on_batch=True),
    }[kind]
    torch.manual_seed(0)
    x = torch.rand(1, 3, 8, 8).expand(16, -1, -1, -1).contiguous()
    outs = [make()(x) for _ in range(6)]
    for y in outs:
        assert torch.equal(y, y[:1].expand_as(y))  # identical inputs, one draw: identical outputs
    assert len({round(float((y - x).abs().sum()), 4) for y in outs}) > 1  # but the draw varies between calls
    with pytest.raises(TypeError, match="same_on_batch"):
        PerSampleOneOf(*children(), weights=[1, 1, 1], same_on_batch=1)
