"""Contracts every dictionary transform of ``monai_refine.transforms`` keeps, checked class by class.

The classes come from :data:`tests.transforms.test_dict_wrappers.DICT_TRANSFORMS` (found by walking the package) with
their arguments and example data from ``DICT_CASES`` / ``TRANSFORM_CASES``, so a new dictionary transform is covered
here as soon as it has its case there. For each of them:

- the caller's dict is left alone (same keys, the same value objects, values equal to a deep copy taken before the
  call), with ``allow_missing_keys`` off and on, numpy and torch values, and a new dict is returned;
- the result holds the input keys plus exactly the documented output keys (``seeds_key``, ``map_key``,
  ``quality_key`` ...; each ``*_key`` argument is classified in :data:`KEY_ROLES`), and a key the transform does not
  touch keeps its value object.

For each random one (a ``Randomizable``; each needs arguments in :data:`RANDOM_KWARGS` under which the draw matters):
``set_random_state`` returns the transform, ``seed=s`` and ``state=np.random.RandomState(s)`` give the same outputs
over two calls, two seeds give different outputs, the wrapped array transform draws from the state it was given
(its first numbers are those of ``RandomState(s)``), and the outputs equal the array transform's seeded alike.

Last, the documented input-range guards of the intensity transforms at their exact edges.
"""

from __future__ import annotations

import copy
import inspect

import numpy as np
import pytest
import torch
from monai.data import MetaTensor
from monai.transforms import Randomizable
from monai.utils import ensure_tuple

from monai_refine.transforms import ColorSpaceChannels, ColorSpaceChannelsd, RandPercentileContrast
from tests.argument_tables import TRANSFORM_CASES, constructor_arguments, same_outcome
from tests.test_inputs_unchanged import _same
from tests.transforms.test_dict_wrappers import DICT_CASES, DICT_TRANSFORMS

#: every ``*_key`` argument of the dictionary transforms: "input" (read), "output" (written instead of the ``keys``,
#: which are then only read) or "side output" (written besides the ``keys``, which are replaced)
KEY_ROLES = {
    "label_key": "input",
    "seeds_key": "output",
    "map_key": "output",
    "quality_key": "side output",
    "fov_key": "output",
    "mask_key": "output",
}

RANDOM = sorted(name for name, (cls, _) in DICT_TRANSFORMS.items() if issubclass(cls, Randomizable))

#: every random dictionary transform: arguments (shared with its array transform) under which the draw matters
RANDOM_KWARGS = {
    "DiscrepancySeedsd": {"max_seeds_per_component": 2, "per_slice": True},  # picks 2 skeleton voxels per slice
    "ExtremePointSeedsd": {},  # flat sides: the extreme point is drawn among ties
    "RandMaskPerturbd": {},
    "RandPercentileContrastd": {},
}

NAMES = sorted(DICT_CASES)


def _key_arguments(cls: type) -> list[str]:
    return [a for a in constructor_arguments(cls) if a.endswith("_key")]


def _kwargs(name: str) -> dict:
    return {**DICT_CASES[name].kwargs, **RANDOM_KWARGS.get(name, {})}


def _data(name: str) -> dict:
    return TRANSFORM_CASES[DICT_TRANSFORMS[name][1]].data()


def _make(name: str, **kwargs):
    """The transform, seeded with its example's seed (one that draws a change) when random."""
    transform = DICT_TRANSFORMS[name][0](**kwargs)
    seed = TRANSFORM_CASES[DICT_TRANSFORMS[name][1]].seed
    return transform.set_random_state(seed=seed) if isinstance(transform, Randomizable) else transform


def _written(kwargs: dict) -> set:
    """The output keys named by ``kwargs`` (a ``None`` output key writes nothing)."""
    found = set()
    for argument, value in kwargs.items():
        if KEY_ROLES.get(argument) in ("output", "side output") and value is not None:
            found.update(ensure_tuple(value))
    return found


def test_tables_cover_every_dict_transform():
    """A new ``*_key`` argument or random dictionary transform must be added to the tables above."""
    arguments = {a for cls, _ in DICT_TRANSFORMS.values() for a in _key_arguments(cls)}
    assert arguments <= set(KEY_ROLES), f"classify {sorted(arguments - set(KEY_ROLES))} in KEY_ROLES"
    assert set(RANDOM) == set(RANDOM_KWARGS), f"add {sorted(set(RANDOM) - set(RANDOM_KWARGS))} to RANDOM_KWARGS"
    assert set(RANDOM) >= {"DiscrepancySeedsd", "ExtremePointSeedsd", "RandMaskPerturbd", "RandPercentileContrastd"}


