"""The DiffAugment paper's table in small: no augmentation / DiffAugment / ADA at three amounts of training data.

    python examples/gan_compare.py --jobs 2     # 3 data sizes x 3 augmentations x 3 seeds -> compare.md + .png
    python examples/gan_compare.py --quick      # smoke run (one size, one seed, 30 iterations)

Every run is ``gan_lowdata.py``'s training (the same G, timm D, losses, R1, EMA and digits-classifier FID), with
``--iters`` 2000 (the single run's default is 4000) so that the 27 runs fit in about 45 minutes on 2 cores with
``--jobs 2``. Data sizes (``--n-train``): 1257 digits (the whole train split, "100%"), 360 (20% of the 1797
digits) and 180 (10%: the single run's data); the held-out reals are always the 540-image test split. Any other
``gan_lowdata.py`` option (``--lr``, ``--r1-gamma``, ``--threads``, ``--ada-target`` ...) is passed through.

Writes ``compare.md`` (the table, mean ± std over seeds), ``compare.json`` and ``compare.png``: final FID against
the amount of data, the FID and D-sign-gap curves at the smallest size, ADA's ``p`` and ``r_t`` at every size,
and a row of final sample grids (first seed) per augmentation at the smallest size. A finished run in its folder
is reused and an interrupted one resumed, so a killed comparison continues where it stopped.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as U  # noqa: E402
import _gan_run as R  # noqa: E402
import gan_lowdata as G  # noqa: E402

DEFAULT_SIZES = "1257,360,180"
COMPARE_ITERS = 2000
DIGITS = 1797  # scikit-learn's digits: 1257 train + 540 test


def parse_args(argv: list[str] | None = None) -> tuple[argparse.Namespace, argparse.Namespace]:
    """``(compare options, the training options of every run)``; unknown options go to ``gan_lowdata.py``."""
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False
    )  # no abbreviations: gan_lowdata's --aug must not be taken for --augs
    p.add_argument("--n-train", default=DEFAULT_SIZES, help="comma-separated digits training-set sizes")
    p.add_argument("--augs", default="none,diffaugment,ada", help="comma-separated --aug values")
    p.add_argument("--seeds", type=int, default=3, help="seeds per (size, augmentation)")
    p.add_argument("--jobs", type=int, default=1, help="runs in parallel processes (each with --threads)")
    p.add_argument("--iters", type=int, default=COMPARE_ITERS)
    p.add_argument("--out", type=Path, default=Path("runs/gan_compare"))
    p.add_argument("--quick", action="store_true", help="smoke run: the smallest size, 1 seed, gan_lowdata --quick")
    args, rest = p.parse_known_args(argv)
    try:
        args.sizes = [int(s) for s in args.n_train.split(",")]
    except ValueError:
        p.error(f"--n-train must be comma-separated integers, got {args.n_train!r}")
    args.augs = [a for a in args.augs.split(",") if a]
    if not args.augs:
        p.error("--augs must name at least one augmentation")
    if args.seeds < 1 or args.jobs < 1 or args.iters < 1 or min(args.sizes) < 10:
        p.error("--seeds, --jobs and --iters must be >= 1, every --n-train >= 10")
    if args.quick:
        args.sizes, args.seeds = [min(args.sizes)], 1
    for flag in ("--n-train", "--aug", "--out", "--resume", "--seed"):
        if any(r == flag or r.startswith(flag + "=") for r in rest):
            p.error(f"{flag} is set per run by gan_compare.py; use --n-train / --augs / --out / --seeds here")
    base = G.parse_args([*rest, "--iters", str(args.iters), *(["--quick"] if args.quick else [])])
    if base.dataset != "digits" or base.data is not None:
        p.error("gan_compare.py varies the number of digits; for --dataset faces or --data use gan_lowdata.py")
    return args, base


def run_one(base: argparse.Namespace, n_train: int, spec: str, seed: int, out: Path, progress: bool) -> dict:
    """One run; a finished run in ``out`` is reused (summarised up to ``--iters``), an interrupted one resumed.

    Each run uses ``--threads`` whatever ``--jobs`` is, so it gives the same numbers as the same run alone."""
    torch.set_num_threads(base.threads)
    metrics, ckpt = out / "metrics.json", out / "checkpoint.pt"
    if metrics.exists():
        prev = json.loads(metrics.read_text())
        keys = ("batch", "resolution", "disc", "disc_form", "r1_gamma", "lr", "g_width", "threads", "ada_target")
        same = prev["aug"] == spec and all(prev.get(k) == getattr(base, k) for k in keys)
        same = same and prev.get("ada_kimg") == G.ada_speed_kimg(base, 1)  # the folder names the size
        history = [r for r in prev["history"] if r["iteration"] <= base.iters]
        if same and history and history[-1]["iteration"] == base.iters:
            print(f"  reusing run {out} up to iteration {base.iters}", flush=True)
            return R.summarise({**prev, "iters": base.iters}, history)
    args = copy.copy(base)
    args.n_train, args.resume = n_train, (str(ckpt) if ckpt.exists() else None)
    t0 = time.time()
    result = G.train(args, spec, seed, out, show_progress=progress)
    print(
        f"  n={n_train} {spec} seed {seed}: best FID {result['best_fid']:.1f}, final {result['final_fid']:.1f}, "
        f"gap {result['final_d_sign_gap']:+.2f}, p {result['final_ada_p'] or 0:.2f} "
        f"({(time.time() - t0) / 60:.1f} min)",
        flush=True,
    )
    return result


def run_all(args: argparse.Namespace, base: argparse.Namespace) -> dict[tuple[int, str], list[dict]]:
    """Every (size, augmentation, seed) run, ``--jobs`` at a time; results grouped by (size, augmentation)."""
    U.load_or_train_classifier(epochs=base.classifier_epochs)  # once, before any worker needs it
    jobs = [(n, spec, seed) for n in args.sizes for spec in args.augs for seed in range(args.seeds)]
    folder = {job: args.out / f"n{job[0]}" / f"{slug(job[1])}_seed{job[2]}" for job in jobs}
    done: dict[tuple[int, str, int], dict] = {}
    if args.jobs == 1:
        for job in jobs:
            done[job] = run_one(base, *job, folder[job], True)
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.jobs, mp_context=mp.get_context("spawn")) as pool:
            futures = {pool.submit(run_one, base, *job, folder[job], False): job for job in jobs}
            for fut, job in futures.items():
                done[job] = fut.result()
    grouped: dict[tuple[int, str], list[dict]] = {}
    for n, spec, seed in jobs:
        grouped.setdefault((n, spec), []).append({**done[n, spec, seed], "folder": str(folder[n, spec, seed])})
    return grouped


def slug(spec: str) -> str:
    """A folder name for an ``--aug`` value (a config path gives its file stem)."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(spec).stem) or "aug"


