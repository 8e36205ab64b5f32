"""Colour kernels with Albumentations' uint8 semantics on float images in [0, 1] (conventions: ``_common``).

Point operations (brightness/contrast, ``ColorJitter``, HSV shifts, gamma, solarize, posterize, sepia) and the
histogram ones (``Equalize``, ``CLAHE``), which work on the 256 uint8 levels and have a zero gradient.
"""

from __future__ import annotations

import torch

from ..._host import host_reads_free
from ..._validate import check_image
from .._broadcast import per_sample
from ._common import GRAY_WEIGHTS, border_index, saturate, take2d, unit_bounds
from ._hsv_inplace import from_hue_chroma_, hue_chroma_, hue_raw_, records, workspace

__all__ = [
    "brightness_contrast",
    "brightness_contrast_",
    "channel_shift",
    "clahe",
    "color_jitter",
    "color_jitter_",
    "equalize",
    "gamma",
    "hsv6_to_rgb",
    "hsv_shift",
    "hsv_shift_",
    "posterize",
    "rgb_to_hsv6",
    "sepia",
    "solarize",
]

_SEPIA = ((0.393, 0.769, 0.189), (0.349, 0.686, 0.168), (0.272, 0.534, 0.131))


def _gray(x: torch.Tensor) -> torch.Tensor:
    """OpenCV grey for RGB; the channel mean for other channel counts."""
    if x.shape[1] != 3:
        return x.mean(1, keepdim=True)
    w = torch.tensor(GRAY_WEIGHTS, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x * w).sum(1, keepdim=True)


def brightness_contrast(x: torch.Tensor, alpha: torch.Tensor, beta: torch.Tensor, by_max: bool = True) -> torch.Tensor:
    """``y = clamp(alpha * x + beta)``; ``beta`` in image units (Albumentations' ``beta * 255`` on uint8), or with
    ``by_max=False`` in units of each image's mean (``beta * mean(x)``)."""
    check_image(x)
    if not by_max:
        beta = torch.as_tensor(beta, device=x.device).to(x.dtype) * x.mean(dim=(1, 2, 3))
    return saturate(x * per_sample(alpha, x, "alpha") + per_sample(beta, x, "beta"), x)


def brightness_contrast_(x: torch.Tensor, alpha: torch.Tensor, beta: torch.Tensor,
                         by_max: bool = True) -> torch.Tensor:
    """:func:`brightness_contrast` written into ``x`` (a tensor autograd does not track), with the same bits: the
    same two rounded operations and clamp, without two whole-batch temporaries."""
    check_image(x)
    if x.numel() == 0:
        return x
    if not unit_bounds(x):
        return x.copy_(brightness_contrast(x, alpha, beta, by_max))  # saturate's general bounds need x itself
    if not by_max:
        beta = torch.as_tensor(beta, device=x.device).to(x.dtype) * x.mean(dim=(1, 2, 3))
    return x.mul_(per_sample(alpha, x, "alpha")).add_(per_sample(beta, x, "beta")).clamp_(0, 1)


def _positive(d: torch.Tensor) -> torch.Tensor:
    """``1`` where ``d > 0``, ``0`` where ``d == 0`` (for ``d >= 0``), exactly: ``ceil(min(d, 1))``, detached.

    Arithmetic instead of a comparison and ``where``: on the CPU a ``where`` or a bool mask costs 5-20x an
    arithmetic pass (measured on torch 2.x, x86 AVX-512), and these masks are exact 0/1 factors."""
    with torch.no_grad():
        return d.detach().clamp(max=1).ceil_()


def _wrap6(k: torch.Tensor) -> torch.Tensor:
    """``k mod 6`` in ``[0, 6)`` (up to rounding) as ``k - 6 floor(k / 6)``: the value ``remainder`` gives, gradient 1,
    without ``remainder``'s slow CPU loop."""
    return k.add(torch.floor(k / 6), alpha=-6)  # = k - floor(k / 6) * 6 bit for bit (the product is exact)


