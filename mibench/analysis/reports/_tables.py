"""Tables from a summary (see mibench.analysis.metrics.summarize): CSV, Markdown, LaTeX and HTML.

Two shapes:

- the *metrics table*: one row per (task, method, n) with every metric;
- the *paper table*: one per n, tasks as rows, the true MI in bold, methods as columns,
  each entry ``mean ± std`` over seeds (as MI papers print it).
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd

from mibench.analysis.reports._labels import add_labels, ordered

#: metrics-table columns: (summary column, display header)
METRIC_COLUMNS = [
    ("task", "task"), ("method", "estimator"), ("n", "n"), ("true_mi", "true MI"),
    ("mean", "mean"), ("bias", "bias"), ("rel_bias", "rel. bias"), ("std", "std"),
    ("rmse", "RMSE"), ("median", "median"), ("iqr", "IQR"),
    ("mean_reported_std", "mean reported std"), ("coverage_1std", "coverage ±1 std"),
    ("coverage_2std", "coverage ±2 std"), ("coverage_mean_2std", "coverage of mean ±2 std"),
    ("std_ratio", "std ratio"), ("mean_wall_s", "mean time [s]"),
    ("median_wall_s", "median time [s]"), ("mem_increase_mb", "memory [MiB]"),
    ("ok", "ok"), ("excluded", "excluded"), ("failures", "failures"), ("flags", "flags"),
]
UNITS_NOTE = ("MI, bias, std, RMSE, median and IQR in nats; rel. bias = bias / true MI; std over "
              "seeds (ddof=1); coverage = fraction of seeds whose estimate lies within ±1 (±2) of "
              "the estimator's own reported std of the true MI, over the seeds that reported a "
              "std (coverage of mean: the same around the seeds' mean estimate); std ratio = mean "
              "reported std / std over seeds (1: honest error bar); time is wall-clock seconds per "
              "estimate; memory is the most the estimate call "
              "added to its process's resident memory (peak minus the level just before it, MiB), "
              "median over seeds (summary.csv also has the process peak, peak_mem_mb); "
              "failures = failed + timed out; flags = seeds that raised each of the estimator's "
              "warnings (e.g. InfoNCE saturated at its ln(batch) ceiling); \"no std\": the "
              "estimator reports no std of its own, so it has no coverage; excluded = seeds left "
              "out of every number of the row because their value diverged (flag 'unstable'), "
              "ok = seeds the numbers are over (mibench report --include-flagged keeps them).")


#: magnitudes from which a float is printed in scientific notation whatever ``sci`` says (a
#: diverged estimate such as -1.3e36 nats must not print as a 37-digit integer)
HUGE = 1e6


def fmt(v, digits: int = 3, sci: bool = True) -> str:
    """A number for a table: fixed digits, '' for NaN. Huge magnitudes (>= 1e6) always, and small
    ones (< 10^-digits) when ``sci``, in scientific notation; whole floats of 1000 and more as
    integers."""
    if v is None:
        return ""
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    v = float(v)
    if not math.isfinite(v):
        return ""
    if abs(v) >= HUGE or (sci and v != 0 and abs(v) < 10 ** -digits):
        return f"{v:.{max(digits - 1, 1)}e}"
    if v.is_integer() and abs(v) >= 1000:
        return f"{int(v)}"
    return f"{v:.{digits}f}"


#: text of a missing (NaN) value, by column: a coverage is missing when the estimator reports
#: no std of its own
MISSING_TEXT = {"coverage ±1 std": "no std", "coverage ±2 std": "no std",
                "coverage_1std": "no std", "coverage_2std": "no std", "cov±2std": "no std"}


def column_formatter(values, digits: int = 3, missing: str = ""):
    """One format for a whole column: fixed ``digits`` decimals, or scientific notation for every
    value when any needs it (a nonzero magnitude below 10^-digits, or >= 1e6), so 0.000862 and
    0.006 never sit in one column in two formats. Returns ``value -> text``; NaN gives
    ``missing``."""
    nums = [float(v) for v in values if isinstance(v, (float, np.floating)) and math.isfinite(v)]
    sci = any(v != 0 and (abs(v) < 10 ** -digits or abs(v) >= HUGE) for v in nums)

    def format_value(v) -> str:
        if isinstance(v, (float, np.floating)) and not math.isfinite(v):
            return missing
        if sci and isinstance(v, (float, np.floating)) and not (float(v).is_integer() and abs(v) < HUGE):
            return f"{float(v):.{max(digits - 1, 1)}e}"
        return fmt(v, digits, sci=False) if isinstance(v, (int, float, np.number)) else str(v)

    return format_value


def _formatters(df: pd.DataFrame, digits: int) -> dict:
    return {c: column_formatter(df[c], digits, MISSING_TEXT.get(str(c), "")) for c in df.columns}


def _tex_cell(v, digits: int, formatter=None) -> str:
    """A number for a LaTeX text cell (scientific notation set in math mode)."""
    text = formatter(v) if formatter else fmt(v, digits)
    return f"${_tex_num(text)}$" if "e" in text and text[0] in "-0123456789" else text


def _tex_num(text: str) -> str:
    """A formatted number for LaTeX math mode: ``1.28e+35`` as ``1.28\times10^{35}``."""
    mantissa, e, exponent = text.partition("e")
    return rf"{mantissa}\times10^{{{int(exponent)}}}" if e else text


def metrics_table(summary: pd.DataFrame, task_names=None) -> pd.DataFrame:
    """The metrics table as a DataFrame with display headers (numbers unformatted)."""
    s = add_labels(summary, task_names)
    for c in ("failed", "timeout"):
        if c not in s:
            s[c] = pd.Series(dtype=int)
    s["failures"] = s["failed"] + s["timeout"]
    cols = [c for c, _ in METRIC_COLUMNS]
    return s.reindex(columns=cols).rename(columns=dict(METRIC_COLUMNS)).reset_index(drop=True)


def paper_table(summary: pd.DataFrame, n: int, task_names=None) -> pd.DataFrame:
    """Tasks x methods at sample size n: columns ``task``, ``true MI`` then one per method
    holding (mean, std) tuples, (mean, std, excluded) when seeds were left out of the cell
    (``summary["excluded"]``: diverged values, shown beside the number), NaN where the method
    has no successful trial."""
    s = add_labels(summary, task_names)
    s = s[s["n"] == n]
    tasks = ordered(s["task"])
    methods = ordered(s["method"])
    rows = []
    for t in tasks:
        g = s[s["task"] == t]
        row = {"task": t, "true MI": float(g["true_mi"].iloc[0])}
        for m in methods:
            h = g[g["method"] == m]
            if not (len(h) and h["ok"].iloc[0] > 0):
                row[m] = np.nan
                continue
            row[m] = (float(h["mean"].iloc[0]), float(h["std"].iloc[0]))
            excl = int(h["excluded"].iloc[0]) if "excluded" in h else 0
            if excl:
                row[m] += (excl,)
        rows.append(row)
    return pd.DataFrame(rows, columns=["task", "true MI"] + methods)


def _pm(cell, digits, plus="±") -> str:
    if not isinstance(cell, tuple):
        return "–"
    mean, std = cell[:2]
    m = fmt(mean, digits, sci=False)
    text = m if not math.isfinite(std) else f"{m} {plus} {fmt(std, digits, sci=False)}"
    return text + _excluded_note(cell)


def _excluded_note(cell) -> str:
    """' (k excl.)' for a paper-table cell with k seeds left out (diverged values), else ''."""
    return f" ({cell[2]} excl.)" if len(cell) > 2 else ""


# ---------------------------------------------------------------- Markdown
def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|")


def markdown(df: pd.DataFrame, digits: int = 3) -> str:
    """A GitHub-flavoured Markdown table (numbers right-aligned)."""
    head = "| " + " | ".join(_md_escape(c) for c in df.columns) + " |"
    align = "|" + "|".join("---:" if pd.api.types.is_numeric_dtype(df[c]) else ":---"
                           for c in df.columns) + "|"
    lines = [head, align]
    formats = _formatters(df, digits)
    for _, row in df.iterrows():
        lines.append("| " + " | ".join(
            _md_escape(formats[c](v) if isinstance(v, (int, float, np.number)) else v)
            for c, v in zip(df.columns, row, strict=False)) + " |")
    return "\n".join(lines)


def paper_markdown(table: pd.DataFrame, digits: int = 3) -> str:
    """The paper table in Markdown, true MI in bold."""
    out = table.copy()
    out["true MI"] = [f"**{fmt(v, digits)}**" for v in out["true MI"]]
    for m in out.columns[2:]:
        out[m] = [_pm(c, digits) for c in out[m]]
    return markdown(out, digits)


# ---------------------------------------------------------------- LaTeX
_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
        "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def tex_escape(text: str) -> str:
    return "".join(_TEX.get(ch, ch) for ch in str(text))


def paper_latex(table: pd.DataFrame, n: int, digits: int = 3) -> str:
    """The paper table as a booktabs ``table`` environment: true MI in bold, ``$m \\pm s$``."""
    methods = list(table.columns[2:])
    lines = [r"\begin{table}[ht]", r"\centering",
             rf"\caption{{Mean $\pm$ std over seeds of the MI estimates (nats), $n = {n}$; "
             r"true MI in bold.}",
             r"\begin{tabular}{l" + "r" * (1 + len(methods)) + "}", r"\toprule",
             " & ".join(["task", "true MI"] + [tex_escape(m) for m in methods]) + r" \\", r"\midrule"]
    for _, row in table.iterrows():
        cells = [tex_escape(row["task"]), rf"\textbf{{{fmt(row['true MI'], digits)}}}"]
        for m in methods:
            c = row[m]
            if not isinstance(c, tuple):
                cells.append("--")
            elif math.isfinite(c[1]):
                cells.append(rf"${_tex_num(fmt(c[0], digits, False))} \pm "
                             rf"{_tex_num(fmt(c[1], digits, False))}$" + _excluded_note(c))
            else:
                cells.append(f"${_tex_num(fmt(c[0], digits, False))}$" + _excluded_note(c))
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines)


def metrics_latex(df: pd.DataFrame, digits: int = 3) -> str:
    """The metrics table as a booktabs ``longtable`` (needs the booktabs and longtable packages)."""
    numeric = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]
    spec = "".join("r" if is_num else "l" for is_num in numeric)
    head = " & ".join(tex_escape(c) for c in df.columns) + r" \\"
    lines = [rf"\begin{{longtable}}{{{spec}}}", r"\toprule", head, r"\midrule", r"\endhead"]
    formats = _formatters(df, digits)
    for _, row in df.iterrows():
        lines.append(" & ".join(_tex_cell(v, digits, formats[c]) if is_num else tex_escape(v)
                                for c, v, is_num in zip(df.columns, row, numeric, strict=False))
                     + r" \\")
    lines += [r"\bottomrule", r"\end{longtable}"]
    return "\n".join(lines)


# ---------------------------------------------------------------- HTML
def html_table(df: pd.DataFrame, digits: int = 3, bold_col: str | None = None) -> str:
    """A plain HTML table (escaped; no external resources)."""
    out = ['<table class="t"><thead><tr>' + "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
           + "</tr></thead><tbody>"]
    formats = _formatters(df, digits)
    for _, row in df.iterrows():
        cells = []
        for c, v in zip(df.columns, row, strict=False):
            if isinstance(v, tuple):
                text, cls = _pm(v, digits), "num"
            elif isinstance(v, (int, float, np.number)):
                text, cls = formats[c](v), "num"
            else:
                text, cls = str(v), ""
            text = html.escape(text)
            if c == bold_col:
                text = f"<b>{text}</b>"
            cells.append(f'<td class="{cls}">{text}</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)
