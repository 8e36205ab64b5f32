"""SimCLR on scikit-learn's digits with a timm backbone; the two views come from Albumentations configs.

    python examples/ssl_simclr.py            # all rows of the table, ~7 min on 2 CPU cores
    python examples/ssl_simclr.py --quick    # smoke run, < 30 s

Each config in ``--configs`` is loaded through ``kornia_diffaug.adapters.albumentations.from_albumentations`` and
run batched on the whole batch (a registered view policy such as ``ssl:simclr`` works too). Two independent calls
give SimCLR's two views. The table compares, on the digits test split: raw pixels, the backbone at random init,
an identical-views control (one augmented view used twice, so the contrastive task is trivial), and the backbone
pretrained with each config. Metrics: kNN accuracy (k=5, cosine, all training labels) and a linear probe
trained on 10 labels per class (mean ± std over 5 random label draws).
"""

from __future__ import annotations

import argparse
import copy
import json
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
DEFAULT_CONFIGS = f"{CONFIGS / 'simclr.json'},{CONFIGS / 'simclr_digits.json'}"


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
    """timm backbone (pooled features) + 2-layer projection head."""

    def __init__(self, backbone: nn.Module, proj_dim: int = 64) -> None:
        super().__init__()
        self.backbone = backbone
        d = backbone.num_features
        self.head = nn.Sequential(nn.Linear(d, d), nn.ReLU(True), nn.Linear(d, proj_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


def pretrain(backbone: nn.Module, aug: nn.Module, x: torch.Tensor, args, identical: bool, desc: str) -> nn.Module:
    """SimCLR pretraining of a copy of ``backbone`` on the unlabelled images ``x`` (in [0, 1])."""
    from tqdm.auto import tqdm

    torch.manual_seed(args.seed)
    model = SimCLR(copy.deepcopy(backbone)).to(x.device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.1)
    g = torch.Generator().manual_seed(args.seed)
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
    p.add_argument("--control", default=str(CONFIGS / "simclr_digits.json"), help="views of the identical control")
    p.add_argument("--backbone", default="resnet10t", help="any timm model name, random init")
    p.add_argument("--resolution", type=int, default=16)
    p.add_argument("--steps", type=int, default=1000, help="SimCLR steps per pretraining")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--temperature", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("runs/ssl_simclr"))
    p.add_argument("--quick", action="store_true", help="smoke run (< 30 s)")
    p.add_argument("--probe-draws", type=int, default=5, help="random 10-labels-per-class draws for the probe")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    if args.quick:
        args.steps, args.batch, args.probe_draws = 2, 32, 2
    for name in ("steps", "batch", "probe_draws"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be >= 1")
    if not 8 <= args.resolution <= 256:
        p.error("--resolution must be in 8..256")
    return args


def main(argv: list[str] | None = None) -> int:
    import timm

    args = parse_args(argv)
    t0 = time.time()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    args.out.mkdir(parents=True, exist_ok=True)
    x_tr, x_te, y_tr, y_te = U.digits_split()
    xt = ((U._to_tensor(x_tr, args.resolution) + 1) / 2).to(device)  # [0, 1]
    xe = ((U._to_tensor(x_te, args.resolution) + 1) / 2).to(device)
    y_tr, y_te = np.asarray(y_tr), np.asarray(y_te)
    torch.manual_seed(args.seed)
    try:
        backbone = timm.create_model(args.backbone, pretrained=False, num_classes=0, in_chans=1).to(device)
    except Exception as exc:
        raise SystemExit(f"--backbone {args.backbone!r}: timm could not build it ({exc})") from None

    rows: list[dict] = []

    def add(name: str, f_train: np.ndarray, f_test: np.ndarray, seconds: float = 0.0) -> None:
        scores = evaluate(f_train, y_tr, f_test, y_te, args.seed, args.probe_draws)
        rows.append({"representation": name, **scores, "seconds": seconds})
        r = rows[-1]
        print(f"{name:<44} kNN {100 * r['knn']:.1f}%  linear(10/class) {100 * r['linear_10']:.1f}%", flush=True)

    add("raw pixels", xt.flatten(1).cpu().numpy(), xe.flatten(1).cpu().numpy())
    add(f"{args.backbone}, random init", embed(backbone, xt), embed(backbone, xe))
    runs = [("identical-views control", args.control, True)]
    runs += [(None, spec, False) for spec in args.configs.split(",") if spec]
    for label, spec, identical in runs:
        aug, name = make_views(spec, args.resolution)
        aug = aug.to(device)
        label = f"{label} ({name})" if label else f"SimCLR, views from {name}"
        t1 = time.time()
        trained = pretrain(backbone, aug, xt, args, identical, label[:30])
        add(label, embed(trained, xt), embed(trained, xe), time.time() - t1)

    minutes = (time.time() - t0) / 60
    table = [
        f"digits ({len(xt)} train / {len(xe)} test), {args.resolution}x{args.resolution}, backbone timm "
        f"`{args.backbone}`, SimCLR {args.steps} steps x batch {args.batch}; total {minutes:.1f} min on {device}.",
        "",
        "| representation | kNN accuracy (k=5) | linear probe, 10 labels/class |",
        "|---|---|---|",
    ]
    for r in rows:
        probe = f"{100 * r['linear_10']:.1f}% ± {100 * r['linear_10_std']:.1f}"
        table.append(f"| {r['representation']} | {100 * r['knn']:.1f}% | {probe} |")
    (args.out / "results.md").write_text("\n".join(table) + "\n")
    (args.out / "results.json").write_text(
        json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "minutes": minutes, "rows": rows}, indent=2)
    )
    print("\n".join(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
