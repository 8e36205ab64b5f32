"""The pixel effects (weather, lighting, noise, compression, emboss, defocus) against Albumentations 2.0.8:
their kernels pixel by pixel under replayed parameters (our draws handed to Albumentations' own functions), 1.x
parameter names converted, refusals named, and export back to a config that Albumentations reads."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

A = pytest.importorskip("albumentations")
fp = pytest.importorskip("albumentations.augmentations.pixel.functional")

from albu_parity import test_image as make_image  # noqa: E402
from kornia_diffaug.adapters.albumentations import (  # noqa: E402
    UnsupportedTransformError,
    from_albumentations,
    to_albumentations,
)

import kornia_diffaug.functional.albu as FA  # noqa: E402
from kornia_diffaug.ops import albu  # noqa: E402


def _x(u: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(u).permute(2, 0, 1)[None].double() / 255


def _levels(y: torch.Tensor) -> np.ndarray:
    return y[0].permute(1, 2, 0).numpy() * 255


def _draw(op, u):
    x = _x(u)
    with torch.no_grad():
        y = op(x)
    return x, y, {k: v[0] for k, v in op._params.items()}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fog_equals_albumentations_with_our_particles(seed):
    u = make_image(48, 64)
    op = albu.AlbuRandomFog(0.08, (0.3, 1.0), generator=torch.Generator().manual_seed(seed))
    _, y, prm = _draw(op, u)
    keep = prm["valid"]
    pos = [tuple(int(v) for v in c) for c in prm["centers"][keep]]
    rad = [int(r) for r in prm["radius"][keep]]
    a = fp.add_fog(u, float(prm["intensity"]), 0.08, pos, rad).astype(float)
    err = np.abs(a - _levels(y))
    assert err.mean() < 1.0 and err.max() <= 8  # ours blends in float, Albumentations rounds every particle


def test_fog_particle_counts_follow_albumentations_rule():
    """The particle count for a fixed intensity is Albumentations' own (its loop, counted)."""
    import random

    for h, w, inten in [(48, 64, 0.5), (100, 80, 0.3), (31, 31, 1.0)]:
        op = albu.AlbuRandomFog(0.08, (inten, inten))
        prm = op.sample(1, (h, w), torch.Generator().manual_seed(0), torch.device("cpu"))
        t = A.RandomFog(fog_coef_range=(inten, inten), p=1)
        t.py_random = random.Random(0)
        theirs = t.get_params_dependent_on_data({"shape": (h, w, 3)}, {})
        assert int(prm["valid"].sum()) == len(theirs["particle_positions"])
        assert prm["radius"][prm["valid"]].min() >= min(theirs["radiuses"]) - 1


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_shadow_equals_albumentations_with_our_polygons(seed):
    u = make_image(48, 64)
    op = albu.AlbuRandomShadow((0, 0.2, 1, 1), (1, 3), 6, (0.3, 0.7), generator=torch.Generator().manual_seed(seed))
    _, y, prm = _draw(op, u)
    act = prm["active"]
    verts = [v.numpy().astype(np.int32) for v in prm["vertices"][act]]
    a = fp.add_shadow(u, verts, prm["intensity"][act].double().numpy()).astype(float)
    err = np.abs(a - _levels(y))
    assert err.max() <= 0.5 * 3 + 1e-6  # rounding alone: Albumentations rounds after each of up to 3 shadows
    mask = FA.polygon_masks(prm["vertices"][act][None], (48, 64))[0].any(0).numpy()
    import cv2

    theirs = np.zeros((48, 64), np.uint8)
    for v in verts:
        cv2.fillPoly(theirs, [v], 255)
    assert np.array_equal(mask, theirs > 0)  # the same pixels, fillPoly's outline included


