"""Learn an augmentation policy with gradients on 10% of the digits labels, export it as an Albumentations
config, and train a fresh classifier with that config through Albumentations itself.

    python examples/learn_policy.py            # search + 3 configs x 3 seeds, about 2.5 min on 2 CPU cores
    python examples/learn_policy.py --validate # scored on 540 train-split digits outside the labels (tuning)
    python examples/learn_policy.py --quick    # smoke run, < 60 s

1. Search (implicit hypergradient of a held-out loss, Lorraine et al. 2020; DADA's one-step look-ahead is its
   first term): the labelled 10% is split in two halves, and two small CNNs (narrower proxies of the evaluation
   CNN) train, one on each half, through a ``LearnablePolicy(..., albumentations=True)`` (rotation, scale,
   translation, brightness, contrast, cutout), as the exported config will be used. Every ``--hyper-every``
   steps, for each proxy, the policy's magnitudes and probabilities move along ``-v^T H^-1 dg/dlambda``: how
   the proxy's trained weights, and so its loss on the *other* half (clean), change with the policy, with
   ``v`` the held-out gradient, ``g`` the augmented training gradient and ``H^-1`` a ``--neumann``-term Neumann
   series. Why not the plain look-ahead: one SGD step from a fresh CNN always prefers clean data (augmenting
   only pays off over many steps), so it shrinks every magnitude to 0 (the measured failure of the earlier
   version); the implicit gradient at a trained proxy sees the longer horizon. The proxies restart every
   ``--restart`` steps (the policy acts on the whole of training, so its gradient is averaged over the stages
   of training), and the policy waits ``--warmup`` steps after each restart. Magnitudes are kept in
   ``[0, --max-magnitude]`` (the search space: at 0.5, rotations up to 45 degrees, scales 0.75-1.25, shifts up to
   12.5% of the side, holes of half the side). ``--proxies N`` averages each policy step over ``N`` random
   splits in two halves (default 1); ``--proxy full`` trains the evaluation CNN itself as the proxy;
   ``--hardness b`` also ascends ``b`` times the proxy's augmented training loss (default 0; tried, it did not
   help). The policy's (m, p) are printed as it learns.
2. Export: ``to_albumentations(policy)`` -> ``learned_policy.json`` (``A.from_dict`` loads it).
3. Evaluation: for each of three augmentations -- none, the exported config, and a hand-written config with
   Albumentations' classic defaults (``configs/digits_handwritten.json``) -- train a fresh CNN on all the
   labelled images with every image augmented per step by Albumentations itself (uint8, one call per image),
   for ``--seeds`` seeds, and report the test accuracy (540 images) as mean ± std.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as U  # noqa: E402  (the digits split, the 16x16 conversion and the classifier's network)

CONFIGS = Path(__file__).resolve().parent / "configs"
HANDWRITTEN = CONFIGS / "digits_handwritten.json"
RES = U.CLASSIFIER_RES


# --------------------------------------------------------------------------------------------- data
VALIDATION_SIZE = 540  # --validate: held-out digits of the train split, outside the labelled fraction


def labelled_split(fraction: float, seed: int = 0, validate: bool = False):
    """The digits split at 16x16 in [0, 1]: a stratified ``fraction`` of the train split (the labelled set),
    and the 540-image test split -- or, with ``validate``, 540 stratified images of the train split outside
    the labelled set (for choosing search settings; the test split is then not read). Returns
    ``(x_lab, y_lab, x_eval, y_eval)`` as tensors."""
    from sklearn.model_selection import train_test_split

    x_tr, x_te, y_tr, y_te = U.digits_split()
    x_lab, x_rest, y_lab, y_rest = train_test_split(x_tr, y_tr, train_size=fraction, random_state=seed,
                                                    stratify=y_tr)
    if validate:
        _, x_te, _, y_te = train_test_split(x_rest, y_rest, test_size=VALIDATION_SIZE, random_state=seed,
                                            stratify=y_rest)
    to01 = lambda a: (U._to_tensor(a, RES) + 1) / 2  # noqa: E731
    return to01(x_lab), torch.as_tensor(y_lab), to01(x_te), torch.as_tensor(y_te)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """(N, 1, H, W) in [0, 1] -> (N, H, W, 1) uint8, what Albumentations reads."""
    return (x.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def from_uint8(u: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(u)).permute(0, 3, 1, 2).float() / 255


# ------------------------------------------------------------------------------------------- search
class SearchNet(torch.nn.Module):
    """The search's proxy: the evaluation CNN at a quarter of its width (a policy step is ~15 backward passes)."""

    def __init__(self) -> None:
        super().__init__()
        nn = torch.nn
        self.net = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * 16, 10),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def search_population(x: torch.Tensor, y: torch.Tensor, args, log) -> tuple[torch.nn.Module, list[dict]]:
    """``--search-seeds`` independent searches (seeds ``--seed + k``: other halves, draws and proxies), averaged:
    the returned policy's stored ``(m, p)`` are the means over the searches, and so is its trace."""
    runs = []
    for k in range(args.search_seeds):
        if args.search_seeds > 1:
            log(f" search seed {args.seed + k}")
        runs.append(search(x, y, args, log, args.seed + k))
    policy = runs[0][0]
    with torch.no_grad():
        for name in ("magnitude", "probability"):
            getattr(policy, name).copy_(torch.stack([getattr(pol, name) for pol, _ in runs]).mean(0))
    trace = [{"step": rows[0]["step"], **{op: np.mean([r[op] for r in rows], 0).tolist() for op in policy.ops}}
             for rows in zip(*(tr for _, tr in runs), strict=True)]
    if args.search_seeds > 1:
        log("  mean     " + "  ".join(f"{op} m={m:.3f} p={p:.3f}" for op, (m, p) in policy.summary().items()))
    return policy, trace


