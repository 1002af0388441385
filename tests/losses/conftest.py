from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _losses_on_one_thread(single_thread):
    """Every loss test runs on one thread (see ``tests/conftest.py``)."""
