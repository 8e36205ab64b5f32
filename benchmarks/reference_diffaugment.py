"""A straightforward implementation of DiffAugment's reference formulas (gather-based, as the authors'
release computes them), written for this project as the baseline of benchmarks and exactness tests.

Draw order and index arithmetic follow the release, so with the same generator state it produces the same
output as :func:`kornia_diffaug.functional.diff_augment`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as nnf


def _color(x: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
    b = x.size(0)
    x = x + (torch.rand(b, 1, 1, 1, dtype=x.dtype, device=x.device, generator=g) - 0.5)
    m = x.mean(dim=1, keepdim=True)
    x = (x - m) * (torch.rand(b, 1, 1, 1, dtype=x.dtype, device=x.device, generator=g) * 2) + m
    m = x.mean(dim=[1, 2, 3], keepdim=True)
    x = (x - m) * (torch.rand(b, 1, 1, 1, dtype=x.dtype, device=x.device, generator=g) + 0.5) + m
    return x


def _translation(x: torch.Tensor, g: torch.Generator | None, ratio: float = 0.125) -> torch.Tensor:
    b, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    th = torch.randint(-sh, sh + 1, size=[b, 1, 1], device=x.device, generator=g)
    tw = torch.randint(-sw, sw + 1, size=[b, 1, 1], device=x.device, generator=g)
    gb, gh, gw = torch.meshgrid(
        torch.arange(b, device=x.device),
        torch.arange(h, device=x.device),
        torch.arange(w, device=x.device),
        indexing="ij",
    )
    gh = torch.clamp(gh + th + 1, 0, h + 1)
    gw = torch.clamp(gw + tw + 1, 0, w + 1)
    x_pad = nnf.pad(x, [1, 1, 1, 1, 0, 0, 0, 0])
    return x_pad.permute(0, 2, 3, 1).contiguous()[gb, gh, gw].permute(0, 3, 1, 2)


def _cutout(x: torch.Tensor, g: torch.Generator | None, ratio: float = 0.5) -> torch.Tensor:
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    oh = torch.randint(0, h + (1 - ch % 2), size=[b, 1, 1], device=x.device, generator=g)
    ow = torch.randint(0, w + (1 - cw % 2), size=[b, 1, 1], device=x.device, generator=g)
    gb, gh, gw = torch.meshgrid(
        torch.arange(b, device=x.device),
        torch.arange(ch, device=x.device),
        torch.arange(cw, device=x.device),
        indexing="ij",
    )
    gh = torch.clamp(gh + oh - ch // 2, min=0, max=h - 1)
    gw = torch.clamp(gw + ow - cw // 2, min=0, max=w - 1)
    mask = torch.ones(b, h, w, dtype=x.dtype, device=x.device)
    mask[gb, gh, gw] = 0
    return x * mask.unsqueeze(1)


_FUNCS = {"color": _color, "translation": _translation, "cutout": _cutout}


def reference_diff_augment(
    x: torch.Tensor, policy: str = "color,translation,cutout", generator: torch.Generator | None = None
) -> torch.Tensor:
    """DiffAugment on ``[-1, 1]`` images, computed the way the reference release does."""
    for name in policy.split(","):
        x = _FUNCS[name](x, generator)
    return x
