"""Properties every refinement network must have, checked the same way for each (imported by the net tests)."""

from __future__ import annotations

import warnings

import torch
import torch.nn as nn


def as_list(output: torch.Tensor | dict[str, torch.Tensor]) -> list[torch.Tensor]:
    """The output tensors of a network, in key order for a dict."""
    return [output[k] for k in sorted(output)] if isinstance(output, dict) else [output]


def assert_gradients_reach_every_parameter(net: nn.Module, *inputs: torch.Tensor) -> None:
    """Every parameter gets a finite gradient, non-zero for every convolution / linear weight."""
    net.train()
    sum(o.sum() for o in as_list(net(*inputs))).backward()
    for name, p in net.named_parameters():
        assert p.grad is not None, f"no gradient reaches {name}"
        assert torch.isfinite(p.grad).all(), f"non-finite gradient for {name}"
        if p.ndim > 1:
            assert p.grad.abs().sum() > 0, f"zero gradient for {name}"


def assert_eval_deterministic(net: nn.Module, *inputs: torch.Tensor) -> None:
    """Two forwards in eval() mode give the same outputs (dropout off, batch-norm statistics frozen)."""
    net.eval()
    with torch.no_grad():
        first, second = as_list(net(*inputs)), as_list(net(*inputs))
    for a, b in zip(first, second, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def assert_scriptable_and_exportable(net: nn.Module, x: torch.Tensor) -> None:
    """``torch.jit.script`` and ``torch.export`` reproduce the eager outputs on a single concatenated input."""
    net.eval()
    with torch.no_grad():
        expected = as_list(net(x))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.script is deprecated in recent torch
            scripted = torch.jit.script(net)
        exported = torch.export.export(net, (x,)).module()
        for module in (scripted, exported):
            for a, b in zip(as_list(module(x)), expected, strict=True):
                torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
