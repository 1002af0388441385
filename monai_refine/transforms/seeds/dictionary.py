"""Dictionary wrappers of the seed transforms in :mod:`monai_refine.transforms.seeds.array`.

Each wrapper holds only ``keys``, ``allow_missing_keys`` and its ``*_key`` arguments; everything else goes to the
array transform it wraps.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

from monai.config import KeysCollection, NdarrayOrTensor
from monai.transforms import MapTransform, Randomizable
from monai.utils import ensure_tuple_rep

from monai_refine.transforms.seeds.array import DiscrepancySeeds, ExtremePointSeeds, GaussianSeedMap, MaskSeeds
from monai_refine.utils import RefineKeys

__all__ = [
    "DiscrepancySeedsD",
    "DiscrepancySeedsDict",
    "DiscrepancySeedsd",
    "ExtremePointSeedsD",
    "ExtremePointSeedsDict",
    "ExtremePointSeedsd",
    "GaussianSeedMapD",
    "GaussianSeedMapDict",
    "GaussianSeedMapd",
    "MaskSeedsD",
    "MaskSeedsDict",
    "MaskSeedsd",
]


class _SeedsFromKeyd(MapTransform):
    """Apply a one-input seed transform to each key and store its result under the matching ``seeds_key``."""

    def __init__(self, transform, keys: KeysCollection, seeds_key: str | Sequence[str], allow_missing_keys: bool):
        super().__init__(keys, allow_missing_keys)
        self.transform = transform
        self.seeds_key = ensure_tuple_rep(seeds_key, len(self.keys))

    def __call__(self, data: Mapping[Hashable, NdarrayOrTensor]) -> dict[Hashable, NdarrayOrTensor]:
        d = dict(data)
        for key, seeds_key in self.key_iterator(d, self.seeds_key):
            d[seeds_key] = self.transform(d[key])
        return d


class _DelegatedRandomness(Randomizable):
    """Random dictionary wrappers whose array transform ``self.transform`` draws its own numbers from its ``R``."""

    transform: Randomizable

    def set_random_state(self, seed: int | None = None, state=None) -> _DelegatedRandomness:
        super().set_random_state(seed, state)
        self.transform.set_random_state(seed, state)
        return self

    def randomize(self, data: None = None) -> None:
        """Nothing to draw here: the wrapped array transform randomises itself."""


class DiscrepancySeedsd(_DelegatedRandomness, MapTransform):
    """Dictionary form of :class:`DiscrepancySeeds`: seeds from ``d[key]`` (prediction) against ``d[label_key]``.

    Args:
        keys: prediction key(s).
        label_key: key of the binary label.
        seeds_key: where to store the ``(2, *spatial)`` seeds, one per key (a single name is repeated).
        allow_missing_keys: don't raise if a key is missing.
        kwargs: arguments of :class:`DiscrepancySeeds`.

    Example:
        >>> import numpy as np
        >>> label = np.zeros((1, 9, 9)); label[0, 2:7, 2:7] = 1
        >>> out = DiscrepancySeedsd("pred")({"pred": np.zeros((1, 9, 9)), "label": label})
        >>> out["seeds"].shape
        (2, 9, 9)
    """

    backend = DiscrepancySeeds.backend

    def __init__(
        self,
        keys: KeysCollection = RefineKeys.PRED,
        label_key: str = RefineKeys.LABEL,
        seeds_key: str | Sequence[str] = RefineKeys.SEEDS,
        allow_missing_keys: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        self.label_key = label_key
        self.seeds_key = ensure_tuple_rep(seeds_key, len(self.keys))
        self.transform = DiscrepancySeeds(**kwargs)

    def __call__(self, data: Mapping[Hashable, NdarrayOrTensor]) -> dict[Hashable, NdarrayOrTensor]:
        d = dict(data)
        for key, seeds_key in self.key_iterator(d, self.seeds_key):
            d[seeds_key] = self.transform(d[key], d[self.label_key])
        return d


class MaskSeedsd(_SeedsFromKeyd):
    """Dictionary form of :class:`MaskSeeds`: propagation seeds from the mask ``d[key]`` into ``d[seeds_key]``.

    Example:
        >>> import numpy as np
        >>> mask = np.zeros((1, 16, 16)); mask[0, 4:12, 4:12] = 1
        >>> MaskSeedsd("prior", margin_mm=2.0)({"prior": mask})["seeds"].shape
        (2, 16, 16)
    """

    backend = MaskSeeds.backend

    def __init__(
        self,
        keys: KeysCollection = RefineKeys.PRIOR,
        seeds_key: str | Sequence[str] = RefineKeys.SEEDS,
        allow_missing_keys: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(MaskSeeds(**kwargs), keys, seeds_key, allow_missing_keys)


class GaussianSeedMapd(_SeedsFromKeyd):
    """Dictionary form of :class:`GaussianSeedMap`: maps of the seeds ``d[key]`` into ``d[map_key]``.

    Args:
        keys: seed key(s).
        map_key: output key(s); default ``"seed_map"``. Pass the seed key itself to replace the seeds.
        allow_missing_keys: don't raise if a key is missing.
        kwargs: arguments of :class:`GaussianSeedMap` (``sigma`` in mm, ``spacing``).

    Example:
        >>> import numpy as np
        >>> seeds = np.zeros((2, 16, 16)); seeds[0, 8, 8] = 1
        >>> float(GaussianSeedMapd("seeds", sigma=3.0)({"seeds": seeds})["seed_map"][0, 8, 8])
        1.0
    """

    backend = GaussianSeedMap.backend

    def __init__(
        self,
        keys: KeysCollection = RefineKeys.SEEDS,
        map_key: str | Sequence[str] = RefineKeys.SEED_MAP,
        allow_missing_keys: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(GaussianSeedMap(**kwargs), keys, map_key, allow_missing_keys)


class ExtremePointSeedsd(_DelegatedRandomness, _SeedsFromKeyd):
    """Dictionary form of :class:`ExtremePointSeeds`: extreme-point seeds of the label ``d[key]``.

    Example:
        >>> import numpy as np
        >>> label = np.zeros((1, 8, 8)); label[0, 2:6, 3:5] = 1
        >>> ExtremePointSeedsd("label")({"label": label})["seeds"].shape
        (2, 8, 8)
    """

    backend = ExtremePointSeeds.backend

    def __init__(
        self,
        keys: KeysCollection = RefineKeys.LABEL,
        seeds_key: str | Sequence[str] = RefineKeys.SEEDS,
        allow_missing_keys: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(ExtremePointSeeds(**kwargs), keys, seeds_key, allow_missing_keys)


DiscrepancySeedsD = DiscrepancySeedsDict = DiscrepancySeedsd
MaskSeedsD = MaskSeedsDict = MaskSeedsd
GaussianSeedMapD = GaussianSeedMapDict = GaussianSeedMapd
ExtremePointSeedsD = ExtremePointSeedsDict = ExtremePointSeedsd
