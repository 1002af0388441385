"""Every dictionary transform against its array transform, argument by argument.

The dictionary transforms are found by walking ``monai_refine.transforms`` (a ``MapTransform`` ``Xd`` whose array
transform ``X`` exists, MONAI's naming); each needs an entry in :data:`DICT_CASES`, and every argument it shares with
its array transform needs a non-default value in :data:`tests.argument_tables.TRANSFORM_CASES`. For each such value
the dictionary transform must give, at every output key, exactly what the array transform gives with the same value,
and the value must change the array transform's output: a wrapper that drops an argument fails here. Every output key
argument with a default (``seeds_key``, ``mask_key`` ...) must state that default in its docstring, and the transform
called without it must write there.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass, field

import numpy as np
import pytest
from monai.transforms import MapTransform

import monai_refine.transforms
from tests.argument_tables import (
    TRANSFORM_CASES,
    constructor_arguments,
    kwargs_pair,
    outcome,
    raised,
    same_outcome,
    variants,
)


def _dict_transforms() -> dict[str, tuple[type, type]]:
    """``{name: (dictionary class, array class)}`` of each ``Xd`` in ``monai_refine.transforms`` with an array ``X``."""
    found = {}
    package = monai_refine.transforms
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if not (issubclass(cls, MapTransform) and cls.__module__.startswith(package.__name__)):
                continue
            if name.startswith("_") or name != cls.__name__ or not name.endswith("d"):
                continue  # private helpers and the ``XD`` / ``XDict`` aliases
            array = getattr(importlib.import_module(cls.__module__), name[:-1], None) or getattr(package, name[:-1])
            found[name] = (cls, array)
    return found


DICT_TRANSFORMS = _dict_transforms()


@dataclass(frozen=True)
class DictCase:
    """The dictionary transform's own arguments (keys, output keys) for the array case's example data, and where the
    array case's outputs land in its result (``rename``: array case output name -> dictionary key)."""

    kwargs: dict
    rename: dict = field(default_factory=dict)


#: every dictionary transform of the package: a new one must be added here
DICT_CASES = {
    "DiscrepancySeedsd": DictCase(
        {"keys": ("pred", "pred_b"), "label_key": "label", "seeds_key": ("seeds", "seeds_b")}
    ),
    "MaskSeedsd": DictCase({"keys": ("a", "b"), "seeds_key": ("sa", "sb")}, {"a": "sa", "b": "sb"}),
    "GaussianSeedMapd": DictCase({"keys": ("a", "b"), "map_key": ("ma", "mb")}, {"a": "ma", "b": "mb"}),
    "ExtremePointSeedsd": DictCase({"keys": ("a", "b"), "seeds_key": ("sa", "sb")}, {"a": "sa", "b": "sb"}),
    "RandMaskPerturbd": DictCase({"keys": ("a", "b"), "quality_key": ("qa", "qb")}),
    "ColorSpaceChannelsd": DictCase({"keys": ("a", "b")}),
    "RandPercentileContrastd": DictCase({"keys": ("a", "b")}),
    "DualThresholdd": DictCase({"keys": ("a", "b")}),
    "FieldOfViewMaskd": DictCase({"keys": "image", "fov_key": "fov"}, {"image": "fov"}),
    "OtsuLesionMaskd": DictCase({"keys": "image", "mask_key": "lesion"}, {"image": "lesion"}),
}


def _shared(name: str) -> list[str]:
    dict_cls, array_cls = DICT_TRANSFORMS[name]
    return [a for a in constructor_arguments(array_cls) if a in constructor_arguments(dict_cls)]


def _parameters():
    """One case per (dictionary transform, shared argument), plus one with every argument at its default."""
    for name in sorted(set(DICT_TRANSFORMS) & set(DICT_CASES)):
        array_cls = DICT_TRANSFORMS[name][1]
        args = TRANSFORM_CASES[array_cls].args
        yield pytest.param(name, None, 0, id=f"{name}-defaults")
        for argument in (a for a in _shared(name) if a in args):
            for index in range(len(variants(args[argument]))):
                yield pytest.param(name, argument, index, id=f"{name}-{argument}-{index}")


def test_every_dict_transform_has_a_case():
    assert set(DICT_TRANSFORMS) == set(DICT_CASES)
    assert {array for _, array in DICT_TRANSFORMS.values()} <= set(TRANSFORM_CASES)


@pytest.mark.parametrize("name", sorted(DICT_CASES))
def test_aliases_and_arguments(name):
    dict_cls, array_cls = DICT_TRANSFORMS[name]
    module = importlib.import_module(dict_cls.__module__)
    assert getattr(module, f"{name[:-1]}D") is dict_cls and getattr(module, f"{name[:-1]}Dict") is dict_cls
    # the dictionary transform exposes every argument of its array transform, and the table covers each of them
    assert set(constructor_arguments(array_cls)) <= set(constructor_arguments(dict_cls))
    assert set(_shared(name)) <= set(TRANSFORM_CASES[array_cls].args)


