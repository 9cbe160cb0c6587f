"""Self-contained HTML reports: one file, no JavaScript, nothing loaded from anywhere else.

:class:`Page` is a small, general page builder (``ustsim run|compare|sweep --report``): headings
and markdown-ish paragraphs, tables with right-aligned numbers and units, matplotlib figures
embedded inline (SVG or PNG as ``data:`` URIs), facts, collapsible details. Every string given to
it is HTML-escaped (scenario names and descriptions come from YAML files written by others), and
the page carries a Content-Security-Policy that allows no script and no resource but inline
styles and ``data:`` images, so even a string that escaped escaping could not run or fetch
anything. :meth:`Page.write` replaces the file atomically: a killed writer leaves the old file or
the new one, never part of one.

:func:`run_page` is the report of one run.

    page = Page("ustsim compare: baseline vs deanchoring")
    page.text("## Yields at the horizon\\n\\nMeans over all paths; **bp** unless noted.")
    page.table(df, "10y at the horizon", units={"mean": "%"})
    page.figure(fig, "Fan of the 10y")
    page.facts({"seed": 7, "engine version": "0.1.0"})
    page.details("Resolved scenario", yaml_text)
    page.write("out/report.html")
"""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import html
import io
import math
import numbers
import os
import re
import sys
import tempfile
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import UstsimError
from .units import move_label

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

    from .results import Results

#: what the page may load: inline styles and data: images; no script, no fetch, no form, no base
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
#: image types :meth:`Page.image` embeds
IMAGE_TYPES = ("image/png", "image/svg+xml", "image/jpeg", "image/gif", "image/webp")
#: the name of the column that holds each row's unit in a table (it is text; numbers of the same
#: unit in a column get the same number of decimals)
UNIT_COLUMNS = ("unit", "units")

_CSS = """
:root { --ink: #1d2329; --muted: #5b6670; --rule: #d5dbe0; --band: #f4f6f8; --accent: #24405a; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; padding: 2rem 1.5rem 3rem; color: var(--ink); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; }
h1 { font-size: 1.7rem; line-height: 1.25; margin: 0 0 .4rem; color: var(--accent); }
h2 { font-size: 1.25rem; margin: 2.2rem 0 .6rem; padding-bottom: .25rem; border-bottom: 2px solid var(--rule);
  color: var(--accent); }
h3 { font-size: 1.05rem; margin: 1.6rem 0 .4rem; }
h4 { font-size: .95rem; margin: 1.2rem 0 .3rem; }
p, ul { margin: .5rem 0 .9rem; max-width: 80ch; }
.subtitle { color: var(--muted); margin-top: 0; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  font-size: .88em; }
code { background: var(--band); padding: .05em .3em; border-radius: 3px; }
nav.toc { margin: .8rem 0 1.2rem; font-size: .92rem; color: var(--muted); }
nav.toc ol { display: flex; flex-wrap: wrap; gap: .2rem 1.4rem; list-style: none; margin: 0; padding: 0; }
nav.toc a { color: var(--accent); text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1.2rem; margin: .8rem 0 1.2rem;
  padding: .8rem 1rem; background: var(--band); border-radius: 6px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.table-wrap { overflow-x: auto; margin: .6rem 0 1.4rem; }
table { border-collapse: collapse; font-size: .9rem; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: 0 0 .35rem; }
th, td { padding: .28rem .7rem; border-bottom: 1px solid var(--rule); vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); text-align: left; vertical-align: bottom; font-weight: 600; }
tbody tr:nth-child(even) { background: var(--band); }
tbody th { text-align: left; font-weight: 600; white-space: nowrap; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
.unit { color: var(--muted); font-weight: 400; }
td.na { color: var(--muted); }
figure { margin: 1rem 0 1.8rem; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--rule); border-radius: 4px; }
figcaption { color: var(--muted); font-size: .9rem; margin-top: .35rem; max-width: 80ch; }
details { margin: .6rem 0 1rem; border: 1px solid var(--rule); border-radius: 6px; padding: .4rem .8rem; }
details summary { cursor: pointer; font-weight: 600; }
details pre { margin: .6rem 0 .2rem; max-height: 36rem; overflow: auto; white-space: pre; }
.note { border-left: 3px solid #b7791f; background: #fdf8ec; padding: .4rem .8rem; }
footer { margin-top: 3rem; padding-top: .6rem; border-top: 1px solid var(--rule); color: var(--muted);
  font-size: .85rem; }
@media print { body { padding: 0; } details { border: 0; } nav.toc { display: none; } }
""".strip()


