"""Downloads: charts and arrays -> PNG, SVG, CSV, NPY, made off the server's lock.

  worker   plain data in, bytes out (no torch, no Altair): `png`, `svg`, `csv`, `npy`;
           `csv_size`, a CSV's bytes estimated from the array's shape; `release_memory`,
           freed heap pages handed back to the system
  convert  `chart_parts`: a chart's spec and DataFrame, what `png` and `svg` take
  pool     `ExportService`: a small process pool, a bounded cache, one job per visitor

In a notebook the same conversions run in this process:
`export.png(*export.chart_parts(chart))`, `export.csv(weights, tokens, tokens)`.

Names load on first use, so a worker process that imports `attention.export.worker`
loads neither Altair nor the pool.
"""

from importlib import import_module

_WHERE = {
    "ExportRefused": "pool", "ExportService": "pool", "Job": "pool", "VisitorBusy": "pool",
    "release_memory": "worker",
    "chart_parts": "convert",
    "csv": "worker", "csv_size": "worker", "npy": "worker", "png": "worker", "svg": "worker",
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