def _missing_key_case(name: str) -> tuple[dict, dict]:
    """``(kwargs, data)`` with ``allow_missing_keys=True`` and one of the keys absent from the data."""
    kwargs, data = {**_kwargs(name), "allow_missing_keys": True}, _data(name)
    keys = ensure_tuple(kwargs["keys"])
    if len(keys) > 1:
        del data[keys[-1]]
    else:
        kwargs["keys"] = (*keys, "absent")
    return kwargs, data


CONTAINERS = {
    "numpy": lambda v: v,
    "torch": torch.as_tensor,
    "meta": lambda v: MetaTensor(v, affine=torch.diag(torch.tensor([2.0, 3.0, 1.0, 1.0])), meta={"tag": [1]}),
}


@pytest.mark.parametrize("container", sorted(CONTAINERS))
@pytest.mark.parametrize("allow_missing", [False, True], ids=["all-keys", "missing-key"])
@pytest.mark.parametrize("name", NAMES)
def test_caller_dict_is_left_alone(name, allow_missing, container):
    kwargs, data = _missing_key_case(name) if allow_missing else (_kwargs(name), _data(name))
    data = {k: CONTAINERS[container](v) for k, v in data.items()}
    objects, before = dict(data), copy.deepcopy(data)
    metas = {k: copy.deepcopy(v.meta) for k, v in data.items() if isinstance(v, MetaTensor)}
    result = _make(name, **kwargs)(data)
    assert result is not data
    assert list(data) == list(before), f"{name} added or removed keys of the caller's dict"
    assert all(data[k] is objects[k] for k in data), f"{name} replaced values in the caller's dict"
    assert _same(before, data), f"{name} changed the caller's arrays"
    for key, meta in metas.items():  # e.g. the Dice written into the input's meta dict
        assert set(data[key].meta) == set(meta) and data[key].meta["tag"] == [1], f"{name} changed {key}'s meta"
        torch.testing.assert_close(data[key].affine, meta["affine"])


def _default_outputs(cls: type) -> set:
    parameters = inspect.signature(cls.__init__).parameters
    return _written({a: parameters[a].default for a in _key_arguments(cls)})


@pytest.mark.parametrize("defaults", [False, True], ids=["named", "default-keys"])
@pytest.mark.parametrize("name", NAMES)
def test_exactly_the_documented_output_keys_are_written(name, defaults):
    """Input keys plus the output keys (each ``*_key`` argument's value, or its default), nothing else; keys the
    transform does not own keep their value objects (the ``keys`` too when the results go to output keys)."""
    kwargs, data = _kwargs(name), _data(name)
    outputs = _written(kwargs)
    if defaults:
        kwargs = {k: v for k, v in kwargs.items() if KEY_ROLES.get(k) not in ("output", "side output")}
        outputs = _default_outputs(DICT_TRANSFORMS[name][0])
    data["bystander"] = np.ones((1, 3, 3), np.float32)
    result = _make(name, **kwargs)(dict(data))
    assert set(result) - set(data) == outputs, f"{name}: wrote {set(result) - set(data)}, documented {outputs}"
    read_only = any(KEY_ROLES.get(a) == "output" for a in _key_arguments(DICT_TRANSFORMS[name][0]))
    untouched = set(data) - outputs - (set() if read_only else set(ensure_tuple(kwargs["keys"])))
    assert "bystander" in untouched and all(result[k] is data[k] for k in untouched), f"{name} replaced a key"


@pytest.mark.parametrize("name", NAMES)
def test_missing_key_writes_no_output_for_it(name):
    kwargs, data = _missing_key_case(name)
    result = _make(name, **kwargs)(dict(data))
    added = set(result) - set(data)
    assert added <= _written(kwargs) and "absent" not in result
    present = [k for k in ensure_tuple(kwargs["keys"]) if k in data]
    outputs = ensure_tuple(next((v for a, v in kwargs.items() if KEY_ROLES.get(a) in ("output", "side output")), ()))
    if len(outputs) == len(ensure_tuple(kwargs["keys"])) > 1:  # one output key per key: the absent key's is not written
        assert added == {outputs[i] for i, k in enumerate(ensure_tuple(kwargs["keys"])) if k in present}


def test_quality_key_none_writes_nothing():
    kwargs = {**_kwargs("RandMaskPerturbd"), "quality_key": None}
    data = _data("RandMaskPerturbd")
    assert set(_make("RandMaskPerturbd", **kwargs)(dict(data))) == set(data)


