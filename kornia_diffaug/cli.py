"""The ``kornia-diffaug`` command: ``preview`` a policy, ``convert`` an Albumentations config, run ``bench`` scripts.

kornia-diffaug preview diffaugment --out grid.png
kornia-diffaug preview ssl:simclr --image photo.jpg --n 8 --out views.png
kornia-diffaug preview examples/configs/simclr.json --out simclr.png
kornia-diffaug convert examples/configs/simclr.json
kornia-diffaug bench bench_diffaugment -- --repeats 5
"""

from __future__ import annotations

import argparse
import ast
import math
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["main", "build_parser"]

BENCHMARKS = ("bench_diffaugment", "bench_ada", "bench_albumentations")


class UsageError(Exception):
    """A bad argument discovered after parsing; reported like argparse does (exit code 2)."""


# ------------------------------------------------------------------------------------------- preview
def _load_image(path: str | None, size: int):
    """``(1, 3, size, size)`` float tensor in [0, 1] from ``path`` (centre-cropped) or scikit-image's astronaut."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    if path is None:
        from skimage.data import astronaut

        arr = astronaut()
    else:
        from PIL import Image, UnidentifiedImageError

        try:
            arr = np.asarray(Image.open(path).convert("RGB"))
        except (FileNotFoundError, IsADirectoryError, UnidentifiedImageError) as exc:
            raise UsageError(f"--image {path}: cannot read an image ({exc.__class__.__name__})") from None
    x = torch.from_numpy(np.array(arr, dtype=np.float32)).permute(2, 0, 1)[None] / 255.0
    h, w = x.shape[-2:]
    side = min(h, w)
    x = x[..., (h - side) // 2 : (h - side) // 2 + side, (w - side) // 2 : (w - side) // 2 + side]
    return F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False).clamp(0, 1)


def _parse_kwargs(items: list[str]) -> dict:
    out = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.isidentifier():
            raise UsageError(f"--kwarg expects KEY=VALUE with KEY a Python identifier, got {item!r}")
        try:
            out[key] = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            out[key] = raw  # a bare string such as policy=translation,cutout
    return out


def build_policy(spec: str, kwargs: dict):
    """A registry name (built for [0, 1] images) or an Albumentations config file, via ``build_pipeline``."""
    from . import build_pipeline, list_policies

    if not os.path.isfile(spec) and spec not in list_policies():
        raise UsageError(f"unknown policy {spec!r}: not a file and not one of {', '.join(list_policies())}")
    try:
        return build_pipeline(spec, **kwargs)
    except ImportError as exc:
        raise UsageError(f"{spec}: the Albumentations adapter is not available ({exc})") from None
    except (ValueError, TypeError, KeyError) as exc:
        raise UsageError(f"{spec}: {exc}") from None


def _fit(x, h: int, w: int):
    """``x`` resized (bilinear, antialiased) to ``h x w`` for display; unchanged when it already has that size."""
    import torch.nn.functional as F

    if x.shape[-2:] == (h, w):
        return x
    return F.interpolate(x, size=(h, w), mode="bilinear", antialias=True, align_corners=False).clamp(0, 1)


def _as_rgb(x):
    x = x.float().clamp(0, 1)
    return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x[:, :3]


def _layout(cells: list[list], h: int, w: int, pad: int = 2, gap: int = 8):
    """A white canvas with ``cells`` (each a list of ``(3, h, w)`` tiles shown side by side) on a near-square grid.

    Tiles of one cell are ``pad`` pixels apart; cells are ``gap`` pixels apart (``gap = pad`` for one-tile cells).
    """
    import torch

    per = max(len(c) for c in cells)
    gap = pad if per == 1 else gap
    cols = math.ceil(math.sqrt(len(cells)))
    rows = math.ceil(len(cells) / cols)
    cell_w = per * w + (per - 1) * pad
    grid = torch.ones(3, rows * (h + pad) + pad, cols * (cell_w + gap) - gap + 2 * pad)
    for i, cell in enumerate(cells):
        r, c = divmod(i, cols)
        top, left = pad + r * (h + pad), pad + c * (cell_w + gap)
        for j, tile in enumerate(cell):
            grid[:, top : top + h, left + j * (w + pad) : left + j * (w + pad) + w] = tile
    return grid


def preview(args: argparse.Namespace) -> int:
    """Write a grid: the original image (top-left) then ``n`` augmented versions (``n`` view pairs for SSL policies).

    Outputs of another size than the input (e.g. a config that crops to 224 px) are shown at the output size,
    with the original resized to match; a two-view policy's pairs sit side by side, one pair per cell.
    """
    import torch
    from PIL import Image

    out_path = Path(args.out)
    if out_path.parent and not out_path.parent.exists():
        raise UsageError(f"--out {args.out}: folder {out_path.parent} does not exist")
    policy = build_policy(args.policy, _parse_kwargs(args.kwarg))
    image = _load_image(args.image, args.size)
    torch.manual_seed(args.seed)
    with torch.no_grad():
        out = policy(image.expand(args.n, -1, -1, -1).contiguous())
    views = list(out) if isinstance(out, (tuple, list)) else [out]
    h, w = views[0].shape[-2:]
    views = [_as_rgb(_fit(v, h, w)) for v in views]
    original = _as_rgb(_fit(image, h, w))[0]
    cells = [[original]] + [[v[i] for v in views] for i in range(args.n)]
    grid = _layout(cells, h, w)
    arr = (grid.permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()
    Image.fromarray(arr).save(out_path)
    what = f"{args.n} pairs of views side by side" if len(views) == 2 else f"{args.n} augmented versions"
    print(f"wrote {out_path} ({what} of {args.image or 'skimage astronaut'}, {args.policy}; {h}x{w} px tiles)")
    return 0


# ------------------------------------------------------------------------------------------- convert
def convert(args: argparse.Namespace) -> int:
    """Print the adapter's report: which Albumentations transforms map to which Kornia ops, and what is dropped."""
    if not os.path.isfile(args.config):
        raise UsageError(f"config {args.config!r} does not exist")
    try:
        from kornia_diffaug.adapters.albumentations import conversion_report
    except ImportError as exc:
        raise UsageError(f"the Albumentations adapter is not available ({exc})") from None
    try:
        print(conversion_report(args.config))
    except (ValueError, TypeError, KeyError) as exc:
        raise UsageError(f"{args.config}: {exc}") from None
    return 0