# ---------------------------------------------------------------- escaping and formatting
def esc(text: object) -> str:
    """``text`` as HTML text or attribute value: every ``& < > " '`` escaped."""
    return html.escape(str(text), quote=True)


_INLINE = [
    (re.compile(r"`([^`\n]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*\n]+)\*\*"), r"<strong>\1</strong>"),
]


def inline(text: object) -> str:
    """One line of markdown-ish text as HTML: escaped first, then ```code``` and ``**bold**``
    (the markup only wraps text that is already escaped, so it cannot produce a tag of its own)."""
    out = esc(text)
    for pattern, repl in _INLINE:
        out = pattern.sub(repl, out)
    return out


_BULLET = re.compile(r"^[-*]\s+")


def _is_number(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _is_int(x: object) -> bool:
    return isinstance(x, numbers.Integral)


def _is_missing(x: object) -> bool:
    if x is None:
        return True
    if isinstance(x, numbers.Real) and not isinstance(x, numbers.Integral):
        return math.isnan(float(x))
    return type(x).__name__ in ("NaTType", "NAType")


def auto_decimals(values: Sequence[float]) -> int:
    """Decimals that show the typical (median) magnitude of ``values`` to about three significant
    digits: 0 for whole numbers and magnitudes of 100 or more, at most 6."""
    finite = [float(v) for v in values if math.isfinite(float(v))]
    if all(v == int(v) for v in finite):
        return 0
    sizes = sorted(abs(v) for v in finite if v != 0)
    typical = sizes[len(sizes) // 2] if sizes else 1.0
    return min(6, max(0, 2 - math.floor(math.log10(typical))))


def fmt_number(x: float, decimals: int | None = None) -> str:
    """A number for a table: thousands separators, ``decimals`` decimals for floats (3 significant
    digits if None), ``inf``/``-inf`` as ∞."""
    if isinstance(x, numbers.Integral):
        return f"{int(x):,}"
    v = float(x)
    if math.isnan(v):
        return "–"
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    if decimals is None:
        decimals = auto_decimals([v])
    out = f"{v:,.{decimals}f}"
    return out[1:] if out.startswith("-") and not out.strip("-0.,") else out  # no "-0.00"


def fmt_value(x: object) -> str:
    """Any value as text (for facts and text cells): dates in ISO form, numbers with separators,
    lists joined with commas, mappings as ``key: value``."""
    if _is_missing(x):
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, numbers.Integral):
        return f"{int(x):,}"
    if isinstance(x, numbers.Real):
        v = float(x)
        return fmt_number(v) if not math.isfinite(v) else f"{v:,.6g}"
    if isinstance(x, _dt.datetime):  # a pandas Timestamp too
        return x.date().isoformat() if x.time() == _dt.time() else x.isoformat(sep=" ")
    if isinstance(x, _dt.date):
        return x.isoformat()
    if isinstance(x, Mapping):
        return ", ".join(f"{k}: {fmt_value(v)}" for k, v in x.items()) or "none"
    if isinstance(x, (list, tuple, set, frozenset)):
        return ", ".join(fmt_value(v) for v in x) or "none"
    if isinstance(x, os.PathLike):
        return str(os.fspath(x))
    return str(x)


# ---------------------------------------------------------------- the page
class Page:
    """An HTML page built block by block; every method returns the page, so calls chain.

    ``html()`` renders it; ``write(path)`` writes it atomically. The output is deterministic:
    the same calls give the same bytes (figures are rendered without dates in their metadata)."""

    def __init__(self, title: str, subtitle: str | None = None) -> None:
        self.title = str(title)
        self.subtitle = subtitle
        self._blocks: list[str] = []
        self._sections: list[tuple[str, str]] = []  # (id, title) of every h2, for the contents

    # ------------------------------------------------------------ text
    def heading(self, text: str, level: int = 2) -> Page:
        """A heading: level 2 starts a section (listed in the contents), 3 and 4 are sub-headings."""
        level = min(4, max(2, int(level)))
        if level == 2:
            anchor = f"s{len(self._sections) + 1}"
            self._sections.append((anchor, str(text)))
            self._blocks.append(f'<h2 id="{anchor}">{inline(text)}</h2>')
        else:
            self._blocks.append(f"<h{level}>{inline(text)}</h{level}>")
        return self

    def text(self, text: str) -> Page:
        """Markdown-ish text: blocks separated by blank lines; a block starting with ``#`` or
        ``##`` is a section heading and ``###`` a sub-heading (its first line; the rest is a
        paragraph), one whose lines all start with ``- `` or ``* `` a list, any other a paragraph.
        Inline ```code``` and ``**bold**``. Everything else is shown literally."""
        for block in re.split(r"\n\s*\n", str(text).strip()):
            lines = [ln.strip() for ln in block.strip().splitlines() if ln.strip()]
            if not lines:
                continue
            m = re.match(r"(#{1,4})\s+(.*)", lines[0])
            if m:
                hashes = len(m.group(1))
                self.heading(m.group(2), 2 if hashes <= 2 else hashes)
                lines = lines[1:]
                if not lines:
                    continue
            if all(_BULLET.match(ln) for ln in lines):
                items = "".join(f"<li>{inline(_BULLET.sub('', ln))}</li>" for ln in lines)
                self._blocks.append(f"<ul>{items}</ul>")
            else:
                self._blocks.append(f"<p>{inline(' '.join(lines))}</p>")
        return self

    def note(self, text: str) -> Page:
        """A highlighted remark (a warning, an assumption that decided a result)."""
        self._blocks.append(f'<p class="note">{inline(text)}</p>')
        return self

    # ------------------------------------------------------------ facts and details
    def facts(self, facts: Mapping[str, object], caption: str | None = None) -> Page:
        """Name: value pairs (seed, engine version, scenarios, paths, timings), shown as a grid.
        Values are formatted by :func:`fmt_value`; a value of None leaves its row out."""
        rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(fmt_value(v))}</dd>" for k, v in facts.items() if v is not None)
        head = f"<h4>{inline(caption)}</h4>" if caption else ""
        self._blocks.append(f'{head}<dl class="facts">{rows}</dl>')
        return self

    def details(self, title: str, text: str, open: bool = False) -> Page:
        """A collapsible block of preformatted text (a resolved scenario, a log), closed unless
        ``open``."""
        attr = " open" if open else ""
        self._blocks.append(f"<details{attr}><summary>{inline(title)}</summary><pre>{esc(text)}</pre></details>")
        return self

    # ------------------------------------------------------------ tables
    def table(
        self,
        df: pd.DataFrame,
        caption: str | None = None,
        *,
        units: Mapping[str, str] | None = None,
        decimals: int | Mapping[str, int] | None = None,
        index: bool | None = None,
    ) -> Page:
        """A DataFrame as a table. Numbers are right-aligned with thousands separators; floats
        get ``decimals`` decimals (an int, or one per column; by default about three significant
        digits of the typical value: of the column, or, in a table with a column named ``unit``
        or ``units`` (text: each row's unit), of all the numbers of that unit, so a row reads
        evenly). ``units`` maps a column to its unit, shown in the header. ``index``: show the
        index as the first column (default: unless it is a plain 0, 1, 2, ... range). Missing
        values show as –."""
        import pandas as pd

        units = dict(units or {})
        if index is None:
            index = not (isinstance(df.index, pd.RangeIndex) and df.index.name is None)
        cols = [_label(c) for c in df.columns]
        unit_col = next((i for i, c in enumerate(cols) if c.lower() in UNIT_COLUMNS), None)
        row_units = [str(u) for u in df.iloc[:, unit_col]] if unit_col is not None else [""] * len(df)
        numeric = [all(_is_number(x) or _is_missing(x) for x in df.iloc[:, j]) for j in range(len(cols))]
        numeric = [n and not df.iloc[:, j].isna().all() for j, n in enumerate(numeric)]

        def floats(j: int, unit: str) -> list[float]:
            col = df.iloc[:, j]
            return [float(x) for x, u in zip(col, row_units) if u == unit and _is_number(x) and not _is_int(x)]

        # decimals, per column and row unit: given, else automatic - over the rows of that unit in
        # all numeric columns if the table has a unit column (a row reads evenly), else per column
        by_unit = {
            u: auto_decimals([v for j in range(len(cols)) if numeric[j] for v in floats(j, u)])
            for u in dict.fromkeys(row_units)
        }
        digits: list[dict[str, int]] = []
        for j, c in enumerate(cols):
            fixed = decimals.get(c) if isinstance(decimals, Mapping) else decimals
            digits.append(
                {
                    u: fixed
                    if fixed is not None
                    else by_unit[u]
                    if unit_col is not None
                    else auto_decimals(floats(j, u))
                    for u in by_unit
                }
            )

        def header(name: str, num: bool) -> str:
            unit = units.get(name)
            u = f' <span class="unit">({esc(unit)})</span>' if unit else ""
            return f'<th scope="col"{" class=num" if num else ""}>{esc(name)}{u}</th>'

        head = []
        if index:
            names = [n for n in df.index.names if n is not None]
            head.append(f'<th scope="col">{esc(" / ".join(map(str, names)))}</th>')
        head += [header(c, numeric[j]) for j, c in enumerate(cols)]

        body = []
        for r, (key, row) in enumerate(zip(df.index, df.itertuples(index=False, name=None))):
            cells = []
            if index:
                label = " / ".join(fmt_value(k) for k in key) if isinstance(key, tuple) else fmt_value(key)
                cells.append(f'<th scope="row">{esc(label)}</th>')
            for j, x in enumerate(row):
                if _is_missing(x):
                    cells.append(f'<td class="{"num " if numeric[j] else ""}na">–</td>')
                elif _is_number(x):
                    cells.append(f'<td class="num">{esc(fmt_number(x, digits[j].get(row_units[r])))}</td>')
                else:
                    cells.append(f"<td>{esc(fmt_value(x))}</td>")
            body.append(f"<tr>{''.join(cells)}</tr>")
        cap = f"<caption>{inline(caption)}</caption>" if caption else ""
        self._blocks.append(
            f'<div class="table-wrap"><table>{cap}<thead><tr>{"".join(head)}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>"
        )
        return self

    # ------------------------------------------------------------ images
    def figure(
        self,
        fig: Figure,
        caption: str | None = None,
        *,
        alt: str | None = None,
        format: str = "svg",
        dpi: float | None = None,
        close: bool = True,
    ) -> Page:
        """A matplotlib figure, embedded in the page: ``format`` "svg" (vector, text drawn as
        paths, so no font is needed) or "png" (at ``dpi``, by default the figure's; better for
        figures with very many points). The figure is closed afterwards unless ``close`` is
        False."""
        if format not in ("svg", "png"):
            raise ValueError(f"format: {format!r}; expected 'svg' or 'png'")
        buf = io.BytesIO()
        if format == "svg":
            import matplotlib

            with matplotlib.rc_context({"svg.hashsalt": "ustsim", "svg.fonttype": "path"}):
                fig.savefig(buf, format="svg", metadata={"Date": None})
            mime = "image/svg+xml"
        else:
            fig.savefig(buf, format="png", dpi=dpi or fig.dpi, metadata={"Software": None})
            mime = "image/png"
        if close and "matplotlib.pyplot" in sys.modules:  # a figure pyplot does not know is just dropped
            sys.modules["matplotlib.pyplot"].close(fig)
        return self.image(buf.getvalue(), caption, alt=alt, mime=mime)

    def image(
        self, data: bytes, caption: str | None = None, *, alt: str | None = None, mime: str = "image/png"
    ) -> Page:
        """An image given as bytes (a PNG already drawn), embedded as a ``data:`` URI."""
        if mime not in IMAGE_TYPES:
            raise ValueError(f"mime: {mime!r}; expected one of {', '.join(IMAGE_TYPES)}")
        src = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        cap = f"<figcaption>{inline(caption)}</figcaption>" if caption else ""
        alt_text = alt if alt is not None else (caption or "chart")
        self._blocks.append(f'<figure><img src="{src}" alt="{esc(alt_text)}">{cap}</figure>')
        return self

    # ------------------------------------------------------------ output
    def html(self) -> str:
        """The page as one HTML document."""
        toc = ""
        if len(self._sections) >= 3:
            items = "".join(f'<li><a href="#{a}">{inline(t)}</a></li>' for a, t in self._sections)
            toc = f'<nav class="toc" aria-label="Contents"><ol>{items}</ol></nav>'
        sub = f'<p class="subtitle">{inline(self.subtitle)}</p>' if self.subtitle else ""
        body = "\n".join(self._blocks)
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="ustsim {esc(__version__)}">\n'
            f"<title>{esc(self.title)}</title>\n<style>\n{_CSS}\n</style>\n</head>\n<body>\n<main>\n"
            f"<header><h1>{inline(self.title)}</h1>{sub}{toc}</header>\n"
            f"{body}\n"
            f"<footer>Written by ustsim {esc(__version__)}. This file is self-contained: it loads "
            "nothing from elsewhere and runs no script.</footer>\n"
            "</main>\n</body>\n</html>\n"
        )

    def write(self, path: str | os.PathLike[str]) -> str:
        """Write the page to ``path`` atomically and return its absolute path: the page goes to
        a temporary file in the same folder, is flushed to disk and renamed over ``path`` in one
        step, so a writer killed at any moment leaves the previous file or the new one. The
        temporary files of writers that were killed are deleted. The folder is created if
        needed; an OSError (a full disk, no permission) is raised as a UstsimError with nothing
        written."""
        return write_atomic(path, self.html())


