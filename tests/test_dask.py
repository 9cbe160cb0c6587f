"""The Dask backend: chunks as tasks on a LocalCluster of 2 worker processes give results
bit-identical to a local run, also when a worker dies mid-run; without dask, --dask says how to
install it."""

import builtins
import io
import os
import signal

import pandas as pd
import pytest
from conftest import BASELINE

import engine
from engine.cli import main

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
    )
    c = distributed.Client(cluster)
    yield c
    from engine.dask_backend import close

    close(c, cluster)


def scenario(*extra):
    """The pilot (8,192 paths) runs on the client; the rest, two chunks of one unit (4,096 paths,
    the last 712 ending in a partial block), on the workers."""
    return engine.load_scenario(
        BASELINE,
        overrides=[
            "simulation.paths=13000",
            "simulation.horizon=1y",
            "simulation.chunk_paths=256",
            "simulation.seed=21",
            *extra,
        ],
    )


def same(a, b) -> bool:
    from test_reproducibility import same as same_results

    return same_results(a, b)


def test_dask_run_is_bit_identical_to_local(client):
    sc = scenario("term_premium.jump_intensity=3/yr")
    local, remote = engine.run(sc), engine.run(sc, client=client)
    assert remote.info["dask_workers"] == 2
    assert same(local, remote)


def test_progress_is_reported_across_workers(client):
    seen = []
    engine.run(scenario(), client=client, progress=lambda done, total: seen.append((done, total)))
    # the pilot, then one report per chunk (4,096 or 712 paths, in whichever order they finish)
    assert len(seen) == 3 and seen[0] == (8192, 13000) and seen[-1] == (13000, 13000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def _five_year_daily():
    return engine.load_scenario(
        BASELINE,
        overrides=[
            "simulation.paths=20480",
            "simulation.horizon=5y",
            "simulation.step=1d",
            "simulation.record=1m",
            "simulation.chunk_paths=256",
            "simulation.seed=22",
        ],
    )


def _kill_after_first_chunk(client, victims):
    """A progress callback that SIGKILLs the worker processes ``victims(client)`` names once the
    first chunk past the pilot (which runs on the client) has come back; records whom it killed."""
    killed = []

    def kill_once(done, total):
        if not killed and done > 8192:
            pids = client.run(os.getpid)  # worker address -> process id
            for address in victims(client):
                os.kill(pids[address], signal.SIGKILL)
                killed.append(address)

    return kill_once, killed


def _check_replaced(client, killed):
    assert killed
    client.wait_for_workers(2, timeout=60)
    assert not set(killed) & set(client.scheduler_info()["workers"])  # they really died (and were replaced)


def test_a_worker_dying_mid_run_changes_nothing(client):
    sc = _five_year_daily()
    kill, killed = _kill_after_first_chunk(client, lambda c: sorted(c.scheduler_info()["workers"])[:1])
    remote = engine.run(sc, client=client, progress=kill)
    _check_replaced(client, killed)
    assert same(engine.run(sc), remote)


def test_losing_every_copy_of_the_scattered_inputs_changes_nothing(client):
    """The model and quantile plan are scattered, and scattered data has no recipe: when every
    worker holding the plan dies, Dask cancels the tasks that need it. The backend scatters again
    and resubmits them, and the result is still the local run's."""
    sc = _five_year_daily()

    def holders(c):
        return sorted({w for key, ws in c.who_has().items() if str(key).startswith("Plan-") for w in ws})

    kill, killed = _kill_after_first_chunk(client, holders)
    remote = engine.run(sc, client=client, progress=kill)
    _check_replaced(client, killed)
    assert same(engine.run(sc), remote)


def test_cli_dask_local_cluster(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    rc = main(
        [
            "run",
            BASELINE,
            "--paths",
            "600",
            "--horizon",
            "1y",
            "--set",
            "simulation.chunk_paths=256",
            "--dask",
            "local:2",
            "--out",
            str(tmp_path / "o"),
            "--quiet",
        ],
        stdout=out,
        stderr=err,
    )
    assert rc == 0, err.getvalue()
    assert (tmp_path / "o" / "fans.parquet").exists()


@pytest.mark.parametrize(
    "spec,msg", [("local:0", "expected local:N"), ("somewhere", "expected local:N or a scheduler")]
)
def test_bad_dask_spec(spec, msg):
    err = io.StringIO()
    assert main(["run", BASELINE, "--paths", "300", "--dask", spec], stdout=io.StringIO(), stderr=err) == 2
    assert msg in err.getvalue()


def test_without_dask_the_option_says_how_to_install_it(monkeypatch, tmp_path):
    real_import = builtins.__import__

    def no_distributed(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError("No module named 'distributed'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_distributed)
    err = io.StringIO()
    rc = main(
        ["run", BASELINE, "--paths", "300", "--dask", "local:2", "--out", str(tmp_path / "o")],
        stdout=io.StringIO(),
        stderr=err,
    )
    assert rc == 2
    assert (
        err.getvalue().strip() == 'the Dask backend needs the dask extra; install it with: pip install "ustsim[dask]"'
    )
    assert not (tmp_path / "o").exists()


def test_the_same_scenario_twice_in_a_row_on_one_client(client):
    """Regression: with content-hashed scatter keys the second run's tasks were cancelled for
    'lost dependencies' when the first run's model was released."""
    sc = scenario()
    runs = [engine.run(sc, client=client) for _ in range(4)]
    assert all(same(runs[0], r) for r in runs[1:])


def test_compare_on_dask_is_bit_identical_to_local(client):
    from engine.comparison import compare

    sc = [
        engine.load_scenario(BASELINE, overrides=["simulation.paths=9000", "simulation.horizon=1y"] + ov)
        for ov in ([], ["term_premium.mean=2.5%"])
    ]
    local, remote = compare(sc, threads=1), compare(sc, client=client)
    pd.testing.assert_frame_equal(local.table, remote.table, check_exact=True)
    pd.testing.assert_frame_equal(local.components, remote.components, check_exact=True)
