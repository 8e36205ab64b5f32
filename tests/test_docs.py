"""Every Python code block in README.md and docs/*.md runs as written (CPU, seconds), from the repository root."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^( *)```(\w+)\n(.*?)^\1```$", re.S | re.M)


def code_blocks(page: Path, lang: str) -> list[tuple[int, str]]:
    """``(line number, dedented source)`` of every fenced block of ``lang`` in ``page``."""
    text = page.read_text()
    return [
        (text[: m.start()].count("\n") + 1, textwrap.dedent(m.group(3)))
        for m in _BLOCK.finditer(text)
        if m.group(2) == lang
    ]


PYTHON_BLOCKS = [
    pytest.param(src, id=f"{page.relative_to(ROOT)}:{line}")
    for page in PAGES
    for line, src in code_blocks(page, "python")
]


def test_the_pages_have_python_blocks():
    assert len(PYTHON_BLOCKS) >= 10


@pytest.mark.parametrize("source", PYTHON_BLOCKS)
def test_python_block_runs(source, monkeypatch):
    monkeypatch.chdir(ROOT)  # blocks name files as examples/configs/... relative to the checkout
    torch.manual_seed(0)
    exec(compile(source, "<doc block>", "exec"), {"__name__": "__doc_block__"})


# ------------------------------------------------------------------------------------------- shell commands
def shell_commands(page: Path) -> list[str]:
    """Each command line of the page's ``bash`` blocks, without its trailing comment."""
    return [
        line.split("  #")[0].strip()
        for _, src in code_blocks(page, "bash")
        for line in src.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


README_COMMANDS = shell_commands(ROOT / "README.md")
CLI_COMMANDS = [c for page in (ROOT / "README.md", ROOT / "docs" / "cli.md") for c in shell_commands(page)]
CLI_COMMANDS = [c for c in dict.fromkeys(CLI_COMMANDS) if c.startswith("kornia-diffaug ")]


def test_the_first_two_readme_commands_install_then_run_the_main_job_and_the_tests():
    pyproject = (ROOT / "pyproject.toml").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    main_job, tests = README_COMMANDS[:2]
    assert main_job == 'pip install -e ".[examples]" && python examples/gan_lowdata.py'
    assert tests == 'pip install -e ".[test]" && pytest'
    assert "examples = [" in pyproject and "test = [" in pyproject
    # CI runs the README's test command itself: plain `pytest` (no arguments) in the venv of the test extra.
    assert '-e ".[test]"' in ci and 'pytest "$@"' in ci and re.search(r"^run_pytest \|\| main_rc", ci, re.M)


def test_every_readme_command_is_run_by_a_test():
    # The main job and the suite are the two commands above (the suite is what CI runs; the main job's
    # --quick form runs below and in tests/examples); everything else must be a command this file runs.
    covered = set(README_COMMANDS[:2]) | set(CLI_COMMANDS) | {"python examples/gan_lowdata.py --quick"}
    assert [c for c in README_COMMANDS if c not in covered] == []


def _sandbox(tmp_path: Path) -> Path:
    """A working folder where the commands' relative paths (examples/, benchmarks/, photo.jpg) resolve."""
    from PIL import Image

    for name in ("examples", "benchmarks"):
        (tmp_path / name).symlink_to(ROOT / name)
    Image.fromarray((torch.rand(48, 64, 3) * 255).to(torch.uint8).numpy()).save(tmp_path / "photo.jpg")
    return tmp_path


@pytest.mark.parametrize("command", CLI_COMMANDS)
def test_cli_command_runs_as_written(command, tmp_path):
    import shutil
    import subprocess
    import sys

    exe = shutil.which("kornia-diffaug") or str(Path(sys.executable).parent / "kornia-diffaug")
    argv = [exe, *command.split()[1:]]
    proc = subprocess.run(argv, cwd=_sandbox(tmp_path), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    if command.split()[1] == "preview":
        out = command.split("--out ")[1].split()[0] if "--out " in command else "grid.png"
        assert (tmp_path / out).stat().st_size > 0


def test_the_readme_quick_gan_command_runs_as_written(tmp_path):
    import os
    import subprocess
    import sys

    command = "python examples/gan_lowdata.py --quick"
    assert command in README_COMMANDS
    env = {**os.environ, "KORNIA_DIFFAUG_CACHE": str(tmp_path / "cache")}  # no shared cache
    argv = [sys.executable, *command.split()[1:]]
    proc = subprocess.run(argv, cwd=_sandbox(tmp_path), capture_output=True, text=True, timeout=900, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "runs" / "gan_lowdata" / "metrics.json").is_file()
    assert (tmp_path / "runs" / "gan_lowdata" / "reals.png").is_file()
