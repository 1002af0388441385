from __future__ import annotations

from .distributed import end_process_group
from .interaction import SeedInteraction
from .refinement import BatchInputsLoss, PriorPrepareBatch, SelfRefinementIteration