def search(x: torch.Tensor, y: torch.Tensor, args, log, seed: int) -> tuple[torch.nn.Module, list[dict]]:
    """Fit a LearnablePolicy by the implicit hypergradient of the held-out half's loss; returns it and its trace.

    ``--proxies`` splits of the labelled images in two halves, each with its two proxies; each policy step
    takes one Adam step on the mean hypergradient of the first proxies of all splits, then one on the second's
    (with one split: one step per proxy)."""
    from kornia_diffaug.nn import LearnablePolicy

    g = torch.Generator().manual_seed(seed)
    splits = []
    for _ in range(args.proxies):
        perm = torch.randperm(len(x), generator=g)
        splits.append((perm[: len(x) // 2], perm[len(x) // 2:]))
    policy = LearnablePolicy(args.policy, temperature=args.temperature, value_range=(0.0, 1.0),
                             init_magnitude=args.init_magnitude, init_probability=args.init_probability,
                             generator=torch.Generator().manual_seed(seed + 1), albumentations=True).train()
    torch.manual_seed(seed)
    opt_p = torch.optim.Adam(policy.parameters(), lr=args.policy_lr)
    trace: list[dict] = []
    for step in range(args.search_steps + 1):
        if step % args.log_every == 0 or step == args.search_steps:
            trace.append({"step": step, **{op: list(v) for op, v in policy.summary().items()}})
            log(f"  step {step:>4}  " + "  ".join(f"{op} m={m:.3f} p={p:.3f}"
                                                          for op, (m, p) in policy.summary().items()))
        if step == args.search_steps:
            break
        if step % args.restart == 0:  # one proxy per half of each split, fresh
            proxy = SearchNet if args.proxy == "quarter" else U.DigitsClassifier
            nets = [[proxy(), proxy()] for _ in splits]
            opts = [[torch.optim.Adam(n.parameters(), lr=args.lr) for n in pair] for pair in nets]
        if step % args.restart >= args.warmup and step % args.hyper_every == 0:
            for k in (0, 1):  # proxy k of each split trains on half k and is validated on the other half
                opt_p.zero_grad(set_to_none=True)
                for halves, pair in zip(splits, nets, strict=True):
                    tr, va = halves[k], halves[1 - k]
                    hypergradient(policy, pair[k], x[tr], y[tr], x[va], y[va], args, 1 / len(splits))
                opt_p.step()
                with torch.no_grad():  # keep the stored values inside the search space
                    policy.magnitude.clamp_(0.0, args.max_magnitude)
                    policy.probability.clamp_(0.0, 1.0)
        for halves, pair, pair_opts in zip(splits, nets, opts, strict=True):
            for net, opt, idx in zip(pair, pair_opts, halves, strict=True):  # each proxy: a step on a fresh draw
                with torch.no_grad():
                    xa = policy(x[idx])
                loss = F.cross_entropy(net(xa), y[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
    return policy, trace


def hypergradient(policy, net, x_tr, y_tr, x_val, y_val, args, weight: float) -> None:
    """Add ``weight`` times the implicit hypergradient of the held-out loss at the proxy's weights ``w`` to the
    policy's ``.grad``.

    With ``g(w, lambda) = grad_w L_train(policy_lambda(x_tr), w)`` and ``v = grad_w L_val(w)``, the implicit
    function theorem at a minimiser gives ``dL_val/dlambda = -v^T H^-1 dg/dlambda`` (``H`` the Hessian of
    ``L_train``); ``H^-1`` is the Neumann series ``alpha sum_{j<=J} (I - alpha H)^j`` (``alpha = --inner-lr``,
    ``J = --neumann``; ``J = 0`` is the one-step look-ahead). ``x_tr`` is drawn ``--draws`` times to cut the noise.
    """
    params = list(net.parameters())
    v = torch.autograd.grad(F.cross_entropy(net(x_val), y_val), params)
    x_rep, y_rep = x_tr.repeat(args.draws, 1, 1, 1), y_tr.repeat(args.draws)
    train_loss = F.cross_entropy(net(policy(x_rep)), y_rep)
    grads = torch.autograd.grad(train_loss, params, create_graph=True)
    term, total = list(v), list(v)
    for _ in range(args.neumann):  # term <- (I - alpha H) term, by Hessian-vector products
        hv = torch.autograd.grad(grads, params, grad_outputs=term, retain_graph=True)
        term = [t - args.inner_lr * h for t, h in zip(term, hv, strict=True)]
        total = [s + t for s, t in zip(total, term, strict=True)]
    surrogate = -args.inner_lr * weight * sum((gw * s).sum() for gw, s in zip(grads, total, strict=True))
    if args.hardness:  # ascend the augmented training loss: harder augmentation, as far as the held-out loss allows
        surrogate = surrogate - args.hardness * weight * train_loss
    surrogate.backward(inputs=list(policy.parameters()))  # its gradient is the hypergradient above, accumulated


# --------------------------------------------------------------------------------------- evaluation
def train_and_test(config: dict | None, x, y, x_test, y_test, seed: int, args) -> float:
    """Train a fresh CNN on ``x`` (every image augmented by Albumentations each time it is drawn); test accuracy."""
    import albumentations as A

    aug = None
    if config is not None:
        aug = A.from_dict(config)
        aug.set_random_seed(seed)
    u = to_uint8(x)
    torch.manual_seed(seed)
    net = U.DigitsClassifier()
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    g = torch.Generator().manual_seed(seed)
    for _ in range(args.epochs):
        for idx in torch.randperm(len(x), generator=g).split(args.batch):
            batch = x[idx] if aug is None else from_uint8(np.stack([aug(image=u[i])["image"] for i in idx.tolist()]))
            loss = F.cross_entropy(net(batch), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        return float((net(x_test).argmax(1) == y_test).float().mean())


# ------------------------------------------------------------------------------------------------ CLI
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--policy", default="rotation,scale,translation,brightness,contrast,cutout",
                   help="LearnablePolicy operations (saturation is the identity on grey digits)")
    p.add_argument("--fraction", type=float, default=0.1, help="labelled fraction of the 1257-image train split")
    p.add_argument("--search-steps", type=int, default=600)
    p.add_argument("--restart", type=int, default=150, help="re-initialise the two proxies every N steps")
    p.add_argument("--warmup", type=int, default=100, help="proxy-only steps after each restart")
    p.add_argument("--hyper-every", type=int, default=4, help="a policy step (both halves) every N steps")
    p.add_argument("--neumann", type=int, default=5, help="J: Neumann terms of the inverse Hessian (0: look-ahead)")
    p.add_argument("--inner-lr", type=float, default=0.02, help="alpha of the Neumann series")
    p.add_argument("--draws", type=int, default=4, help="augmented copies of the training half per policy step")
    p.add_argument("--hardness", type=float, default=0.0,
                   help="beta: each policy step also ascends beta times the proxy's augmented training loss")
    p.add_argument("--max-magnitude", type=float, default=0.5, help="search space: m in [0, this]")
    p.add_argument("--policy-lr", type=float, default=0.01)
    p.add_argument("--temperature", type=float, default=0.5, help="of the relaxed gates")
    p.add_argument("--init-magnitude", type=float, default=0.3)
    p.add_argument("--init-probability", type=float, default=0.5)
    p.add_argument("--epochs", type=int, default=100, help="evaluation: epochs over the labelled images")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seeds", type=int, default=3, help="evaluation seeds per augmentation")
    p.add_argument("--seed", type=int, default=0, help="seed of the split halves, the policy and the search")
    p.add_argument("--proxies", type=int, default=1,
                   help="splits in two halves (two proxies each) whose hypergradients the policy steps average")
    p.add_argument("--proxy", choices=("quarter", "full"), default="quarter",
                   help="proxy network: the evaluation CNN at a quarter of its width, or the evaluation CNN itself")
    p.add_argument("--search-seeds", type=int, default=1,
                   help="average the learned (m, p) over this many searches (seeds --seed, --seed + 1, ...)")
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--out", type=Path, default=Path("runs/learn_policy"))
    p.add_argument("--validate", action="store_true",
                   help="evaluate on 540 train-split digits outside the labelled set, not on the test split "
                        "(choose search settings with this)")
    p.add_argument("--rows", default="none,learned,handwritten",
                   help="which augmentations to evaluate (comma-separated subset of none,learned,handwritten)")
    p.add_argument("--quick", action="store_true", help="smoke run (< 60 s): few steps, epochs and seeds")
    args = p.parse_args(argv)
    if args.search_seeds < 1:
        p.error(f"--search-seeds must be >= 1, got {args.search_seeds}")
    if args.proxies < 1:
        p.error(f"--proxies must be >= 1, got {args.proxies}")
    args.rows_set = set(args.rows.split(","))
    if not args.rows_set <= {"none", "learned", "handwritten"}:
        p.error(f"--rows: expected a subset of none,learned,handwritten, got {args.rows!r}")
    if args.quick:
        args.search_steps, args.restart, args.warmup, args.hyper_every = 40, 20, 5, 2
        args.log_every, args.epochs, args.seeds = 10, 8, 2
    return args


def main(argv: list[str] | None = None) -> int:
    from kornia_diffaug.adapters.albumentations import to_albumentations

    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.time()
    args.out.mkdir(parents=True, exist_ok=True)

    def log(msg: str) -> None:
        print(msg, flush=True)

    x, y, x_test, y_test = labelled_split(args.fraction, validate=args.validate)
    split = "validation" if args.validate else "test"
    log(f"digits: {len(x)} labelled images ({args.fraction:.0%} of the train split), {len(x_test)} {split}; "
        f"{RES}x{RES}, {args.threads} thread(s)")
    log(f"search: {args.search_steps} steps, LearnablePolicy({args.policy!r}, albumentations=True)")
    t1 = time.time()
    policy, trace = search_population(x, y, args, log)
    search_s = time.time() - t1
    config = to_albumentations(policy)
    (args.out / "learned_policy.json").write_text(json.dumps(config, indent=2))
    log(f"exported {args.out / 'learned_policy.json'} ({search_s:.0f} s of search)")

    runs = {"no augmentation": ("none", None), "learned policy (exported)": ("learned", config),
            "hand-written (Albumentations defaults)": ("handwritten", json.loads(HANDWRITTEN.read_text()))}
    runs = {name: cfg for name, (key, cfg) in runs.items() if key in args.rows_set}
    rows = []
    t2 = time.time()
    for name, cfg in runs.items():
        accs = [train_and_test(cfg, x, y, x_test, y_test, s, args) for s in range(args.seeds)]
        rows.append({"augmentation": name, "accuracies": accs, "mean": float(np.mean(accs)),
                     "std": float(np.std(accs, ddof=1)) if len(accs) > 1 else 0.0})
        log(f"  {name:<40} {split} accuracy {100 * rows[-1]['mean']:.1f} ± {100 * rows[-1]['std']:.1f}%  "
            f"({', '.join(f'{100 * a:.1f}' for a in accs)})")
    eval_s = time.time() - t2
    total = time.time() - t0
    md = [f"digits, {len(x)} labelled images ({args.fraction:.0%}), {len(x_test)} {split} images, {RES}x{RES}; search "
          f"{args.search_steps} steps ({search_s:.0f} s); each row: {args.epochs} epochs, batch {args.batch}, "
          f"augmented per image by Albumentations (uint8), {args.seeds} seeds ({eval_s:.0f} s for all rows); "
          f"total {total / 60:.1f} min, {args.threads} thread(s).", "",
          f"| augmentation | {split} accuracy (mean ± std) | per seed |", "|---|---|---|"]
    md += [f"| {r['augmentation']} | {100 * r['mean']:.1f} ± {100 * r['std']:.1f}% | "
           f"{', '.join(f'{100 * a:.1f}' for a in r['accuracies'])} |" for r in rows]
    md += ["", "learned (m, p): " + ", ".join(f"{op} ({m:.3f}, {p:.3f})" for op, (m, p) in policy.summary().items())]
    (args.out / "results.md").write_text("\n".join(md) + "\n")
    (args.out / "results.json").write_text(json.dumps(
        {"split": split, "rows": rows, "trace": trace, "learned": policy.summary(), "seconds": {"search": search_s,
         "evaluation": eval_s, "total": total}, "threads": args.threads, "args": {
            k: str(v) for k, v in vars(args).items()}}, indent=2))
    log("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
