from __future__ import annotations

from .interaction import SeedInteraction
from .refinement import BatchInputsLoss, PriorPrepareBatch, SelfRefinementIteration