def test_quality_is_in_each_keys_meta():
    """RandMaskPerturbd on MetaTensors: each key's ``meta["quality"]`` is its own Dice (the one at its quality key),
    and the affine passes through."""
    data = {k: CONTAINERS["meta"](v) for k, v in _data("RandMaskPerturbd").items()}
    result = _make("RandMaskPerturbd", **_kwargs("RandMaskPerturbd"))(data)
    for key, quality_key in (("a", "qa"), ("b", "qb")):
        assert result[key].meta["quality"] == pytest.approx(float(result[quality_key][0]), abs=1e-6)
        torch.testing.assert_close(result[key].affine, data[key].affine)
    assert float(result["qa"][0]) != pytest.approx(float(result["qb"][0]))  # two masks, two Dice


@pytest.mark.parametrize("name", RANDOM)
def test_set_random_state_returns_the_transform(name):
    transform = DICT_TRANSFORMS[name][0](**_kwargs(name))
    assert transform.set_random_state(seed=1) is transform
    assert transform.set_random_state(state=np.random.RandomState(1)) is transform


def _two_calls(name: str, **random_state) -> list:
    transform = DICT_TRANSFORMS[name][0](**_kwargs(name)).set_random_state(**random_state)
    return [transform(_data(name)) for _ in range(2)]


@pytest.mark.parametrize("seed", [2, 7])
@pytest.mark.parametrize("name", RANDOM)
def test_seed_and_state_agree_and_seeds_matter(name, seed):
    by_seed = _two_calls(name, seed=seed)
    assert same_outcome(by_seed, _two_calls(name, state=np.random.RandomState(seed)))
    assert not same_outcome(by_seed[0], _two_calls(name, seed=seed + 1)[0]), f"{name}: the seed changes nothing"


def _inner(transform) -> Randomizable:
    found = [v for v in vars(transform).values() if isinstance(v, Randomizable)]
    assert len(found) == 1, f"{type(transform).__name__}: expected one wrapped random transform, got {found}"
    return found[0]


@pytest.mark.parametrize("how", ["seed", "state"])
@pytest.mark.parametrize("name", RANDOM)
def test_wrapped_transform_draws_from_the_given_state(name, how):
    """The wrapped array transform's generator starts where ``RandomState(s)`` does, whether the wrapper was given
    ``seed=s`` or ``state=RandomState(s)`` (a wrapper that hands on only ``seed`` leaves it unseeded)."""
    transform = DICT_TRANSFORMS[name][0](**_kwargs(name))
    transform.set_random_state(**({"seed": 5} if how == "seed" else {"state": np.random.RandomState(5)}))
    np.testing.assert_array_equal(_inner(transform).R.random_sample(6), np.random.RandomState(5).random_sample(6))


@pytest.mark.parametrize("how", ["seed", "state"])
@pytest.mark.parametrize("name", RANDOM)
def test_outputs_equal_the_array_transform_seeded_alike(name, how):
    dict_cls, array_cls = DICT_TRANSFORMS[name]
    case = TRANSFORM_CASES[array_cls]
    array = array_cls(**RANDOM_KWARGS[name]).set_random_state(seed=3)
    expected = {DICT_CASES[name].rename.get(k, k): v for k, v in case.call(array, case.data()).items()}
    transform = dict_cls(**_kwargs(name))
    transform.set_random_state(**({"seed": 3} if how == "seed" else {"state": np.random.RandomState(3)}))
    result = transform(case.data())
    assert same_outcome({k: result[k] for k in expected}, expected)


# --- documented input-range guards of the intensity transforms, at their edges -------------------------------------


def _rgb(*values: float) -> np.ndarray:
    img = np.zeros((3, 2, 2), np.float32)
    img.flat[: len(values)] = values
    return img


COLOR_CALLS = [
    # (max_value, image, accepted)
    (255.0, _rgb(0.0, 0.5, 1.0), False),  # looks scaled to [0, 1]: maximum exactly 1, fractional values
    (255.0, _rgb(0.25, 0.999), False),
    (255.0, _rgb(0.5, 1.001), True),  # maximum above 1: an 8-bit image with fractional values
    (255.0, _rgb(0.0, 1.0), True),  # integer values up to 1 are a dark 8-bit image
    (255.0, _rgb(), True),  # all black: maximum 0
    (255.0, _rgb(0.0, 255.0), True),  # exactly max_value
    (255.0, _rgb(0.5, 255.0), True),
    (255.0, _rgb(10.0, 255.01), False),  # above max_value
    (255.0, _rgb(-0.001, 10.0), False),  # below 0
    (1.0, _rgb(0.0, 0.5, 1.0), True),  # max_value 1: [0, 1] images are the documented input
    (1.0, _rgb(0.5, 1.0001), False),
    (1.0, _rgb(-1e-4, 0.5), False),
    (510.0, _rgb(0.5, 1.0), False),
    (510.0, _rgb(0.5, 510.0), True),
]