def _hue_raw(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """RGB (B, 3, H, W) -> hue in sextants ``[-1, 6)`` (not yet wrapped: the red sextant's negative side is
    ``(g - b) / chroma < 0``), chroma ``max - min`` and value ``max`` (each (B, 1, H, W)); OpenCV's formulas,
    ties to the first channel (R, then G), hue 0 where the chroma is 0.

    The branch ``where(v == r, (g - b) / c, where(v == g, (b - r) / c + 2, (r - g) / c + 4))`` is written with
    exact 0/1 factors ``m_r, m_g, m_b`` (one of them 1): ``h = (m_r (g - b) + m_g (b - r) + m_b (r - g)) / c'
    + 2 m_g + 4 m_b`` with ``c' = c`` where ``c > 0`` else 1 (there ``r = g = b``, so ``m_r = 1`` and ``h = 0``)."""
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    # Elementwise max/min of the three planes: the same values as reducing over dim 1, much faster on CPU.
    v = torch.maximum(torch.maximum(r, g), b)
    delta = v - torch.minimum(torch.minimum(r, g), b)
    below_r = _positive(v - r)  # 1: red is not the max
    m_b = below_r * _positive(v - g)
    m_g = below_r - m_b
    # Products with the exact 0/1 factors are exact, so the fused multiply-adds give the same bits.
    num = torch.addcmul(torch.addcmul((1 - below_r) * (g - b), m_g, b - r), m_b, r - g)
    h = (num / (delta + (1 - _positive(delta)))).add_(m_g, alpha=2).add_(m_b, alpha=4)
    return h, delta, v


def _hue_chroma(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """RGB (B, 3, H, W) -> hue in sextants ``[0, 6)``, chroma ``max - min`` and value ``max`` (each (B, 1, H, W))."""
    h, delta, v = _hue_raw(x)
    return h + _positive((-h).clamp(min=0)) * 6, delta, v  # the red sextant's negative side + 6, as mod 6


def rgb_to_hsv6(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """RGB (B, 3, H, W) -> hue in sextants ``[0, 6)``, saturation, value (each (B, 1, H, W)), OpenCV's formulas
    (saturation ``(max - min) / max``, 0 where ``max <= 0``)."""
    h, delta, v = _hue_chroma(x)
    lit = _positive(v.clamp(min=0))
    return h, delta / (v * lit + (1 - lit)) * lit, v


def _from_hue_chroma(h: torch.Tensor, chroma: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Channel ``c = v - chroma clamp(min(k, 4 - k), 0, 1)``, ``k = (n_c + h) mod 6``, ``n = (5, 3, 1)`` for RGB
    (``h`` any real: the mod wraps it)."""
    n = torch.tensor([5.0, 3.0, 1.0], dtype=h.dtype, device=h.device).view(1, 3, 1, 1)
    k = _wrap6(n + h)
    return v - chroma * torch.minimum(k, 4 - k).clamp_(0, 1)


def hsv6_to_rgb(h: torch.Tensor, s: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`rgb_to_hsv6`: channel ``c = v - v s clamp(min(k, 4 - k), 0, 1)``,
    ``k = (n_c + h) mod 6`` with ``n = (5, 3, 1)`` for (R, G, B)."""
    return _from_hue_chroma(h, v * s, v)


def _hue_rotate(x: torch.Tensor, turns: torch.Tensor, out: torch.Tensor | None = None,
                scratch: torch.Tensor | None = None, ws: torch.Tensor | None = None) -> torch.Tensor:
    """The hue rotated by ``turns`` (B,), clamped to [0, 1]. For calls autograd does not record: written into
    ``out`` when given (possibly ``x`` itself), with ``scratch`` (``x``'s shape) and the workspace ``ws``
    (``_hsv_inplace.workspace``) overwritten (each made when not given)."""
    # Chroma (v s) is kept as max - min, never divided by v: with inputs outside [0, 1] a tiny positive v
    # made s overflow (inf in float16) and v s c a NaN. The hue is wrapped once, in _from_hue_chroma.
    shift = 6 * turns.to(x.dtype).view(-1, 1, 1, 1)
    if records(x, turns):
        h, chroma, v = _hue_raw(x)
        return _from_hue_chroma(h + shift, chroma, v).clamp_(0, 1)
    h, chroma, v = hue_raw_(x, workspace(x) if ws is None else ws)  # the same operations in reused buffers
    return from_hue_chroma_(h.add_(shift), chroma, v, out=out, scratch=scratch).clamp_(0, 1)


def color_jitter(
    x: torch.Tensor,
    factors: torch.Tensor,
    order: torch.Tensor,
    active: tuple[bool, bool, bool, bool] = (True, True, True, True),
) -> torch.Tensor:
    """Albumentations' ``ColorJitter``: brightness ``x * b``; contrast ``x * c + m (1 - c)`` with ``m`` the
    image's mean grey; saturation ``x * s + g (1 - s)`` with ``g`` the per-pixel grey; hue shifted by ``h``
    turns; each clamped to [0, 1], applied in the per-sample ``order`` (B, 4) of op indices 0..3.

    ``factors`` (B, 4) are ``(b, c, s, h)``. ``active`` skips ops whose range is the identity (config-level).
    Saturation and hue leave 1-channel images unchanged, as Albumentations does.
    """
    check_image(x)
    rgb = x.shape[1] == 3
    order = order.to(x.device)
    f = factors.to(device=x.device, dtype=x.dtype)
    if host_reads_free(x, f, order) and not (torch.is_grad_enabled() and f.requires_grad) and 0 < x.shape[0] <= 8:
        # A few images on the CPU (the gated path's chunks): each sample's steps in plain order with its factors
        # as host numbers, the same arithmetic as the batched steps below without their per-slot bookkeeping.
        ys = [_color_jitter_one(x[i : i + 1], f[i], order[i], active, rgb) for i in range(x.shape[0])]
        return ys[0] if len(ys) == 1 else torch.cat(ys)
    hue = active[3] and rgb
    # The hue step (the costly HSV round trip) runs once: linear steps before it, then hue, then the rest.
    pos = (order == 3).to(torch.int64).argmax(1, keepdim=True) if hue else torch.full_like(order[:, :1], 4)
    for phase in (0, 1):
        for k in range(3 if hue else 4):
            idx = (torch.full_like(pos, k) if phase == 0 else pos + 1 + k).clamp(max=3)
            live = (idx < pos) if phase == 0 else (pos + 1 + k <= 3)
            sel = torch.where(live, order.gather(1, idx), torch.full_like(idx, -1)).view(-1)
            if host_reads_free(x):
                # No sync cost on the CPU: step only the samples with an op in this slot (the rest are identity).
                rows = (sel >= 0).nonzero().view(-1)
                if rows.numel() == 0:
                    continue
                if rows.numel() < sel.numel():
                    step = _linear_jitter_step(x[rows], f[rows],
                                               sel[rows], active, rgb)
                    x = x.index_copy(0, rows, step)
                    continue
            x = _linear_jitter_step(x, f, sel, active, rgb)
        if phase == 0 and hue:
            x = _hue_rotate(x, f[:, 3])
        if not hue:
            break
    return x


def _color_jitter_one(x: torch.Tensor, f: torch.Tensor, order: torch.Tensor, active, rgb: bool) -> torch.Tensor:
    """``color_jitter`` of one image ``(1, C, H, W)`` with its factors ``f`` (4,) and ``order`` (4,) read on the host.

    Step by step as :func:`_linear_jitter_step` computes it (``a x + b g + c m`` with the same coefficients in
    ``x``'s dtype; the terms whose coefficient is exactly 0 left out), then clamped as ``saturate`` does: when the
    input lies in [0, 1] (checked once) every step's output does too, so each clamp is to [0, 1]."""
    fs = f.tolist()
    rest = (1 - f).tolist()  # 1 - f in x's dtype, as the batched coefficients
    unit = unit_bounds(x)
    if unit and not records(x, f):
        return _color_jitter_one_(x.clone(memory_format=torch.contiguous_format), f, order, active, rgb,
                                  torch.empty_like(x, memory_format=torch.contiguous_format), workspace(x))

    def clamp(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return y.clamp_(0, 1) if unit else saturate(y, x)

    for op in order.tolist():
        if op == 3:
            if active[3] and rgb:
                x = _hue_rotate(x, f[3:])
            continue
        if not active[op] or (op == 2 and not rgb):
            x = clamp(x * 1, x)  # the batched step's ``1 x + 0 g + 0 m``
        elif op == 0:
            x = clamp(x * fs[0], x)
        elif op == 1:
            m = _gray(x).mean(dim=(1, 2, 3), keepdim=True)
            x = clamp((x * fs[1]).add_(m * rest[1]), x)
        else:
            x = clamp((x * fs[2]).add_(_gray(x) * rest[2]), x)
    return x


def _gray_into(x: torch.Tensor, scratch: torch.Tensor) -> torch.Tensor:
    """:func:`_gray` of an RGB ``x`` with its weighted planes written into ``scratch`` (``x``'s shape)."""
    w = torch.tensor(GRAY_WEIGHTS, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return torch.mul(x, w, out=scratch).sum(1, keepdim=True)


def _color_jitter_one_(x: torch.Tensor, f: torch.Tensor, order: torch.Tensor, active, rgb: bool,
                       scratch: torch.Tensor, ws: torch.Tensor) -> torch.Tensor:
    """:func:`_color_jitter_one` written into ``x`` (in [0, 1], not recorded by autograd) with ``scratch`` (a
    contiguous buffer of ``x``'s shape) and ``ws`` (``_hsv_inplace.workspace(x)``) overwritten: every step in
    place, so each clamp is to [0, 1]; the same operations in the same order, the same bits."""
    fs = f.tolist()
    rest = (1 - f).tolist()

    def gray(y: torch.Tensor) -> torch.Tensor:
        return _gray_into(y, scratch) if rgb else _gray(y)

    for op in order.tolist():
        if op == 3:
            if active[3] and rgb:
                _hue_rotate(x, f[3:], out=x, scratch=scratch, ws=ws)
            continue
        if not active[op] or (op == 2 and not rgb):
            x.mul_(1).clamp_(0, 1)  # the batched step's ``1 x + 0 g + 0 m``
        elif op == 0:
            x.mul_(fs[0]).clamp_(0, 1)
        elif op == 1:
            m = gray(x).mean(dim=(1, 2, 3), keepdim=True)
            x.mul_(fs[1]).add_(m * rest[1]).clamp_(0, 1)
        else:
            g = gray(x).mul_(rest[2])
            x.mul_(fs[2]).add_(g).clamp_(0, 1)
    return x


def color_jitter_(
    x: torch.Tensor,
    factors: torch.Tensor,
    order: torch.Tensor,
    active: tuple[bool, bool, bool, bool] = (True, True, True, True),
) -> torch.Tensor:
    """:func:`color_jitter` written into ``x`` (a tensor autograd does not track), with the same bits: on the CPU,
    images in [0, 1] are jittered in place one at a time (one scratch image for all); otherwise the result is
    copied in."""
    check_image(x)
    f = factors.to(device=x.device, dtype=x.dtype)
    order = order.to(x.device)
    if host_reads_free(x, f, order) and not records(x, f) and x.shape[0] > 0 and x[:1].is_contiguous():
        rgb = x.shape[1] == 3
        scratch, ws = torch.empty_like(x[:1]), workspace(x[:1])
        for i in range(x.shape[0]):
            xi = x[i : i + 1]
            if unit_bounds(xi):
                _color_jitter_one_(xi, f[i], order[i], active, rgb, scratch, ws)
            else:
                xi.copy_(_color_jitter_one(xi, f[i], order[i], active, rgb))
        return x
    return x.copy_(color_jitter(x, factors, order, active))


def _linear_jitter_step(x: torch.Tensor, f: torch.Tensor, sel: torch.Tensor, active, rgb: bool) -> torch.Tensor:
    """One ``ColorJitter`` step: sample ``i`` applies op ``sel[i]`` (0 brightness ``x f``, 1 contrast
    ``x f + m (1 - f)``, 2 saturation ``x f + g (1 - f)``; anything else: nothing), fused as
    ``y = a x + b g + c m`` with per-sample ``(a, b, c)``."""
    on = [(sel == op).to(x.dtype) if active[op] and (op < 2 or rgb) else torch.zeros_like(sel, dtype=x.dtype)
          for op in range(3)]
    fo = [f[:, op] * on[op] for op in range(3)]
    any_on = on[0] + on[1] + on[2]
    a = (fo[0] + fo[1] + fo[2] + (1 - any_on)).view(-1, 1, 1, 1)
    b = (on[2] - fo[2]).view(-1, 1, 1, 1)
    c = (on[1] - fo[1]).view(-1, 1, 1, 1)
    g = _gray(x)
    m = g.mean(dim=(1, 2, 3), keepdim=True)
    return saturate(a * x + b * g + c * m, x)


def hsv_shift(x: torch.Tensor, hue: torch.Tensor, sat: torch.Tensor, val: torch.Tensor) -> torch.Tensor:
    """Albumentations' ``HueSaturationValue`` on uint8: hue shift in OpenCV units (180 = a full turn),
    saturation and value shifts in 1/255 steps (pixels with zero saturation stay grey); 1-channel images get
    only the value shift (so do other channel counts)."""
    check_image(x)
    if x.shape[1] != 3:
        return saturate(x + per_sample(val, x, "val") / 255, x)
    if not records(x, *(t for t in (hue, sat, val) if isinstance(t, torch.Tensor))):
        return _hsv_shift_into(x, hue, sat, val, None)
    h, s0, v = rgb_to_hsv6(x)
    h = h + per_sample(hue, x, "hue") / 30  # 30 OpenCV hue units per sextant; hsv6_to_rgb wraps it
    s = (s0 + per_sample(sat, x, "sat") / 255).clamp(0, 1) * _positive(s0)  # grey (s0 = 0) stays grey
    v = (v + per_sample(val, x, "val") / 255).clamp(0, 1)
    return hsv6_to_rgb(h, s, v).clamp(0, 1)


def _hsv_shift_into(x: torch.Tensor, hue, sat, val, out: torch.Tensor | None,
                    scratch: torch.Tensor | None = None, ws: torch.Tensor | None = None) -> torch.Tensor:
    """:func:`hsv_shift` of an RGB ``x`` with its temporaries reused (autograd not recording): the same operations
    in the same order, the same bits; written into ``out`` when given (possibly ``x``), else a fresh tensor;
    ``scratch`` (``x``'s shape, contiguous) and ``ws`` (``_hsv_inplace.workspace(x)``) are overwritten (each made
    when not given)."""
    one = torch.ones((), dtype=x.dtype, device=x.device)
    ws = workspace(x) if ws is None else ws
    h, delta, v = hue_chroma_(x, ws)
    lit = torch.clamp(v, 0, 1, out=ws[2]).ceil_()  # _positive(v.clamp(min=0))
    den = torch.mul(v, lit, out=ws[3]).add_(torch.sub(one, lit, out=ws[4]))  # v lit + (1 - lit)
    s = delta.div_(den).mul_(lit)  # rgb_to_hsv6's saturation
    h.add_(per_sample(hue, x, "hue") / 30)
    grey = torch.clamp(s, max=1, out=den).ceil_()  # _positive(s0)
    s.add_(per_sample(sat, x, "sat") / 255).clamp_(0, 1).mul_(grey)
    v.add_(per_sample(val, x, "val") / 255).clamp_(0, 1)
    return from_hue_chroma_(h, s.mul_(v), v, out=out, scratch=scratch).clamp_(0, 1)


def hsv_shift_(x: torch.Tensor, hue: torch.Tensor, sat: torch.Tensor, val: torch.Tensor) -> torch.Tensor:
    """:func:`hsv_shift` written into ``x`` (a tensor autograd does not track), with the same bits: one image at a
    time with one scratch image (the round trip's temporaries of one image stay in cache)."""
    check_image(x)
    if x.shape[1] != 3 or records(x) or not x[:1].is_contiguous():
        return x.copy_(hsv_shift(x, hue, sat, val))
    scratch, ws = torch.empty_like(x[:1]), workspace(x[:1])
    hue, sat, val = (per_sample(t, x, k).view(-1) for t, k in ((hue, "hue"), (sat, "sat"), (val, "val")))
    for i in range(x.shape[0]):
        _hsv_shift_into(x[i : i + 1], hue[i], sat[i], val[i], x[i : i + 1], scratch, ws)
    return x


def channel_shift(x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """``y_c = clamp(x_c + shift_c)``, ``shift`` (B, C) in image units (``RGBShift``)."""
    check_image(x)
    return saturate(x + shift.to(device=x.device, dtype=x.dtype)[:, : x.shape[1], None, None], x)


def gamma(x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """``y = x ** g`` for ``x > 0`` (``RandomGamma`` with ``g = gamma_limit / 100``); ``x <= 0`` is kept."""
    check_image(x)
    pos = x > 0
    return torch.where(pos, torch.where(pos, x, 1).pow(per_sample(g, x, "gamma")), x)


def solarize(x: torch.Tensor, threshold: torch.Tensor) -> torch.Tensor:
    """``y = 1 - x`` where ``x >= t`` else ``x``; ``t`` in [0, 1] (uint8: ``u >= t * 255``)."""
    check_image(x)
    return torch.where(x >= per_sample(threshold, x, "threshold") - 1e-6, 1 - x, x)


def posterize(x: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    """Keep the ``bits`` high bits of ``u = round(255 x)``: ``y = floor(u / 2^(8-b)) 2^(8-b) / 255``.

    Piecewise constant: its gradient is zero almost everywhere.
    """
    check_image(x)
    step = torch.pow(2.0, 8 - per_sample(bits, x, "bits"))
    return torch.floor(torch.round(x.clamp(0, 1) * 255) / step) * step / 255


def sepia(x: torch.Tensor) -> torch.Tensor:
    """``ToSepia``: a fixed 3x3 colour matrix, clamped; 1-channel images pass through."""
    check_image(x)
    if x.shape[1] != 3:
        return x
    m = torch.tensor(_SEPIA, dtype=x.dtype, device=x.device)
    return torch.einsum("oc,bchw->bohw", m, x).clamp(0, 1)


def equalize(x: torch.Tensor) -> torch.Tensor:
    """Per-channel histogram equalisation of ``u = round(255 x)`` as ``cv2.equalizeHist``:
    ``lut = round((cdf - cdf[first nonzero bin]) * 255 / (N - hist[first]))``. Gradient is zero."""
    check_image(x)
    b, c, h, w = x.shape
    u = torch.round(x.detach().clamp(0, 1) * 255).long().view(b * c, h * w)
    hist = torch.zeros(b * c, 256, device=x.device, dtype=torch.float64).scatter_add_(
        1, u, torch.ones_like(u, dtype=torch.float64)
    )
    first = torch.argmax((hist > 0).to(torch.int8), dim=1, keepdim=True)
    cdf = hist.cumsum(1)
    h_first = hist.gather(1, first)
    denom = (h * w - h_first).clamp_min(1)
    lut = ((cdf - cdf.gather(1, first)) * 255 / denom).round().clamp(0, 255)
    # A constant channel (every pixel in one bin) stays as it is.
    lut = torch.where(h_first == h * w, torch.arange(256, device=x.device, dtype=lut.dtype).expand_as(lut), lut)
    y = (lut.gather(1, u) / 255).view(b, c, h, w).to(x.dtype)
    # Connected to x with a zero gradient (a step function), so autograd through a pipeline still works.
    return torch.where(torch.zeros((), dtype=torch.bool, device=x.device), x, y) if x.requires_grad else y


def clahe(x: torch.Tensor, clip_limit: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
    """OpenCV's CLAHE on uint8 levels, per-sample ``clip_limit``, ``grid`` = (columns, rows) of tiles as
    ``cv2.createCLAHE(tileGridSize=...)``; RGB images are equalised on the L channel of CIE Lab (as
    Albumentations does), other channel counts channel by channel. Gradient is zero.

    Per tile: 256-bin histogram clipped at ``max(clip * tile_area / 256, 1)``, the excess spread evenly,
    ``lut = round(cdf * 255 / tile_area)``; pixels blend the four nearest tile LUTs bilinearly.
    """
    check_image(x)
    from kornia.color import lab_to_rgb, rgb_to_lab

    b0, c0, h, w = x.shape
    rgb = c0 == 3
    lab = rgb_to_lab(x.clamp(0, 1)) if rgb else None
    # RGB: equalise Lab's L; other channel counts: every channel on its own.
    lum = (lab[:, :1] / 100) if lab is not None else x.reshape(b0 * c0, 1, h, w)
    clip = clip_limit if rgb else clip_limit.repeat_interleave(c0)
    b = lum.shape[0]
    gx, gy = grid  # OpenCV's tileGridSize order: (columns, rows)
    ph, pw = (-h) % gy, (-w) % gx
    u = torch.round(lum.detach().clamp(0, 1) * 255)
    if u.numel() == 0:
        return x.clone()
    if ph or pw:  # OpenCV pads the bottom/right with reflect-101 up to whole tiles
        up = take2d(u, border_index(h, ph, "reflect", u.device)[ph:], border_index(w, pw, "reflect", u.device)[pw:])
    else:
        up = u
    th, tw = up.shape[2] // gy, up.shape[3] // gx
    area = th * tw
    tiles = up.view(b, gy, th, gx, tw).permute(0, 1, 3, 2, 4).reshape(b, gy * gx, area).long()
    hist = torch.zeros(b, gy * gx, 256, device=x.device, dtype=torch.float64)
    hist.scatter_add_(2, tiles, torch.ones_like(tiles, dtype=torch.float64))
    limit = torch.clamp((clip.to(x.device, torch.float64) * area / 256).floor(), min=1).view(b, 1, 1)
    excess = (hist - limit).clamp_min(0).sum(2, keepdim=True)
    hist = torch.minimum(hist, limit)
    bonus, residual = torch.div(excess, 256, rounding_mode="floor"), torch.remainder(excess, 256)
    hist = hist + bonus
    step = torch.clamp(torch.div(256, residual.clamp_min(1), rounding_mode="floor"), min=1)
    idx = torch.arange(256, device=x.device, dtype=torch.float64).view(1, 1, 256)
    hist = hist + ((torch.remainder(idx, step) == 0) & (idx < residual * step)).to(hist.dtype)
    lut = (hist.cumsum(2) * (255.0 / area)).round().clamp(0, 255).view(b, gy, gx, 256)
    # Bilinear blend of the four nearest tile LUTs (tile centres at (i + 0.5) * tile size).
    yy = (torch.arange(h, device=x.device, dtype=torch.float64) / th - 0.5).view(h, 1).expand(h, w)
    xx = (torch.arange(w, device=x.device, dtype=torch.float64) / tw - 0.5).view(1, w).expand(h, w)
    y0, x0 = yy.floor(), xx.floor()
    ay, ax = yy - y0, xx - x0
    y1, x1 = (y0 + 1).clamp(max=gy - 1).long(), (x0 + 1).clamp(max=gx - 1).long()
    y0, x0 = y0.clamp(min=0).long(), x0.clamp(min=0).long()
    lv = u[:, 0].long()
    flat = lut.view(b, gy * gx * 256)

    def look(ty: torch.Tensor, tx: torch.Tensor) -> torch.Tensor:
        index = ((ty * gx + tx) * 256).unsqueeze(0) + lv
        return flat.gather(1, index.view(b, -1)).view(b, h, w)

    out = (1 - ay) * ((1 - ax) * look(y0, x0) + ax * look(y0, x1)) + ay * ((1 - ax) * look(y1, x0) + ax * look(y1, x1))
    out = (out.round() / 255).unsqueeze(1).to(x.dtype)
    if lab is None:
        return out.view(b0, c0, h, w)
    # Rounded to uint8 levels as OpenCV's output (this also removes batch-position float noise of the Lab maths).
    return torch.round(lab_to_rgb(torch.cat([out * 100, lab[:, 1:]], 1)).clamp(0, 1) * 255) / 255

