"""Albumentations-compatible geometric ops. Each builds OpenCV-convention forward matrices (input -> output
pixels, integer pixel centres) as Albumentations does and resamples once with ``functional.compat.warp``;
the matrix is exposed so boxes, keypoints and masks follow inside ``AugmentationSequential``."""

from __future__ import annotations

import math
from typing import Any

import torch
from kornia.geometry.transform import get_perspective_transform

from ..functional import compat as FC
from ..functional.sampling import uniform
from ._checks import check_int
from ._registry import register_op
from .compat_base import CompatGeometric, pair

__all__ = [
    "AlbuAffine",
    "AlbuCrop",
    "AlbuLongestMaxSize",
    "AlbuPadIfNeeded",
    "AlbuPerspective",
    "AlbuRandomCrop",
    "AlbuRandomResizedCrop",
    "AlbuRandomRotate90",
    "AlbuResize",
    "AlbuSafeRotate",
    "AlbuSmallestMaxSize",
    "AlbuTranspose",
]


def _eye(n: int, dev) -> torch.Tensor:
    return torch.eye(3, dtype=torch.float64, device=dev).repeat(n, 1, 1)


def _xy(name: str, value: Any, lower: float = -math.inf, upper: float = math.inf) -> dict[str, tuple[float, float]]:
    """Albumentations' ``{"x": (lo, hi), "y": (lo, hi)}`` (a bare pair applies to both axes)."""
    if isinstance(value, dict):
        if set(value) != {"x", "y"}:
            raise ValueError(f"{name} must have keys 'x' and 'y', got {sorted(value)}")
        return {k: pair(f"{name}.{k}", value[k], lower, upper) for k in ("x", "y")}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = (value, value)
    p = pair(name, value, lower, upper)
    return {"x": p, "y": p}


def _int_size(name: str, value: Any) -> tuple[int, int]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{name} must be (height, width), got {value!r}")
    return check_int(f"{name}[0]", value[0]), check_int(f"{name}[1]", value[1])


# The contract's keypoint check needs exact resampling: the example uses integer shifts and nearest sampling.
@register_op(identity={"translate_px": (0, 0)}, example={"translate_px": (-3, 3), "interpolation": 0}, geometric=True)
class AlbuAffine(CompatGeometric):
    """``Affine`` (also ``Rotate``, ``ShiftScaleRotate``): ``M = T_c T_t Sh R S T_-c`` about the image centre
    ``(W/2 - 0.5, H/2 - 0.5)``.

    Draws: scale per axis ``~ U(scale[axis])`` (``keep_ratio``: y = x; ``balanced_scale``: pick ``[lo, 1]`` or
    ``[1, hi]`` with equal odds first), angle ``~ U(rotate)`` degrees (counter-clockwise), shear ``~ U(shear)``
    degrees (negated in the matrix, as Albumentations), translation ``int(U(translate_percent) * side)`` pixels
    or ``randint[translate_px]``. ``interpolation``/``border_mode`` are OpenCV flags, ``fill`` in [0, 1].
    """

    def __init__(self, scale=(1.0, 1.0), translate_percent=None, translate_px=None, rotate=(0.0, 0.0),
                 shear=(0.0, 0.0), interpolation=1, border_mode=0, fill=0.0, keep_ratio=False, balanced_scale=False,
                 p=1.0, same_on_batch=False, keepdim=False, generator=None):
        if translate_percent is not None and translate_px is not None:
            raise ValueError("give translate_percent or translate_px, not both")
        super().__init__(p, same_on_batch, keepdim, generator, scale=_xy("scale", scale, 1e-6),
                         translate_percent=None if translate_percent is None else _xy("translate_percent",
                                                                                      translate_percent, -1, 1),
                         translate_px=None if translate_px is None else _xy("translate_px", translate_px),
                         rotate=pair("rotate", rotate), shear=_xy("shear", shear, -89, 89),
                         interpolation=interpolation, border_mode=border_mode, fill=fill,
                         keep_ratio=bool(keep_ratio), balanced_scale=bool(balanced_scale))
        self._check_modes(interpolation, border_mode, fill)
        self._cfg["fill"] = self.fill

    def _scale(self, n, gen, dev, rng):
        lo, hi = rng
        u = uniform(n, lo, hi, gen, dev)
        if not self._cfg["balanced_scale"]:
            return u
        low_side = uniform(n, lo, 1.0, gen, dev) if lo < 1 else None
        high_side = uniform(n, 1.0, hi, gen, dev) if hi > 1 else None
        if low_side is not None and high_side is not None:
            return torch.where(torch.rand(n, generator=gen, device=dev) < 0.5, low_side, high_side)
        return low_side if low_side is not None else high_side if high_side is not None else torch.ones(n, device=dev)

    def sample(self, n, size, generator, device):
        h, w = size
        c = self._cfg
        sx = self._scale(n, generator, device, c["scale"]["x"])
        sy = sx if c["keep_ratio"] else self._scale(n, generator, device, c["scale"]["y"])
        angle = uniform(n, *c["rotate"], generator, device)
        shear = -torch.stack([uniform(n, *c["shear"][k], generator, device) for k in ("x", "y")], 1)
        if c["translate_px"] is not None:
            t = torch.stack([torch.randint(int(c["translate_px"][k][0]), int(c["translate_px"][k][1]) + 1, (n,),
                                           generator=generator, device=device) for k in ("x", "y")], 1).double()
        elif c["translate_percent"] is not None:
            t = torch.stack([torch.trunc(uniform(n, *c["translate_percent"][k], generator, device).double() * side)
                             for k, side in (("x", w), ("y", h))], 1)
        else:
            t = torch.zeros(n, 2, dtype=torch.float64, device=device)
        m = FC.affine_matrix(t, shear, torch.stack([sx, sy], 1), angle, (w / 2 - 0.5, h / 2 - 0.5))
        return {"matrix": m}


