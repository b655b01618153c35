"""The profiles' caps: what a hosted server allows does not follow the machine it runs on."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from attention import settings

SETTINGS_FILE = Path(settings.__file__)


def fresh_settings(monkeypatch, cores: int):
    """A separate copy of attention.settings, imported on a machine that reports `cores`."""
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    spec = importlib.util.spec_from_file_location(f"settings_on_{cores}_cores", SETTINGS_FILE)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("cores", [1, 2, 8, 64])
def test_hosted_live_trainings_do_not_follow_the_core_count(monkeypatch, cores):
    s = fresh_settings(monkeypatch, cores)
    hosted = s.load_limits({"ATTENTION_PROFILE": "hosted"})
    assert hosted.max_live_trainings == s.HOSTED_LIVE_TRAININGS == 1
    assert hosted.torch_threads == 1


def test_the_local_profile_still_uses_the_machine(monkeypatch):
    assert fresh_settings(monkeypatch, 8).PROFILES["local"].max_live_trainings == 8
    assert fresh_settings(monkeypatch, 1).PROFILES["local"].max_live_trainings == 2


def test_an_override_is_bounded_and_a_bad_one_ignored():
    env = {"ATTENTION_PROFILE": "hosted", "ATTENTION_MAX_LIVE_TRAININGS": "3"}
    assert settings.load_limits(env).max_live_trainings == 3
    env["ATTENTION_MAX_LIVE_TRAININGS"] = "²"  # str.isdigit() is true, int() refuses it
    assert settings.load_limits(env).max_live_trainings == settings.HOSTED_LIVE_TRAININGS
    env["ATTENTION_MAX_TOKENS"] = "10000000"
    assert settings.load_limits(env).max_tokens == settings.PROFILES["local"].max_tokens * 4


def test_an_unknown_profile_gets_the_hosted_caps():
    assert settings.load_limits({"ATTENTION_PROFILE": "public"}) == settings.PROFILES["hosted"]
