from __future__ import annotations

from tests.networks.conftest import single_thread  # noqa: F401  (same autouse fixture: one thread)
