#!/usr/bin/env bash
# All benchmarks on a CUDA device, in one short run (for a session that is lent a GPU machine):
#   bash benchmarks/gpu.sh > gpu_bench.txt
# Installs the package (and Albumentations, for its baseline) into the active Python if it is missing,
# then prints each benchmark's table. About 5 minutes on one modern GPU; nothing is written but stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
python -c "import kornia_diffaug" 2>/dev/null || pip install -q -e ".[albumentations]"
python - <<'PY'
import torch
assert torch.cuda.is_available(), "no CUDA device visible"
print("#", torch.__version__, torch.cuda.get_device_name())
PY
echo "## DiffAugment (bench_diffaugment.py --device cuda)"
python benchmarks/bench_diffaugment.py --device cuda --repeats 30 --threads 1 --no-per-op
echo "## ADA bgc (bench_ada.py --device cuda)"
python benchmarks/bench_ada.py --device cuda --repeats 15 --threads 1
echo "## Albumentations configs (bench_albumentations.py: CPU and CUDA rows)"
python benchmarks/bench_albumentations.py --images 512 --batch 256
