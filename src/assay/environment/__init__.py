"""Environments: many devices, their network and what they are for (see docs/environment.md).

``load`` reads an environment, ``analyze`` finds single points of failure, routing diversity,
concentration, blast radius and support horizon, ``what_if`` takes vertices away, and
``actions.rank`` orders what to do. This package reads the pipeline's outputs (assessments,
SBOMs); the pipeline never imports it.
"""

from assay.environment.analyze import analyze
from assay.environment.load import load
from assay.environment.whatif import Scenario, what_if

__all__ = ["Scenario", "analyze", "load", "what_if"]
