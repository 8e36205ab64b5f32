"""Every module imports against the installed torch/kornia, and those satisfy the declared floors.

``.ci/run`` also runs this file (with ``tests/ops/test_contract.py``) in a second venv built from
``.ci/constraints-lowest.txt`` (with ``tests/ops``); there ``.ci/run`` also checks that the installed versions
*are* the pins, and this file checks that the pins are the floors ``pyproject.toml`` declares, so the declared
range and the tested one cannot drift apart.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from importlib.metadata import version
from pathlib import Path

import pytest

import kornia_diffaug

ROOT = Path(__file__).resolve().parent.parent
FLOORED = ("torch", "kornia")


def _modules() -> list[str]:
    names = {"kornia_diffaug", "kornia_diffaug.adapters"}
    for pkg in (kornia_diffaug, importlib.import_module("kornia_diffaug.adapters")):
        for info in pkgutil.walk_packages(pkg.__path__, prefix=pkg.__name__ + "."):
            names.add(info.name)
    return sorted(names)


def _release(v: str) -> tuple[int, ...]:
    """``2.5.1+cu124`` -> ``(2, 5, 1)``; ``0.9`` -> ``(0, 9, 0)``."""
    parts = [int(p) for p in re.match(r"\d+(?:\.\d+)*", v).group(0).split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def _dependencies() -> list[str]:
    import tomllib  # stdlib from 3.11 (requires-python); imported here as ruff's target is still py310

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def _floors() -> dict[str, str]:
    """``{"torch": "2.5.1", ...}`` from ``pyproject.toml``'s ``dependencies``."""
    out = {}
    for req in _dependencies():
        m = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9.]*)\s*", req)
        if m and m.group(1).lower() in FLOORED:
            out[m.group(1).lower()] = m.group(2)
    return out


def _constraints() -> dict[str, str]:
    out = {}
    for line in (ROOT / ".ci" / "constraints-lowest.txt").read_text().splitlines():
        m = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*==\s*([0-9][0-9.]*)\s*(#.*)?", line)
        if m:
            out[m.group(1).lower()] = m.group(2)
    return out


def test_walk_finds_every_source_file():
    files = {p for d in ("kornia_diffaug", "adapters") for p in (ROOT / d).rglob("*.py")}
    assert len(_modules()) == len(files)


@pytest.mark.parametrize("name", _modules())
def test_module_imports(name):
    importlib.import_module(name)


def test_torch_and_kornia_floors_are_declared():
    assert set(_floors()) == set(FLOORED), _dependencies()


@pytest.mark.parametrize("dist", FLOORED)
def test_installed_version_meets_declared_floor(dist):
    assert _release(version(dist)) >= _release(_floors()[dist])


def test_ci_constraints_pin_the_declared_floors():
    pins = _constraints()
    for dist, floor in _floors().items():
        assert _release(pins[dist]) == _release(floor), (dist, pins.get(dist), floor)
