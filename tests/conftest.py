"""Shared test settings: a bounded hypothesis profile, loaded by default; fixtures every
test file may use."""

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", max_examples=40, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _restore_client_options():
    """The hosted profile sets process-wide client options (`hosting.HOSTED_OPTIONS`, e.g.
    no error details): a test that runs it must not change what later tests see."""
    from streamlit import config

    from attention.dashboard.hosting import HOSTED_OPTIONS

    saved = {key: config.get_option(key) for key in HOSTED_OPTIONS}
    yield
    for key, value in saved.items():
        config.set_option(key, value)


@pytest.fixture(scope="module")
def one_thread():
    """torch on one thread for the whole module, module-scoped fixtures included; a module
    asks for it with `pytestmark = pytest.mark.usefixtures("one_thread")`."""
    from tests.tensors import one_thread as torch_on_one_thread  # torch only where asked

    with torch_on_one_thread():
        yield
