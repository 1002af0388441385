"""No public class or function of the core modifies its inputs.

A caller's volume, mask or network must be as it was after any call: a transform or function that works in place on
its input (``np.asarray`` where ``np.array`` was meant, ``+=`` on an argument, an in-place activation on the input)
changes the caller's data silently. Checked programmatically: every class with a case in
``tests/test_arguments_matter.py`` (array transforms, inferers, segmenters, losses) is called on its example data with
its fixed arguments, every network on an input shaped for it, and every public function of
``monai_refine.inferers``, ``monai_refine.metrics`` and ``monai_refine.transforms`` on the small inputs of
:data:`FUNCTION_CASES` (a new function needs a case or an entry in :data:`FUNCTION_EXEMPT` with the reason); the
inputs are deep-copied before the call and compared after it (values, dtypes, shapes; a network's weights).
"""

from __future__ import annotations

import copy
import inspect

import numpy as np
import pytest
import torch

import monai_refine.inferers
import monai_refine.metrics
import monai_refine.transforms
from monai_refine.inferers import SliceGrid, window_intensity
from monai_refine.networks.nets import CDNN, IterativeUNet, QualityUNet, RefineNet
from tests.test_arguments_matter import CASES, _slice_data


def _same(before, after) -> bool:
    """Whether ``after`` still equals the deep copy ``before`` (arrays and tensors exactly, a module's state)."""
    if isinstance(before, torch.nn.Module):
        return _same(before.state_dict(), after.state_dict())
    if isinstance(before, torch.Tensor):
        return before.dtype == after.dtype and before.shape == after.shape and torch.equal(before, after)
    if isinstance(before, np.ndarray):
        return before.dtype == after.dtype and before.shape == after.shape and np.array_equal(before, after)
    if isinstance(before, dict):
        return before.keys() == after.keys() and all(_same(before[k], after[k]) for k in before)
    if isinstance(before, (list, tuple)):
        return len(before) == len(after) and all(_same(b, a) for b, a in zip(before, after))
    if isinstance(before, (int, float, str, bool, type(None))):
        return before == after
    return _same(vars(before), vars(after)) if hasattr(before, "__dict__") else True


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["a"].__setitem__(0, 1.0),
        lambda d: d["t"][0].add_(1.0),
        lambda d: d["net"].weight.data.add_(1.0),
    ],
)
def test_same_sees_a_change(change):
    """The comparison itself: an array, a tensor in a list and a module's weight changed in place all count."""
    data = {"a": np.zeros(3, np.float32), "t": [torch.zeros(2)], "net": torch.nn.Linear(1, 1)}
    before = copy.deepcopy(data)
    assert _same(before, data)
    change(data)
    assert not _same(before, data)


NETWORKS = {CDNN, IterativeUNet, QualityUNet, RefineNet}
CLASSES = sorted(set(CASES) - NETWORKS, key=lambda c: c.__name__)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_classes_leave_their_inputs_unchanged(cls):
    case = CASES[cls]
    instance = cls(**case.fixed)
    if case.seed is not None:
        instance.set_random_state(case.seed)
    data = case.data()
    before = copy.deepcopy(data)
    case.call(instance, data)
    assert _same(before, data), f"{cls.__name__} changed its input"


@pytest.mark.parametrize("cls", sorted(NETWORKS, key=lambda c: c.__name__), ids=lambda c: c.__name__)
@pytest.mark.parametrize("dims", [2, 3])
def test_networks_leave_their_input_unchanged(cls, dims):
    """Training mode (dropout, batch statistics) and the default in-place activations: the input tensor is untouched."""
    net = cls(**{**CASES[cls].fixed, "spatial_dims": dims})
    first = next(m for m in net.modules() if isinstance(m, torch.nn.modules.conv._ConvNd))
    channels = getattr(net, "in_channels", first.in_channels)
    spatial = (32, 32) if dims == 2 else (16, 16, 16)
    x = torch.rand((2, channels, *spatial), generator=torch.Generator().manual_seed(0))
    before = x.clone()
    net(x)
    assert _same(before, x)


