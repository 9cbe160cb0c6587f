"""``ustsim`` command line: a thin layer over the library API.

    ustsim run FILE [--set key=value ...] [--out DIR] [--paths N] [--seed N] [--horizon 10y]
    ustsim validate FILE [--set key=value ...]
    ustsim schema
    ustsim scenarios
    ustsim bench [--quick]
    ustsim backtest [FILE] [--from 1990] [--to 2024] [--starts january|quarterly] [--horizon 1y|3y]
                    [--paths N] [--seed N] [--data DIR] [--out DIR]

FILE is a scenario file, or the name of a scenario of the library installed with the package
(``ustsim run baseline``; ``ustsim scenarios`` lists them).

A user error prints one line per problem (``file:line: key: what is wrong``) and exits with
status 2, before anything is written; ``--debug`` shows tracebacks of unexpected errors.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
import time

from . import __version__
from .errors import UstsimError, format_bytes


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ustsim", description="Monte Carlo scenario engine for the US Treasury market")
    p.add_argument("--version", action="version", version=f"ustsim {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    sub = p.add_subparsers(dest="command", required=True)

    def scenario_args(sp):
        sp.add_argument("file", help="scenario YAML file, or a library scenario's name (ustsim scenarios)")
        sp.add_argument(
            "--set",
            dest="overrides",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="override a scenario key, e.g. --set policy.shock_vol=0.5%%/sqrt(yr) (repeatable)",
        )
        sp.add_argument("--paths", type=int, help="shorthand for --set simulation.paths=N")
        sp.add_argument("--seed", type=int, help="shorthand for --set simulation.seed=N")
        sp.add_argument("--horizon", help="shorthand for --set simulation.horizon=T (e.g. 30y)")

    r = sub.add_parser("run", help="run a scenario: summary table, and files under --out")
    scenario_args(r)
    r.add_argument("--out", help="folder for fans.parquet/csv, metrics.json, scenario.resolved.yaml, charts")
    r.add_argument(
        "--threads",
        type=int,
        help="worker threads (default: NUMBA_NUM_THREADS or CPU count; results do not depend on it)",
    )
    r.add_argument("--no-charts", action="store_true", help="do not write PNG charts")
    r.add_argument(
        "--dask",
        metavar="local:N|tcp://host:port",
        help="run the chunks on Dask: a new local cluster of N worker processes, or an existing "
        'scheduler (needs pip install "ustsim[dask]"); results are identical to a local run',
    )
    r.add_argument("--quiet", action="store_true", help="print no summary table")

    r.add_argument("--report", metavar="DIR", help="also write a self-contained HTML page, DIR/report.html")

    def output_args(sp, out_help: str, charts_help: str) -> None:
        """--threads, --out, --no-charts and --quiet of the commands that write tables (compare, sweep, backtest)."""
        sp.add_argument("--threads", type=int, help="worker threads (results do not depend on it)")
        sp.add_argument("--out", help=out_help)
        sp.add_argument("--no-charts", action="store_true", help=charts_help)
        sp.add_argument("--quiet", action="store_true", help="print no table")

    def common_args(sp):
        sp.add_argument("--paths", type=int, help="paths of every run (default: the base's)")
        sp.add_argument("--seed", type=int, help="seed of every run (default: the base's)")
        sp.add_argument("--horizon", help="horizon of every run (default: the longest of the stresses' own)")
        sp.add_argument("--step", help="step of every run (default: the finest of the scenarios)")
        sp.add_argument("--tenor", default="10y", help="the headline tenor (default 10y)")
        sp.add_argument(
            "--headline",
            default="rise_to_peak",
            help="what ranks the stresses: rise_to_peak (default), change_to_horizon, horizon, max_rise_1step (the "
            "largest rise between recorded dates when every scenario has outputs.path_metrics: recorded_dates)",
        )
        output_args(sp, "folder for the tables (CSV, markdown, JSON) and charts", "do not write PNG charts")
        sp.add_argument("--report", metavar="DIR", help="also write a self-contained HTML page, DIR/report.html")

    c = sub.add_parser("compare", help="stress outcomes against a base, on common random numbers")
    c.add_argument("files", nargs="+", help="scenario files or library names; the first is the base unless --base")
    c.add_argument("--base", help="the base scenario (a file or name among those given)")
    c.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a key in every scenario (repeatable)",
    )
    common_args(c)

    sw = sub.add_parser("sweep", help="a grid of runs of one scenario on common random numbers")
    sw.add_argument("file", help="scenario YAML file, or a library scenario's name")
    sw.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="a key and its values to sweep, or one value to set (repeatable: the grid is their product)",
    )
    sw.add_argument(
        "--metric",
        action="append",
        default=[],
        help="a row of the compare table to report, e.g. 'yield_10y rise to peak' (repeatable; default: "
        "the headline tenor's rise to peak and change to horizon, and the thresholds)",
    )
    common_args(sw)

    bt = sub.add_parser(
        "backtest",
        help="score the scenario's forecast distributions against history, start by start (issue 13)",
        description="Rolling-origin backtest: from each start (the last day of the month before), rebuild "
        "the scenario from the observed curve, fed funds, core PCE inflation, expectations and output gap, "
        "simulate monthly over the horizon and score the realised 2y, 10y, fed funds and 10y-2y slope: PIT, "
        "coverage of the 50%% and 90%% bands, CRPS, bias. Starts whose horizon runs past the data are dropped "
        "with a note.",
    )
    bt.add_argument("file", nargs="?", default="baseline", help="base scenario file or library name (default baseline)")
    bt.add_argument("--from", dest="first", type=int, default=1990, help="first start year (default 1990)")
    bt.add_argument("--to", dest="last", type=int, default=2024, help="last start year (default 2024)")
    bt.add_argument("--starts", default="january", help="january (default) or quarterly: the months starts fall in")
    bt.add_argument("--horizon", default="1y", help="1y (default) or 3y")
    bt.add_argument("--paths", type=int, default=4000, help="paths per start (default 4000)")
    bt.add_argument("--seed", type=int, default=1990, help="seed (each start draws from SeedSequence((seed, yyyymm)))")
    bt.add_argument(
        "--data",
        metavar="DIR",
        help="a folder holding your own us_monthly.csv in the packaged format (default: the packaged history)",
    )
    output_args(
        bt, "folder for scores.csv, summary.csv/.md, starts.csv, settings.json, pit.png", "do not write pit.png"
    )

    v = sub.add_parser("validate", help="check a scenario file without running it")
    scenario_args(v)

    sub.add_parser("scenarios", help="list the scenario library installed with the package, one line each")

    sc = sub.add_parser("schema", help="print the JSON Schema of scenario files (or, with --markdown, the reference)")
    sc.add_argument(
        "--markdown",
        action="store_true",
        help="the scenario reference as markdown (every key, what it "
        "takes, its default and meaning) instead of JSON Schema",
    )

    b = sub.add_parser("bench", help="benchmark the kernel against the numpy twin and the bare generator")
    b.add_argument("--paths", type=int, default=100_000)
    b.add_argument("--steps", type=int, default=120, help="monthly steps")
    b.add_argument("--threads", type=int)
    b.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test; figures not meaningful)")
    b.add_argument("--json", help="also write the figures to this JSON file")
    b.add_argument(
        "--peers",
        action="store_true",
        help='the Vasicek workload in ustsim, QuantLib and pyesg side by side (needs pip install "ustsim[peers]")',
    )
    b.add_argument(
        "--scaling",
        action="store_true",
        help="throughput and peak memory against paths, steps, threads and Dask workers (a child process per point)",
    )
    b.add_argument("--markdown", help="with --peers or --scaling: also write the table to this markdown file")
    return p


def _overrides(a) -> list[str]:
    ov = list(a.overrides)
    if a.paths is not None:
        ov.append(f"simulation.paths={a.paths}")
    if a.seed is not None:
        ov.append(f"simulation.seed={a.seed}")
    if a.horizon is not None:
        ov.append(f"simulation.horizon={a.horizon}")
    return ov


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: the run stops within about a second and writes nothing."""


