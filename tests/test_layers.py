"""The layer rules of CONTRIBUTING.md, checked on the source: what may import what.

- Streamlit only in attention/dashboard/, app_pages/ and streamlit_app.py: the library
  (attention/ less attention/dashboard/) never imports it, nor the app built on it, and
  imports with Streamlit absent.
- Data flows one way: the maths imports no presentation (pandas, Altair, charts), the
  presentation (frames, the chart modules, image_maps, image_charts, raster, export) takes
  arrays and imports no torch, and
  pages hold no torch code.

Imports are read with `ast`, wherever they stand (a lazy import inside a function
counts), so a rule broken anywhere in a file fails here with the file and the name.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "attention"
DASHBOARD = LIBRARY / "dashboard"

MATHS = ["functional", "heads", "modules", "stats", "inputs"]
PRESENTATION = ["frames", "charts", "chart_base", "heatmaps", "grids", "plots", "stats_table",
                "lesson_charts", "image_maps", "image_charts", "raster", "export"]
PRESENTATION_LIBS = {"altair", "pandas", "vl_convert", "PIL"}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path, root: Path = ROOT) -> set[str]:
    """Every module `path` imports, as absolute dotted names (relative imports resolved;
    `from pkg import x` also yields `pkg.x`, which may be a module)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    module = module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def library_files() -> list[Path]:
    files = sorted(p for p in LIBRARY.rglob("*.py") if DASHBOARD not in p.parents)
    assert files, "no library modules found"
    return files


def offenders(files: list[Path], forbidden) -> list[str]:
    """`file: name` for each import in files for which forbidden(name) holds."""
    return [f"{f.relative_to(ROOT)}: {name}" for f in files for name in sorted(imported_names(f))
            if forbidden(name)]


def _under(name: str, *roots: str) -> bool:
    return any(name == r or name.startswith(r + ".") for r in roots)


# ---------------------------------------------------------------- the checker itself


def test_the_checker_sees_every_form_of_import(tmp_path):
    pkg = tmp_path / "attention"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    f = pkg / "charts.py"
    f.write_text(textwrap.dedent("""
        import streamlit as st
        from streamlit.runtime import exists
        from .dashboard import compute
        from . import frames
        def later():
            import torch.nn
    """))
    names = imported_names(f, root=tmp_path)
    assert {"streamlit", "streamlit.runtime", "attention.dashboard",
            "attention.dashboard.compute", "attention.frames", "torch.nn"} <= names


# ---------------------------------------------------------------- the rules


def test_the_library_does_not_import_streamlit():
    bad = offenders(library_files(), lambda n: _under(n, "streamlit"))
    assert not bad, "Streamlit belongs in attention/dashboard/ and app_pages/ only:\n" + "\n".join(bad)


def test_the_library_does_not_import_the_app():
    bad = offenders(library_files(),
                    lambda n: _under(n, "attention.dashboard", "app_pages", "streamlit_app"))
    assert not bad, "the library must not depend on the app built on it:\n" + "\n".join(bad)


def test_the_maths_does_not_import_presentation():
    files = [LIBRARY / f"{m}.py" for m in MATHS]
    later = [f"attention.{m}" for m in PRESENTATION + ["views", "pretrained_views"]]
    bad = offenders(files, lambda n: _under(n, *PRESENTATION_LIBS, *later))
    assert not bad, "maths returns tensors; frames and charts come after it:\n" + "\n".join(bad)


def test_the_presentation_takes_arrays_not_torch():
    files = [LIBRARY / f"{m}.py" for m in PRESENTATION]
    earlier = [f"attention.{m}" for m in MATHS + ["views", "pretrained", "pretrained_views"]]
    bad = offenders(files, lambda n: _under(n, "torch", *earlier))
    assert not bad, "the presentation modules work on numpy arrays:\n" + "\n".join(bad)


def test_pages_hold_no_torch_code():
    pages = sorted((ROOT / "app_pages").glob("*.py"))
    assert pages
    bad = offenders(pages, lambda n: _under(n, "torch"))
    assert not bad, "a page reads controls, calls cached wrappers and draws:\n" + "\n".join(bad)


# ---------------------------------------------------------------- without Streamlit

BLOCK_STREAMLIT = """
import importlib.abc, sys
class NoStreamlit(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "streamlit" or name.startswith("streamlit."):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
        return None
sys.meta_path.insert(0, NoStreamlit())
"""


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=300,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})


def test_streamlit_is_really_blocked():
    r = _python(BLOCK_STREAMLIT + "import streamlit")
    assert r.returncode != 0 and "blocked" in r.stderr


def test_every_library_module_imports_without_streamlit():
    modules = [module_name(p) for p in library_files() if p.stem != "__main__"]
    assert "attention.functional" in modules and "attention.charts" in modules
    r = _python(BLOCK_STREAMLIT + textwrap.dedent(f"""
        import importlib
        for name in {modules!r}:
            importlib.import_module(name)
        assert not any(m == "streamlit" or m.startswith("streamlit.") for m in sys.modules)
        print("imported", len({modules!r}))
    """))
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"imported {len(modules)}" in r.stdout
