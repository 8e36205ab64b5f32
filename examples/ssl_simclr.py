"""SimCLR on scikit-learn's digits with a timm backbone; the two views come from Albumentations configs.

    python examples/ssl_simclr.py              # the table (3 seeds, mean ± std), ~5 CPU-min
    python examples/ssl_simclr.py --compare    # plus the stock SimCLR recipe, examples/configs/simclr.json
    python examples/ssl_simclr.py --quick      # smoke run, < 30 s

Each config in ``--configs`` is loaded through ``kornia_diffaug.adapters.albumentations.from_albumentations`` and
run batched on the whole batch (a registered view policy such as ``ssl:simclr`` works too). Two independent calls
give SimCLR's two views. The table compares, on the digits test split: raw pixels, the backbone at random init,
an identical-views control (one augmented view used twice, so the contrastive task is trivial), and the backbone
pretrained with each config. Metrics: kNN accuracy (k=5, cosine, all training labels) and a linear probe
trained on 10 labels per class (mean over ``--probe-draws`` random label draws); every row is mean ± std over
``--seeds`` seeds (a seed draws the backbone's init, the batches, the views and the probe's labels).

The backbone is timm's ``resnet10t`` fitted to 16x16 inputs. Its stem downsamples by 4 (a stride-2 conv, then a
stride-2 max-pool), made for 224 px ImageNet images: a 16x16 digit leaves the stem as 4x4 and is one pixel from
stage 3 on, so half the network sees no spatial layout at all. The stem max-pool is therefore replaced by an
identity (``--stem-pool drop``): 8x8 after the stem, 4x4 and 2x2 in stages 2 and 3, 1x1 only after stage 4.
The widths are halved (``--width 0.5``: timm's ``channels`` = 32, 64, 128, 256 and ``stem_width`` 16; 1.2 M
parameters): 1257 training images do not need ImageNet widths, and the CPU budget is a few minutes. Pretraining
is short (500 steps x batch 128, peak LR 1e-2, temperature 0.5) with a linear warm-up (10% of the steps) into a
cosine decay.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as U  # noqa: E402  (the digits split and image conversion are shared with the GAN example)

CONFIGS = Path(__file__).resolve().parent / "configs"
DEFAULT_CONFIGS = str(CONFIGS / "simclr_digits.json")
STOCK_CONFIG = str(CONFIGS / "simclr.json")  # the standard SimCLR recipe, added by --compare


# -------------------------------------------------------------------------------------------- views
def _fit_config(path: str, resolution: int) -> dict:
    """Load a config and fit it to ``resolution``: crop output sizes become ``resolution`` and blur kernels are
    scaled by the same factor (SimCLR's 23 px kernel is 10% of its 224 px crop). Everything else is kept."""
    cfg = json.loads(Path(path).read_text())
    transforms = cfg.get("transform", cfg).get("transforms", [])
    crop = next((t["size"][0] for t in transforms if t.get("size")), 224)
    for t in transforms:
        if t.get("size"):
            t["size"] = [resolution, resolution]
        if "blur_limit" in t:
            t["blur_limit"] = [max(3, int(round(v * resolution / crop)) | 1) for v in t["blur_limit"]]
    return cfg


def make_views(spec: str, resolution: int) -> tuple[nn.Module, str]:
    """A [0, 1] augmentation module from a config file (through the adapter) or a registered view policy."""
    from kornia_diffaug import build_pipeline, list_policies

    if spec in list_policies():
        policy = build_pipeline(spec, size=resolution) if spec.startswith("ssl:") else build_pipeline(spec)
        return policy, spec
    if not Path(spec).is_file():
        raise SystemExit(f"--configs: {spec!r} is neither a file nor a registered policy")
    try:
        from kornia_diffaug.adapters.albumentations import from_albumentations
    except ImportError as exc:
        raise SystemExit(f"the Albumentations adapter is not available ({exc})") from None
    return from_albumentations(_fit_config(spec, resolution)), Path(spec).name


def two_views(aug: nn.Module, x: torch.Tensor, identical: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Two independent draws of ``aug`` on the batch (SSL policies return both views themselves)."""
    out = aug(x)
    if isinstance(out, tuple):
        return (out[0], out[0]) if identical else out
    return (out, out) if identical else (out, aug(x))


# ----------------------------------------------------------------------------------------- backbone
def make_backbone(name: str, width: float = 1.0, stem_pool: str = "keep") -> nn.Module:
    """A timm model from random init, one grey input channel, pooled features out.

    ``width`` scales a timm ResNet's stage widths (timm's ``channels``) and, for its deep 3x3 stems, ``stem_width``
    (timm fixes the single 7x7 stem at 64). ``stem_pool="drop"`` replaces the stem max-pool by an identity, so
    the stem downsamples by 2 instead of 4. Both only exist for timm ResNets; asking for them on another model is
    an error, not a silent no-op."""
    import timm
    from timm.models.resnet import ResNet

    def build(**kwargs) -> nn.Module:
        try:
            return timm.create_model(name, pretrained=False, num_classes=0, in_chans=1, **kwargs)
        except Exception as exc:
            raise SystemExit(f"--backbone {name!r}: timm could not build it ({exc})") from None

    model = build()
    if width == 1.0 and stem_pool == "keep":
        return model
    if not isinstance(model, ResNet):
        raise SystemExit(f"--width / --stem-pool drop need a timm ResNet; {name!r} is a {type(model).__name__}")
    if width != 1.0:
        expansion = type(model.layer1[0]).expansion
        planes = [model.feature_info[i]["num_chs"] // expansion for i in range(1, 5)]
        kwargs: dict = {"channels": tuple(max(4, round(c * width)) for c in planes)}
        if isinstance(model.conv1, nn.Sequential):  # deep stem: convs of stem_width (or 3/4 of it), stem_width, 2x
            kwargs["stem_width"] = max(4, round(model.conv1[3].out_channels * width))
        model = build(**kwargs)
    return U.drop_stem_maxpool(model) if stem_pool == "drop" else model


# ----------------------------------------------------------------------------------------- training
def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """SimCLR's NT-Xent loss: each view's positive is the other view of its image among 2B - 1 candidates."""
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.t() / temperature
    sim.fill_diagonal_(float("-inf"))
    n = len(z1)
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(sim, target)


class SimCLR(nn.Module):
    """timm backbone (pooled features) + SimCLR's 2-layer projection head, BatchNorm after its hidden layer (as in
    SimCLR's own implementation; it lets a peak LR of 1e-2 train stably)."""

    def __init__(self, backbone: nn.Module, proj_dim: int = 64) -> None:
        super().__init__()
        self.backbone = backbone
        d = backbone.num_features
        self.head = nn.Sequential(nn.Linear(d, d, bias=False), nn.BatchNorm1d(d), nn.ReLU(True), nn.Linear(d, proj_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


def warmup_cosine(step: int, total: int, warmup: float = 0.1) -> float:
    """LR factor at ``step`` (0-based) of ``total``: linear warm-up over the first ``warmup`` fraction of the steps
    (1/w, 2/w, ..., 1 with w = max(1, round(warmup * total))), then cosine decay 0.5 (1 + cos(pi t)) with
    t = (step - w) / (total - w), so the last step still moves (t < 1)."""
    w = max(1, round(warmup * total))
    if step < w:
        return (step + 1) / w
    return 0.5 * (1 + math.cos(math.pi * (step - w) / max(1, total - w)))


def pretrain(
    backbone: nn.Module, aug: nn.Module, x: torch.Tensor, args, seed: int, identical: bool, desc: str
) -> nn.Module:
    """SimCLR pretraining of a copy of ``backbone`` on the unlabelled images ``x`` (in [0, 1])."""
    from tqdm.auto import tqdm

    torch.manual_seed(seed)  # the head's init and the views' draws
    model = SimCLR(copy.deepcopy(backbone)).to(x.device)
    model.train()  # the copy may come from embed() in eval mode; BatchNorm must train on batch statistics
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: warmup_cosine(step, args.steps))
    g = torch.Generator().manual_seed(seed)
    bar = tqdm(range(args.steps), desc=desc, dynamic_ncols=True, mininterval=2.0, disable=args.no_progress)
    for _ in bar:
        batch = x[torch.randperm(len(x), generator=g)[: args.batch].to(x.device)]
        v1, v2 = two_views(aug, batch, identical)
        loss = nt_xent(model(v1), model(v2), args.temperature)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        bar.set_postfix(loss=f"{loss.item():.3f}")
    return model.backbone


# --------------------------------------------------------------------------------------- evaluation
@torch.no_grad()
def embed(backbone: nn.Module, x: torch.Tensor) -> np.ndarray:
    backbone.eval()
    return torch.cat([backbone(c) for c in x.split(512)]).cpu().numpy()


def evaluate(
    f_train: np.ndarray, y_train: np.ndarray, f_test: np.ndarray, y_test: np.ndarray, seed: int, draws: int = 5
) -> dict:
    """kNN accuracy (k=5, cosine) with all training labels; linear probe on 10 labels/class, mean over draws."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.preprocessing import StandardScaler

    def l2(a: np.ndarray) -> np.ndarray:
        return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)

    knn = KNeighborsClassifier(n_neighbors=5).fit(l2(f_train), y_train).score(l2(f_test), y_test)
    rng = np.random.default_rng(seed)
    probes = []
    for _ in range(draws):
        idx = np.concatenate([rng.choice(np.flatnonzero(y_train == c), 10, replace=False) for c in range(10)])
        scaler = StandardScaler().fit(f_train[idx])
        clf = LogisticRegression(max_iter=2000).fit(scaler.transform(f_train[idx]), y_train[idx])
        probes.append(clf.score(scaler.transform(f_test), y_test))
    return {"knn": float(knn), "linear_10": float(np.mean(probes)), "linear_10_std": float(np.std(probes))}


# --------------------------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--configs", default=DEFAULT_CONFIGS, help="comma-separated configs or view-policy names")
    p.add_argument("--compare", action="store_true", help=f"also pretrain with the stock recipe {STOCK_CONFIG}")
    p.add_argument("--control", default=str(CONFIGS / "simclr_digits.json"), help="views of the identical control")
    p.add_argument("--backbone", default="resnet10t", help="any timm model name, random init")
    p.add_argument("--width", type=float, default=0.5, help="timm ResNet width multiplier (channels, stem_width)")
    p.add_argument("--stem-pool", choices=("drop", "keep"), default="drop", help="the timm ResNet stem max-pool")
    p.add_argument("--resolution", type=int, default=16)
    p.add_argument("--steps", type=int, default=500, help="SimCLR steps per pretraining")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-2, help="peak LR (AdamW), after a linear warm-up, cosine decay")
    p.add_argument("--temperature", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=0, help="first seed")
    p.add_argument("--seeds", type=int, help="seeds seed, seed + 1, ...; rows are mean ± std over them (3; --quick 1)")
    p.add_argument("--out", type=Path, default=Path("runs/ssl_simclr"))
    p.add_argument("--quick", action="store_true", help="smoke run (< 30 s)")
    p.add_argument("--probe-draws", type=int, default=5, help="random 10-labels-per-class draws for the probe")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    if args.quick:
        args.steps, args.batch, args.probe_draws = 2, 32, 2
    if args.seeds is None:
        args.seeds = 1 if args.quick else 3
    for name in ("steps", "batch", "probe_draws", "seeds"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    if not 0 < args.width <= 4:
        p.error("--width must be in (0, 4]")
    if not 8 <= args.resolution <= 256:
        p.error("--resolution must be in 8..256")
    specs = [spec for spec in args.configs.split(",") if spec]
    if args.compare and STOCK_CONFIG not in specs:
        specs.insert(0, STOCK_CONFIG)
    args.config_list = specs
    return args


def _mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and population std (ddof 0) over seeds."""
    return float(np.mean(values)), float(np.std(values))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t0 = time.time()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    args.out.mkdir(parents=True, exist_ok=True)
    x_tr, x_te, y_tr, y_te = U.digits_split()
    xt = ((U._to_tensor(x_tr, args.resolution) + 1) / 2).to(device)  # [0, 1]
    xe = ((U._to_tensor(x_te, args.resolution) + 1) / 2).to(device)
    y_tr, y_te = np.asarray(y_tr), np.asarray(y_te)
    views = {spec: make_views(spec, args.resolution) for spec in dict.fromkeys([args.control, *args.config_list])}
    names = [
        "raw pixels",
        f"{args.backbone}, random init",
        f"identical-views control ({views[args.control][1]})",
        *(f"SimCLR, views from {views[spec][1]}" for spec in args.config_list),
    ]
    per_seed: dict[str, list[dict]] = {name: [] for name in names}
    seconds: dict[str, float] = dict.fromkeys(names, 0.0)

    def add(name: str, seed: int, f_train: np.ndarray, f_test: np.ndarray) -> None:
        r = evaluate(f_train, y_tr, f_test, y_te, seed, args.probe_draws)
        per_seed[name].append(r)
        print(
            f"seed {seed}  {name:<44} kNN {100 * r['knn']:.1f}%  linear(10/class) {100 * r['linear_10']:.1f}%",
            flush=True,
        )

    for seed in range(args.seed, args.seed + args.seeds):
        torch.manual_seed(seed)
        backbone = make_backbone(args.backbone, args.width, args.stem_pool).to(device)
        add(names[0], seed, xt.flatten(1).cpu().numpy(), xe.flatten(1).cpu().numpy())
        add(names[1], seed, embed(backbone, xt), embed(backbone, xe))
        runs = [(names[2], args.control, True)] + [
            (n, s, False) for n, s in zip(names[3:], args.config_list, strict=True)
        ]
        for name, spec, identical in runs:
            t1 = time.time()
            aug = views[spec][0].to(device)
            trained = pretrain(backbone, aug, xt, args, seed, identical, f"seed {seed} {name}"[:36])
            add(name, seed, embed(trained, xt), embed(trained, xe))
            seconds[name] += time.time() - t1

    rows = []
    for name in names:
        knn, knn_sd = _mean_std([r["knn"] for r in per_seed[name]])
        probe, probe_sd = _mean_std([r["linear_10"] for r in per_seed[name]])
        rows.append(
            {
                "representation": name,
                "knn": knn,
                "knn_std": knn_sd,
                "linear_10": probe,
                "linear_10_std": probe_sd,
                "seconds": seconds[name],
                "per_seed": per_seed[name],
            }
        )
    minutes = (time.time() - t0) / 60
    seeds = f"seeds {args.seed}-{args.seed + args.seeds - 1}" if args.seeds > 1 else f"seed {args.seed}"
    table = [
        f"digits ({len(xt)} train / {len(xe)} test), {args.resolution}x{args.resolution}, backbone timm "
        f"`{args.backbone}` (width x{args.width:g}, stem max-pool {args.stem_pool}), SimCLR {args.steps} steps x "
        f"batch {args.batch}; mean ± std over {seeds}; total {minutes:.1f} min on {device}.",
        "",
        "| representation | kNN accuracy (k=5) | linear probe, 10 labels/class |",
        "|---|---|---|",
    ]
    for r in rows:
        knn = f"{100 * r['knn']:.1f}% ± {100 * r['knn_std']:.1f}"
        probe = f"{100 * r['linear_10']:.1f}% ± {100 * r['linear_10_std']:.1f}"
        table.append(f"| {r['representation']} | {knn} | {probe} |")
    (args.out / "results.md").write_text("\n".join(table) + "\n")
    (args.out / "results.json").write_text(
        json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "minutes": minutes, "rows": rows}, indent=2)
    )
    print("\n".join(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
