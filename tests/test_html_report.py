"""The HTML report (engine.html_report): a page from a small real run opened in headless Chromium,
where an injected probe checks that every chart was decoded and painted (a second page with
deliberately broken images proves the probe fails on them); a screenshot kept in test-artifacts/;
escaping of hostile scenario strings; the atomic write, down to a writer killed with SIGKILL.

Without Chromium the browser tests are skipped only while CI is unset; with CI set, or
USTSIM_REQUIRE_BROWSER=1 (which .ci/run exports), they fail: CI must not pass by skipping them."""

import html
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE, ROOT

import engine
from engine import html_report
from engine.errors import UstsimError
from engine.html_report import Page, run_page

SMALL = ["simulation.paths=256", "simulation.horizon=1y"]
ARTIFACTS = os.path.join(ROOT, "test-artifacts")  # gitignored; CI keeps the screenshot from here
WINDOW = (1280, 2400)
NONCE = "render-check"


# ---------------------------------------------------------------- the browser
@pytest.fixture(scope="session")
def browser() -> str:
    """The Chromium binary. None on PATH: the test is skipped when CI is unset, and fails when CI
    is set (to anything) or USTSIM_REQUIRE_BROWSER is set (not to 0), as under .ci/run."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    required = os.environ.get("USTSIM_REQUIRE_BROWSER", "0").strip().lower() not in ("", "0", "false", "no")
    if "CI" in os.environ or required:
        pytest.fail(
            "Chromium is required here (CI or USTSIM_REQUIRE_BROWSER is set) and neither chromium nor "
            "chromium-browser is on PATH; install the Debian package chromium"
        )
    pytest.skip("no chromium on PATH (Debian package chromium); the browser checks run under .ci/run")


def chromium(binary: str, tmp_path, *args: str, budget_ms: int = 15000) -> str:
    """Run headless Chromium with ``args``; returns its stdout. ``budget_ms``: virtual time the
    page gets (a DOM dump ends as soon as the page is idle; a screenshot waits it out)."""
    profile = tmp_path / "chromium-profile"
    cmd = [
        binary,
        "--headless",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--user-data-dir={profile}",
        f"--virtual-time-budget={budget_ms}",
        *args,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise AssertionError(f"chromium failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return proc.stdout


# Runs in the page once it has loaded (synchronously: Chromium dumps the DOM without waiting for
# promises such as img.decode()): for every <img>, whether the browser could read it (a size), how
# big it is on the page, and, drawn on a canvas, how much of it is painted (a truncated image decodes
# without error but leaves its last rows transparent) and how many colours it has (a blank chart
# has one). Also the page's scripts, its text and whether a hostile string managed to run.
PROBE = """
<script nonce="NONCE">
window.addEventListener("load", function () {
  var images = Array.prototype.map.call(document.images, function (im) {
    var w = im.naturalWidth, h = im.naturalHeight, rect = im.getBoundingClientRect();
    var out = {alt: im.alt, complete: im.complete, naturalWidth: w, naturalHeight: h, width: rect.width,
               height: rect.height, painted: 0, colours: 0, error: ""};
    if (w > 0 && h > 0) {
      try {
        var c = document.createElement("canvas");
        c.width = w; c.height = h;
        var g = c.getContext("2d");
        g.drawImage(im, 0, 0);
        var d = g.getImageData(0, 0, w, h).data, inner = 0, opaque = 0, colours = new Set();
        for (var y = 2; y < h - 2; y++) {
          for (var x = 2; x < w - 2; x++) {
            var p = 4 * (y * w + x);
            inner++;
            if (d[p + 3] === 255) opaque++;
            if (colours.size < 1000) colours.add((d[p] << 16) | (d[p + 1] << 8) | d[p + 2]);
          }
        }
        out.painted = inner ? opaque / inner : 0;
        out.colours = colours.size;
      } catch (e) { out.error = String(e); }
    }
    return out;
  });
  document.documentElement.setAttribute("data-render-check", JSON.stringify({
    images: images,
    scripts: document.scripts.length,
    title: document.title,
    text: document.body.innerText,
    pwned: document.documentElement.getAttribute("data-pwned")
  }));
});
</script>
""".replace("NONCE", NONCE)


def render_check(binary: str, tmp_path, page_file) -> dict:
    """Open a copy of the page with PROBE added (its Content-Security-Policy allows that one
    script by its nonce, and nothing else) and return what the probe found."""
    with open(page_file, encoding="utf-8") as fh:
        text = fh.read()
    csp = "default-src 'none';"
    assert text.count(csp) == 1 and text.count("</body>") == 1, "the page's CSP or body is not as expected"
    text = text.replace(csp, f"{csp} script-src 'nonce-{NONCE}';").replace("</body>", PROBE + "</body>")
    probe_file = tmp_path / ("probe-" + os.path.basename(page_file))
    probe_file.write_text(text, encoding="utf-8")
    dom = chromium(binary, tmp_path, "--dump-dom", probe_file.as_uri())
    m = re.search(r'data-render-check="([^"]*)"', dom)
    assert m, f"the render check did not run in the page (no result in the DOM):\n{dom[:2000]}"
    return json.loads(html.unescape(m.group(1)))


def broken(images: list[dict]) -> dict[str, str]:
    """Each image that did not render, with why: unreadable (no size), not shown, not painted to
    its last rows, or blank."""
    out = {}
    for im in images:
        if not (im["complete"] and im["naturalWidth"] > 0 and im["naturalHeight"] > 0):
            out[im["alt"]] = f"not loaded ({im['naturalWidth']}x{im['naturalHeight']})"
        elif im["width"] < 50 or im["height"] < 50:
            out[im["alt"]] = f"shown at {im['width']}x{im['height']}"
        elif im["error"]:
            out[im["alt"]] = im["error"]
        elif im["painted"] < 0.999:
            out[im["alt"]] = f"only {100 * im['painted']:.1f}% painted"
        elif im["colours"] < 8:
            out[im["alt"]] = f"blank ({im['colours']} colours)"
    return out


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def results():
    return engine.run(engine.load_scenario(BASELINE, overrides=SMALL))


@pytest.fixture(scope="module")
def report_file(results, tmp_path_factory):
    return run_page(results, facts={"output folder": "out/baseline"}).write(
        tmp_path_factory.mktemp("report") / "report.html"
    )


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


# ---------------------------------------------------------------- the run's page in a browser
def test_run_page_charts_render(browser, report_file, tmp_path):
    found = render_check(browser, tmp_path, report_file)
    images = found["images"]
    assert [im["alt"] for im in images] == ["fan chart of the 10y yield", "components of the 10y yield"]
    assert broken(images) == {}, images
    assert all(im["width"] >= 600 for im in images), images  # shown at a readable size
    assert found["scripts"] == 1  # the probe: the report itself has none
    for words in ("ustsim run: baseline", "Yields at the horizon", "yield_10y > 5%", "20251231"):
        assert words in found["text"]


def test_render_check_detects_broken_charts(browser, tmp_path):
    """The check above fails on a chart that is garbage, truncated, not an SVG, or blank - and
    passes the good ones of the same page (so it is the check, not the page, that decides)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def chart():
        fig, ax = plt.subplots(figsize=(6, 3.5), dpi=80)
        ax.plot(np.arange(20), np.sin(np.arange(20) / 3))
        ax.set_title("a chart")
        return fig

    png = _png(chart())
    svg_fig = chart()
    buf = io.BytesIO()
    svg_fig.savefig(buf, format="svg")
    svg = buf.getvalue()
    blank = plt.figure(figsize=(6, 3.5), dpi=80)
    page = Page("broken charts")
    page.figure(chart(), "good svg", alt="good svg")
    page.figure(chart(), "good png", alt="good png", format="png")
    page.figure(svg_fig, "good svg bytes", alt="good svg bytes")
    page.image(b"\x89PNG\r\n\x1a\n not a png at all", alt="garbage")
    page.image(png[: len(png) // 2], alt="truncated png")
    page.image(svg[: len(svg) // 2], alt="truncated svg", mime="image/svg+xml")
    page.image(b"", alt="empty")
    page.figure(blank, alt="blank", format="png")
    path = page.write(tmp_path / "broken.html")
    found = render_check(browser, tmp_path, path)
    bad = broken(found["images"])
    assert set(bad) == {"garbage", "truncated png", "truncated svg", "empty", "blank"}, bad
    assert len(found["images"]) == 8


def test_screenshot_is_kept_and_not_blank(browser, report_file, tmp_path):
    os.makedirs(ARTIFACTS, exist_ok=True)
    shot = os.path.join(ARTIFACTS, "report.png")
    if os.path.exists(shot):
        os.remove(shot)
    shutil.copyfile(report_file, os.path.join(ARTIFACTS, "report.html"))
    chromium(
        browser,
        tmp_path,
        f"--screenshot={shot}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"file://{report_file}",
        budget_ms=2000,
    )
    with open(shot, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    with Image.open(shot) as im:
        assert im.size == WINDOW
        px = np.asarray(im.convert("RGB")).astype(int)
    r, g, b = px[..., 0], px[..., 1], px[..., 2]
    ink = np.mean(px.min(axis=2) < 250)
    assert 0.05 < ink < 0.9, f"{100 * ink:.1f}% of the screenshot is not white"
    assert len(np.unique((r << 16) | (g << 8) | b)) > 500  # text, tables and charts, not a flat page
    fan_blue = np.sum((b > r + 60) & (b > 120) & (g > r))  # the fan chart's bands and median (tab:blue)
    assert fan_blue > 10_000, f"only {fan_blue} fan-chart pixels in the screenshot"


# ---------------------------------------------------------------- escaping
HOSTILE_NAME = "<script>document.documentElement.setAttribute('data-pwned', '1')</script>"
HOSTILE_DESCRIPTION = (
    "Hostile <img src=x onerror=\"document.documentElement.setAttribute('data-pwned', '2')\"> "
    '& "quotes" <b>bold</b> </pre></details></main> <!-- end'
)


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.handlers += [k for k, _ in attrs if k.startswith("on")]


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    """The report of a run of a scenario file whose name and description are markup."""
    folder = tmp_path_factory.mktemp("hostile")
    text = (
        f"extends: {json.dumps(BASELINE)}\n"
        f"name: {json.dumps(HOSTILE_NAME)}\n"
        f"description: {json.dumps(HOSTILE_DESCRIPTION)}\n"
    )
    (folder / "hostile.yaml").write_text(text)
    res = engine.run(engine.load_scenario(str(folder / "hostile.yaml"), overrides=SMALL))
    assert res.scenario.name == HOSTILE_NAME
    return run_page(res).write(folder / "report.html")


def test_hostile_scenario_strings_are_escaped(hostile_report):
    with open(hostile_report, encoding="utf-8") as fh:
        source = fh.read()
    assert "<script" not in source.lower() and "<img src=x" not in source and "<b>" not in source
    assert "&lt;script&gt;document.documentElement.setAttribute(&#x27;data-pwned&#x27;" in source
    tags = Tags()
    tags.feed(source)
    assert "script" not in tags.tags and "b" not in tags.tags and tags.handlers == []
    assert tags.tags.count("img") == 2  # the two charts; the description's <img> is text


def test_hostile_scenario_strings_show_as_text(browser, hostile_report, tmp_path):
    found = render_check(browser, tmp_path, hostile_report)
    assert found["pwned"] is None and found["scripts"] == 1
    assert len(found["images"]) == 2 and broken(found["images"]) == {}
    assert found["title"] == f"ustsim run: {HOSTILE_NAME}"
    assert HOSTILE_NAME in found["text"]
    assert HOSTILE_DESCRIPTION.split(" <!--")[0] in found["text"]


def test_every_entry_point_escapes():
    """Whatever a caller passes as text - titles, headings, paragraphs, captions, table cells,
    column and index names, units, facts, details - becomes text, never markup."""
    bad = "<script>x()</script><img src=y onerror=z()>"
    df = pd.DataFrame({bad: [1.5, 2.25], "unit": [bad, "%"]}, index=pd.Index([bad, "b"], name=bad))
    page = (
        Page(bad, subtitle=bad)
        .heading(bad)
        .text(f"# {bad}\n\n{bad} `{bad}` **{bad}**\n\n- {bad}\n- two")
        .note(bad)
        .table(df, bad, units={bad: bad})
        .facts({bad: bad, "list": [bad, 1]}, bad)
        .details(bad, bad)
        .image(b"\x89PNG", bad, alt=bad)
    )
    source = page.html()
    tags = Tags()
    tags.feed(source)
    assert "script" not in tags.tags and tags.handlers == []
    assert tags.tags.count("img") == 1
    assert "<script" not in source.lower()
    assert source.count("&lt;script&gt;x()&lt;/script&gt;") >= 15


def test_page_is_self_contained(report_file):
    with open(report_file, encoding="utf-8") as fh:
        source = fh.read()
    tags = Tags()
    tags.feed(source)
    assert not {"script", "link", "iframe", "object", "embed"} & set(tags.tags)
    assert re.findall(r'\ssrc="(?!data:image/)', source) == []
    assert "url(" not in source and "@import" not in source and "http://" not in source
    assert "Content-Security-Policy" in source


# ---------------------------------------------------------------- tables and text
def test_table_formats_numbers_and_units():
    df = pd.DataFrame(
        {
            "metric": ["horizon", "change", "vol"],
            "unit": ["%", "bp", "bp/yr"],
            "mean": [4.2561, -0.26, 90.78],
            "s.e.": [0.0526, 5.26, 1.24],
            "paths": [10000, 10000, 10000],
            "q99": [6.3656, 210.7, float("nan")],
        }
    )
    out = Page("t").table(df, units={"paths": "count"}).html()
    cells = re.findall(r'<td class="num">([^<]*)</td>', out)
    assert cells == ["4.26", "0.05", "10,000", "6.37", "-0.26", "5.26", "10,000", "210.70", "90.8", "1.2", "10,000"]
    assert '<td class="num na">–</td>' in out and "<td>%</td>" in out
    assert '<th scope="col" class=num>paths <span class="unit">(count)</span></th>' in out
    fixed = Page("t").table(df[["mean"]], decimals=3).html()
    assert re.findall(r'<td class="num">([^<]*)</td>', fixed) == ["4.256", "-0.260", "90.780"]
    assert html_report.fmt_number(-0.0001, 2) == "0.00"


def test_text_headings_lists_and_contents():
    page = Page("T").text("## One\n\nfirst **bold** and `code`\n\n- a\n- b\n\n### sub\nrest").text("# Two\n\n# Three")
    out = page.html()
    assert '<h2 id="s1">One</h2>' in out and '<h2 id="s3">Three</h2>' in out and "<h3>sub</h3>" in out
    assert "<p>first <strong>bold</strong> and <code>code</code></p>" in out
    assert "<ul><li>a</li><li>b</li></ul>" in out and "<p>rest</p>" in out
    assert '<nav class="toc"' in out and 'href="#s2"' in out


# ---------------------------------------------------------------- the atomic write
def test_write_replaces_the_file_and_leaves_nothing_else(tmp_path):
    target = tmp_path / "sub" / "report.html"
    assert Page("one").write(target) == str(target)
    Page("two").write(target)
    assert "<title>two</title>" in target.read_text()
    assert os.listdir(target.parent) == ["report.html"]
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()
    with pytest.raises(UstsimError, match="is a folder"):
        Page("x").write(tmp_path)


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    Page("old").write(target)

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(html_report.os, "fsync", full_disk)
    with pytest.raises(UstsimError, match=r"\(No space left on device\); nothing was written"):
        Page("new").write(target)
    monkeypatch.undo()
    assert "<title>old</title>" in target.read_text()
    assert os.listdir(tmp_path) == ["report.html"]


# Writes two large pages in turn, for ever (until killed). The test builds the same pages.
WRITER = textwrap.dedent(
    """
    import sys
    from engine.html_report import Page

    def make(tag):
        return Page(f"page {tag}").text(f"version {tag}").details("filler", tag * 3_000_000)

    if __name__ == "__main__":
        target, naive = sys.argv[1], sys.argv[2] == "naive"
        pages = [make("A").html(), make("B").html()]
        k = 0
        while True:
            if naive:  # what write() must not be: the file is truncated, then filled
                with open(target, "w", encoding="utf-8") as fh:
                    fh.write(pages[k % 2])
            else:
                make("AB"[k % 2]).write(target)
            k += 1
    """
)


def _hammer(tmp_path, naive: bool, seconds: float = 1.5) -> tuple[int, int, bool]:
    """Start WRITER, read the target while it writes, SIGKILL it at an arbitrary moment; returns
    (reads, torn reads, whether the file is one of the two pages after the kill)."""
    scope: dict = {}
    exec(WRITER, scope)
    pages = {scope["make"](t).html().encode() for t in "AB"}
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    target = tmp_path / "report.html"
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, str(script), str(target), "naive" if naive else "atomic"], env=env)
    reads = torn = 0
    try:
        deadline = time.monotonic() + 120
        while not target.exists():
            assert proc.poll() is None, "the writer died"
            assert time.monotonic() < deadline, "the writer wrote nothing"
            time.sleep(0.01)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            reads += 1
            torn += target.read_bytes() not in pages
        time.sleep(np.random.default_rng().uniform(0, 0.05))  # kill at an arbitrary moment
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    return reads, torn, target.read_bytes() in pages


def test_killed_writer_leaves_the_old_or_the_new_file(tmp_path):
    reads, torn, whole = _hammer(tmp_path, naive=False)
    assert reads > 20 and torn == 0 and whole, (reads, torn, whole)
    Page("next").write(tmp_path / "report.html")  # deletes what the killed writer left
    assert sorted(os.listdir(tmp_path)) == ["report.html", "writer.py"]


def test_kill_check_catches_a_non_atomic_writer(tmp_path):
    """The same check on a writer that truncates and refills the file sees torn files."""
    reads, torn, _ = _hammer(tmp_path, naive=True, seconds=1.0)
    assert torn > 0, f"{reads} reads, none torn"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
