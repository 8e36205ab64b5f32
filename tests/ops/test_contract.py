"""The op contract of DESIGN.md, checked for every op in the registry (new ops are covered on registration)."""

from __future__ import annotations

import copy
import pickle

import kornia.augmentation as K
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import kornia_diffaug  # noqa: F401  (registers every op)
from kornia_diffaug.ops import get_op_spec, list_ops
from tests._strategies import ATOL, devices, images

OPS = list_ops()
# Ops whose output has the input's shape; size-changing ops (registered with resizes=True) skip only the checks
# that need this (identity at p=0 / zero magnitude) and are checked against ``output_size`` elsewhere.
SAME_SIZE = [n for n in OPS if not get_op_spec(n).resizes]


def make(name: str, identity: bool = False, **extra):
    spec = get_op_spec(name)
    kwargs = {**spec.example, **(spec.identity if identity else {}), **extra}
    return spec.cls(**kwargs)


def seeded(name: str, seed: int = 0, **extra):
    return make(name, generator=torch.Generator().manual_seed(seed), **extra)


def fit(name: str, x: torch.Tensor) -> torch.Tensor:
    """``x`` as the op's registration says it takes it: cropped to a square (``square``), tiled up to the example's
    ``min_size``. Unchanged for every other op."""
    spec = get_op_spec(name)
    h, w = x.shape[-2:]
    if spec.square and h != w:
        h = w = min(h, w)
        x = x[..., :h, :w]
    mh, mw = spec.min_size
    if h < mh or w < mw:
        x = x.repeat(*([1] * (x.ndim - 2)), -(-mh // h), -(-mw // w))[..., : max(h, mh), : max(w, mw)]
    return x


def out_shape(name: str, op, x: torch.Tensor) -> tuple[int, ...]:
    """The documented output shape: the input's, or ``output_size`` of the input's ``(H, W)`` for resizing ops."""
    if not get_op_spec(name).resizes:
        return tuple(x.shape)
    return (*x.shape[:-2], *op.output_size(tuple(x.shape[-2:])))


def gate_p(name: str, p: float) -> float:
    """Size-changing ops run with p=1 in a batch (a batch cannot hold two sizes)."""
    return 1.0 if get_op_spec(name).resizes else p


def test_registry_holds_the_foundation_ops():
    for name in [
        "RandomBrightnessShift",
        "RandomSaturationScale",
        "RandomContrastScale",
        "RandomIntegerTranslate",
        "RandomCutout",
    ]:
        assert name in OPS
    assert all(issubclass(get_op_spec(n).cls, K.AugmentationBase2D) for n in OPS)


@pytest.mark.parametrize("name", OPS)
@given(x=images())
def test_shape_dtype_kept_and_input_untouched(name, x):
    x = fit(name, x)
    before = x.clone()
    op = seeded(name)
    y = op(x)
    assert tuple(y.shape) == out_shape(name, op, x) and y.dtype == x.dtype and y.device == x.device
    assert torch.equal(x, before)
    if y.numel():
        assert torch.isfinite(y.float()).all()


@pytest.mark.parametrize("name", SAME_SIZE)
@given(x=images())
def test_p_zero_and_zero_magnitude_are_identity(name, x):
    x = fit(name, x)
    assert torch.equal(seeded(name, p=0.0)(x), x)
    ident = make(name, identity=True, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(ident(x), x, atol=ATOL[x.dtype], rtol=0)


@pytest.mark.parametrize("name", OPS)
@given(x=images(max_b=4, max_side=24), seed=st.integers(0, 1000), p=st.sampled_from([0.5, 1.0]))
def test_seeded_determinism_and_replay(name, x, seed, p):
    x, p = fit(name, x), gate_p(name, p)
    op = seeded(name, seed, p=p)
    y1 = op(x)
    y2 = op(x, params=op._params)
    assert torch.equal(y1, y2)
    assert torch.equal(y1, seeded(name, seed, p=p)(x))


@pytest.mark.parametrize("name", OPS)
@given(x=images(min_b=1, max_b=5, max_side=16, dtypes=[torch.float64]), p=st.sampled_from([0.5, 1.0]))
def test_batched_equals_per_sample_under_replayed_params(name, x, p):
    x, p = fit(name, x), gate_p(name, p)
    op = seeded(name, 3, p=p)
    y = op(x)
    params = op._params
    b = x.shape[0]
    for i in range(b):
        one = {
            k: (v[i : i + 1] if k != "forward_input_shape" and v.ndim and v.shape[0] == b else v)
            for k, v in params.items()
        }
        one["forward_input_shape"] = torch.tensor([1, *x.shape[1:]])
        torch.testing.assert_close(op(x[i : i + 1], params=one), y[i : i + 1])


@pytest.mark.parametrize("name", OPS)
def test_gradcheck_and_per_sample_jacobian(name):
    torch.manual_seed(0)
    x = fit(name, torch.randn(3, 2, 5, 6, dtype=torch.float64)).requires_grad_()
    op = seeded(name, 7)
    op(x.detach())
    params = op._params

    def f(t):
        return op(t, params=params)

    assert torch.autograd.gradcheck(f, (x,), eps=1e-6, atol=1e-5)
    jac = torch.autograd.functional.jacobian(f, x.detach())  # (B, C, H, W, B, C, H, W)
    for i in range(3):
        for j in range(3):
            if i != j:
                assert torch.count_nonzero(jac[i, :, :, :, j]) == 0, "output sample depends on another sample"


@pytest.mark.parametrize("name", OPS)
def test_keepdim_chw_and_pickle(name):
    x = fit(name, torch.rand(3, 9, 7))
    op = seeded(name, keepdim=True)
    y = op(x)
    assert tuple(y.shape) == out_shape(name, op, x)
    clone = pickle.loads(pickle.dumps(op))
    assert torch.equal(clone(x, params=op._params), y)
    assert torch.equal(copy.deepcopy(op)(x, params=op._params), y)


@pytest.mark.parametrize("name", OPS)
def test_same_on_batch_draws_one_parameter_set(name):
    x = fit(name, torch.rand(1, 3, 12, 10)).expand(6, -1, -1, -1).contiguous()
    y = seeded(name, 5, same_on_batch=True)(x)
    assert all(torch.equal(y[0], y[i]) for i in range(6))


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("device", devices())
def test_device_kept(name, device):
    x = fit(name, torch.rand(2, 3, 8, 8, device=device))
    assert seeded(name)(x).device == x.device


@pytest.mark.parametrize("name", OPS)
def test_bad_input_and_arguments_raise_clear_errors(name):
    op = seeded(name)
    with pytest.raises(TypeError, match="float"):
        op(torch.zeros(2, 3, 8, 8, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"shape"):
        op(torch.zeros(1, 2, 3, 8, 8))
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="p"):
            make(name, p=p)
    with pytest.raises(TypeError, match="generator"):
        make(name, generator=123)


@pytest.mark.parametrize("name", [n for n in OPS if get_op_spec(n).geometric])
@given(h=st.integers(4, 20), w=st.integers(4, 20), data=st.data())
def test_geometric_keypoints_and_masks_follow_pixels(name, h, w, data):
    spec = get_op_spec(name)
    w = h if spec.square else w
    h, w = max(h, spec.min_size[0]), max(w, spec.min_size[1])
    b = 4
    ys = torch.tensor(data.draw(st.lists(st.integers(0, h - 1), min_size=b, max_size=b)))
    xs = torch.tensor(data.draw(st.lists(st.integers(0, w - 1), min_size=b, max_size=b)))
    img = torch.zeros(b, 1, h, w)
    img[torch.arange(b), 0, ys, xs] = 1.0
    kps = torch.stack([xs, ys], -1).float().view(b, 1, 2)
    op = seeded(name, data.draw(st.integers(0, 100)))
    seq = K.AugmentationSequential(op, data_keys=["input", "mask", "keypoints"])
    out, mask, kp = seq(img, img.clone(), kps)
    assert torch.equal(out, mask)
    oh, ow = out.shape[-2:]  # the input's size unless the op resizes
    for i in range(b):
        u, v = kp[i, 0].round().long().tolist()
        if 0 <= u < ow and 0 <= v < oh:
            assert out[i, 0, v, u] > 0.5, "the marked pixel did not land under its keypoint"
        else:
            assert out[i].sum() == 0


# Interpolating geometric ops cannot keep a single marked pixel exact; instead a smooth blob must stay centred
# on its transformed keypoint (its local centroid, so mirrored copies from reflect padding do not count).
# GridDistortion is left out: its map is piecewise linear, so a blob across a cell edge is stretched
# unevenly and its centroid moves by up to ~1 px although the keypoint solves the map exactly.
# Tolerances in px: affine maps keep a symmetric blob's centroid exactly (up to sampling error); a perspective
# map does not quite.
INTERPOLATING = {
    "ADAPipeline": ({"preset": "geom"}, 0.1),
    "AlbuAffine": ({"rotate": (-45.0, 45.0), "scale": (0.8, 1.2), "shear": (-10.0, 10.0), "interpolation": 1}, 0.1),
    "AlbuSafeRotate": ({"limit": (-90.0, 90.0)}, 0.1),
    "AlbuPerspective": ({}, 0.25),
    "AlbuElasticTransform": ({"alpha": 3.0, "sigma": 4.0}, 0.1),
    # Resizes: Albumentations scales keypoints by the size ratio s while images keep half-pixel centres, so
    # content sits 0.5 (s - 1) px from its keypoint; sizes near 48 keep that under 0.05 px.
    "AlbuResize": ({"height": 50, "width": 46}, 0.1),
    "AlbuLongestMaxSize": ({"max_size": 50}, 0.1),
    "AlbuSmallestMaxSize": ({"max_size": 46}, 0.1),
    "AlbuRandomResizedCrop": ({"size": (48, 48), "scale": (0.9, 1.0), "ratio": (0.95, 1.05)}, 0.1),
    "AlbuRandomScale": ({"scale_limit": (0.5, 0.5)}, 0.35),  # s = 1.5: content 0.5 (s - 1) = 0.25 px off, plus blur
    "AlbuRandomSizedCrop": ({"min_max_height": (44, 48), "size": (48, 48)}, 0.1),
    "AlbuRandomSizedBBoxSafeCrop": ({"height": 48, "width": 48, "erosion_rate": 0.1}, 0.1),  # no boxes: a crop
    "AlbuOpticalDistortion": ({"distort_limit": (-0.2, 0.2)}, 0.25),
}


def _blobs(b: int, size: int, sigma: float, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Gaussian blobs at integer points at least ``size / 4`` from the border, and those points ``(B, 1, 2)``."""
    lo, hi = size // 4, size - size // 4
    xs, ys = (torch.randint(lo, hi, (b,), generator=g).double() for _ in range(2))
    grid = torch.arange(size, dtype=torch.float64)
    d2 = (grid.view(1, 1, -1) - xs.view(-1, 1, 1)) ** 2 + (grid.view(1, -1, 1) - ys.view(-1, 1, 1)) ** 2
    return torch.exp(-d2 / (2 * sigma**2)).unsqueeze(1), torch.stack([xs, ys], -1).view(b, 1, 2)


@pytest.mark.parametrize("name", sorted(INTERPOLATING))
@given(seed=st.integers(0, 2**16))
def test_interpolating_geometric_keypoints_follow_content(name, seed):
    assert name in OPS
    size, radius = 48, 6
    img, kps = _blobs(8, size, 1.5, torch.Generator().manual_seed(seed))
    kwargs, tol = INTERPOLATING[name]
    op = get_op_spec(name).cls(**kwargs, p=1.0, generator=torch.Generator().manual_seed(seed))
    out, kp = K.AugmentationSequential(op, data_keys=["input", "keypoints"])(img, kps)
    kp = kp[:, 0]
    oh, ow = out.shape[-2:]  # 48 x 48 unless the op resizes
    gy, gx = torch.meshgrid(torch.arange(oh, dtype=torch.float64), torch.arange(ow, dtype=torch.float64),
                            indexing="ij")
    window = ((gx - kp[:, 0, None, None]) ** 2 + (gy - kp[:, 1, None, None]) ** 2 <= radius**2).double()
    mass = out[:, 0].clamp(min=0) * window
    total = mass.sum((-1, -2))
    centroid = torch.stack([(mass * gx).sum((-1, -2)), (mass * gy).sum((-1, -2))], -1) / total[:, None]
    inside = ((kp > radius + 2) & (kp < torch.tensor([ow, oh]) - radius - 3)).all(-1)  # the blob is fully in view
    assert inside.any()
    assert (total[inside] > 3.0).all(), "no blob under the keypoint"  # a whole blob holds 2 pi 1.5^2 = 14
    err = (centroid - kp).norm(dim=-1)[inside]
    assert err.max() < tol, f"content is {err.max():.3f} px away from its keypoint"


def test_every_geometric_op_has_a_keypoint_check():
    """A new geometric op must join the exact-pixel check (``geometric=True``) or the blob check above."""
    geometric = {n for n in OPS if issubclass(get_op_spec(n).cls, K.GeometricAugmentationBase2D)}
    exact = {n for n in OPS if get_op_spec(n).geometric}
    unchecked = geometric - exact - set(INTERPOLATING)
    # GridDistortion, PiecewiseAffine: their keypoints solve the map (tests/adapters: against Albumentations'
    # map), but a blob's centroid does not follow such a map (piecewise linear; flat at control points).
    # PiecewiseAffineMesh: 1.x's keypoints snap to whole pixels (the peak of a warped distance map), checked
    # against 1.3.1 (tests/adapters/test_albu_1x.py) and on marked pixels (tests/ops/test_albu_ops.py).
    assert unchecked == {"AlbuGridDistortion", "AlbuPiecewiseAffine", "AlbuPiecewiseAffineMesh"}, \
        f"geometric ops without a keypoint check: {sorted(unchecked)}"