# geometric=False: its rescaling cannot keep a single marked pixel exact under any sampling; keypoints are
# checked against Albumentations itself in tests/adapters/test_albu_parity.py instead.
@register_op(identity={"p": 0.0})
class AlbuSafeRotate(CompatGeometric):
    """``SafeRotate``: rotate by ``U(limit)`` degrees about the centre, then scale so the whole rotated image
    fits the original size: ``M = S R'`` with ``R'`` re-centred on the rotated bounding box
    ``(int(H|sin| + W|cos|), int(H|cos| + W|sin|))``."""

    def __init__(self, limit=(-90.0, 90.0), interpolation=1, border_mode=0, fill=0.0, p=1.0, same_on_batch=False,
                 keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, limit=pair("limit", limit), interpolation=interpolation,
                         border_mode=border_mode, fill=fill)
        self._check_modes(interpolation, border_mode, fill)
        self._cfg["fill"] = self.fill

    def sample(self, n, size, generator, device):
        h, w = size
        a = torch.deg2rad(uniform(n, *self._cfg["limit"], generator, device).double())
        c, s = torch.cos(a), torch.sin(a)
        cx, cy = w / 2 - 0.5, h / 2 - 0.5
        new_w = torch.floor(h * s.abs() + w * c.abs()).clamp(min=1)
        new_h = torch.floor(h * c.abs() + w * s.abs()).clamp(min=1)
        m = _eye(n, device)
        m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1] = c, s, -s, c
        m[:, 0, 2] = (1 - c) * cx - s * cy + new_w / 2 - cx
        m[:, 1, 2] = s * cx + (1 - c) * cy + new_h / 2 - cy
        sc = _eye(n, device)
        sc[:, 0, 0], sc[:, 1, 1] = w / new_w, h / new_h
        return {"matrix": sc @ m}


