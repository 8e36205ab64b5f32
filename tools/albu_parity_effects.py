"""Distribution checks of the random pixel effects (``RandomFog``, ``RandomRain``, ``RandomShadow``,
``RandomSunFlare``, ``ISONoise``, ``SaltAndPepper``) for ``albu_parity._distribution``: statistics of 200 draws
of each library on the same image, in uint8 levels. (Their kernels are checked pixel by pixel under replayed
parameters in ``tests/adapters/test_albu_effects.py``.)"""

from __future__ import annotations

import numpy as np

__all__ = ["EFFECTS", "effect_distribution"]

EFFECTS = ("ISONoise", "RandomFog", "RandomRain", "RandomShadow", "RandomSunFlare", "SaltAndPepper")


def effect_distribution(name: str, f: np.ndarray, ours: np.ndarray, theirs: np.ndarray) -> tuple[float, float, str,
                                                                                                  bool]:
    """``(gap, 0, figure, ok)`` for images ``f`` (H, W, C) and the draws ``ours`` / ``theirs`` (N, H, W, C) in
    [0, 1]."""
    if name == "SaltAndPepper":
        def frac(y, v):
            return float((np.abs(y - v).max(-1) < 1e-9).mean() - (np.abs(f - v).max(-1) < 1e-9).mean())
        so, st = frac(ours, 1.0), frac(theirs, 1.0)
        po, pt = frac(ours, 0.0), frac(theirs, 0.0)
        gap = max(abs(so - st), abs(po - pt))
        return gap, 0.0, f"salt / pepper fraction {so:.4f} / {po:.4f} vs {st:.4f} / {pt:.4f}", gap < 0.003
    mo = np.abs(ours - f).mean() * 255
    mt = np.abs(theirs - f).mean() * 255
    so = np.abs(ours - f).mean((1, 2, 3)).std() * 255
    st = np.abs(theirs - f).mean((1, 2, 3)).std() * 255
    rel = abs(mo - mt) / max(mt, 1e-9)
    fig = (f"mean change {mo:.2f} vs {mt:.2f} levels ({rel:.0%} apart); its spread over draws {so:.2f} vs "
           f"{st:.2f}")
    return abs(mo - mt), 0.0, fig, rel < 0.15