@pytest.mark.parametrize("dictionary", [False, True], ids=["array", "dict"])
@pytest.mark.parametrize("as_tensor", [False, True], ids=["numpy", "torch"])
@pytest.mark.parametrize("max_value, img, accepted", COLOR_CALLS)
def test_color_space_channels_input_range_edges(max_value, img, accepted, as_tensor, dictionary):
    img = torch.as_tensor(img) if as_tensor else img
    if dictionary:
        call = lambda: ColorSpaceChannelsd("image", max_value=max_value)({"image": img})  # noqa: E731
    else:
        call = lambda: ColorSpaceChannels(max_value=max_value)(img)  # noqa: E731
    if accepted:
        call()
    else:
        with pytest.raises(ValueError, match="img"):
            call()


INIT_EDGES = [
    # (class, kwargs, accepted)
    (ColorSpaceChannels, {"max_value": 1.0}, True),
    (ColorSpaceChannels, {"max_value": 1e-3}, True),
    (ColorSpaceChannels, {"max_value": 0.0}, False),
    (ColorSpaceChannels, {"max_value": -255.0}, False),
    (ColorSpaceChannels, {"max_value": float("inf")}, False),
    (ColorSpaceChannels, {"max_value": float("nan")}, False),
    (RandPercentileContrast, {"prob": 0.0}, True),
    (RandPercentileContrast, {"prob": 1.0}, True),
    (RandPercentileContrast, {"prob": -1e-6}, False),
    (RandPercentileContrast, {"prob": 1.000001}, False),
    (RandPercentileContrast, {"lower_range": (0.0, 0.0)}, True),
    (RandPercentileContrast, {"lower_range": (-1e-6, 5.0)}, False),
    (RandPercentileContrast, {"lower_range": (6.0, 5.0)}, False),
    (RandPercentileContrast, {"upper_range": (100.0, 100.0)}, True),
    (RandPercentileContrast, {"upper_range": (95.0, 100.000001)}, False),
    (RandPercentileContrast, {"upper_range": (95.0, 94.0)}, False),
    (RandPercentileContrast, {"lower_range": (5.0, 49.5), "upper_range": (50.0, 60.0)}, True),
    (RandPercentileContrast, {"lower_range": (5.0, 50.0), "upper_range": (50.0, 60.0)}, False),  # hi == lo refused
    (RandPercentileContrast, {"lower_range": (50.0, 50.0), "upper_range": (50.0, 50.0)}, False),
    (RandPercentileContrast, {"b_min": 0.0, "b_max": 1e-6}, True),
    (RandPercentileContrast, {"b_min": 1.0, "b_max": 1.0}, False),
    (RandPercentileContrast, {"b_min": 2.0, "b_max": 1.0}, False),
    (RandPercentileContrast, {"b_min": 0.0, "b_max": float("inf")}, False),
    (RandPercentileContrast, {"b_min": float("nan"), "b_max": 1.0}, False),
]


@pytest.mark.parametrize("cls, kwargs, accepted", INIT_EDGES, ids=lambda v: getattr(v, "__name__", None))
def test_intensity_argument_edges(cls, kwargs, accepted):
    """Each documented argument range, just inside and just outside (both the array form and its dict wrapper)."""
    dict_cls = next(d for d, a in DICT_TRANSFORMS.values() if a is cls)
    for make in (lambda: cls(**kwargs), lambda: dict_cls("image", **kwargs)):
        if accepted:
            make()
        else:
            with pytest.raises(ValueError, match="|".join(kwargs)):
                make()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("cls", [ColorSpaceChannels, RandPercentileContrast])
def test_intensity_non_finite_images_refused(cls, bad):
    img = _rgb(0.0, 10.0, 200.0)
    img[1, 1, 1] = bad
    with pytest.raises(ValueError, match="img"):
        cls()(img)


SHAPE_EDGES = [
    # (class, image shape, accepted): channel-first RGB (3, *spatial) / (C, *spatial) with at least 2 dims
    (ColorSpaceChannels, (3, 2, 2), True),
    (ColorSpaceChannels, (3, 2, 2, 2), True),
    (ColorSpaceChannels, (3, 4), False),
    (ColorSpaceChannels, (2, 2, 2), False),
    (ColorSpaceChannels, (4, 2, 2), False),
    (RandPercentileContrast, (1, 4), True),
    (RandPercentileContrast, (4,), False),
]


@pytest.mark.parametrize("cls, shape, accepted", SHAPE_EDGES, ids=str)
def test_intensity_image_shape_edges(cls, shape, accepted):
    img = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    if accepted:
        assert cls()(img).shape[1:] == shape[1:]
    else:
        with pytest.raises(ValueError, match="img"):
            cls()(img)
