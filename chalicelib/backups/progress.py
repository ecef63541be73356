"""Progress of long work: silent in Lambda and the API, a bar on the command line (cli.py).

A few lines of our own rather than a dependency: the bar only needs a label, a count and a total.
"""
from __future__ import annotations

import sys
import time
from typing import Protocol, TextIO


class Progress(Protocol):
    def begin(self, label: str, total: int) -> None: ...
    def advance(self, step: int = 1, note: str = "") -> None: ...
    def end(self) -> None: ...


class Silent:
    def begin(self, label: str, total: int) -> None:
        pass

    def advance(self, step: int = 1, note: str = "") -> None:
        pass

    def end(self) -> None:
        pass


class Bar:
    """`label [#######.............]  12/87  order_items`, redrawn at most ten times a second."""

    WIDTH = 30

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.label, self.total, self.done, self.note, self._drawn = "", 0, 0, "", 0.0

    def begin(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self.note = label, max(total, 1), 0, ""
        self._draw(force=True)

    def advance(self, step: int = 1, note: str = "") -> None:
        self.done += step
        self.note = note or self.note
        self._draw(force=self.done >= self.total)

    def end(self) -> None:
        self._draw(force=True)
        self.stream.write("\n")
        self.stream.flush()

    def _draw(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._drawn < 0.1:
            return
        self._drawn = now
        filled = int(self.WIDTH * min(self.done, self.total) / self.total)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total} {self.note[:40]:<40}")
        self.stream.flush()
