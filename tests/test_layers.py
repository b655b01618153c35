"""The layer rules of CONTRIBUTING.md, checked on the source: what may import what.

The library is a set of subpackages of `attention/`, each with a face (`__init__.py`) and
one rule below: the packages of ours it may import and the libraries it must not. A new
module is covered the day it is written: a module outside every package, or a package with
no rule, fails here.

- Streamlit only in attention/dashboard/, app_pages/ and streamlit_app.py: the rest of the
  library never imports it, nor the app built on it, and imports with Streamlit absent.
- Data flows one way: core (tensors) -> toy, pretrained, lab (views of models) -> charts
  (arrays to specs, never torch) -> dashboard -> pages, which hold no torch code.

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

import attention

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "attention"
DASHBOARD = LIBRARY / "dashboard"

PRESENTATION_LIBS = {"altair", "pandas", "vl_convert", "PIL"}
NO_APP = {"streamlit", "app_pages", "streamlit_app", "attention.dashboard"}
# package -> (our packages it may import, libraries it must not import)
RULES: dict[str, tuple[set[str], set[str]]] = {
    "core": ({"core"}, NO_APP | PRESENTATION_LIBS),
    "charts": ({"charts"}, NO_APP | {"torch"}),
    "export": ({"export", "charts"}, NO_APP | {"torch"}),
    "toy": ({"toy", "core"}, NO_APP | {"altair", "vl_convert", "PIL"}),
    "pretrained": ({"pretrained", "core"}, NO_APP | {"altair", "vl_convert", "PIL"}),
    "lab": ({"lab", "core", "charts", "settings"}, NO_APP),
    "classroom": ({"classroom"}, NO_APP | PRESENTATION_LIBS | {"torch"}),
    "dashboard": ({"core", "charts", "export", "toy", "pretrained", "lab", "classroom",
                   "settings", "dashboard"}, {"app_pages", "streamlit_app"}),
}
# the modules at the top of the package: the lazy face and the caps
TOP = {"__init__": ({"core"}, NO_APP), "settings": (set(), NO_APP | {"torch"})}


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
    """The library less the dashboard: what a notebook imports."""
    files = sorted(p for p in LIBRARY.rglob("*.py") if DASHBOARD not in p.parents)
    assert files, "no library modules found"
    return files


def offenders(files: list[Path], forbidden) -> list[str]:
    """`file: name` for each import in files for which forbidden(name) holds."""
    return [f"{f.relative_to(ROOT)}: {name}" for f in files for name in sorted(imported_names(f))
            if forbidden(name)]


def _under(name: str, *roots: str) -> bool:
    return any(name == r or name.startswith(r + ".") for r in roots)


def ours(name: str) -> str | None:
    """The package of ours an imported name belongs to (None: not ours, or the bare face)."""
    parts = name.split(".")
    if parts[0] != "attention" or len(parts) == 1:
        return None
    if parts[1] in attention.__all__:  # a name of the top face: the core's
        return "core"
    return parts[1]


def rule_of(path: Path) -> tuple[set[str], set[str]]:
    parts = path.relative_to(LIBRARY).parts
    return RULES[parts[0]] if len(parts) > 1 else TOP[path.stem]


def all_library_files() -> list[Path]:
    return sorted(LIBRARY.rglob("*.py"))


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


def test_the_checker_names_the_package_of_an_import():
    assert ours("attention.core.functional") == "core"
    assert ours("attention.MultiHeadAttention") == "core"
    assert ours("attention.charts") == "charts"
    assert ours("attention") is None and ours("torch.nn") is None


# ---------------------------------------------------------------- every module under a rule


def test_every_library_module_falls_under_a_rule():
    loose = [str(f.relative_to(ROOT)) for f in all_library_files()
             if (len(f.relative_to(LIBRARY).parts) == 1 and f.stem not in TOP)]
    assert not loose, ("a module at the top of attention/ belongs in a subpackage "
                       "(or in TOP, with a reason):\n" + "\n".join(loose))
    packages = {p.parent.relative_to(LIBRARY).parts[0] for p in LIBRARY.glob("*/__init__.py")}
    folders = {p.parent.relative_to(LIBRARY).parts[0] for p in all_library_files()
               if len(p.relative_to(LIBRARY).parts) > 1}
    assert folders <= packages, f"a folder of modules with no __init__.py: {folders - packages}"
    assert packages == set(RULES), f"packages without a rule: {packages - set(RULES)}; " \
                                   f"rules without a package: {set(RULES) - packages}"


def test_every_package_has_a_face():
    for name in RULES:
        face = LIBRARY / name / "__init__.py"
        tree = ast.parse(face.read_text())
        assert ast.get_docstring(tree), f"{face.relative_to(ROOT)} says what the package offers"
    for name in set(RULES) - {"dashboard"}:  # the dashboard is the app's, not a notebook's
        module = __import__(f"attention.{name}", fromlist=["__all__"])
        assert module.__all__, f"attention.{name} names what it offers in __all__"
        for exported in module.__all__:
            assert hasattr(module, exported), f"attention.{name} offers {exported!r} but has none"


# ---------------------------------------------------------------- the rules


def test_each_package_imports_only_the_packages_its_rule_allows():
    bad = []
    for f in all_library_files():
        allowed, _ = rule_of(f)
        bad += [f"{f.relative_to(ROOT)}: {n}" for n in sorted(imported_names(f))
                if ours(n) is not None and ours(n) not in allowed]
    assert not bad, "an import against the layer rules (see RULES):\n" + "\n".join(bad)


def test_each_package_avoids_the_libraries_its_rule_forbids():
    bad = []
    for f in all_library_files():
        _, forbidden = rule_of(f)
        bad += [f"{f.relative_to(ROOT)}: {n}" for n in sorted(imported_names(f))
                if _under(n, *forbidden)]
    assert not bad, "an import the package's rule forbids (see RULES):\n" + "\n".join(bad)


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
    assert "attention.core.functional" in modules and "attention.charts" in modules
    r = _python(BLOCK_STREAMLIT + textwrap.dedent(f"""
        import importlib
        for name in {modules!r}:
            importlib.import_module(name)
        assert not any(m == "streamlit" or m.startswith("streamlit.") for m in sys.modules)
        print("imported", len({modules!r}))
    """))
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"imported {len(modules)}" in r.stdout
