"""Small timing helpers for the benchmark scripts (median of repeats after warm-up)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence

import torch


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_call(fn: Callable[[], object], device: torch.device, repeats: int = 20, warmup: int = 3) -> float:
    """Median wall time of ``fn()`` in milliseconds."""
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync(device)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def best_of(fn: Callable[[], object], repeats: int) -> float:
    """The fastest of ``repeats`` wall times (s) of ``fn`` after one warm-up call (CPU work: no sync needed)."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def interleaved(fns: Sequence[Callable[[], object]], repeats: int, device: torch.device,
                warmup: int = 2) -> list[list[float]]:
    """Per-round wall times (ms) of each closure, run in rotating order so load spikes hit all of them alike."""
    for fn in fns:
        for _ in range(warmup):
            fn()
    sync(device)
    rounds = []
    for r in range(repeats):
        times = [0.0] * len(fns)
        for j in range(len(fns)):
            i = (j + r) % len(fns)
            t0 = time.perf_counter()
            fns[i]()
            sync(device)
            times[i] = (time.perf_counter() - t0) * 1e3
        rounds.append(times)
    return rounds


def medians(rounds: list[list[float]]) -> list[float]:
    """Median ms of each closure over the rounds of :func:`interleaved`."""
    return [statistics.median(r[i] for r in rounds) for i in range(len(rounds[0]))]


def ratio(rounds: list[list[float]], other: int, ours: int = 0) -> float:
    """Median over rounds of ``time[other] / time[ours]`` (> 1: ours is faster)."""
    return statistics.median(r[other] / r[ours] for r in rounds)


def thread_counts(spec: str) -> list[int]:
    """``"1,2"`` -> ``[1, 2]`` (intra-op threads to run every row at)."""
    return [int(t) for t in spec.split(",") if t.strip()]


def fwd_bwd(aug: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> Callable[[], None]:
    """A closure running ``aug`` forward and backward through a scalar loss on a leaf copy of ``x``."""
    leaf = x.detach().clone().requires_grad_(True)

    def run() -> None:
        leaf.grad = None
        aug(leaf).square().mean().backward()

    return run


def fwd_bwd_upstream(aug: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> Callable[[], None]:
    """Forward and backward of ``aug`` alone: the upstream gradient is given (no loss computed)."""
    leaf = x.detach().clone().requires_grad_(True)
    grad = torch.randn_like(x)

    def run() -> None:
        leaf.grad = None
        aug(leaf).backward(grad)

    return run


def fwd(aug: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> Callable[[], None]:
    def run() -> None:
        with torch.no_grad():
            aug(x)

    return run
