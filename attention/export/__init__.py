"""Downloads: charts and arrays -> PNG, SVG, CSV, NPY, made off the server's lock.

  worker   plain data in, bytes out (no torch, no Altair): what a worker process runs
  pool     `ExportService`: a small process pool, a bounded cache, one job per visitor
  convert  the same conversions run in this process, for a notebook

Names load on first use, so a worker process that imports `attention.export.worker`
loads neither Altair nor the pool.
"""

from importlib import import_module

_WHERE = {
    "ExportRefused": "pool", "ExportService": "pool", "Job": "pool",
    "array_csv": "convert", "array_npy": "convert", "chart_parts": "convert",
    "chart_png": "convert", "chart_svg": "convert",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
