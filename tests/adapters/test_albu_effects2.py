"""FancyPCA, GlassBlur, RandomGridShuffle and AdditiveNoise against Albumentations 2.0.8: the kernels under replayed
parameters (our draws handed to Albumentations' own functions), the draws' distributions, gradients, the targets
that follow (masks, keypoints) and the refused boxes, 1.x/0.x configs, and export back to Albumentations."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
import torch

A = pytest.importorskip("albumentations")
fb = pytest.importorskip("albumentations.augmentations.blur.functional")
fg = pytest.importorskip("albumentations.augmentations.geometric.functional")
fp = pytest.importorskip("albumentations.augmentations.pixel.functional")

import kornia.augmentation as K  # noqa: E402
from albu_parity import test_image as make_image  # noqa: E402
from kornia_diffaug.adapters.albumentations import (  # noqa: E402
    UnsupportedTransformError,
    from_albumentations,
    to_albumentations,
)
from kornia_diffaug.adapters.albumentations.parse import plain  # noqa: E402

import kornia_diffaug.functional.albu as FA  # noqa: E402
from kornia_diffaug.ops import albu  # noqa: E402


def _x(u: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(u)).permute(2, 0, 1)[None].double()


def _hwc(y: torch.Tensor) -> np.ndarray:
    return y[0].permute(1, 2, 0).numpy()


def _compose(*ts, **kw):
    return {"transform": {"__class_fullname__": "Compose", "p": 1.0, "transforms": list(ts), **kw}}


# ----------------------------------------------------------------------------------------------- FancyPCA
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_fancy_pca_equals_albumentations_for_our_weights(channels):
    u = (make_image(20, 26).astype(np.float32) / 255)
    u = np.concatenate([u, u[..., ::-1]], -1)[..., :channels].copy()
    op = albu.AlbuFancyPCA(0.5, generator=torch.Generator().manual_seed(channels))
    with torch.no_grad():
        y = _hwc(op(_x(u)))
    a = op.weights(op._params["seed"], channels)[0].numpy()
    if channels > 1:  # an eigenvector's sign is a convention (ours: largest component positive) = a flip of a_i
        flat = u.reshape(-1, channels)
        cov = np.cov(flat - flat.mean(0), rowvar=False)
        theirs = np.linalg.eigh(cov)[1][:, ::-1]
        ours = FA.fancy_pca_basis(torch.from_numpy(cov)[None])[1][0].numpy()
        a = a * np.sign((theirs * ours).sum(0))
    ref = fp.fancy_pca(u, a.astype(np.float32)).reshape(u.shape)
    assert np.abs(ref - y).max() < 1e-5


def test_fancy_pca_weights_are_normal_with_std_alpha():
    op = albu.AlbuFancyPCA(0.2)
    seeds = torch.randint(0, 2**62, (4000,), generator=torch.Generator().manual_seed(0))
    a = op.weights(seeds, 3)
    assert abs(float(a.mean())) < 0.01 and abs(float(a.std()) - 0.2) < 0.01
    assert abs(float(torch.corrcoef(a.T)[0, 1])) < 0.05  # components independent


def test_fancy_pca_gradient_is_finite_on_grey_and_constant_images():
    grey = torch.rand(1, 1, 12, 14).expand(1, 3, 12, 14)
    for x in (grey, torch.full((1, 3, 6, 6), 0.5), torch.rand(2, 3, 1, 1)):
        x = x.clone().double().requires_grad_()
        albu.AlbuFancyPCA(0.5, generator=torch.Generator().manual_seed(0))(x).sum().backward()
        assert torch.isfinite(x.grad).all()


def test_fancy_pca_basis_is_the_same_for_either_eigenvector_sign():
    cov = torch.tensor([[[2.0, 0.5, 0.1], [0.5, 1.0, 0.2], [0.1, 0.2, 0.5]]], dtype=torch.float64)
    lam, vec = FA.fancy_pca_basis(cov)
    assert (lam[0, :-1] >= lam[0, 1:]).all()
    torch.testing.assert_close(vec @ torch.diag_embed(lam) @ vec.transpose(1, 2), cov)
    assert (vec.gather(1, vec.abs().argmax(1, keepdim=True)) > 0).all()


# ----------------------------------------------------------------------------------------------- GlassBlur
@pytest.mark.parametrize(("mode", "channels"), [("fast", 3), ("exact", 3), ("fast", 1), ("exact", 1)])
def test_glass_blur_swaps_equal_albumentations_loop(mode, channels):
    """A tiny sigma (1-tap kernel) isolates the swaps: NumPy's fancy-index swap (fast) and its per-position loop
    (exact: a copy through views on RGB, a swap on one channel) reproduced exactly."""
    rng = np.random.default_rng(channels)
    u = rng.random((23, 30, channels)).astype(np.float32)
    nh, nw = FA.glass_swap_count((23, 30), 3)
    dxy = rng.integers(-3, 3, size=(nh * nw, 3, 2))
    ref = fb.glass_blur(u, 1e-4, 3, 3, dxy, mode).reshape(u.shape)
    src = FA.glass_blur_source(torch.from_numpy(dxy)[None], (23, 30), 3, mode, swap=channels == 1)
    assert np.array_equal(ref, _hwc(FA.gather_pixels(_x(u).float(), src)))


@pytest.mark.parametrize("mode", ["fast", "exact"])
def test_glass_blur_equals_albumentations_with_our_offsets(mode):
    u = make_image(48, 64)
    op = albu.AlbuGlassBlur(0.7, 3, 2, mode, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        y = _hwc(op(_x(u) / 255)) * 255
    ref = fb.glass_blur(u, 0.7, 3, 2, op._params["dxy"][0].long().numpy(), mode).astype(float)
    err = np.abs(ref - y)
    assert err.max() <= 1.0 and err.mean() < 0.35  # Albumentations rounds to uint8 after the first blur


def test_glass_blur_offsets_are_drawn_per_image_in_albumentations_range():
    op = albu.AlbuGlassBlur(0.7, 4, 2, generator=torch.Generator().manual_seed(0))
    prm = op.sample(3, (20, 24), op.generator, torch.device("cpu"))
    d = prm["dxy"]
    assert d.shape == (3, 12 * 16, 2, 2) and int(d.min()) == -4 and int(d.max()) == 3
    assert not torch.equal(d[0], d[1])
    x = torch.rand(1, 3, 20, 24).expand(3, -1, -1, -1)
    y = op(x)
    assert not torch.equal(y[0], y[1])


def test_glass_blur_on_images_smaller_than_the_swaps_only_blurs():
    x = torch.rand(2, 3, 7, 30, dtype=torch.float64)
    op = albu.AlbuGlassBlur(0.7, 4, 2, generator=torch.Generator().manual_seed(0))
    k = FA.cv_gaussian_1d(FA.glass_blur_ksize(0.7), torch.full((2,), 0.7))
    torch.testing.assert_close(op(x), FA.separable_blur(FA.separable_blur(x, k), k))


# ----------------------------------------------------------------------------------------------- RandomGridShuffle
def _tiles(prm, i=0):
    r, c = prm["rows"][i], prm["cols"][i]
    return np.array([(r[a], c[b], r[a + 1], c[b + 1]) for a in range(len(r) - 1) for b in range(len(c) - 1)])


@pytest.mark.parametrize(("grid", "size"), [((3, 3), (17, 22)), ((2, 5), (40, 33)), ((4, 1), (3, 9))])
def test_grid_shuffle_equals_albumentations_for_our_tiles(grid, size):
    u = np.random.default_rng(0).random((*size, 3)).astype(np.float32)
    op = albu.AlbuRandomGridShuffle(grid, generator=torch.Generator().manual_seed(sum(size)))
    kps = torch.tensor([[[0.0, 0.0], [size[1] - 0.5, size[0] - 0.5], [5.5, 2.25], [-1.0, 2.0], [size[1], 1.0]]])
    img, kp = K.AugmentationSequential(op, data_keys=["input", "keypoints"])(_x(u), kps.double())
    prm = op._params if "mapping" in op._params else None
    tiles, mapping = _tiles(prm), prm["mapping"][0].tolist()
    assert np.array_equal(fg.swap_tiles_on_image(u, tiles, mapping), _hwc(img).astype(np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # keypoints outside the image: Albumentations warns
        ref = fg.swap_tiles_on_keypoints(kps[0].numpy().astype(np.float64), tiles, np.array(mapping))
    assert np.array_equal(ref, kp[0].numpy())


def test_grid_shuffle_permutes_only_tiles_of_one_shape_and_uniformly():
    op = albu.AlbuRandomGridShuffle((2, 2))
    g = torch.Generator().manual_seed(0)
    prm = op.sample(2400, (4, 4), g, torch.device("cpu"))  # four 2x2 tiles: 24 permutations
    counts = torch.bincount(torch.tensor([hash(tuple(m)) % 1000003 for m in prm["mapping"].tolist()]))
    perms = {tuple(m) for m in prm["mapping"].tolist()}
    assert perms == set(itertools.permutations(range(4)))
    chi2 = float(((counts[counts > 0] - 100.0) ** 2 / 100).sum())
    assert chi2 < 60  # 23 degrees of freedom: p < 1e-4
    prm = op.sample(500, (5, 7), g, torch.device("cpu"))  # tiles of 3x4, 3x3, 2x4, 2x3: each its own group
    for i in range(20):
        t = _tiles(prm, i)
        shape = t[:, 2:] - t[:, :2]
        assert (shape[prm["mapping"][i].numpy()] == shape).all()
    heights = prm["rows"][:, 1] - prm["rows"][:, 0]
    assert set(heights.tolist()) == {2, 3}  # the longer interval is drawn first or second


def test_grid_shuffle_masks_follow_the_image_and_boxes_are_refused():
    x = torch.rand(3, 2, 12, 15)
    seq = K.AugmentationSequential(albu.AlbuRandomGridShuffle((3, 2), generator=torch.Generator().manual_seed(0)),
                                   data_keys=["input", "mask"])
    y, m = seq(x, x[:, :1].clone())
    assert torch.equal(y[:, :1], m)
    cfg = _compose({"__class_fullname__": "RandomGridShuffle", "grid": [2, 2], "p": 1.0},
                   bbox_params={"format": "pascal_voc"})
    with pytest.raises(UnsupportedTransformError, match=r"transform\.transforms\[0\]: RandomGridShuffle with bbox"):
        from_albumentations(cfg)
    with pytest.warns(UserWarning):
        pipe = from_albumentations(cfg, strict=False)
    assert pipe(torch.rand(2, 3, 16, 16)).shape == (2, 3, 16, 16)


# ----------------------------------------------------------------------------------------------- AdditiveNoise
_DIST = [("uniform", {"ranges": [(-0.2, 0.1)]}, -0.05, 0.3 / math.sqrt(12)),
         ("gaussian", {"mean_range": (0.05, 0.05), "std_range": (0.1, 0.1)}, 0.05, 0.1),
         ("laplace", {"mean_range": (-0.05, -0.05), "scale_range": (0.1, 0.1)}, -0.05, 0.1 * math.sqrt(2)),
         ("beta", {"alpha_range": (2, 2), "beta_range": (5, 5), "scale_range": (0.2, 0.2)},
          (2 * 2 / 7 - 1) * 0.2, 2 * 0.2 * math.sqrt(10 / (49 * 8)))]


@pytest.mark.parametrize(("kind", "params", "mean", "std"), _DIST, ids=[d[0] for d in _DIST])
@pytest.mark.parametrize("mode", ["per_pixel", "shared", "constant"])
def test_additive_noise_distributions(kind, params, mode, mean, std):
    op = albu.AlbuAdditiveNoise(kind, mode, params, generator=torch.Generator().manual_seed(0))
    n = 4000 if mode == "constant" else 2
    prm = op.sample(n, (64, 64), op.generator, torch.device("cpu"))
    noise = op.noise(prm, (n, 3, 64, 64), torch.float64, torch.device("cpu"))
    assert noise.shape == {"constant": (n, 3, 1, 1), "shared": (n, 1, 64, 64), "per_pixel": (n, 3, 64, 64)}[mode]
    assert abs(float(noise.mean()) - mean) < 0.1 * std and abs(float(noise.std()) - std) < 0.05 * std
    if kind == "uniform":
        assert float(noise.min()) >= -0.2 and float(noise.max()) <= 0.1


def test_additive_noise_constant_ranges_per_channel_and_shared_map():
    op = albu.AlbuAdditiveNoise("uniform", "constant", {"ranges": [(0.1, 0.1), (-0.2, -0.2), (0, 0.05)]})
    x = torch.full((2, 3, 4, 5), 0.5)
    y = op(x)
    assert torch.allclose(y[:, 0], torch.tensor(0.6)) and torch.allclose(y[:, 1], torch.tensor(0.3))
    assert ((y[:, 2] >= 0.5) & (y[:, 2] <= 0.55)).all() and (y[:, 2] == y[:, 2, :1, :1]).all()
    with pytest.raises(ValueError, match="2 ranges for an image of 3 channels"):
        albu.AlbuAdditiveNoise("uniform", "constant", {"ranges": [(0, 0.1), (0, 0.1)]})(x)
    shared = albu.AlbuAdditiveNoise("gaussian", "shared", {"mean_range": (0, 0), "std_range": (0.1, 0.1)})
    d = shared(x) - x
    assert torch.equal(d[:, 0], d[:, 1]) and torch.equal(d[:, 1], d[:, 2])


@pytest.mark.parametrize("approximation", [0.5, 0.25, 0.0])
def test_additive_noise_approximation_resizes_like_albumentations(approximation):
    op = albu.AlbuAdditiveNoise("gaussian", "per_pixel", {"mean_range": (0, 0), "std_range": (0.1, 0.1)},
                                approximation=approximation, generator=torch.Generator().manual_seed(0))
    prm = op.sample(1, (30, 41), op.generator, torch.device("cpu"))
    full = op.noise(prm, (1, 3, 30, 41), torch.float64, torch.device("cpu"))
    small = (max(1, int(30 * approximation)), max(1, int(41 * approximation)))
    low = FA.counter_noise(prm["seed"], (1, 3, *small), "normal", torch.float64, torch.device("cpu")) * 0.1
    ref = fg.resize(_hwc(low).astype(np.float32), (30, 41), interpolation=1)
    assert np.abs(ref.reshape(30, 41, 3) - _hwc(full)).max() < 1e-5


def test_additive_noise_params_checked_as_albumentations():
    for bad, match in [({"ranges": [(-2, 0)]}, "ranges"), ({"mean_range": (0, 0)}, "exactly"),
                       ({"noise_type": "gaussian", "ranges": [(0, 0)]}, "noise_type")]:
        with pytest.raises(ValueError, match=match):
            albu.AlbuAdditiveNoise("uniform", "constant", bad)
    with pytest.raises(ValueError, match="spatial_mode"):
        albu.AlbuAdditiveNoise("uniform", "everywhere")
    cfg = _compose({"__class_fullname__": "AdditiveNoise", "noise_type": "laplace", "p": 1.0,
                    "noise_params": {"mean_range": [0, 0], "std_range": [0, 0.1]}})
    with pytest.raises(ValueError, match=r"transform\.transforms\[0\]: AdditiveNoise: .*exactly"):
        from_albumentations(cfg)


# ----------------------------------------------------------------------------------------------- configs
@pytest.mark.parametrize("version", ["0.4.6", "1.3.1"])
def test_old_configs_load_with_their_meaning(version):
    ts = [{"__class_fullname__": f"albumentations.augmentations.transforms.{n}", "always_apply": False, "p": 1.0,
           **kw} for n, kw in [("FancyPCA", {"alpha": 0.2}), ("GlassBlur", {"sigma": 0.5, "max_delta": 2,
                                                                            "iterations": 1}),
                               ("RandomGridShuffle", {"grid": [2, 3]})]]
    pipe = from_albumentations({"__version__": version, **_compose(*ts)})
    ops = list(pipe.children())
    assert [o.albu_name for o in ops] == ["FancyPCA", "GlassBlur", "RandomGridShuffle"]
    assert ops[0].config()["alpha"] == 0.2 and ops[1].config()["mode"] == "fast" and ops[2].config()["grid"] == (2, 3)
    assert pipe(torch.rand(2, 3, 24, 24)).shape == (2, 3, 24, 24)


@pytest.mark.parametrize(("name", "kw"), [("FancyPCA", {"alpha": 0.3}),
                                          ("GlassBlur", {"sigma": 0.4, "max_delta": 2, "iterations": 3,
                                                         "mode": "exact"}),
                                          ("RandomGridShuffle", {"grid": (2, 4)}),
                                          ("AdditiveNoise", {"noise_type": "beta", "spatial_mode": "shared",
                                                             "approximation": 0.5}),
                                          ("AdditiveNoise", {})])
def test_albumentations_configs_round_trip(name, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = A.to_dict(A.Compose([getattr(A, name)(**kw, p=0.7)]))
    pipe = from_albumentations(cfg)
    out = to_albumentations(pipe)["transform"]["transforms"][0]
    want = cfg["transform"]["transforms"][0]
    hand = to_albumentations(torch.nn.Sequential(next(iter(pipe.children()))))["transform"]["transforms"][0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        t = A.from_dict({"transform": hand})
    for k, v in want.items():
        if k != "__class_fullname__":
            assert plain(out[k]) == pytest.approx(plain(v)) if not isinstance(v, dict) else plain(out[k]) == plain(v), k
        if k not in ("__class_fullname__", "p"):
            got = plain(getattr(t, k))
            assert (got == plain(v)) if isinstance(v, (dict, str)) else got == pytest.approx(plain(v)), k


def test_the_corpus_config_with_additive_noise_runs():
    pipe = from_albumentations("tests/adapters/wild/rtdetrv2_weather_det.json")
    (op,) = [m for m in pipe.modules() if isinstance(m, albu.AlbuAdditiveNoise)]
    assert op.config()["spatial_mode"] == "shared" and op.config()["noise_params"]["std_range"] == (0.01, 0.03)
