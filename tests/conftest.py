"""Shared test settings: a bounded hypothesis profile, loaded by default."""

import os

from hypothesis import settings

settings.register_profile("ci", max_examples=40, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