@pytest.mark.parametrize(("seed", "width", "blur"), [(0, 1, 7), (1, 1, 1), (2, 1, 4), (3, 2, 3)])
def test_rain_equals_albumentations_with_our_drops(seed, width, blur):
    u = make_image(48, 64)
    op = albu.AlbuRandomRain((-12, 12), drop_length=9, drop_width=width, drop_color=(0.8, 0.7, 0.9),
                             blur_value=blur, brightness_coefficient=0.8, generator=torch.Generator().manual_seed(seed))
    _, y, prm = _draw(op, u)
    a = fp.add_rain(u, float(prm["slant"]), 9, width, (204, 178, 229), blur, 0.8,
                    prm["drops"].numpy().astype(np.int32)).astype(float)
    err = np.abs(a - _levels(y))
    if width == 1:
        # the same LINE_4 pixels up to rounding, except where a drop leaves the image: OpenCV clips the line first
        # and starts its Bresenham path at the clipped end (a few pixels at the left/right border)
        off = err.max(-1) > 1.0 + 1e-6
        assert off.mean() < 0.005 and not off[:, 6:-6].any()
    else:  # thick lines: a disk of the width around the thin line, not OpenCV's polygon (measured: 4 levels)
        assert err.mean() < 5.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sun_flare_equals_albumentations_with_our_circles(seed):
    u = make_image(48, 64)
    op = albu.AlbuRandomSunFlare(src_radius=40, src_color=(1.0, 0.9, 0.8),
                                 generator=torch.Generator().manual_seed(seed))
    _, y, prm = _draw(op, u)
    circles = []
    colors = (prm["circle_colors"] * 255).round().tolist()
    for (alpha, px, py, r), col in zip(prm["circles"].tolist(), colors, strict=True):
        if alpha > 0:
            circles.append((alpha, (int(px), int(py)), int(r), tuple(int(c) for c in col)))
    center = tuple(int(v) for v in prm["center"])
    a = fp.add_sun_flare_overlay(u, center, 40, (255, 230, 204), circles).astype(float)
    err = np.abs(a - _levels(y))
    assert err.mean() < 0.5 and err.max() <= 3  # Albumentations rounds after each of ~15 blends


def test_iso_noise_equals_albumentations_with_our_noise():
    u = make_image(48, 64)
    seed, cs, it = torch.tensor([12345]), torch.tensor([0.05]), torch.tensor([0.5])
    y = FA.iso_noise(_x(u), seed, cs, it)

    class Replayed:  # hands our noise maps to Albumentations' iso_noise
        def poisson(self, lam, size):
            counts, self.hue = FA.iso_noise_fields(seed, (1, *size), torch.tensor([float(lam[0])]), cs * it, 16,
                                                   torch.float64, torch.device("cpu"))
            return counts[0, 0].numpy()

        def normal(self, loc, scale, size):
            return self.hue[0, 0].numpy()

    a = fp.iso_noise(u, 0.05, 0.5, Replayed()).astype(float)
    assert np.abs(a - _levels(y)).max() <= 0.5 + 1e-6


def test_salt_and_pepper_counts_are_exact():
    x = torch.rand(4, 3, 20, 30, generator=torch.Generator().manual_seed(0)) * 0.5 + 0.25
    amount, ratio = torch.tensor([0.0, 0.05, 0.3, 1.0]), torch.tensor([0.5, 0.4, 1.0, 0.25])
    y = FA.salt_and_pepper(x, torch.tensor([1, 2, 3, 4]), amount, ratio)
    for i in range(4):
        n = int(600 * float(amount[i]))
        salt = int((y[i] == 1).all(0).sum())
        pepper = int((y[i] == 0).all(0).sum())
        assert salt == int(n * float(ratio[i])) and salt + pepper == n


def test_salt_and_pepper_gradient_is_zero_exactly_on_replaced_pixels():
    x = (torch.rand(2, 3, 10, 12, generator=torch.Generator().manual_seed(1)) * 0.5 + 0.25).requires_grad_()
    op = albu.AlbuSaltAndPepper((0.2, 0.2), generator=torch.Generator().manual_seed(0))
    y = op(x)
    y.sum().backward()
    replaced = (y.detach() == 0) | (y.detach() == 1)
    assert torch.equal(x.grad == 0, replaced)