def mean_std(values: list[float], fmt: str) -> str:
    v = torch.tensor(values, dtype=torch.float64)
    std = v.std().item() if len(v) > 1 else 0.0
    return f"{fmt.format(v.mean().item())} ± {fmt.replace('+', '').format(std)}"


def table(grouped: dict[tuple[int, str], list[dict]], args: argparse.Namespace, minutes: float) -> str:
    """The markdown table: one row per (size, augmentation), mean ± std over seeds."""
    first = next(iter(grouped.values()))[0]

    def cell(rs: list[dict], key: str, fmt: str = "{:.2f}") -> str:
        if any(r.get(key) is None for r in rs):
            return "-"
        return mean_std([r[key] for r in rs], fmt)

    lines = [
        f"digits at {first['resolution']}x{first['resolution']}, D = timm `{first['disc']}` (random init, "
        f"`--disc-form {first['disc_form']}`), {first['iters']} iterations, batch {first['batch']}, R1 gamma "
        f"{first['r1_gamma']}; mean ± std over {args.seeds} seed(s). {first['metric']} against the "
        f"{first['n_heldout']} held-out test digits (floor, test vs train split: "
        f"{first['fid_floor_real_vs_real']:.2f}). "
        "D-sign gap = mean sign(D) on training reals - on held-out reals (0: no memorisation, 2: full).",
        "",
        "| training images | augmentation | D-sign gap (final) | best FID | final FID | final KID x1000 | "
        "samples with p > 0.9 (final) | ADA p (final) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for rs in grouped.values():
        got = rs[0]["n_train"]
        lines.append(
            f"| {got} ({got / DIGITS:.0%}) | {rs[0]['aug_description']} | {cell(rs, 'final_d_sign_gap', '{:+.2f}')} | "
            f"{cell(rs, 'best_fid')} | {cell(rs, 'final_fid')} | {cell(rs, 'final_kid_x1000', '{:.1f}')} | "
            f"{cell(rs, 'final_confident', '{:.1%}')} | {cell(rs, 'final_ada_p')} |"
        )
    runs = [r for rs in grouped.values() for r in rs]
    per_run = sum(r["seconds"] for r in runs) / 60 / len(runs)
    lines += [
        "",
        f"Wall time: {minutes:.1f} min ({len(runs)} runs, --jobs {args.jobs}); training time per run "
        f"{per_run:.1f} min on average; {first['threads']} thread(s) per run, torch {first['torch']}, CPU "
        f"{first['cpu_capability']}. Percentages are of the 1797 digits (the paper's 100% / 20% / 10% of CIFAR-10).",
    ]
    return "\n".join(lines)


def figure(grouped: dict[tuple[int, str], list[dict]], path: Path, target: float) -> None:
    """Final FID vs data, curves at the smallest size, ADA p and r_t, and sample grids at the smallest size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    sizes = sorted({n for n, _ in grouped})
    specs = list(dict.fromkeys(s for _, s in grouped))
    small = sizes[0]
    fig = plt.figure(figsize=(16, 7.5))
    top = fig.add_gridspec(2, 4, height_ratios=[1, 1.05], hspace=0.35, wspace=0.3)
    name = {s: grouped[sizes[0], s][0]["aug_description"].split(" (")[0] for s in specs}

    ax = fig.add_subplot(top[0, 0])
    for s in specs:
        fids = torch.tensor([[r["final_fid"] for r in grouped[n, s]] for n in sizes], dtype=torch.float64)
        ax.errorbar(sizes, fids.mean(1), yerr=fids.std(1) if fids.shape[1] > 1 else None, marker="o", label=name[s])
    ax.set(xscale="log", yscale="log", xlabel="training images", title="final FID vs amount of data")
    ax.set_xticks(sizes, [str(n) for n in sizes], minor=False)
    ax.set_xticks([], minor=True)
    ax.legend(fontsize=7)

    def curves(ax, key: str, title: str, n: int, log: bool = False) -> None:
        for s in specs:
            R.plot_mean_band(ax, name[s], [r["history"] for r in grouped[n, s]], key)
        ax.set(title=title, xlabel="iteration", yscale="log" if log else "linear")
        ax.legend(fontsize=7)

    curves(fig.add_subplot(top[0, 1]), "fid", f"FID, {small} images", small, log=True)
    curves(fig.add_subplot(top[0, 2]), "d_sign_gap", f"D-sign gap, {small} images", small)
    ax = fig.add_subplot(top[0, 3])
    ada = [s for s in specs if "ada_p" in grouped[small, s][0]["history"][0]]  # runs with a controller
    for s in ada:
        for n in sizes:
            h = grouped[n, s][0]["history"]
            (line,) = ax.plot([r["iteration"] for r in h], [r["ada_p"] for r in h], label=f"p, {n} images")
            ax.plot([r["iteration"] for r in h], [r["ada_rt"] if r["ada_rt"] is not None else float("nan") for r in h],
                    ls=":", color=line.get_color())
    if ada:
        ax.axhline(target, color="grey", ls="--", lw=1, label=f"target r_t = {target}")
    ax.set(title="ADA p (solid) and r_t (dotted), first seed", xlabel="iteration", ylim=(0, 1))
    ax.legend(fontsize=7)

    grids = top[1, :].subgridspec(1, len(specs), wspace=0.05)
    for i, s in enumerate(specs):
        ax = fig.add_subplot(grids[0, i])
        run = grouped[small, s][0]
        png = Path(run["folder"]) / f"samples_{run['history'][-1]['iteration']:06d}.png"
        ax.imshow(Image.open(png), cmap="gray")
        ax.set_title(f"{name[s]}, {small} images: FID {run['final_fid']:.0f}", fontsize=9)
        ax.axis("off")
    fig.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    args, base = parse_args(argv)
    torch.set_num_threads(base.threads)
    t0 = time.time()
    args.out.mkdir(parents=True, exist_ok=True)
    grouped = run_all(args, base)
    md = table(grouped, args, (time.time() - t0) / 60)
    (args.out / "compare.md").write_text(md + "\n")
    strip = lambda rs: [{k: v for k, v in r.items() if k != "history"} for r in rs]  # noqa: E731
    (args.out / "compare.json").write_text(json.dumps({f"{n}/{s}": strip(rs) for (n, s), rs in grouped.items()}))
    figure(grouped, args.out / "compare.png", base.ada_target)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
