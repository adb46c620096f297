"""Fixtures shared by the interop tests: the node binary with the reference verifier installed."""
import shutil
from pathlib import Path

import pytest

INTEROP = Path(__file__).resolve().parents[2] / "interop"


@pytest.fixture(scope="module")
def node() -> str:
    """Path of the node binary; fails (never skips) when the reference tools are missing."""
    binary = shutil.which("node")
    if binary is None:
        pytest.fail("node is not installed; the interop tests need Node.js 20+")
    if not (INTEROP / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        pytest.fail("interop/node_modules is missing: run npm ci --prefix interop")
    return binary
