"""The ``kornia-diffaug`` console script: preview, convert, bench, and exit code 2 on bad arguments."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kornia_diffaug import cli

CONFIGS = Path(__file__).resolve().parents[1] / "examples" / "configs"


def run(argv: list[str]) -> int:
    try:
        return cli.main(argv)
    except SystemExit as exc:  # argparse errors and --help
        return exc.code


def test_help_lists_the_subcommands(capsys):
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(word in out for word in ("preview", "convert", "bench"))
    assert run(["preview", "--help"]) == 0
    assert "ssl:simclr" in capsys.readouterr().out  # the registered policies are listed


def test_no_subcommand_is_a_usage_error(capsys):
    assert run([]) == 2
    assert "usage" in capsys.readouterr().err


def _grid(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path))


def test_preview_policy_writes_grid_with_original_first(tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert run(["preview", "diffaugment", "--n", "4", "--size", "32", "--out", str(out)]) == 0
    grid = _grid(out)
    assert grid.shape == (2 * 34 + 2, 3 * 34 + 2, 3)  # 1 original + 4 augmented, 3 columns, 2 px gaps
    tiles = [grid[2 + r * 34 : 2 + r * 34 + 32, 2 + c * 34 : 2 + c * 34 + 32] for r in range(2) for c in range(3)]
    assert any(not np.array_equal(tiles[0], t) for t in tiles[1:5])  # augmented versions differ from the original
    assert "wrote" in capsys.readouterr().out


def test_preview_is_seeded(tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    for path in (a, b):
        assert run(["preview", "diffaugment", "--n", "3", "--size", "24", "--out", str(path), "--seed", "3"]) == 0
    assert np.array_equal(_grid(a), _grid(b))


def test_preview_kwargs_and_user_image(tmp_path):
    img = tmp_path / "in.png"
    Image.fromarray((np.random.default_rng(0).random((40, 60, 3)) * 255).astype(np.uint8)).save(img)
    out = tmp_path / "grid.png"
    argv = [
        "preview",
        "diffaugment",
        "--image",
        str(img),
        "--n",
        "2",
        "--size",
        "16",
        "--out",
        str(out),
        "--kwarg",
        "policy=translation",
        "--kwarg",
        "p=1.0",
    ]
    assert run(argv) == 0 and out.exists()


@pytest.mark.parametrize("policy", ["ssl:simclr", str(CONFIGS / "simclr_digits.json")])
def test_preview_two_view_policy_and_config_file(tmp_path, policy):
    out = tmp_path / "grid.png"
    assert run(["preview", policy, "--n", "4", "--size", "32", "--out", str(out)]) == 0
    assert _grid(out).shape[-1] == 3


def test_preview_config_that_resizes_shows_tiles_at_the_output_size(tmp_path, capsys):
    # simclr.json crops to 224 px while the input is 128 px (it used to crash in torch.cat).
    out = tmp_path / "grid.png"
    assert run(["preview", str(CONFIGS / "simclr.json"), "--n", "3", "--out", str(out)]) == 0
    assert _grid(out).shape == (2 * 226 + 2, 2 * 226 + 2, 3)  # 4 tiles of 224 px, 2 columns
    assert "224x224 px tiles" in capsys.readouterr().out


@pytest.mark.parametrize("policy", ["ssl:byol", "ssl:simclr"])
def test_preview_two_view_pairs_sit_side_by_side(tmp_path, policy):
    out = tmp_path / "grid.png"
    assert run(["preview", policy, "--n", "3", "--size", "16", "--out", str(out), "--seed", "1"]) == 0
    grid = _grid(out).astype(int)
    # 4 cells (original + 3 pairs) on 2 columns; a cell is two 16 px tiles 2 px apart, cells are 8 px apart.
    assert grid.shape == (2 * 18 + 2, 2 * (34 + 8) - 8 + 4, 3)
    assert (grid[2:18, 20:34] == 255).all()  # the original's cell has no second tile
    for r, c in [(0, 1), (1, 0), (1, 1)]:
        top, left = 2 + r * 18, 2 + c * 42
        a, b = grid[top : top + 16, left : left + 16], grid[top : top + 16, left + 18 : left + 34]
        assert not (a == 255).all() and not (b == 255).all()  # both views of the pair are in this cell's row
        assert (grid[top : top + 16, left + 16 : left + 18] == 255).all()  # 2 px gap inside the pair


@pytest.mark.parametrize(
    "argv, message",
    [
        (["preview", "no-such-policy"], "unknown policy"),
        (["preview", "diffaugment", "--n", "0"], "positive integer"),
        (["preview", "diffaugment", "--image", "/no/such/image.png"], "cannot read"),
        (["preview", "diffaugment", "--kwarg", "novalue"], "KEY=VALUE"),
        (["preview", "diffaugment", "--kwarg", "cutout_ratio=7.0"], "cutout_ratio"),
        (["preview", "diffaugment", "--out", "/no/such/folder/grid.png"], "does not exist"),
        (["convert", "/no/such/config.json"], "does not exist"),
        (["bench", "bench_nothing"], "no benchmark bench_nothing"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys):
    assert run(argv) == 2
    assert message in capsys.readouterr().err


def test_convert_prints_the_adapter_report(capsys):
    assert run(["convert", str(CONFIGS / "simclr.json")]) == 0
    out = capsys.readouterr().out
    assert "RandomResizedCrop" in out and "Unsupported (dropped)" in out


def test_bench_runs_named_scripts_with_extra_arguments(tmp_path, monkeypatch, capsys):
    bench_dir = tmp_path / "benchmarks"
    bench_dir.mkdir()
    record = tmp_path / "argv.txt"
    (bench_dir / "bench_ada.py").write_text(
        f"import sys\nopen({str(record)!r}, 'w').write(' '.join(sys.argv[1:]))\nsys.exit(3)\n"
    )
    monkeypatch.setattr(cli, "_benchmarks_dir", lambda: bench_dir)
    assert run(["bench", "bench_ada", "--", "--repeats", "2"]) == 3  # the script's exit code is passed on
    assert record.read_text() == "--repeats 2"
    assert "== bench_ada.py --repeats 2" in capsys.readouterr().out


def test_console_script_is_installed(tmp_path):
    exe = shutil.which("kornia-diffaug") or str(Path(sys.executable).parent / "kornia-diffaug")
    proc = subprocess.run([exe, "preview", "nope"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "unknown policy 'nope'" in proc.stderr