def write_atomic(path: str | os.PathLike[str], text: str) -> str:
    """Replace the file ``path`` with ``text`` (UTF-8) atomically; see :meth:`Page.write`."""
    path = os.path.abspath(os.fspath(path))
    folder, name = os.path.split(path)
    if os.path.isdir(path):
        raise UstsimError(f"{path}: is a folder; give the report's file name (e.g. {path}/report.html)")
    prefix = f".{name}."
    tmp = None
    try:
        os.makedirs(folder, exist_ok=True)
        _remove_stale(folder, prefix)
        fd, tmp = tempfile.mkstemp(prefix=f"{prefix}{os.getpid()}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; a report gets the usual mode
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise UstsimError(f"{path}: cannot write the report ({exc.strerror or exc}); nothing was written") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.remove(tmp)
    with contextlib.suppress(OSError):  # the rename itself on disk (a power cut; a kill is covered)
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    return path


def _remove_stale(folder: str, prefix: str) -> None:
    """Delete the temporary files ``<prefix><pid>.<random>.tmp`` of writers no longer running."""
    for entry in os.listdir(folder):
        if not (entry.startswith(prefix) and entry.endswith(".tmp")):
            continue
        pid = entry[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                os.remove(os.path.join(folder, entry))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process
        return True
    return True


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _label(c: object) -> str:
    return " ".join(map(str, c)) if isinstance(c, tuple) else str(c)


# ---------------------------------------------------------------- the report of one run
_UNITS = {"pct": "%", "bp": "bp", "bp_per_yr": "bp/yr"}


def _split_unit(key: str) -> tuple[str, str]:
    """``max_rise_1w_bp`` -> (``max rise 1w``, ``bp``)."""
    for suffix in ("_bp_per_yr", "_pct", "_bp"):
        if key.endswith(suffix):
            return key[: -len(suffix)].replace("_", " "), _UNITS[suffix[1:]]
    return key.replace("_", " "), ""


def _dist_row(d: Mapping[str, Any], qs: Sequence[str]) -> dict[str, Any]:
    row = {"mean": d.get("mean"), "s.e.": d.get("std_error"), "std": d.get("std")}
    row.update({q: d.get(q) for q in qs})
    return row


def run_page(results: Results, *, facts: Mapping[str, object] | None = None) -> Page:
    """The report of one run: headline facts (scenario, seed, paths, period, engine version,
    timings; ``facts`` adds more, e.g. the output folder), the yields at the horizon, the fan
    chart of the 10y (or the longest tenor), its components (chart and table), crossing
    probabilities, every yield metric and state at the horizon with units and standard errors,
    the plumbing metrics if any, the initial curve fit and the resolved scenario."""
    import pandas as pd

    from . import report, summary_text

    m = results.metrics
    sc = results.scenario
    qs = [summary_text.qname(q) for q in sorted(results.quantiles)]
    q_lo, q_hi = qs[0], qs[-1]
    mid = "q50" if "q50" in qs else qs[len(qs) // 2]
    ten = results.headline_tenor()
    run = dict(m["run"])

    page = Page(
        f"ustsim run: {sc.name}", subtitle=f"{m['start']} to {m['end']}, {m['paths']:,} paths, seed {m['seed']}"
    )
    if sc.description:
        page.text(sc.description)
    sampling = "antithetic pairs" if m["antithetic"] else "independent paths"
    if m["quasi_random"]:
        sampling = "Sobol points with a Brownian bridge"
    seconds = {k[len("seconds_") :]: v for k, v in run.items() if k.startswith("seconds_")}
    page.facts(
        {
            "scenario": sc.name,
            "source": m["scenario_source"],
            "overrides": m["scenario_overrides"] or "none",
            "scenario digest": m["scenario_digest"],
            "seed": str(m["seed"]),
            "paths": f"{m['paths']:,} ({m['summary']['kept_paths']:,} kept, {m['summary']['pilot_paths']:,} pilot)",
            "sampling": sampling,
            "period": f"{m['start']} to {m['end']}: {m['steps']:,} steps of {m['step']}, recorded every {m['record']}",
            "engine version": m["engine_version"],
            "threads": run.get("threads"),
            "dask workers": run.get("dask_workers") or None,
            "time": ", ".join(f"{k} {v:.2f} s" for k, v in seconds.items()) or None,
            "memory estimate": f"{run['memory_estimate_bytes'] / 2**20:,.0f} MiB"
            if "memory_estimate_bytes" in run
            else None,
            "largest quantile error": f"{m['summary']['max_quantile_error_bp']['rates']:.2g} bp (rates)",
            **dict(facts or {}),
        }
    )

    # headline: the yields at the horizon
    wk = "max_rise_1w_bp" in next(iter(m["yields"].values()), {})
    rise = "max_rise_1w_bp" if wk else "max_rise_1step_bp"
    move = move_label(wk, m.get("path_metrics", "every_step") == "every_step")
    head = pd.DataFrame(
        {
            "start": {t: d["start_pct"] for t, d in m["yields"].items()},
            "mean": {t: d["horizon_pct"]["mean"] for t, d in m["yields"].items()},
            "s.e.": {t: d["horizon_pct"]["std_error"] for t, d in m["yields"].items()},
            q_lo: {t: d["horizon_pct"][q_lo] for t, d in m["yields"].items()},
            mid: {t: d["horizon_pct"][mid] for t, d in m["yields"].items()},
            q_hi: {t: d["horizon_pct"][q_hi] for t, d in m["yields"].items()},
            "change": {t: d["change_to_horizon_bp"]["mean"] for t, d in m["yields"].items()},
            f"peak {q_hi}": {t: d["peak_pct"][q_hi] for t, d in m["yields"].items()},
            f"max {move} rise {q_hi}": {t: d[rise][q_hi] for t, d in m["yields"].items()},
            "realised vol": {t: d["realized_vol_bp_per_yr"]["mean"] for t, d in m["yields"].items()},
        }
    )
    head.index = pd.Index([f"yield_{t}" for t in head.index], name="yield")
    units = dict.fromkeys(("start", "mean", "s.e.", q_lo, mid, q_hi, f"peak {q_hi}"), "%")
    units.update({"change": "bp", f"max {move} rise {q_hi}": "bp"})
    units["realised vol"] = "bp/yr"
    page.heading("Yields at the horizon")
    page.table(
        head,
        f"Start, distribution at {m['end']} (mean, its standard error, quantiles), change to the horizon, "
        f"peak, largest {move} rise and realised volatility (means over paths)",
        units=units,
        decimals={c: (2 if u == "%" else 1) for c, u in units.items() if c != "s.e."},
    )

    # charts: the ones engine.report writes with --out, embedded as they are
    import tempfile as _tf

    with _tf.TemporaryDirectory(prefix="ustsim-report-") as tmp:
        report._charts(results, tmp)
        fan_png = _read(os.path.join(tmp, f"fan_yield_{ten}.png"))
        comp_png = _read(os.path.join(tmp, f"components_{ten}.png"))
    page.heading(f"The {ten} yield")
    page.image(
        fan_png,
        f"Fan chart of the {ten} yield, percent: quantile bands over all {m['paths']:,} paths, median and mean.",
        alt=f"fan chart of the {ten} yield",
    )
    page.image(
        comp_png,
        f"The {ten} yield and its components, percent: mean and {q_lo}-{q_hi} band over time.",
        alt=f"components of the {ten} yield",
    )
    comp = results.components(ten)
    idx = sorted(
        {0, min(len(comp) - 1, summary_text.index_after(results.model.cal, 1.0, results.dates)), len(comp) - 1}
    )
    dec = comp.iloc[idx].T
    dec.columns = [fmt_value(c) for c in dec.columns]
    dec.index = pd.Index(
        [f"− {c}" if c in summary_text.COMPONENT_SIGN else c for c in dec.index], name=f"{ten} decomposition"
    )
    page.table(dec, f"The {ten} and its parts (means, %); the parts marked − are subtracted", decimals=2)

    if m["thresholds"]:
        page.heading("Crossing probabilities")
        th = pd.DataFrame(
            [
                {
                    "condition": t["expr"],
                    "probability": 100 * t["probability"],
                    "s.e.": 100 * t["std_error"],
                    "checked": t["resolution"],
                }
                for t in m["thresholds"]
            ]
        )
        page.table(
            th,
            "Probability that the condition holds at some time before the horizon",
            units={"probability": "%", "s.e.": "%"},
            decimals=1,
        )

    page.heading("Metrics")
    rows = []
    for t, d in m["yields"].items():
        for key, v in d.items():
            name, unit = _split_unit(key)
            row = {"yield": f"yield_{t}", "metric": name, "unit": unit}
            row.update(_dist_row(v, qs) if isinstance(v, Mapping) else {"mean": v})
            rows.append(row)
    page.table(
        pd.DataFrame(rows),
        "Per yield: the distribution over paths of each metric; s.e. is the Monte Carlo standard error of the mean",
    )
    states = pd.DataFrame(
        [
            {"state": n, **dict(zip(("metric", "unit"), _split_unit(k))), **_dist_row(v, qs)}
            for n, d in m["states"].items()
            for k, v in d.items()
        ]
    )
    if len(states):
        if set(states["metric"]) == {"horizon"}:
            states = states.drop(columns="metric")
        page.table(states, "States at the horizon")
    if m["plumbing"]:
        plumb = [{"variable": n, "unit": d.get("unit", ""), **_dist_row(d, qs)} for n, d in m["plumbing"].items()]
        page.table(pd.DataFrame(plumb), "Plumbing at the horizon (running totals and peaks)")
        for line in summary_text.bound_warnings(results):
            page.note(line.strip())

    page.heading("Scenario")
    fit = m["initial_fit"]
    if "curve" in fit:
        curve = pd.DataFrame(
            {
                "observed": {t: v["observed_pct"] for t, v in fit["curve"].items()},
                "model": {t: v["model_pct"] for t, v in fit["curve"].items()},
                "residual": {t: v["residual_bp"] for t, v in fit["curve"].items()},
            }
        )
        curve.index.name = "tenor"
        page.table(curve, "Initial curve: observed and fitted", units={"observed": "%", "model": "%", "residual": "bp"})
    page.facts(
        {k.removesuffix("_pct").replace("_", " "): f"{v:.2f}%" for k, v in fit["fitted"].items()}, "Fitted at the start"
    )
    page.details("Resolved scenario (YAML; running it reproduces these results)", sc.to_yaml())
    return page


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()
