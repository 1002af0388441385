"""An ignite handler that keeps a copy of the network being trained, e.g. on the CPU for data-loader workers."""

from __future__ import annotations

import torch
from monai.utils import IgniteInfo, min_version, optional_import

Events, _ = optional_import("ignite.engine", IgniteInfo.OPT_IMPORT_VERSION, min_version, "Events")

__all__ = ["CopyWeights"]


class CopyWeights:
    """Copy ``source``'s weights (parameters and buffers) into ``target`` at the start of every epoch.

    What it is for: self-fed training samples (:class:`~monai_refine.data.PropagationSliceDataset` with a
    ``segmenter``) run the network inside the data pipeline. In data-loader worker processes the network must be
    a CPU module (a forked worker cannot use CUDA), and each worker sees it as it was when the workers started,
    i.e. when the epoch's data iterator was created, which ignite does after ``EPOCH_STARTED``. Training on a GPU,
    ``target`` is then a CPU copy of the network that this handler refreshes at every ``EPOCH_STARTED``: every
    epoch's self-fed priors come from the weights at that epoch's start. (MONAI and ignite have no handler that
    copies one module's state into another; ``CheckpointLoader`` reads files.)

    Args:
        source: the network being trained (the module itself, not a ``DistributedDataParallel`` wrapper).
        target: a module of the same architecture that receives the weights, on any device; ``source`` itself makes
            the handler do nothing (a config can then always attach it, whether the copy is on or off).

    Raises:
        ValueError: their state dicts differ in keys or shapes.

    Example:
        >>> import torch
        >>> from ignite.engine import Engine, Events
        >>> net = torch.nn.Linear(2, 1)
        >>> copy = torch.nn.Linear(2, 1)
        >>> engine = Engine(lambda engine, batch: None)
        >>> CopyWeights(net, copy).attach(engine)
        >>> _ = engine.run([0], max_epochs=1)
        >>> torch.equal(copy.weight, net.weight)
        True
    """

    def __init__(self, source: torch.nn.Module, target: torch.nn.Module) -> None:
        src, dst = source.state_dict(), target.state_dict()
        mismatched = sorted(set(src) ^ set(dst)) or [k for k in src if src[k].shape != dst[k].shape]
        if mismatched:
            raise ValueError(f"source and target must hold the same keys and shapes; differ: {mismatched[:5]}.")
        self.source = source
        self.target = target

    def attach(self, engine) -> None:
        """Refresh ``target`` at every ``EPOCH_STARTED`` of ``engine``."""
        engine.add_event_handler(Events.EPOCH_STARTED, self)

    @torch.no_grad()
    def __call__(self, engine=None) -> None:
        if self.target is not self.source:
            self.target.load_state_dict(self.source.state_dict())
