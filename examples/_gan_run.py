"""The GAN example's plumbing, kept out of ``gan_lowdata.py`` so that its method reads first: torchrun/DDP
set-up, checkpoints (write and resume), the run record (metrics.json) and the curves plot.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn


# ---------------------------------------------------------------------------------------- distributed
def init_distributed() -> tuple[int, int, torch.device]:
    """``(rank, world_size, device)``; initialises the process group when launched by torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return (dist.get_rank() if world > 1 else 0), world, device


def gather(x: torch.Tensor, world: int) -> torch.Tensor:
    """All ranks' tensors concatenated (identical on every rank)."""
    if world == 1:
        return x
    parts = [torch.empty_like(x) for _ in range(world)]
    dist.all_gather(parts, x.contiguous())
    return torch.cat(parts)


# ------------------------------------------------------------------------------------------- resume
def load_checkpoint(path: str, aug_spec: str, args: argparse.Namespace, device: torch.device, gen: nn.Module,
                    disc: nn.Module, gen_ema: nn.Module, opt_g, opt_d, ctrl) -> tuple[list[dict], int]:
    """Load a ``checkpoint.pt`` written by :func:`write_outputs` into the models, optimisers and ADA controller;
    returns ``(history, iteration)``. Refuses a checkpoint of another ``--aug`` or other model sizes."""
    ckpt = torch.load(path, map_location=device, weights_only=False)
    if ckpt["aug"] != aug_spec:
        raise SystemExit(f"--resume: checkpoint was trained with --aug {ckpt['aug']!r}, not {aug_spec!r}")
    try:
        gen.load_state_dict(ckpt["G"])
        disc.load_state_dict(ckpt["D"])
        gen_ema.load_state_dict(ckpt["G_ema"])
    except RuntimeError as exc:  # another --disc / --disc-form / --g-width, or a checkpoint of an older version
        raise SystemExit(
            f"--resume: the checkpoint's G/D do not match --disc {args.disc} --disc-form {args.disc_form} "
            f"--g-width {args.g_width} ({str(exc).splitlines()[0]})"
        ) from None
    opt_g.load_state_dict(ckpt["opt_G"])
    opt_d.load_state_dict(ckpt["opt_D"])
    if ctrl is not None:
        ctrl.load_state_dict(ckpt["ada"])
    history = ckpt["history"]
    if history and "kid_x1000" not in history[-1]:
        raise SystemExit("--resume: checkpoint was written by an older version of this example (KID scale)")
    return history, ckpt["iteration"]


# ------------------------------------------------------------------------------------------ records
def reproducibility() -> dict:
    """What a run's numbers depend on besides its arguments (recorded in metrics.json)."""
    import kornia
    import timm

    return {
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "kornia": kornia.__version__,
        "timm": timm.__version__,
        "cpu_capability": getattr(torch.backends.cpu, "get_cpu_capability", lambda: "unknown")(),
    }


def summarise(header: dict, history: list[dict]) -> dict:
    best = min(history, key=lambda r: r["fid"])
    last = history[-1]
    return {
        **header,
        "best_fid": best["fid"],
        "best_iteration": best["iteration"],
        "best_kid_x1000": best["kid_x1000"],
        "final_fid": last["fid"],
        "final_kid_x1000": last["kid_x1000"],
        "final_d_sign_train": last["d_sign_train"],
        "final_d_sign_heldout": last["d_sign_heldout"],
        "final_d_sign_gap": last["d_sign_gap"],
        "final_ada_p": last.get("ada_p"),
        "final_confident": last.get("confident"),  # digits: fraction of samples the classifier gives p > 0.9
        "final_class_hist": last.get("class_hist"),
        "seconds": last["seconds"],
        "history": history,
    }


def write_outputs(out, header, history, gen_ema, gen, disc, opt_g, opt_d, ctrl, aug_spec, iteration) -> None:
    """metrics.json, curves.png and checkpoint.pt (written atomically, so a killed run can be resumed)."""
    (out / "metrics.tmp").write_text(json.dumps(summarise(header, history), indent=2))
    os.replace(out / "metrics.tmp", out / "metrics.json")  # readers never see a half-written file
    plot_curves({header["aug"]: [history]}, out / "curves.png", header["metric"], header["fid_floor_real_vs_real"])
    ckpt = {
        "G": gen.state_dict(),
        "D": disc.state_dict(),
        "G_ema": gen_ema.state_dict(),
        "opt_G": opt_g.state_dict(),
        "opt_D": opt_d.state_dict(),
        "ada": ctrl.state_dict() if ctrl is not None else None,
        "aug": aug_spec,
        "iteration": iteration,
        "history": history,
    }
    torch.save(ckpt, out / "checkpoint.tmp")
    os.replace(out / "checkpoint.tmp", out / "checkpoint.pt")


def plot_curves(runs: dict[str, list[list[dict]]], path: Path, metric: str, floor: float) -> None:
    """FID, D-sign gap and (when present) ADA p over iterations; several seeds -> mean line and min-max band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    has_p = any("ada_p" in r for hists in runs.values() for h in hists for r in h)
    fig, axes = plt.subplots(1, 3 if has_p else 2, figsize=(13 if has_p else 9, 3.6))
    keys = [("d_sign_gap", "D sign: train - held-out reals"), ("fid", metric)] + ([("ada_p", "ADA p")] if has_p else [])
    for ax, (key, title) in zip(axes, keys, strict=True):
        for name, hists in runs.items():
            plot_mean_band(ax, name, hists, key)
        if key == "fid":
            ax.axhline(floor, color="grey", ls="--", lw=1, label="real vs real")
            ax.set_yscale("log")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("iteration")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_mean_band(ax, label: str, hists: list[list[dict]], key: str) -> None:
    """One line on ``ax``: ``key`` over iterations, the mean over the runs ``hists`` (each run's history), with
    the min-max band when there are several runs; runs whose history lacks ``key`` are left out."""
    hists = [h for h in hists if h and key in h[0]]
    if not hists:
        return
    n = min(len(h) for h in hists)
    xs = [r["iteration"] for r in hists[0][:n]]
    ys = torch.tensor([[r[key] for r in h[:n]] for h in hists], dtype=torch.float64)
    ax.plot(xs, ys.mean(0), label=label)
    if len(hists) > 1:
        ax.fill_between(xs, ys.min(0).values, ys.max(0).values, alpha=0.2)