def _volume() -> np.ndarray:
    return np.random.default_rng(0).uniform(-1.0, 2.0, (1, 6, 7, 5)).astype(np.float32)


def _block() -> np.ndarray:
    mask = np.zeros((1, 6, 7, 5), np.uint8)
    mask[0, 1:4, 2:6, 1:4] = 1
    return mask


def _clicks() -> np.ndarray:
    """Foreground and background clicks on the 24 x 24 slice of :func:`_slice_data`: one on the disc's edge."""
    user = np.zeros((2, 24, 24), bool)
    user[0, 3, 3] = user[1, 12, 19] = True
    return user


#: every public function: ``make()`` gives its positional arguments for one small call
FUNCTION_CASES = {
    "annotate_slices": lambda: (_block(), [2]),
    "canonical_slices": lambda: (_volume(),),
    "check_slice_inputs": lambda: (lambda d: (d["image"], d["prior"], d["seeds"], d["spacing"]))(_slice_data()),
    "edit_prior": lambda: (_slice_data()["prior"][0], _clicks(), (1.0, 1.5), 2.0),
    "merge_user_seeds": lambda: (lambda d: (d["seeds"], d["prior"][0], _clicks(), d["spacing"]))(_slice_data()),
    "middle_slice": lambda: (_block(),),
    "network_input": lambda: (
        lambda d: (SliceGrid(size=16, spacing=2.0), d["image"], d["prior"], d["seeds"], d["spacing"])
    )(_slice_data()),
    "occupied_slices": lambda: (_block()[0].astype(bool), 2),
    "rejected_by_clicks": lambda: (_slice_data()["prior"][0], _clicks()[1], (1.0, 1.5)),
    "resolve_slice_axis": lambda: (_volume(),),
    "seed_bounding_box": lambda: (_slice_data()["seeds"],),
    "slice_result": lambda: (_slice_data()["image"][0], _slice_data()["seeds"][0]),
    "window_intensity": lambda: (_volume(), (0.0, 1.0)),
    "dice_coefficient": lambda: (_block(), np.roll(_block(), 1, axis=1)),
    "overlap_scores": lambda: (_block(), np.roll(_block(), 1, axis=1)),
    "seeds_from_points": lambda: ((8, 8), [[1, 2]], [[6, 6], [0, 7]]),
}

#: public functions whose arguments cannot be modified, each with the reason
FUNCTION_EXEMPT = {
    "propagation_preset": "takes a method name (a str) only",
}


def _public_functions() -> dict[str, object]:
    found = {}
    for package in (monai_refine.inferers, monai_refine.metrics, monai_refine.transforms):
        for name, function in inspect.getmembers(package, inspect.isfunction):
            if function.__module__.startswith(package.__name__) and not name.startswith("_"):
                found[name] = function
    return found


FUNCTIONS = _public_functions()


def test_every_public_function_has_a_case_or_a_reason():
    assert set(FUNCTIONS) == set(FUNCTION_CASES) | set(FUNCTION_EXEMPT)
    assert not set(FUNCTION_CASES) & set(FUNCTION_EXEMPT)


@pytest.mark.parametrize("name", sorted(FUNCTION_CASES))
def test_functions_leave_their_inputs_unchanged(name):
    args = FUNCTION_CASES[name]()
    before = copy.deepcopy(args)
    FUNCTIONS[name](*args)
    assert _same(before, args), f"{name} changed its input"


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16])
def test_window_intensity_returns_a_new_array_unless_given_out(dtype):
    """The default ``out=None`` is a new float32 array, whatever the volume's dtype (a float32 one included); only
    ``out=volume`` windows in place, as documented."""
    volume = np.array([-200, -100, 50, 500], dtype=dtype)
    result = window_intensity(volume, (-100, 200))
    np.testing.assert_array_equal(volume, np.array([-200, -100, 50, 500], dtype=dtype))
    assert result.dtype == np.float32 and not np.shares_memory(result, volume)
    np.testing.assert_allclose(result, [0.0, 0.0, 0.5, 1.0])
    if dtype is np.float32:
        assert window_intensity(volume, (-100, 200), out=volume) is volume
        np.testing.assert_allclose(volume, [0.0, 0.0, 0.5, 1.0])
