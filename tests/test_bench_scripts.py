"""The bench scripts' wiring: shared code imported from harness/ (never from tests/), and
bench/memory.py's links built from the page registry."""

from __future__ import annotations

import ast
import random
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from attention.dashboard.page_registry import PAGES, SHARED
from attention.settings import PROFILES
from bench import memory

ROOT = Path(__file__).resolve().parents[1]


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names.add((node.module or "").split(".")[0])
    return names


@pytest.mark.parametrize("folder, banned", [("bench", {"tests"}), ("harness", {"tests", "bench"}),
                                            ("docs", {"tests", "bench"})])
def test_shared_code_points_one_way(folder, banned):
    """bench -> harness <- tests: neither bench nor harness imports the tests."""
    for path in sorted((ROOT / folder).rglob("*.py")):
        assert not imports_of(path) & banned, path.relative_to(ROOT)


def test_memory_visits_every_registered_page_with_its_own_controls():
    caps, rng = PROFILES["hosted"], random.Random(0)
    shared = {c.key for c in SHARED}
    seen = set()
    for i in range(300):
        parts = urlsplit(memory.link(rng, i % 10 == 0, caps))
        page = next(p for p in PAGES if p.url_path == parts.path.strip("/"))
        seen.add(page.url_path)
        keys = {k for k, _ in parse_qsl(parts.query)}
        assert keys <= shared | {c.key for c in page.controls}, (page.name, keys)
    assert seen == {p.url_path for p in PAGES}  # the lab included


def test_memory_worst_links_sit_at_the_caps():
    caps = PROFILES["hosted"]
    for seed in range(20):
        query = dict(parse_qsl(urlsplit(memory.link(random.Random(seed), True, caps)).query))
        assert int(query["heads"]) == caps.max_heads and int(query["tokens"]) == caps.max_tokens
        assert int(query["d_model"]) == caps.max_d_model
        if "dk" in query:
            assert int(query["dk"]) == caps.max_d_k
        if "steps" in query:
            assert int(query["steps"]) == caps.max_train_steps


def test_memory_runs_from_the_command_line():
    r = subprocess.run([sys.executable, "bench/memory.py", "--help"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "--worst-every" in r.stdout
    with pytest.raises(SystemExit):
        memory.parse_args(["http://127.0.0.1:1", "-n", "0"])
