"""Pytest set-up shared by every package's tests: skipping GPU tests, and import probes."""

import importlib.util
import subprocess
import sys
from collections.abc import Callable

import pytest

_PROBE = (
    "import importlib, sys\n"
    "importlib.import_module(sys.argv[1])\n"
    "print(' '.join(sorted({name.partition('.')[0] for name in sys.modules})))\n"
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked ``gpu`` when CuPy is not installed."""
    if importlib.util.find_spec("cupy") is not None:
        return
    skip_gpu = pytest.mark.skip(reason="needs CuPy and a GPU; CuPy is not installed")
    for item in items:
        if item.get_closest_marker("gpu") is not None:
            item.add_marker(skip_gpu)


@pytest.fixture
def top_level_modules_after_import() -> Callable[[str], set[str]]:
    """Return a probe that imports a module in a fresh interpreter.

    The probe takes a module name and returns the set of top-level package names found in
    ``sys.modules`` after importing it, so a test can check what an import drags in.
    """

    def probe(module: str) -> set[str]:
        completed = subprocess.run(
            [sys.executable, "-c", _PROBE, module], check=True, capture_output=True, text=True
        )
        return set(completed.stdout.split())

    return probe