@register_op(identity={"scale": (0.0, 0.0), "interpolation": 0})  # geometric=False: as AlbuSafeRotate
class AlbuPerspective(CompatGeometric):
    """``Perspective`` (``keep_size=True``, ``fit_output=False``): corner jitters ``|N(0, s)| mod 0.32`` of the
    side, ``s ~ U(scale)``, inward from each corner; the quadrilateral is mapped onto the full image."""

    def __init__(self, scale=(0.05, 0.1), interpolation=1, border_mode=0, fill=0.0, p=1.0, same_on_batch=False,
                 keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, scale=pair("scale", scale, 0, 1),
                         interpolation=interpolation, border_mode=border_mode, fill=fill)
        self._check_modes(interpolation, border_mode, fill)
        self._cfg["fill"] = self.fill

    def sample(self, n, size, generator, device):
        h, w = size
        s = uniform(n, *self._cfg["scale"], generator, device).double()
        pts = torch.remainder((torch.randn(n, 4, 2, generator=generator, device=device).double() * s.view(-1, 1, 1))
                              .abs(), 0.32)
        pts[:, 1, 0] = 1 - pts[:, 1, 0]
        pts[:, 2] = 1 - pts[:, 2]
        pts[:, 3, 1] = 1 - pts[:, 3, 1]
        pts = pts * torch.tensor([w, h], dtype=torch.float64, device=device)
        # Order as top-left, top-right, bottom-right, bottom-left (Albumentations' order_points).
        by_x = pts.gather(1, pts[..., 0].argsort(1).unsqueeze(-1).expand(-1, -1, 2))
        left, right = by_x[:, :2], by_x[:, 2:]
        lsw = (left[:, 0, 1] >= left[:, 1, 1]).view(-1, 1)
        rsw = (right[:, 0, 1] >= right[:, 1, 1]).view(-1, 1)
        tl = torch.where(lsw, left[:, 1], left[:, 0])
        bl = torch.where(lsw, left[:, 0], left[:, 1])
        tr = torch.where(rsw, right[:, 1], right[:, 0])
        br = torch.where(rsw, right[:, 0], right[:, 1])
        src = torch.stack([tl, tr, br, bl], 1)
        dst = torch.tensor([[0, 0], [w, 0], [w, h], [0, h]], dtype=torch.float64, device=device).expand(n, 4, 2)
        m = get_perspective_transform(src, dst.contiguous())
        max_w = torch.maximum((tr - tl).norm(dim=1), (br - bl).norm(dim=1)).floor().clamp(min=1)
        max_h = torch.maximum((br - tr).norm(dim=1), (bl - tl).norm(dim=1)).floor().clamp(min=1)
        sc = _eye(n, device)
        sc[:, 0, 0], sc[:, 1, 1] = w / max_w, h / max_h
        return {"matrix": sc @ m}


class _Crop(CompatGeometric):
    """Crop ``(x0, y0)`` + size, optionally resized to ``self.size``; exact (nearest) when not resized."""

    resizes = True

    def output_size(self, size):
        return self._out

    def _fixed_size(self, size, name: str) -> tuple[int, int]:
        """The crop's ``(height, width)``, checked to fit in the image ``size``."""
        ch, cw = self._out
        if ch > size[0] or cw > size[1]:
            raise ValueError(f"{name} size {self._out} exceeds the image size {tuple(size)}")
        return ch, cw

    def _box_sample(self, n, size, x0, y0, ch, cw) -> dict[str, torch.Tensor]:
        box = torch.stack([x0, y0, x0 + cw, y0 + ch], 1).double()
        return {"matrix": FC.crop_resize_matrix(box, self._out), "box": box}  # integer shift: same for targets


class AlbuRandomCrop(_Crop):
    """``RandomCrop``: ``y0 = int((H - h + 1) u)``, ``x0 = int((W - w + 1) v)``, ``u, v ~ U(0, 1)``."""

    def __init__(self, height=1, width=1, p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, height=check_int("height", height),
                         width=check_int("width", width))
        self._out = (height, width)
        self._check_modes(0, 0, 0.0)

    def sample(self, n, size, generator, device):
        h, w = size
        ch, cw = self._fixed_size(size, "RandomCrop")
        u = torch.rand(n, 2, generator=generator, device=device).double()
        y0 = torch.floor((h - ch + 1) * u[:, 0])
        x0 = torch.floor((w - cw + 1) * u[:, 1])
        return self._box_sample(n, size, x0, y0, ch, cw)