def test_emboss_defocus_snow_and_jpeg_follow_their_tables():
    from albu_parity import measure

    for name, case, bound in [("Emboss", {"alpha": (1.0, 1.0), "strength": (1.0, 1.0)}, 1),
                              ("Defocus", {"radius": (10, 10), "alias_blur": (0.5, 0.5)}, 1),
                              ("Defocus", {"radius": (2, 2), "alias_blur": (0.0, 0.0)}, 1),
                              ("RandomSnow", {"snow_point_range": (0.6, 0.6), "brightness_coeff": 1.5}, 4)]:
        r = measure(name, case)
        assert r.max_err <= bound + 0.5 + 1e-6, (name, r.figure)
    for q in (10, 75, 95):
        assert measure("ImageCompression", {"quality_range": (q, q)}).mean_err < 2.5


def test_jpeg_codes_in_opencv_channel_order():
    """OpenCV reads RGB as BGR: coding in Kornia's RGB order would be about twice as far from Albumentations."""
    u = make_image(48, 64)
    a = fp.image_compression(u, 40, ".jpg").astype(float)
    ours = _levels(FA.jpeg(_x(u), torch.tensor([40.0])))
    swapped = _levels(FA.jpeg(_x(u[..., ::-1].copy()), torch.tensor([40.0])))[..., ::-1]
    assert np.abs(a - ours).mean() * 1.5 < np.abs(a - swapped).mean()


@pytest.mark.parametrize("channels", [1, 2, 4])
def test_jpeg_other_channel_counts_like_albumentations(channels):
    u = np.concatenate([make_image(32, 40)] * 2, -1)[..., :channels]
    a = fp.image_compression(u, 60, ".jpg").astype(float).reshape(32, 40, channels)
    ours = _levels(FA.jpeg(_x(u), torch.tensor([60.0])))
    assert np.abs(a - ours).mean() < 2.0


def test_jpeg_gradient_reaches_the_input_in_half_precision():
    x = torch.rand(2, 3, 16, 16, dtype=torch.bfloat16, requires_grad=True)
    y = albu.AlbuImageCompression((30, 60), generator=torch.Generator().manual_seed(0))(x)
    y.float().sum().backward()
    assert y.dtype == torch.bfloat16 and torch.isfinite(x.grad.float()).all() and x.grad.abs().sum() > 0


def _load(t):
    cfg = {"__version__": "1.3.1", "transform": {"__class_fullname__": "Compose", "p": 1.0, "transforms": [t]}}
    return from_albumentations(cfg, generator=torch.Generator().manual_seed(0))


# (1.x entry, the 2.x parameters it means)
ONE_X = [
    ({"__class_fullname__": "albumentations.augmentations.transforms.JpegCompression", "quality_lower": 40,
      "quality_upper": 60}, "ImageCompression", {"quality_range": (40, 60)}),
    ({"__class_fullname__": "ImageCompression", "quality_lower": 30, "quality_upper": 35, "compression_type": 0},
     "ImageCompression", {"quality_range": (30, 35)}),
    ({"__class_fullname__": "RandomFog", "fog_coef_lower": 0.2, "fog_coef_upper": 0.4, "alpha_coef": 0.1},
     "RandomFog", {"fog_coef_range": (0.2, 0.4), "alpha_coef": 0.1}),
    ({"__class_fullname__": "RandomSnow", "snow_point_lower": 0.15, "snow_point_upper": 0.25, "brightness_coeff": 2.0},
     "RandomSnow", {"snow_point_range": (0.15, 0.25), "brightness_coeff": 2.0}),
    ({"__class_fullname__": "RandomRain", "slant_lower": -5, "slant_upper": 7, "drop_length": 12,
      "drop_color": [100, 150, 200], "rain_type": None}, "RandomRain",
     {"slant_range": (-5.0, 7.0), "drop_length": 12, "drop_color": (100 / 255, 150 / 255, 200 / 255)}),
    ({"__class_fullname__": "RandomSunFlare", "angle_lower": 0.1, "angle_upper": 0.2, "num_flare_circles_lower": 3,
      "num_flare_circles_upper": 5, "src_radius": 50}, "RandomSunFlare",
     {"angle_range": (0.1, 0.2), "num_flare_circles_range": (3, 5), "src_radius": 50}),
    ({"__class_fullname__": "RandomShadow", "num_shadows_lower": 2, "num_shadows_upper": 3, "shadow_roi": [0, 0, 1, 1]},
     "RandomShadow", {"num_shadows_limit": (2, 3), "shadow_roi": (0.0, 0.0, 1.0, 1.0)}),
]


