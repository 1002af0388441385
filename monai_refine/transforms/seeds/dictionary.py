"""Dictionary wrappers of the seed transforms in :mod:`monai_refine.transforms.seeds.array`.

Each wrapper holds ``keys``, ``allow_missing_keys`` and its ``*_key`` arguments, and lists the arguments of the
array transform it wraps explicitly, as MONAI's dictionary transforms do.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
from monai.config import KeysCollection, NdarrayOrTensor
from monai.transforms import MapTransform, Randomizable, Transform
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

    def __init__(
        self, transform: Transform, keys: KeysCollection, seeds_key: str | Sequence[str], allow_missing_keys: bool
    ) -> None:
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

    def set_random_state(
        self, seed: int | None = None, state: np.random.RandomState | None = None
    ) -> _DelegatedRandomness:
        super().set_random_state(seed, state)
        self.transform.set_random_state(seed, state)
        return self

    def randomize(self, data: None = None) -> None:
        """Draw in the wrapped array transform."""
        self.transform.randomize(data)


class DiscrepancySeedsd(_DelegatedRandomness, MapTransform):
    """Dictionary form of :class:`DiscrepancySeeds`: seeds from ``d[key]`` (prediction) against ``d[label_key]``.

    One random draw per call serves every key, as in MONAI's random dictionary transforms.

    Args:
        keys: prediction key(s).
        label_key: key of the binary label.
        seeds_key: where to store the ``(2, *spatial)`` seeds, one per key (a single name is repeated); default
            ``"seeds"``.
        min_component_size, max_seeds_per_component, per_slice, slice_axis: see :class:`DiscrepancySeeds`.
        allow_missing_keys: don't raise if a key is missing.

    Example:
        >>> import numpy as np
        >>> label = np.zeros((1, 9, 9)); label[0, 2:7, 2:7] = 1
        >>> out = DiscrepancySeedsd("pred", label_key="label")({"pred": np.zeros((1, 9, 9)), "label": label})
        >>> out["seeds"].shape, int(out["seeds"][1].sum())  # all missed: foreground seeds only
        ((2, 9, 9), 0)
    """

    backend = DiscrepancySeeds.backend

    def __init__(
        self,
        keys: KeysCollection,
        label_key: str,
        seeds_key: str | Sequence[str] = RefineKeys.SEEDS,
        min_component_size: int = 0,
        max_seeds_per_component: int | None = None,
        per_slice: bool = False,
        slice_axis: int = -1,
        allow_missing_keys: bool = False,
    ) -> None:
        MapTransform.__init__(self, keys, allow_missing_keys)
        self.label_key = label_key
        self.seeds_key = ensure_tuple_rep(seeds_key, len(self.keys))
        self.transform = DiscrepancySeeds(
            min_component_size=min_component_size,
            max_seeds_per_component=max_seeds_per_component,
            per_slice=per_slice,
            slice_axis=slice_axis,
        )

    def __call__(self, data: Mapping[Hashable, NdarrayOrTensor]) -> dict[Hashable, NdarrayOrTensor]:
        d = dict(data)
        self.randomize()
        for key, seeds_key in self.key_iterator(d, self.seeds_key):
            d[seeds_key] = self.transform(d[key], d[self.label_key], randomize=False)
        return d


class MaskSeedsd(_SeedsFromKeyd):
    """Dictionary form of :class:`MaskSeeds`: propagation seeds from the mask ``d[key]`` into ``d[seeds_key]``.

    Args:
        keys: mask key(s).
        seeds_key: where to store the ``(2, *spatial)`` seeds, one per key (a single name is repeated); default
            ``"seeds"``.
        margin_mm, erosion_mm, spacing: see :class:`MaskSeeds`.
        allow_missing_keys: don't raise if a key is missing.

    Example:
        >>> import numpy as np
        >>> mask = np.zeros((1, 16, 16)); mask[0, 4:12, 4:12] = 1
        >>> seeds = MaskSeedsd("prior", margin_mm=2.0)({"prior": mask})["seeds"]
        >>> seeds.shape, int(seeds[1].sum())  # ring: 4 sides of 8 voxels 2 voxels out, 4 corners sqrt(2) out
        ((2, 16, 16), 36)
    """

    backend = MaskSeeds.backend

    def __init__(
        self,
        keys: KeysCollection,
        seeds_key: str | Sequence[str] = RefineKeys.SEEDS,
        margin_mm: float = 5.0,
        erosion_mm: float | None = None,
        spacing: Sequence[float] | float | None = None,
        allow_missing_keys: bool = False,
    ) -> None:
        transform = MaskSeeds(margin_mm=margin_mm, erosion_mm=erosion_mm, spacing=spacing)
        super().__init__(transform, keys, seeds_key, allow_missing_keys)


class GaussianSeedMapd(_SeedsFromKeyd):
    """Dictionary form of :class:`GaussianSeedMap`: maps of the seeds ``d[key]`` into ``d[map_key]``.

    Args:
        keys: seed key(s).
        map_key: output key(s); default ``"seed_map"``. Pass the seed key itself to replace the seeds.
        sigma, spacing, truncate: see :class:`GaussianSeedMap` (``sigma`` in mm).
        allow_missing_keys: don't raise if a key is missing.

    Example:
        >>> import numpy as np
        >>> seeds = np.zeros((2, 16, 16)); seeds[0, 8, 8] = 1
        >>> maps = GaussianSeedMapd("seeds", sigma=3.0, spacing=1.5)({"seeds": seeds})["seed_map"]
        >>> float(maps[0, 8, 8]), round(float(maps[0, 10, 8]), 4)  # 2 voxels = 3 mm = sigma away: exp(-0.5)
        (1.0, 0.6065)
    """

    backend = GaussianSeedMap.backend

    def __init__(
        self,
        keys: KeysCollection,
        map_key: str | Sequence[str] = RefineKeys.SEED_MAP,
        sigma: float = 5.0,
        spacing: Sequence[float] | float | None = None,
        truncate: float = 5.0,
        allow_missing_keys: bool = False,
    ) -> None:
        transform = GaussianSeedMap(sigma=sigma, spacing=spacing, truncate=truncate)
        super().__init__(transform, keys, map_key, allow_missing_keys)


class ExtremePointSeedsd(_DelegatedRandomness, _SeedsFromKeyd):
    """Dictionary form of :class:`ExtremePointSeeds`: extreme-point seeds of the label ``d[key]``.

    Args:
        keys: label key(s).
        seeds_key: where to store the ``(2, *spatial)`` seeds, one per key (a single name is repeated); default
            ``"seeds"``.
        pert: see :class:`ExtremePointSeeds`.
        allow_missing_keys: don't raise if a key is missing.

    Example:
        >>> import numpy as np
        >>> label = np.zeros((1, 8, 8)); label[0, 2:6, 3:5] = 1
        >>> seeds = ExtremePointSeedsd("label").set_random_state(0)({"label": label})["seeds"]
        >>> points = np.argwhere(seeds[0] > 0)  # rows 2..5 and columns 3..4 hold the label: its extremes
        >>> [int(points[:, 0].min()), int(points[:, 0].max()), int(points[:, 1].min()), int(points[:, 1].max())]
        [2, 5, 3, 4]
    """

    backend = ExtremePointSeeds.backend

    def __init__(
        self,
        keys: KeysCollection,
        seeds_key: str | Sequence[str] = RefineKeys.SEEDS,
        pert: float = 0.0,
        allow_missing_keys: bool = False,
    ) -> None:
        super().__init__(ExtremePointSeeds(pert=pert), keys, seeds_key, allow_missing_keys)


DiscrepancySeedsD = DiscrepancySeedsDict = DiscrepancySeedsd
MaskSeedsD = MaskSeedsDict = MaskSeedsd
GaussianSeedMapD = GaussianSeedMapDict = GaussianSeedMapd
ExtremePointSeedsD = ExtremePointSeedsDict = ExtremePointSeedsd
