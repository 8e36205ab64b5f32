"""``AlbuMedianBlur`` against Albumentations' ``MedianBlur`` (``cv2.medianBlur`` on uint8), per image, at every
kernel size the op allows up to ``--max-k``, at 256 and 1024 px, at 1 and 2 torch/OpenCV threads.

    python benchmarks/bench_median.py [--batch 4] [--sizes 256 1024] [--max-k 25] [--threads 1 2]

Prints ms per image for both and the ratio (ours / Albumentations; 1 is parity, below 1 is faster), and checks
that both give the same pixels. Ours runs eager on the CPU without autograd, so it calls OpenCV (``_opencv``); the
``network`` column is the tensor kernel that runs instead under autograd, on accelerators, or on floats that are not
uint8 levels at k >= 7 (``--no-network`` skips it). Not a test.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from kornia_diffaug.functional.albu import pad2d
from kornia_diffaug.functional.albu._median_net import run_median
from kornia_diffaug.ops.albu import AlbuMedianBlur


def _best(fn, repeats: int) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    import cv2

    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 1024])
    ap.add_argument("--max-k", type=int, default=25)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-network", action="store_true")
    args = ap.parse_args()
    for threads in args.threads:
        torch.set_num_threads(threads)
        cv2.setNumThreads(threads)
        for size in args.sizes:
            g = torch.Generator().manual_seed(0)
            x = torch.randint(0, 256, (args.batch, 3, size, size), generator=g).float() / 255
            images = [(im.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8) for im in x]
            for k in range(3, args.max_k + 1, 2):
                op = AlbuMedianBlur((k, k), p=1.0)
                ours = _best(lambda op=op, x=x: op(x), args.repeats) / args.batch
                albu = _best(lambda k=k, ims=images: [cv2.medianBlur(u, k) for u in ims], args.repeats) / args.batch
                same = np.array_equal((op(x)[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8),
                                      cv2.medianBlur(images[0], k))
                net = ""
                if not args.no_network:
                    t_net = _best(lambda k=k, x=x: run_median(pad2d(x, k // 2, "replicate"), k), args.repeats)
                    net = f"  network {t_net / args.batch * 1e3:8.2f} ms/img (ratio {t_net / args.batch / albu:6.2f})"
                print(f"threads={threads} {size}px k={k:2d}: ours {ours * 1e3:8.2f} ms/img  albumentations "
                      f"{albu * 1e3:7.2f} ms/img  ratio {ours / albu:6.2f}  same={same}{net}", flush=True)


if __name__ == "__main__":
    main()
