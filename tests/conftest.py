from __future__ import annotations

import pytest
import torch


@pytest.fixture
def single_thread():
    """Run on one thread: tiny networks on a small shared machine are many times slower with OpenMP contention."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
