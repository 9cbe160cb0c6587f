"""ustsim: Monte Carlo scenario engine for the US Treasury market.

Python API (mirrors the CLI)::

    import engine
    sc = engine.load_scenario("scenarios/baseline.yaml", overrides=["simulation.paths=2000"])
    res = engine.run(sc)
    res.fan("yield_10y")          # DataFrame: mean, std, quantiles by date (percent)
    res.components("10y")         # the 10y and each of its components over time
    res.metrics["thresholds"]     # crossing probabilities with standard errors
    engine.write_outputs(res, "out/baseline")
"""

from . import _jitcache

# before any kernel is defined: cached kernels are stamped with the whole engine's source. Without
# it an edit to a block would silently run a stale cached kernel, so refuse to go on.
if not _jitcache.install():  # pragma: no cover - only with a numba outside the pinned range
    raise ImportError(
        "ustsim: cannot install its numba cache locators (numba's internal CacheImpl._locator_classes "
        "has changed); install a numba within the range pinned in pyproject.toml"
    )

from ._version import __version__
from .errors import ResourceError, ScenarioError, UstsimError
from .scenario import Scenario, json_schema, load_scenario, loads_scenario


def run(scenario, *, threads=None, progress=None, max_memory=None, client=None):
    """Run a scenario; returns :class:`engine.results.Results`. ``client``: an optional
    ``dask.distributed.Client`` to run on. See :mod:`engine.runner`."""
    from .runner import run as _run

    return _run(scenario, threads=threads, progress=progress, max_memory=max_memory, client=client)


def write_outputs(results, out_dir, charts=None):
    """Write fans, metrics, resolved scenario and charts to ``out_dir`` atomically."""
    from .report import write_outputs as _w

    return _w(results, out_dir, charts=charts)


__all__ = [
    "ResourceError",
    "Scenario",
    "ScenarioError",
    "UstsimError",
    "__version__",
    "json_schema",
    "load_scenario",
    "loads_scenario",
    "run",
    "write_outputs",
]


def compare(scenarios, **kw):
    """Run scenarios on common random numbers against the first (or ``base=i``); returns
    :class:`engine.comparison.Comparison` (``.table``, ``.components``, ``.severity``: pandas).
    See :mod:`engine.comparison`."""
    from .comparison import compare as _compare

    return _compare(scenarios, **kw)


def sweep(scenario, grid, **kw):
    """Run ``scenario`` over the product of ``grid`` ({key: [values]}) on common random numbers;
    returns :class:`engine.comparison.Sweep` (``.table``: pandas). See :mod:`engine.comparison`."""
    from .comparison import sweep as _sweep

    return _sweep(scenario, grid, **kw)


def backtest(scenario="baseline", **kw):
    """Rolling-origin backtest of ``scenario`` (a Scenario, a file or a library name) against the
    packaged monthly history (or ``data=``): ``first=1990, last=2024, starts="january"|"quarterly",
    horizon="1y"|"3y", paths=4000, seed=1990, data=None, threads=None``. Returns
    :class:`engine.backtesting.Backtest` (``.scores``, ``.summary``, ``.starts``: pandas). See
    :mod:`engine.backtesting`."""
    from .backtesting import backtest as _backtest

    return _backtest(scenario, **kw)