class AlbuCrop(_Crop):
    """``Crop`` of the fixed box ``[x_min, x_max) x [y_min, y_max)``; ``center=True`` gives ``CenterCrop`` of
    ``(y_max - y_min, x_max - x_min)`` at ``((H - h) // 2, (W - w) // 2)``."""

    def __init__(self, x_min=0, y_min=0, x_max=1, y_max=1, center=False, p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        for k, v in (("x_min", x_min), ("y_min", y_min)):
            check_int(k, v, lower=0)
        check_int("x_max", x_max, lower=x_min + 1)
        check_int("y_max", y_max, lower=y_min + 1)
        super().__init__(p, same_on_batch, keepdim, generator, x_min=x_min, y_min=y_min, x_max=x_max, y_max=y_max,
                         center=bool(center))
        self._out = (y_max - y_min, x_max - x_min)
        self._check_modes(0, 0, 0.0)

    def sample(self, n, size, generator, device):
        h, w = size
        ch, cw = self._fixed_size(size, "Crop")
        if self._cfg["center"]:
            y, x = (h - ch) // 2, (w - cw) // 2
        else:
            y, x = self._cfg["y_min"], self._cfg["x_min"]
        return self._box_sample(n, size, torch.full((n,), float(x), device=device),
                                torch.full((n,), float(y), device=device), ch, cw)


class AlbuRandomResizedCrop(_Crop):
    """``RandomResizedCrop``: up to 10 tries of area ``~ U(scale) H W`` and ``log`` aspect ``~ U(log ratio)``,
    ``w = round(sqrt(A r))``, ``h = round(sqrt(A / r))``; the first that fits is placed at
    ``int((H - h + 1) u)``, ``int((W - w + 1) v)``; else a centre crop clamped to ``ratio``. Then resize to
    ``size`` with ``interpolation`` (half-pixel centres, as ``cv2.resize``)."""

    def __init__(self, size=(224, 224), scale=(0.08, 1.0), ratio=(0.75, 4 / 3), interpolation=1, p=1.0,
                 same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, size=_int_size("size", size),
                         scale=pair("scale", scale, 0, 1), ratio=pair("ratio", ratio, 1e-6),
                         interpolation=interpolation)
        self._out = self._cfg["size"]
        self._check_modes(interpolation, 1, 0.0)

    def sample(self, n, size, generator, device):
        h, w = size
        area = h * w
        s_lo, s_hi = self._cfg["scale"]
        r_lo, r_hi = self._cfg["ratio"]
        ta = torch.rand(n, 10, generator=generator, device=device).double() * (s_hi - s_lo) * area + s_lo * area
        lr = torch.rand(n, 10, generator=generator, device=device).double() * (math.log(r_hi) - math.log(r_lo))
        ar = torch.exp(lr + math.log(r_lo))
        cw = torch.round(torch.sqrt(ta * ar))
        ch = torch.round(torch.sqrt(ta / ar))
        ok = (cw > 0) & (cw <= w) & (ch > 0) & (ch <= h)
        first = ok.to(torch.int8).argmax(1, keepdim=True)
        cw, ch = cw.gather(1, first)[:, 0], ch.gather(1, first)[:, 0]
        u = torch.rand(n, 2, generator=generator, device=device).double()
        y0 = torch.floor((h - ch + 1) * u[:, 0])
        x0 = torch.floor((w - cw + 1) * u[:, 1])
        in_ratio = w / h
        if in_ratio < r_lo:
            fw, fh = w, round(w / r_lo)
        elif in_ratio > r_hi:
            fw, fh = round(h * r_hi), h
        else:
            fw, fh = w, h
        hit = ok.any(1)
        x0 = torch.where(hit, x0, torch.full_like(x0, (w - fw) // 2))
        y0 = torch.where(hit, y0, torch.full_like(y0, (h - fh) // 2))
        cw = torch.where(hit, cw, torch.full_like(cw, fw))
        ch = torch.where(hit, ch, torch.full_like(ch, fh))
        box = torch.stack([x0, y0, x0 + cw, y0 + ch], 1)
        return {"matrix": FC.crop_resize_matrix(box, self._out), "target": FC.crop_resize_matrix(box, self._out, False),
                "box": box}

    def apply_transform(self, input, params, flags, transform=None):
        return FC.warp(input, params["matrix"], self._out, self.interpolation, 1, 0.0)


class _Resize(CompatGeometric):
    """Whole-image resize (``cv2.resize``); ``target((H, W))`` gives the output size."""

    resizes = True

    def target(self, size: tuple[int, int]) -> tuple[int, int]:
        raise NotImplementedError

    def output_size(self, size):
        return self.target(size)

    def sample(self, n, size, generator, device):
        oh, ow = self.target(size)
        box = torch.tensor([[0.0, 0.0, size[1], size[0]]], dtype=torch.float64, device=device).expand(n, 4)
        return {"matrix": FC.crop_resize_matrix(box, (oh, ow)), "target": FC.crop_resize_matrix(box, (oh, ow), False)}

    def apply_transform(self, input, params, flags, transform=None):
        return FC.resize(input, self.target((input.shape[-2], input.shape[-1])), self.interpolation)

    def apply_transform_mask(self, input, params, flags, transform=None):
        return FC.resize(input, self.target((input.shape[-2], input.shape[-1])), 0)


class AlbuResize(_Resize):
    """``Resize`` to ``(height, width)``."""

    def __init__(self, height=224, width=224, interpolation=1, p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, height=check_int("height", height),
                         width=check_int("width", width), interpolation=interpolation)
        self._check_modes(interpolation, 0, 0.0)

    def target(self, size):
        return self._cfg["height"], self._cfg["width"]


class _MaxSize(_Resize):
    _pick = max

    def __init__(self, max_size=1024, interpolation=1, p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, max_size=check_int("max_size", max_size),
                         interpolation=interpolation)
        self._check_modes(interpolation, 0, 0.0)

    def target(self, size):
        scale = self._cfg["max_size"] / type(self)._pick(size)
        return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


class AlbuLongestMaxSize(_MaxSize):
    """``LongestMaxSize``: scale so the longer side is ``max_size`` (sides ``round(side * scale)``)."""

    _pick = max


class AlbuSmallestMaxSize(_MaxSize):
    """``SmallestMaxSize``: scale so the shorter side is ``max_size``."""

    _pick = min


_POSITIONS = ("center", "top_left", "top_right", "bottom_left", "bottom_right")


class AlbuPadIfNeeded(CompatGeometric):
    """``PadIfNeeded``: pad to at least ``(min_height, min_width)`` (or up to a multiple of the divisors),
    split as ``top = pad // 2`` for ``position="center"``; ``border_mode`` OpenCV flag, ``fill`` in [0, 1]."""

    resizes = True

    def __init__(self, min_height=1024, min_width=1024, pad_height_divisor=None, pad_width_divisor=None,
                 position="center", border_mode=4, fill=0.0, p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        if (min_height is None) == (pad_height_divisor is None) or (min_width is None) == (pad_width_divisor is None):
            raise ValueError("give exactly one of min_height / pad_height_divisor and of min_width / pad_width_divisor")
        for k, v in (("min_height", min_height), ("min_width", min_width), ("pad_height_divisor", pad_height_divisor),
                     ("pad_width_divisor", pad_width_divisor)):
            if v is not None:
                check_int(k, v)
        if position not in _POSITIONS:
            raise ValueError(f"position must be one of {_POSITIONS}, got {position!r}")
        super().__init__(p, same_on_batch, keepdim, generator, min_height=min_height, min_width=min_width,
                         pad_height_divisor=pad_height_divisor, pad_width_divisor=pad_width_divisor,
                         position=position, border_mode=border_mode, fill=fill)
        self._check_modes(0, border_mode, fill)
        self._cfg["fill"] = self.fill

    def _pads(self, size: tuple[int, int]) -> tuple[int, int, int, int]:
        def one(side, minimum, div):
            pad = max(0, minimum - side) if minimum is not None else (div - side % div) % div
            return pad // 2, pad - pad // 2

        c = self._cfg
        top, bottom = one(size[0], c["min_height"], c["pad_height_divisor"])
        left, right = one(size[1], c["min_width"], c["pad_width_divisor"])
        pos = c["position"]
        if pos.startswith("top"):
            top, bottom = 0, top + bottom
        elif pos.startswith("bottom"):
            top, bottom = top + bottom, 0
        if pos.endswith("left"):
            left, right = 0, left + right
        elif pos.endswith("right"):
            left, right = left + right, 0
        return top, bottom, left, right

    def output_size(self, size):
        t, b, l, r = self._pads(size)
        return size[0] + t + b, size[1] + l + r

    def sample(self, n, size, generator, device):
        t, _, l, _ = self._pads(size)
        m = _eye(n, device)
        m[:, 0, 2], m[:, 1, 2] = float(l), float(t)
        return {"matrix": m}


class AlbuTranspose(CompatGeometric):
    """``Transpose``: swap rows and columns, ``y[v, u] = x[u, v]`` (output ``(W, H)``)."""

    def __init__(self, p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator)
        self._check_modes(0, 0, 0.0)

    def output_size(self, size):
        return size[1], size[0]

    def sample(self, n, size, generator, device):
        if size[0] != size[1] and self.p != 1.0:
            raise ValueError(f"Transpose of non-square images {size} in a batch needs p=1")
        m = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64, device=device)
        return {"matrix": m.expand(n, 3, 3).clone()}


class AlbuRandomRotate90(CompatGeometric):
    """``RandomRotate90``: rotate counter-clockwise by ``k * 90`` degrees, ``k ~ randint[0, 3]``
    (``np.rot90``); square images only, since ``k`` odd swaps the sides."""

    def __init__(self, p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator)
        self._check_modes(0, 0, 0.0)

    def sample(self, n, size, generator, device):
        h, w = size
        if h != w:
            raise ValueError(f"RandomRotate90 needs square images in a batch, got {size}")
        k = torch.randint(0, 4, (n,), generator=generator, device=device)
        r = torch.tensor([[0.0, 1.0, 0.0], [-1.0, 0.0, w - 1.0], [0.0, 0.0, 1.0]], dtype=torch.float64, device=device)
        powers = torch.stack([torch.linalg.matrix_power(r, i) for i in range(4)])
        return {"matrix": powers[k], "k": k}
