"""A single self-contained HTML page: tables inline, figures embedded as base64 PNG data URIs,
no scripts, stylesheets, fonts or links to anything outside the file."""

from __future__ import annotations

import base64
import html
from pathlib import Path

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;
margin:2em;color:#222;max-width:1400px}
h1{font-size:1.5em} h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table.t{border-collapse:collapse;font-size:12px;margin:0.5em 0}
table.t th,table.t td{border:1px solid #ddd;padding:2px 6px} table.t th{background:#f2f2f2}
td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1em 0} figcaption{font-size:13px;color:#444;max-width:1000px}
img{max-width:100%;height:auto;border:1px solid #eee}
.note{font-size:13px;color:#555}
"""


def data_uri(png: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(Path(png).read_bytes()).decode("ascii")


def page(title: str, sections: list[tuple[str, str]], intro: str = "") -> str:
    """``sections`` are (heading, html body) pairs; bodies must already be escaped."""
    body = [f"<h1>{html.escape(title)}</h1>"]
    if intro:
        body.append(intro)
    for heading, content in sections:
        body.append(f"<h2>{html.escape(heading)}</h2>\n{content}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def figure(png: Path, caption: str) -> str:
    return (f'<figure><img src="{data_uri(png)}" alt="{html.escape(caption)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")