# --------------------------------------------------------------------------------------------- bench
def _benchmarks_dir() -> Path | None:
    """``benchmarks/`` of a source checkout: next to the package, or under the current directory."""
    for candidate in (Path(__file__).resolve().parent.parent / "benchmarks", Path.cwd() / "benchmarks"):
        if candidate.is_dir():
            return candidate
    return None


def bench(args: argparse.Namespace) -> int:
    """Run benchmark scripts (all when none are named) with the extra arguments after ``--``."""
    folder = _benchmarks_dir()
    if folder is None:
        raise UsageError("benchmarks/ not found: run from a source checkout of kornia-diffaug")
    names = args.names or [n for n in BENCHMARKS if (folder / f"{n}.py").is_file()]
    missing = [n for n in names if not (folder / f"{n.removesuffix('.py')}.py").is_file()]
    if missing:
        found = sorted(p.stem for p in folder.glob("bench_*.py"))
        raise UsageError(f"no benchmark {', '.join(missing)} in {folder}; available: {', '.join(found) or 'none'}")
    if not names:
        raise UsageError(f"no benchmark scripts in {folder}")
    extra = [a for a in args.extra if a != "--"]
    worst = 0
    for name in names:
        script = folder / f"{name.removesuffix('.py')}.py"
        print(f"== {script.name} {' '.join(extra)}".rstrip(), flush=True)
        worst = max(worst, subprocess.call([sys.executable, str(script), *extra], cwd=folder.parent))
    return worst


# ---------------------------------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kornia-diffaug", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{preview,convert,bench}")

    p = sub.add_parser(
        "preview",
        help="draw a grid of augmented versions of an image",
        description="Draw the original image and N augmented versions of it into one PNG grid.",
    )
    from . import list_policies

    p.add_argument(
        "policy", help=f"a registered policy ({', '.join(list_policies())}) or an Albumentations config file"
    )
    p.add_argument("--image", default=None, help="image file (default: scikit-image's astronaut)")
    p.add_argument("--n", type=_positive_int, default=16, help="number of augmented versions (default 16)")
    p.add_argument("--size", type=_positive_int, default=128, help="side of the square image (default 128)")
    p.add_argument("--out", default="grid.png", help="output PNG (default grid.png)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--kwarg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="constructor argument for a policy, e.g. --kwarg policy=translation,cutout --kwarg p=1.0",
    )
    p.set_defaults(func=preview)

    c = sub.add_parser(
        "convert",
        help="report how an Albumentations config maps onto Kornia ops",
        description="Print the conversion report of an Albumentations config (JSON or YAML).",
    )
    c.add_argument("config", help="path to an Albumentations config")
    c.set_defaults(func=convert)

    b = sub.add_parser(
        "bench",
        help="run benchmark scripts from benchmarks/",
        description=f"Run benchmark scripts by name ({', '.join(BENCHMARKS)}; all when none given). "
        "Arguments after -- are passed to each script.",
    )
    b.add_argument("names", nargs="*", metavar="NAME", help="benchmark script names")
    b.add_argument("extra", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    b.set_defaults(func=bench)
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code (2 for bad arguments)."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"] and "--" in argv:  # everything after -- goes to the scripts untouched
        i = argv.index("--")
        args = parser.parse_args(argv[:i])
        args.extra = argv[i + 1 :]
    else:
        args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        parser.exit(2, f"{parser.prog} {args.command}: error: {exc}\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
