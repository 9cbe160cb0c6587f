"""The benchmark runs at a tiny size so it cannot rot (figures at this size mean nothing; the
real run is `ustsim bench`, whose numbers go in the notes - never timed assertions here)."""

import io

from engine.bench import run_bench
from engine.cli import main


def test_bench_quick_runs_and_reports_every_figure():
    out = io.StringIO()
    res = run_bench(quick=True, threads=2, out=out)
    for key in (
        "kernel_path_steps_per_s",
        "simulate_path_steps_per_s",
        "twin_path_steps_per_s",
        "bare_generator_normals_per_s",
        "kernel_share_of_generator",
        "normals_per_path_step",
        "simulate_phase_over_kernel",
        "vasicek_kernel_share_of_generator",
        "vasicek_run_over_numpy",
    ):
        assert res[key] > 0, key
    # 11 Gaussian shocks (the macro four, policy rate, stance and cycle, term premium, inflation risk
    # premium, convenience yield, volatility regime) + rare jump draws
    assert 11.0 <= res["normals_per_path_step"] < 11.2
    text = out.getvalue()
    for label in (
        "numba kernel",
        "simulate phase",
        "numpy twin",
        "kernel / twin",
        "bare generator",
        "kernel share",
        "vasicek kernel",
        "vasicek run",
    ):
        assert label in text


def test_bench_command(tmp_path):
    out = io.StringIO()
    assert main(["bench", "--quick", "--json", str(tmp_path / "b.json")], stdout=out) == 0
    assert (tmp_path / "b.json").exists()


def test_the_numpy_and_whole_run_peers_price_the_bond():
    """The rows every install has: plain numpy and ustsim's whole run price the 2y bond within
    4.5 s.e. plus the monthly grid's discretisation (1e-4) of the Vasicek closed form."""
    from engine.peers import closed_form_price, run_numpy, run_ustsim_whole

    exact = closed_form_price(2.0)
    for r in (run_numpy(4000, 24, 1), run_ustsim_whole(4000, 24, 1, threads=2)):
        assert abs(r["price"] - exact) < 4.5 * r["std_error"] + 1e-4, r
        assert r["seconds"] > 0


def test_peer_benchmark_runs_and_every_tool_prices_the_bond(tmp_path):
    """Tiny size: each tool's price must agree with the Vasicek closed form within 4.5 s.e. plus
    the Euler/trapezoid discretisation of a monthly grid (1e-4 here), so a broken peer set-up fails."""
    import pytest

    pytest.importorskip("QuantLib")
    pytest.importorskip("pyesg")
    from engine.peers import run_peers

    out = io.StringIO()
    res = run_peers(
        paths=4000, steps=24, out=out, json_path=str(tmp_path / "p.json"), markdown_path=str(tmp_path / "p.md")
    )
    for name in ("ustsim", "QuantLib", "pyesg"):
        r = res["results"][name]
        assert abs(r["error"]) < 4.5 * r["std_error"] + 1e-4, (name, r)
        assert r["path_steps_per_s"] > 0
    assert "| QuantLib |" in (tmp_path / "p.md").read_text() and (tmp_path / "p.json").exists()


def test_scaling_benchmark_runs_each_kind_of_point(tmp_path):
    from engine.scaling import run_scaling

    out = io.StringIO()
    rows = run_scaling(quick=True, out=out, json_path=str(tmp_path / "s.json"), markdown_path=str(tmp_path / "s.md"))
    assert len(rows) >= 3 and all(r["path_steps_per_s"] > 0 and r["peak_rss_bytes"] > 0 for r in rows)
    assert {r["threads"] for r in rows} == {1, 2}
    local = [r for r in rows if not r["dask"]]  # with Dask the process also hosts the scheduler
    assert all(r["peak_rss_bytes"] <= r["memory_estimate_bytes"] for r in local), [  # the estimate bounds each run
        (r["paths"], r["threads"], r["peak_rss_bytes"] >> 20, r["memory_estimate_bytes"] >> 20) for r in local
    ]
    assert (tmp_path / "s.md").read_text().count("\n| ") >= len(rows)