@pytest.mark.parametrize("name, argument, index", list(_parameters()))
def test_dict_output_equals_array_output(name, argument, index):
    dict_cls, array_cls = DICT_TRANSFORMS[name]
    case, wrapper = TRANSFORM_CASES[array_cls], DICT_CASES[name]
    base, changed, data = ({}, {}, case.data) if argument is None else kwargs_pair(case, array_cls, argument, index)
    expected = outcome(array_cls, changed, case, data())
    assert not raised(expected) or argument == "max_tries", expected
    if isinstance(expected, dict):
        expected = {wrapper.rename.get(k, k): v for k, v in expected.items()}
    result = outcome(dict_cls, {**wrapper.kwargs, **changed}, case, data(), call=lambda t, d: t(d))
    if isinstance(result, dict):
        result = {k: result[k] for k in expected}
    assert same_outcome(result, expected)
    if argument is not None:  # a dropped argument would give the base output: the value must change it
        assert not same_outcome(expected, outcome(array_cls, base, case, data()))


def _documented_default(cls: type, argument: str) -> str | None:
    """The key that the docstring's entry for ``argument`` gives as its default (``default ``"name"````)."""
    entry = re.search(rf"\n( *){argument}: (.*?)(?=\n\1\S|\n\n|$)", inspect.getdoc(cls) or "", re.S)
    found = entry and re.search(r'default\s+``"([^"]*)"``', entry.group(2))
    return found.group(1) if found else None


def _default_output_keys(cls: type) -> dict[str, object]:
    parameters = inspect.signature(cls.__init__).parameters
    return {a: p.default for a, p in parameters.items() if a.endswith("_key") and p.default is not p.empty}


@pytest.mark.parametrize("name", sorted(n for n in DICT_CASES if _default_output_keys(DICT_TRANSFORMS[n][0])))
def test_default_output_keys_are_the_documented_ones(name):
    """A pipeline that leaves out ``seeds_key`` (``mask_key`` ...) reads the key the docstring names."""
    dict_cls, array_cls = DICT_TRANSFORMS[name]
    defaults = _default_output_keys(dict_cls)
    case = TRANSFORM_CASES[array_cls]
    kwargs = {k: v for k, v in DICT_CASES[name].kwargs.items() if k not in defaults}
    result = outcome(dict_cls, kwargs, case, case.data(), call=lambda t, d: t(d))
    assert not raised(result), result
    for argument, default in defaults.items():
        documented = _documented_default(dict_cls, argument)
        assert documented == str(default), f"{name}({argument}=...): docstring {documented!r}, signature {default!r}"
        assert documented in result


#: (dictionary transform, argument) whose default differs from the array transform's on purpose, with the reason
DEFAULT_EXEMPT: dict[tuple[str, str], str] = {}


def _default_mismatches(name: str) -> dict[str, tuple]:
    """``{argument: (dictionary default, array default)}`` of the shared arguments whose defaults differ (in value or
    type: ``255`` and ``255.0`` differ, so do a list and a tuple)."""
    dict_cls, array_cls = DICT_TRANSFORMS[name]
    d, a = inspect.signature(dict_cls.__init__).parameters, inspect.signature(array_cls.__init__).parameters
    return {
        argument: (d[argument].default, a[argument].default)
        for argument in _shared(name)
        if type(d[argument].default) is not type(a[argument].default) or d[argument].default != a[argument].default
    }


@pytest.mark.parametrize("name", sorted(DICT_CASES))
def test_shared_defaults_equal_the_array_transforms(name):
    """``Xd(keys=...)`` does what ``X()`` does: every argument they share has the same default, unless
    :data:`DEFAULT_EXEMPT` says why not (a dictionary wrapper written with its own copy of a default drifts)."""
    mismatches = {a: v for a, v in _default_mismatches(name).items() if (name, a) not in DEFAULT_EXEMPT}
    assert not mismatches, f"{name}: defaults differ from {name[:-1]}'s (dictionary, array): {mismatches}"


def test_default_exemptions_are_current():
    for name, argument in DEFAULT_EXEMPT:
        assert argument in _default_mismatches(name), f"{name}({argument}=...) no longer differs: drop its exemption"


@pytest.mark.parametrize("name", sorted(DICT_CASES))
def test_allow_missing_keys(name):
    """``allow_missing_keys=True`` skips an absent key (the data come back unchanged); without it, a KeyError."""
    dict_cls = DICT_TRANSFORMS[name][0]
    kwargs = dict(DICT_CASES[name].kwargs)
    data = {"other": np.ones((1, 4, 4), dtype=np.float32)}
    if "label_key" in kwargs:
        data[kwargs["label_key"]] = np.zeros((1, 4, 4), dtype=np.float32)
    result = dict_cls(**kwargs, allow_missing_keys=True)(dict(data))
    assert set(result) == set(data)
    for key, value in data.items():
        np.testing.assert_array_equal(result[key], value)
    with pytest.raises(KeyError):
        dict_cls(**kwargs)(dict(data))
