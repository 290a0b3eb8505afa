"""Fuzzing profiles (the strategies shared by the fuzz tests are in ``fuzzing.py``).

``make test`` runs these with the ``ci`` profile (a few dozen examples per parser, the whole
folder in well under a minute); ``make fuzz`` runs them with ``fuzz`` (thousands each, with
Hypothesis's example database in ``.hypothesis/`` so a failure found once is tried first
next time), then the coverage-guided atheris targets in ``atheris_targets.py``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,  # two cores shared by many jobs: wall-clock deadlines would be noise
    database=None,  # write nothing into the tree during `make test`
    derandomize=True,  # the same examples every run: `make test` is a gate, `make fuzz` explores
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "2000")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
