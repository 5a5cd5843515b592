"""Progress of a run: done / failed / remaining and an ETA.

On a terminal, a live bar redrawn in place. Elsewhere (a log file, ``nohup``, CI) one plain line
every ``every`` seconds and a last one at the end, so a long run's log shows where it is.
Library code never uses it directly: the CLI passes ``Progress.update`` as the runner's callback.
"""

from __future__ import annotations

import sys
import time

from mibench.execution.options import Callbacks


class Progress:
    def __init__(self, total: int, *, label: str = "", stream=None, enabled: bool | None = None,
                 width: int = 28, every: float = 60.0):
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", lambda: False)()
        self.enabled = True if enabled is None else enabled
        #: redraw a bar in place (terminal) or write plain lines every ``every`` seconds
        self.live = isatty
        self.interval = 0.1 if isatty else every
        self.width = width
        self.done = self.failed = self.timeouts = self.cached = 0
        self.start = time.monotonic()
        self._last = 0.0

    def callbacks(self) -> Callbacks:
        """This bar as the runner's progress hooks (its total set when the trials are planned)."""
        return Callbacks(on_plan=self._set_total, on_cached=self.skip, on_result=self.update)

    def _set_total(self, total: int) -> None:
        self.total = total

    def skip(self, count: int) -> None:
        """Count trials already in the store."""
        self.cached += count
        self._draw(force=self.live)

    def update(self, row: dict) -> None:
        self.done += 1
        if row.get("status") != "ok":
            self.failed += 1
            if row.get("status") == "timeout":
                self.timeouts += 1
        self._draw(force=self.live and self.done + self.cached >= self.total)

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - max(self._last, self.start) < self.interval:
            return  # at most one draw per interval; the first one an interval after the start
        self._last = now
        finished = self.done + self.cached
        frac = finished / self.total if self.total else 1.0
        filled = int(round(frac * self.width))
        elapsed = now - self.start
        remaining = self.total - finished
        # the ETA extrapolates the trials computed in this session (cached ones cost nothing)
        eta = elapsed / self.done * remaining if self.done else float("nan")
        eta_s = _clock(eta) if remaining else _clock(elapsed)
        failed = f"{self.failed} failed" + (f" ({self.timeouts} timeout)" if self.timeouts else "")
        text = (f"{self.label}[{'#' * filled}{'.' * (self.width - filled)}] {finished}/{self.total} "
                f"done ({self.cached} cached) | {failed} | {remaining} left | "
                f"{'ETA' if remaining else 'took'} {eta_s}")
        self.stream.write(f"\r{text} \x1b[K" if self.live else f"{text}\n")
        self.stream.flush()

    def close(self) -> None:
        if not self.enabled:
            return
        if self.live:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()
        elif self.done:  # a plain last line when anything was computed
            self._draw(force=True)


def _clock(seconds: float) -> str:
    if seconds != seconds:
        return "--:--"
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"
