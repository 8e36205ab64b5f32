"""kornia_diffaug.stylegan.AugmentPipe's draws: each keyword against the paper's definitions, colour on 1, 3 and 4
channels against the original's formulas, and ``debug_percentile`` against the original's fixed draws (its
matrices written out here from its description, resampled by ``benchmarks/reference_ada.py``)."""

from __future__ import annotations

import math

import pytest
import torch
from scipy import stats

from kornia_diffaug.functional.ada import ada_augment
from kornia_diffaug.stylegan import AugmentPipe, augpipe_specs

N = 4000


def seeded(seed=0, p=1.0, **kw):
    pipe = AugmentPipe(generator=torch.Generator().manual_seed(seed), **kw)
    pipe.p.copy_(torch.as_tensor(p))
    return pipe


# -- each keyword, as the paper defines it ---------------------------------------------------------------------
def _rate(mask: torch.Tensor) -> float:
    return mask.double().mean().item()


def _binomial_ok(rate: float, expected: float, n: int) -> bool:
    return abs(rate - expected) <= 4 * math.sqrt(max(expected * (1 - expected), 1e-12) / n) + 1e-12


def test_xflip_mirrors_half_the_samples_at_p_1_and_multipliers_scale_probabilities():
    x = torch.arange(6.0).view(1, 1, 1, 6).expand(N, 1, 2, 6).contiguous()
    y = seeded(7, xflip=1)(x)
    flipped, kept = (y == x.flip(-1)).flatten(1).all(1), (y == x).flatten(1).all(1)
    assert bool((flipped | kept).all()) and _binomial_ok(_rate(flipped), 0.5, N)
    # Probability multiplier times p: brightness=0.5 at p=0.8 applies to 40% of the samples.
    pipe = seeded(8, p=0.8, brightness=0.5)
    out = pipe(torch.zeros(N, 3, 1, 1))
    assert _binomial_ok(_rate(out[:, 0, 0, 0] != 0), 0.4, N)
    # rotate: before and after aniso, each with 1 - sqrt(1 - rotate * p), so that either happens with rotate * p.
    pipe = seeded(9, p=0.5, rotate=1)
    prm = pipe.sample(N, (8, 8), pipe.generator, torch.device("cpu"))
    pre, post = prm["rotate_pre"] != 0, prm["rotate_post"] != 0
    assert _binomial_ok(_rate(pre), 1 - math.sqrt(0.5), N) and _binomial_ok(_rate(pre | post), 0.5, N)


def test_magnitudes_follow_the_papers_distributions():
    pipe = seeded(10, brightness=1, contrast=1, saturation=1, scale=1, aniso=1, xfrac=1, xint=1, hue=1,
                  brightness_std=0.3, contrast_std=0.4, saturation_std=0.7, scale_std=0.1, hue_max=0.5)  # fmt: skip
    prm = pipe.sample(N, (16, 32), pipe.generator, torch.device("cpu"))

    def ks(v, dist, *args):
        return stats.kstest(v.double().numpy(), dist, args=args).pvalue > 1e-3

    assert ks(prm["brightness"], "norm", 0, 0.3)
    assert ks(torch.log2(prm["contrast"]), "norm", 0, 0.4)
    assert ks(torch.log2(prm["saturation"]), "norm", 0, 0.7)
    assert ks(torch.log2(prm["scale"]), "norm", 0, 0.1)
    assert ks(torch.log2(prm["aniso"]), "norm", 0, 0.2)
    assert ks(prm["xfrac"][:, 0] / 32, "norm", 0, 0.125) and ks(prm["xfrac"][:, 1] / 16, "norm", 0, 0.125)
    assert ks(prm["hue"], "uniform", -math.pi / 2, math.pi)
    assert prm["xint"][:, 0].abs().max() == round(0.125 * 32) and prm["xint"][:, 1].abs().max() == round(0.125 * 16)
    # On images: brightness adds its draw to every pixel, contrast scales about 0 (the middle of [-1, 1]).
    x = torch.rand(8, 3, 4, 4, dtype=torch.float64) * 2 - 1
    pipe = seeded(11, brightness=1)
    torch.testing.assert_close(pipe(x), x + pipe._params["brightness"].double().view(-1, 1, 1, 1))
    pipe = seeded(12, contrast=1)
    torch.testing.assert_close(pipe(x), x * pipe._params["contrast"].double().view(-1, 1, 1, 1))