@pytest.mark.parametrize(("entry", "name", "means"), ONE_X, ids=[e[1] + str(i) for i, e in enumerate(ONE_X)])
def test_1x_parameters_are_converted_and_exported_as_2x(entry, name, means):
    pipe = _load({**entry, "p": 1.0})
    (op,) = list(pipe.children())
    assert op.albu_name == name and pipe.albumentations_dropped == []
    cfg = op.config()
    for k, v in means.items():
        assert cfg[k] == pytest.approx(v), k
    out = to_albumentations(pipe)["transform"]["transforms"][0]
    assert out["__class_fullname__"] == name
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # Albumentations warns on (and drops) unknown parameters
        t = A.from_dict({"transform": out})
    for k, v in means.items():
        got = getattr(t, k)
        want = tuple(round(c * 255) for c in v) if k == "drop_color" else v
        assert got == pytest.approx(want), k
    assert y_runs(pipe)


def y_runs(pipe) -> bool:
    return bool(torch.isfinite(pipe(torch.rand(2, 3, 24, 24))).all())


@pytest.mark.parametrize(("entry", "match"), [
    ({"__class_fullname__": "ImageCompression", "compression_type": "webp"}, "compression_type='webp'"),
    ({"__class_fullname__": "ImageCompression", "compression_type": 1}, "compression_type=1"),
    ({"__class_fullname__": "RandomSnow", "method": "texture"}, "method='texture'"),
    ({"__class_fullname__": "RandomSunFlare", "method": "physics_based"}, "method='physics_based'"),
    ({"__class_fullname__": "Superpixels"}, "Superpixels"),
])
def test_refused_at_load_time_naming_the_path(entry, match):
    cfg = {"transform": {"__class_fullname__": "Compose", "p": 1.0, "transforms": [entry]}}
    with pytest.raises(UnsupportedTransformError, match=r"transform\.transforms\[0\]: .*" + match):
        from_albumentations(cfg)
    with pytest.warns(UserWarning):
        from_albumentations(cfg, strict=False)


@pytest.mark.parametrize("name", ["RandomFog", "RandomRain", "RandomShadow", "RandomSunFlare", "ISONoise",
                                  "SaltAndPepper", "Emboss", "Defocus", "RandomSnow", "ImageCompression"])
def test_2x_default_config_round_trips(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = A.to_dict(A.Compose([getattr(A, name)(p=0.7)]))
    pipe = from_albumentations(cfg)
    out = to_albumentations(pipe)["transform"]["transforms"][0]
    want = cfg["transform"]["transforms"][0]
    for k, v in want.items():
        if k != "__class_fullname__":
            assert out[k] == pytest.approx(list(v) if isinstance(v, tuple) else v), k
    hand = to_albumentations(torch.nn.Sequential(next(iter(pipe.children()))))["transform"]["transforms"][0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        t = A.from_dict({"transform": hand})
    for k, v in want.items():
        if k not in ("__class_fullname__", "p"):
            assert getattr(t, k) == (pytest.approx(v) if v is not None else None), k


def test_pixel_effects_keep_masks_boxes_and_keypoints():
    cfg = {"transform": {"__class_fullname__": "Compose", "p": 1.0, "transforms": [
        {"__class_fullname__": n, "p": 1.0} for n in ("RandomFog", "RandomRain", "RandomShadow", "RandomSunFlare",
                                                     "ISONoise", "SaltAndPepper", "Emboss", "Defocus", "RandomSnow",
                                                     "ImageCompression")],
        "bbox_params": {"format": "pascal_voc"}, "keypoint_params": {"format": "xy"}}}
    pipe = from_albumentations(cfg)
    boxes = torch.tensor([[[2.0, 3.0, 20.0, 25.0]], [[5.0, 5.0, 9.0, 30.0]]])
    kps = torch.tensor([[[4.0, 7.0]], [[10.0, 12.0]]])
    out = pipe(torch.rand(2, 3, 32, 32), boxes, kps)
    assert torch.equal(out[1], boxes) and torch.equal(out[2], kps)
