"""Fixtures for the fake cgroup trees."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def cgroot(tmp_path: Path) -> Iterator[Path]:
    """A scratch directory for a fake cgroup tree, on tmpfs when the host has /dev/shm.

    A fake tree is a few hundred tiny files; on a VM's disk that costs ~0.2 s per test, on
    tmpfs a few milliseconds.
    """
    if not os.access("/dev/shm", os.W_OK):
        yield tmp_path
        return
    root = Path(tempfile.mkdtemp(prefix="dockyard-cgtest-", dir="/dev/shm"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)