def _terminate(signum, frame):
    raise Terminated


def main(argv: list[str] | None = None, stdout=None, stderr=None) -> int:
    """Entry point; returns the exit status (0 ok, 2 user error, 1 unexpected error)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = _parser()
    try:  # argparse's usage errors and --help go to the streams given, like every other message
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            a = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        return _dispatch(a, out, err)
    except UstsimError as exc:
        for line in exc.lines():
            print(line, file=err)
        return 2
    except BrokenPipeError:  # the reader went away (ustsim scenarios | head): nothing more to say
        return 0
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated): workers stop at their next block
        print("interrupted; nothing was written", file=err)
        return 143 if isinstance(exc, Terminated) else 130
    except Exception as exc:
        if a.debug:
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", file=err)
        return 1
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


def _dispatch(a, out, err) -> int:
    from .scenario import json_schema, load_scenario

    if a.command == "scenarios":
        from .reference import library_lines

        print("\n".join(library_lines()), file=out)
        return 0
    if a.command == "schema":
        if a.markdown:
            from .reference import markdown

            print(markdown(), file=out)
        else:
            print(json.dumps(json_schema(), indent=1), file=out)
        return 0
    if a.command == "bench":
        if a.scaling:
            from .scaling import run_scaling

            run_scaling(quick=a.quick, out=out, json_path=a.json, markdown_path=a.markdown)
            return 0
        if a.peers:
            from .peers import run_peers

            paths = 2000 if a.quick else a.paths
            run_peers(
                paths=paths, steps=a.steps, threads=a.threads, out=out, json_path=a.json, markdown_path=a.markdown
            )
            return 0
        from .bench import run_bench

        run_bench(paths=a.paths, steps=a.steps, threads=a.threads, quick=a.quick, json_path=a.json, out=out)
        return 0
    if a.command in ("compare", "sweep"):
        return _compare_or_sweep(a, out, err)
    if a.command == "backtest":
        return _backtest(a, out, err)
    sc = load_scenario(a.file, overrides=_overrides(a))
    sim = sc.simulation
    from .runner import prepare, run

    if a.command == "validate":
        _, _, need, lim = prepare(sc)  # what run checks before it simulates: the model, the memory
        print(
            f"{a.file}: ok ({sc.name}: {sim.paths:,} paths, {sim.horizon} in steps of {sim.step}, seed {sim.seed}; "
            f"memory ~{format_bytes(need)} of {format_bytes(lim)})",
            file=out,
        )
        return 0

    def on_estimate(need, lim):
        if not a.quiet:
            print(
                f"{sc.name}: {sim.paths:,} paths, {sim.horizon} in steps of {sim.step}; "
                f"memory needed ~{format_bytes(need)} (limit {format_bytes(lim)})",
                file=err,
            )

    client = cluster = None
    if a.dask:
        from .dask_backend import connect

        client, cluster = connect(a.dask)
    try:
        res = run(
            sc,
            threads=a.threads,
            progress=None if a.quiet else ProgressBar(err),
            on_estimate=on_estimate,
            out_dir=a.out,
            client=client,
        )
    finally:
        if client is not None:
            from .dask_backend import close

            close(client, cluster)
    if a.out:
        from .report import write_outputs

        names = write_outputs(res, a.out, charts=False if a.no_charts else None)
        if not a.quiet:
            print(f"wrote {', '.join(names)} to {a.out}", file=err)
    if a.report:
        from .html_report import run_page

        _report(run_page(res), a.report, a.quiet, err)
    if not a.quiet:
        print(res.summary(), file=out)
    return 0


def _report(page, folder: str, quiet: bool, err) -> None:
    import os

    path = page.write(os.path.join(folder, "report.html"))
    if not quiet:
        print(f"wrote {path}", file=err)


def _compare_or_sweep(a, out, err) -> int:
    from . import compare_report
    from .comparison import compare, split_values, sweep
    from .scenario import load_scenario

    kw = {
        "paths": a.paths,
        "seed": a.seed,
        "horizon": a.horizon,
        "step": a.step,
        "tenor": a.tenor,
        "headline": a.headline,
        "threads": a.threads,
        "progress": None if a.quiet else ProgressBar(err),
    }
    if a.out:
        from . import outdir

        outdir.check(a.out, 2**24)
    if a.command == "compare":
        files = list(a.files)
        base = 0
        if a.base is not None:
            if a.base not in files:
                files.insert(0, a.base)
            base = files.index(a.base)
        scenarios = [load_scenario(f, overrides=list(a.overrides)) for f in files]
        cmp = compare(scenarios, base=base, **kw)
        return _emit(a, out, err, compare_report.write_comparison, compare_report.compare_page, cmp, cmp.summary)
    grid: dict[str, list[str]] = {}
    fixed = []
    for ov in a.overrides:
        key, eq, values = ov.partition("=")
        if not eq:
            raise UstsimError(f"--set {ov!r}: expected KEY=V1,V2,...")
        vals = split_values(values)
        if len(vals) == 1:
            fixed.append(ov)
        else:
            grid[key.strip()] = vals
    sc = load_scenario(a.file, overrides=fixed)
    sw = sweep(sc, grid, metrics=a.metric or None, **kw)
    return _emit(
        a,
        out,
        err,
        compare_report.write_sweep,
        compare_report.sweep_page,
        sw,
        lambda: sw.table.to_string(index=False, float_format=lambda x: f"{x:.3f}"),
    )


def _backtest(a, out, err) -> int:
    from . import outdir
    from .backtest_report import write_backtest
    from .backtesting import backtest
    from .scenario import load_scenario

    if a.threads is not None and not 1 <= a.threads <= 1024:
        raise UstsimError(f"--threads {a.threads}: expected 1 to 1024")
    if a.out:
        outdir.check(a.out, 2**24)
    bt = backtest(
        load_scenario(a.file),
        first=a.first,
        last=a.last,
        starts=a.starts,
        horizon=a.horizon,
        paths=a.paths,
        seed=a.seed,
        data=a.data,
        threads=a.threads,
        progress=None if a.quiet else _StartsBar(err),
    )
    if a.out:
        names = write_backtest(bt, a.out, charts=not a.no_charts)
        if not a.quiet:
            print(f"wrote {', '.join(names)} to {a.out}", file=err)
    if not a.quiet:
        print(bt.table(), file=out)
        print(f"({bt.settings['seconds']:.0f} s)", file=out)
    return 0


class _StartsBar:
    """Progress by start, on one line of the error stream."""

    def __init__(self, stream):
        self.stream = stream
        self.t0 = time.perf_counter()

    def __call__(self, done: int, total: int) -> None:
        el = time.perf_counter() - self.t0
        self.stream.write(f"\r  start {done}/{total}, {el:5.1f}s elapsed")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def _emit(a, out, err, write, page, result, text) -> int:
    """The files (``--out``), the page (``--report``) and the terminal text of a comparison or a
    sweep: ``write(result, folder, charts)``, ``page(result)``, ``text()``."""
    if a.out:
        names = write(result, a.out, charts=not a.no_charts)
        if not a.quiet:
            print(f"wrote {', '.join(names)} to {a.out}", file=err)
    if a.report:
        _report(page(result), a.report, a.quiet, err)
    if not a.quiet:
        print(text(), file=out)
    return 0


class ProgressBar:
    """A terminal progress bar that appears only once a run has taken ``after`` seconds."""

    def __init__(self, stream, after: float = 2.0, width: int = 30):
        self.stream, self.after, self.width = stream, after, width
        self.t0 = time.perf_counter()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        el = time.perf_counter() - self.t0
        if el < self.after and done < total:
            return
        if not self.shown and done >= total and el < self.after:
            return
        self.shown = True
        frac = done / total
        fill = int(self.width * frac)
        eta = el / frac - el if frac > 0 else 0.0
        self.stream.write(
            f"\r  [{'#' * fill}{'.' * (self.width - fill)}] {done:,}/{total:,} paths "
            f"{el:5.1f}s elapsed, {eta:5.1f}s left"
        )
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
