"""Seeding the random draws of objects that no MONAI data loader seeds (a trainer's ``iteration_update``)."""

from __future__ import annotations

import numpy as np
from monai.utils import MAX_SEED

__all__ = ["seed_from_numpy"]


def seed_from_numpy() -> int:
    """A seed in ``[0, MAX_SEED)`` drawn from NumPy's global generator.

    MONAI's ``Randomizable`` keeps a class-level ``np.random.RandomState()`` seeded by the operating system; a
    ``DataLoader`` reseeds a dataset's transforms, but an object used outside the data pipeline keeps that state, so
    its draws differ from run to run whatever ``monai.utils.set_determinism`` did. Seeding such an object with this
    at construction ties it to the global seed, as MONAI's own ``deepedit`` interaction is (it draws from
    ``np.random`` directly).

    Example:
        >>> np.random.seed(0); a = seed_from_numpy(); np.random.seed(0); a == seed_from_numpy()
        True
    """
    return int(np.random.randint(MAX_SEED))  # noqa: NPY002 (the legacy global generator is what set_determinism seeds)