def test_imgfilter_bands_noise_and_cutout():
    pipe = seeded(13, p=0.5, imgfilter=1, imgfilter_bands=[1, 0, 0.5, 0])
    t = pipe.sample(N, (8, 8), pipe.generator, torch.device("cpu"))["imgfilter"]
    rates = [_rate(t[:, i] != 1) for i in range(4)]
    assert _binomial_ok(rates[0], 0.5, N) and _binomial_ok(rates[2], 0.25, N) and rates[1] == rates[3] == 0
    pipe = seeded(14, noise=1)
    y = pipe(torch.zeros(N // 4, 2, 8, 8))
    sigma = pipe._params["noise"]
    torch.testing.assert_close(y, pipe._params["noise_field"] * sigma.view(-1, 1, 1, 1))
    assert stats.kstest(sigma.double().numpy(), "halfnorm", args=(0, 0.1)).pvalue > 1e-3
    pipe = seeded(15, cutout=1, cutout_size=0.25)
    y = pipe(torch.ones(N // 4, 1, 16, 16))
    centre = pipe._params["cutout_center"]
    inside = ((centre - 0.125) >= 0).all(1) & ((centre + 0.125) <= 1).all(1)
    erased = (y == 0).flatten(1).double().mean(1)
    assert torch.allclose(erased[inside], torch.full_like(erased[inside], 0.25**2))


# -- channels -------------------------------------------------------------------------------------------------
def _orig_colour_matrix(b, c, i, theta=None, s=None):
    """The original's 4x4 colour matrix for brightness ``b``, contrast ``c``, lumaflip ``i``, hue ``theta`` and
    saturation ``s`` (each (B,), None: not applied), composed left-multiplied in that order."""
    n = b.shape[0]
    eye = torch.eye(4, dtype=torch.float64).expand(n, 4, 4)
    v = torch.tensor([1, 1, 1, 0], dtype=torch.float64) / math.sqrt(3)
    vv = torch.outer(v, v)
    m = eye.clone()
    t = eye.clone()
    t[:, :3, 3] = b.view(-1, 1)
    m = t @ m
    sc = eye.clone()
    sc[:, :3, :3] *= c.view(-1, 1, 1)
    m = sc @ m
    m = (eye - 2 * vv * i.view(-1, 1, 1)) @ m
    if theta is not None:  # Rodrigues' rotation about v
        kx = torch.zeros(4, 4, dtype=torch.float64)  # the cross-product matrix of the unit grey axis
        a = 1 / math.sqrt(3)
        kx[0, 1], kx[0, 2], kx[1, 0], kx[1, 2], kx[2, 0], kx[2, 1] = -a, a, a, -a, -a, a
        cos, sin = torch.cos(theta).view(-1, 1, 1), torch.sin(theta).view(-1, 1, 1)
        rot = eye.clone()
        rot[:, :3, :3] = cos * torch.eye(3, dtype=torch.float64) + sin * kx[:3, :3] + (1 - cos) * vv[:3, :3]
        m = rot @ m
    if s is not None:
        m = (vv + (eye - vv) * s.view(-1, 1, 1)) @ m
    return m


def test_colour_on_1_3_4_channels_is_the_originals_and_hue_needs_rgb():
    pipe = seeded(16, **augpipe_specs["color"])
    x3 = torch.rand(64, 3, 5, 5, dtype=torch.float64) * 2 - 1
    y3 = pipe(x3)
    prm = {k: pipe._params[k].double() for k in ("brightness", "contrast", "lumaflip", "hue", "saturation")}
    cm = _orig_colour_matrix(prm["brightness"], prm["contrast"], prm["lumaflip"], prm["hue"], prm["saturation"])
    ref = cm[:, :3, :3] @ x3.flatten(2) + cm[:, :3, 3:]
    torch.testing.assert_close(y3, ref.view_as(x3))
    # 1 channel: the original skips hue and saturation and reduces the RGB matrix to its mean row.
    x1 = x3[:, :1]
    y1 = pipe(x1, params=pipe._params)
    c1 = _orig_colour_matrix(prm["brightness"], prm["contrast"], prm["lumaflip"])[:, :3, :].mean(1, keepdim=True)
    ref1 = x1.flatten(2) * c1[:, :, :3].sum(2, keepdim=True) + c1[:, :, 3:]
    torch.testing.assert_close(y1, ref1.view_as(x1))
    # 4 channels (StyleGAN3): colour on RGB, alpha untouched; the rest of the pipeline acts on all four.
    x4 = torch.cat([x3, torch.rand(64, 1, 5, 5, dtype=torch.float64)], 1)
    y4 = pipe(x4, params=pipe._params)
    torch.testing.assert_close(y4[:, :3], y3)
    assert torch.equal(y4[:, 3], x4[:, 3])
    with pytest.raises(ValueError, match="color_channels"):
        ada_augment(x4, pipe._params, color_channels=5)
    # Other channel counts: hue has no axis to turn about; without hue the ops act about the channel mean.
    with pytest.raises(ValueError, match="hue.*got 2 channels"):
        pipe(torch.zeros(2, 2, 4, 4))
    pipe.hue = 0
    x5 = torch.rand(8, 5, 4, 4) * 2 - 1
    y5 = pipe(x5)
    assert y5.shape == x5.shape and torch.isfinite(y5).all()


# -- debug_percentile --------------------------------------------------------------------------------------------
def _orig_debug_geometry(q: float, h: int, w: int) -> torch.Tensor:
    """The original's output-to-input matrix (centred pixel coordinates) of ``bg`` at debug percentile ``q``:
    each op right-multiplies its inverse, draws in float32 as it computes them."""
    qt = torch.tensor(q, dtype=torch.float32)
    z = torch.erfinv(qt * 2 - 1)

    def mat(a, b_, tx, c, d, ty):
        return torch.tensor([[a, b_, tx], [c, d, ty], [0, 0, 1]], dtype=torch.float64)

    def rot_inv(t):  # inverse of a rotation by t
        t = float(t)
        return mat(math.cos(-t), -math.sin(-t), 0, math.sin(-t), math.cos(-t), 0)

    g = torch.eye(3, dtype=torch.float64)
    i = float(torch.floor(qt * 2))
    g = g @ mat(1 / (1 - 2 * i), 0, 0, 0, 1, 0)  # xflip
    g = g @ rot_inv(-math.pi / 2 * float(torch.floor(qt * 4)))  # rotate90
    t = (qt * 2 - 1) * 0.125
    g = g @ mat(1, 0, -float(torch.round(t * w)), 0, 1, -float(torch.round(t * h)))  # xint
    s = float(torch.exp2(z * 0.2))
    g = g @ mat(1 / s, 0, 0, 0, 1 / s, 0)  # scale
    g = g @ rot_inv(-float((qt * 2 - 1) * math.pi))  # rotation before aniso
    s = float(torch.exp2(z * 0.2))
    g = g @ mat(1 / s, 0, 0, 0, s, 0)  # aniso (the rotation after it is 0)
    t = float(z * 0.125)
    return g @ mat(1, 0, -t * w, 0, 1, -t * h)  # xfrac


@pytest.mark.parametrize("q", [0.3, 0.7, 0.9])
def test_debug_percentile_is_the_originals_fixed_draw(q):
    from benchmarks.reference_ada import reference_resample

    h, w = 48, 40
    g = torch.Generator().manual_seed(17)
    x = torch.nn.functional.interpolate(torch.rand(2, 3, 12, 10, generator=g, dtype=torch.float64) * 2 - 1,
                                        size=(h, w), mode="bicubic")  # fmt: skip
    pipe = AugmentPipe(**augpipe_specs["bgc"], compensate_phase=False)
    pipe.p.copy_(torch.as_tensor(0.0))  # debug_percentile applies every enabled op whatever p
    ours = pipe(x, debug_percentile=q)
    assert torch.equal(ours, pipe(x, debug_percentile=torch.tensor(q))), "deterministic"
    g_inv = _orig_debug_geometry(q, h, w)
    ref = reference_resample(x, g_inv.expand(2, 3, 3))
    qt = torch.tensor(q, dtype=torch.float32)
    z = torch.erfinv(qt * 2 - 1)
    one = torch.ones(2, dtype=torch.float64)
    cm = _orig_colour_matrix(one * float(z * 0.2), one * float(torch.exp2(z * 0.5)), one * float(torch.floor(qt * 2)),
                             one * float((qt * 2 - 1) * math.pi), one * float(torch.exp2(z)))  # fmt: skip
    ref = (cm[:, :3, :3] @ ref.flatten(2) + cm[:, :3, 3:]).view_as(x)
    # Compare where the source lies 8 px inside the image (the two pad the borders differently).
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64) - (h - 1) / 2,
                            torch.arange(w, dtype=torch.float64) - (w - 1) / 2, indexing="ij")  # fmt: skip
    sx = g_inv[0, 0] * xs + g_inv[0, 1] * ys + g_inv[0, 2]
    sy = g_inv[1, 0] * xs + g_inv[1, 1] * ys + g_inv[1, 2]
    inner = (sx.abs() <= (w - 1) / 2 - 8) & (sy.abs() <= (h - 1) / 2 - 8)
    assert inner.double().mean() > 0.15
    diff = (ours - ref).abs().amax(1)[:, inner]
    assert diff.max() < 1e-5


def test_debug_percentile_deterministic_monotone_and_checked():
    pipe = seeded(18, **augpipe_specs["bgcfnc"])
    qs = [0.05, 0.2, 0.4, 0.6, 0.8, 0.95]
    prms = [pipe.debug_parameters((3, 3, 8, 8), q) for q in qs]
    for key in ("xint", "scale", "aniso", "xfrac", "brightness", "contrast", "hue", "saturation", "imgfilter",
                "noise", "cutout_center"):  # fmt: skip
        vals = torch.stack([p[key][0].flatten() for p in prms])
        assert (vals.diff(dim=0) >= 0).all() and (vals[-1] > vals[0]).all(), key
    angles = torch.stack([p["rotate_pre"][0] for p in prms])
    assert (angles.diff() < 0).all(), "the original turns the other way round"
    assert all((p["rotate_post"] == 0).all() and (p["cutout"] == 0.5).all() for p in prms)
    # Without noise (whose field the original keeps random) the output is a fixed function of q.
    x = torch.rand(3, 3, 16, 16) * 2 - 1
    det = seeded(19, **augpipe_specs["bgcf"])
    assert torch.equal(det(x, debug_percentile=0.4), seeded(20, **augpipe_specs["bgcf"])(x, debug_percentile=0.4))
    means = [seeded(0, brightness=1)(x, debug_percentile=q).mean() for q in qs]
    assert all(a < b for a, b in zip(means, means[1:], strict=False))
    # Blits at q = 0: no flip, no turn, the largest negative integer shift; exact.
    y = seeded(0, **augpipe_specs["blit"])(x, debug_percentile=0.0)
    assert torch.equal(y[..., :14, :14], x[..., 2:, 2:])
    with pytest.raises(ValueError, match="debug_percentile.*brightness"):
        seeded(0, brightness=1)(x, debug_percentile=0.0)
    with pytest.raises(ValueError, match="debug_percentile.*xflip"):
        seeded(0, xflip=1)(x, debug_percentile=1.0)
    with pytest.raises(ValueError, match="debug_percentile"):
        seeded(0, xflip=1)(x, debug_percentile=1.5)
    with pytest.raises(ValueError, match="either debug_percentile or params"):
        det(x, debug_percentile=0.5, params=det._params)
