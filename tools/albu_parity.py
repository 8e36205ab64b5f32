"""Parity of the mapped transforms against Albumentations itself (needs albumentations and numpy; used by
``tests/adapters/test_albu_parity.py`` and by ``tools/albu_docs.py``, which writes ``docs/albumentations.md``).
Not part of the installed package: it reads the adapter's public API (the table's parity cases) only.

Albumentations gets uint8 HWC ``u``; the Kornia pipeline gets ``u / 255`` as float BCHW. Errors are in units of
1/255 of the range (uint8 levels): ``max`` over all pixels, ``mean`` away from a border margin.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from kornia_diffaug.adapters.albumentations import TABLE, from_albumentations

__all__ = ["Parity", "measure", "measure_all", "test_image"]

MARGIN = 4  # pixels left out at each border for the resampling errors


@dataclass
class Parity:
    name: str
    kind: str
    bound: float
    max_err: float
    mean_err: float
    figure: str
    ok: bool


def test_image(h: int = 48, w: int = 64, seed: int = 0) -> np.ndarray:
    """A deterministic uint8 RGB test image: smooth colour gradients, a few edges, mild texture."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 90 * np.sin(xx / 7.0) * np.cos(yy / 9.0)
    g = 40 + 170 * (xx / max(w - 1, 1))
    b = 60 + 150 * (yy / max(h - 1, 1))
    img = np.stack([r, g, b], -1)
    img[h // 4 : h // 2, w // 3 : w // 2] = (230, 30, 60)
    img += rng.normal(0, 6, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def _run_albu(params: dict[str, Any], u: np.ndarray) -> np.ndarray:
    import albumentations as A

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = A.from_dict({"transform": params})
        return t(image=u)["image"]


def _run_kornia(params: dict[str, Any], u: np.ndarray, seed: int = 0) -> np.ndarray:
    pipe = from_albumentations({"transform": params}, generator=torch.Generator().manual_seed(seed))
    x = torch.from_numpy(u).permute(2, 0, 1).unsqueeze(0).double() / 255
    with torch.no_grad():
        y = pipe(x)
    return y[0].permute(1, 2, 0).numpy()


def _distribution(name: str, case: dict[str, Any], u: np.ndarray) -> tuple[float, float, str, bool]:
    """Statistics of many draws of both libraries (for transforms whose parameters cannot be pinned)."""
    n = 200
    x = torch.from_numpy(u).permute(2, 0, 1).unsqueeze(0).double().repeat(n, 1, 1, 1) / 255
    params = {"__class_fullname__": name, "p": 1.0, **case}
    pipe = from_albumentations({"transform": params}, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ours = pipe(x).numpy().transpose(0, 2, 3, 1)
    import albumentations as A

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = A.from_dict({"transform": params})
        t.set_random_seed(1)
        theirs = np.stack([t(image=u)["image"] for _ in range(n)]).astype(np.float64) / 255
    f = u.astype(np.float64) / 255
    if name == "GaussNoise":
        a, b = (theirs - f)[:, 8:-8, 8:-8].std(), (ours - f)[:, 8:-8, 8:-8].std()
        return abs(a - b) * 255, 0.0, f"noise std {b * 255:.2f} vs {a * 255:.2f} levels", abs(a - b) * 255 < 1.0
    if name in ("RandomRotate90", "ChannelShuffle"):
        def variant(img):
            if name == "RandomRotate90":
                cands = [np.rot90(f, k) for k in range(4)]
            else:
                cands = [f[..., list(pp)] for pp in ((0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0))]
            errs = [np.abs(img - c).max() if c.shape == img.shape else 9 for c in cands]
            return int(np.argmin(errs)), float(min(errs))
        vo = [variant(o) for o in ours]
        vt = [variant(o) for o in theirs]
        k = 4 if name == "RandomRotate90" else 6
        fo = np.bincount([v for v, _ in vo], minlength=k) / n
        ft = np.bincount([v for v, _ in vt], minlength=k) / n
        worst = max(e for _, e in vo) * 255
        tv = 0.5 * np.abs(fo - ft).sum()
        return worst, tv, f"exact per draw (max {worst:.1g}); variant frequencies TV distance {tv:.2f}", (
            worst < 1e-3 and tv < 0.2)
    if name == "ElasticTransform":
        mo = np.abs(ours - f)[:, 8:-8, 8:-8].mean() * 255
        mt = np.abs(theirs - f)[:, 8:-8, 8:-8].mean() * 255
        rel = abs(mo - mt) / max(mt, 1e-9)
        return abs(mo - mt), 0.0, f"mean change {mo:.2f} vs {mt:.2f} levels ({rel:.0%} apart)", rel < 0.15
    if name == "RandomCrop":
        def offset(img):
            h, w = img.shape[:2]
            for y in range(f.shape[0] - h + 1):
                for x in range(f.shape[1] - w + 1):
                    if np.abs(f[y : y + h, x : x + w] - img).max() < 1e-9:
                        return y, x
            return -1, -1
        oo = np.array([offset(o) for o in ours[:50]])
        ot = np.array([offset(o) for o in theirs[:50]])
        exact = bool((oo >= 0).all())
        gap = float(np.abs(oo.mean(0) - ot.mean(0)).max())
        (oy, ox), (ty, tx) = oo.mean(0), ot.mean(0)
        fig = f"exact crops; mean offset (y, x) ({oy:.1f}, {ox:.1f}) vs ({ty:.1f}, {tx:.1f})"
        return 0.0 if exact else math.inf, gap, fig, exact and gap < 3
    if name == "ChannelDropout":
        zo = (ours.reshape(n, -1, 3).max(1) == 0).sum(1).mean()
        zt = (theirs.reshape(n, -1, 3).max(1) == 0).sum(1).mean()
        return abs(zo - zt), 0.0, f"dropped channels per image {zo:.2f} vs {zt:.2f}", abs(zo - zt) < 0.05
    if name == "CoarseDropout":
        fo = (np.abs(ours - f).max(-1) > 1e-9).mean()
        ft = (np.abs(theirs - f).max(-1) > 1e-9).mean()
        return abs(fo - ft), 0.0, f"dropped area {fo:.3f} vs {ft:.3f} of the image", abs(fo - ft) < 0.02
    from albu_parity_effects import EFFECTS, effect_distribution

    if name in EFFECTS:
        return effect_distribution(name, f, ours, theirs)
    raise ValueError(f"no distribution check for {name}")


def measure(name: str, case: dict[str, Any] | None = None, u: np.ndarray | None = None) -> Parity:
    """Run ``name`` with ``case`` (default: the table's parity case) through both libraries and compare."""
    entry = TABLE[name]
    spec = entry.parity
    case = dict(spec["case"] if case is None else case)
    kind, bound = spec["kind"], spec["bound"]
    if u is None:
        u = test_image(64, 64) if name == "RandomRotate90" else test_image()
    if kind == "distribution":
        mx, mean, fig, ok = _distribution(name, case, u)
        return Parity(name, kind, bound, mx, mean, fig, ok)
    params = {"__class_fullname__": name, "p": 1.0, **case}
    a = _run_albu(params, u)
    k = _run_kornia(params, u)
    if a.shape != k.shape:
        return Parity(name, kind, bound, math.inf, math.inf, f"shape {k.shape} vs {a.shape}", False)
    if kind == "pointwise_float":
        err = np.abs(a.astype(np.float64) - k)
        return Parity(name, kind, bound, float(err.max()), float(err.mean()), f"max {err.max():.2g} (absolute)",
                      bool(err.max() <= bound))
    err = np.abs(a.astype(np.float64) - k * 255)
    if kind == "resample":
        inner = err[MARGIN:-MARGIN, MARGIN:-MARGIN]
        mean = float(inner.mean())
        return Parity(name, kind, bound, float(err.max()), mean,
                      f"mean {mean:.2f} / max {inner.max():.0f} levels away from a {MARGIN}-px border",
                      mean <= bound)
    # Continuous kernels against uint8 outputs: rounding alone costs up to 0.5 level, truncating LUTs up to 1.
    mx = float(err.max())
    return Parity(name, kind, bound, mx, float(err.mean()), f"max {mx:.2f} levels (mean {err.mean():.3f})",
                  mx <= bound + 0.5 + 1e-6)


def measure_all() -> list[Parity]:
    """Parity of every table entry that has a case (1.x aliases share their 2.x transform's figure)."""
    return [measure(n) for n, e in sorted(TABLE.items()) if e.parity["case"] is not None]
