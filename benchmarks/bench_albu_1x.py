"""Per-image time of the transforms loaded with 1.x meanings (``ElasticTransform(alpha_affine)``, 1.x
``RandomRain``, 1.x ``PiecewiseAffine``) against Albumentations 1.3.1 itself, and 2.x ``ElasticTransform`` against
2.0.8.

    python benchmarks/bench_albu_1x.py [--size 256] [--batch 8] [--threads 1] [--albu13 /tmp/a13/bin/python]

Albumentations 1.3.1 is not a dependency: ``--albu13`` names the Python of an environment that has it
(``python -m venv /tmp/a13 && /tmp/a13/bin/pip install albumentations==1.3.1``); it runs in a subprocess on one
uint8 image at a time. Prints ms per image for each and the ratio (ours / Albumentations). Not a test.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from kornia_diffaug.adapters.albumentations import from_albumentations

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._timing import best_of  # noqa: E402

CASES = [  # (version that wrote it, transform)
    ("1.3.1", {"__class_fullname__": "ElasticTransform", "p": 1.0, "alpha": 1, "sigma": 50, "alpha_affine": 50,
               "border_mode": 4}),
    ("1.3.1", {"__class_fullname__": "RandomRain", "p": 1.0, "slant_lower": -10, "slant_upper": 10,
               "drop_length": 20}),
    ("1.3.1", {"__class_fullname__": "PiecewiseAffine", "p": 1.0, "scale": [0.03, 0.05], "nb_rows": 4, "nb_cols": 4,
               "interpolation": 1, "cval": 0, "mode": "constant"}),
    ("2.0.8", {"__class_fullname__": "ElasticTransform", "p": 1.0, "alpha": 1, "sigma": 50}),
]

# Timed inside the 1.3.1 environment: argv = [json transform, size, batch, repeats, threads].
_THEIRS = """
import json, sys, time, warnings
import cv2, numpy as np, albumentations as A
t, size, batch, repeats, threads = json.loads(sys.argv[1]), *map(int, sys.argv[2:])
cv2.setNumThreads(threads)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    tr = A.from_dict({"transform": t})
u = np.random.default_rng(0).integers(0, 256, (batch, size, size, 3), dtype=np.uint8)
[tr(image=img) for img in u]
best = min(((time.perf_counter(), [tr(image=img) for img in u], time.perf_counter()) for _ in range(repeats)),
           key=lambda r: r[2] - r[0])
print((best[2] - best[0]) / batch)
"""


def _theirs_208(t: dict, u: np.ndarray, repeats: int) -> float:
    import albumentations as A

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tr = A.from_dict({"transform": t})
    return best_of(lambda: [tr(image=img) for img in u], repeats) / len(u)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--albu13", default="/tmp/a13/bin/python", help="a Python with albumentations==1.3.1")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    u = np.random.default_rng(0).integers(0, 256, (args.batch, args.size, args.size, 3), dtype=np.uint8)
    x = torch.from_numpy(u).permute(0, 3, 1, 2).float() / 255
    print(f"{args.size}x{args.size}, batch {args.batch}, {args.threads} thread(s)")
    print(f"{'transform':28s} {'albumentations ms':>18s} {'ours ms':>9s} {'ratio':>7s}")
    for version, t in CASES:
        pipe = from_albumentations({"__version__": version, "transform": t}, generator=torch.Generator().manual_seed(0))

        def ours(pipe=pipe):
            with torch.no_grad():
                pipe(x)

        tk = best_of(ours, args.repeats) / args.batch
        if version.startswith("1."):
            try:
                out = subprocess.run([args.albu13, "-c", _THEIRS, json.dumps(t), str(args.size), str(args.batch),
                                      str(args.repeats), str(args.threads)], capture_output=True, text=True,
                                     check=True)
                ta = float(out.stdout.strip().splitlines()[-1])
            except (OSError, subprocess.CalledProcessError, ValueError) as e:
                print(f"{t['__class_fullname__'] + ' ' + version:28s} {'(no 1.3.1: ' + type(e).__name__ + ')':>18s} "
                      f"{tk * 1e3:9.2f}")
                continue
        else:
            ta = _theirs_208(t, u, args.repeats)
        print(f"{t['__class_fullname__'] + ' ' + version:28s} {ta * 1e3:18.2f} {tk * 1e3:9.2f} {tk / ta:7.2f}")


if __name__ == "__main__":
    main()
