"""A small progress bar for management commands and benchmarks (no dependency needed)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TextIO, TypeVar

T = TypeVar("T")


def progress(
    items: Iterable[T],
    *,
    total: int | None = None,
    label: str = "",
    stream: TextIO | None = None,
    width: int = 30,
) -> Iterator[T]:
    """Yield ``items`` while drawing ``label [#####     ] 12/40`` on ``stream``.

    On a terminal the bar is redrawn in place; elsewhere (logs, CI) a line is written at every
    tenth, so long runs show progress without flooding the output.
    """
    stream = stream or sys.stderr
    if total is None:
        try:
            total = len(items)  # type: ignore[arg-type]
        except TypeError:
            total = 0
    interactive = hasattr(stream, "isatty") and stream.isatty()
    started = time.monotonic()
    step = max(1, total // 10) if total else 1
    done = 0

    def draw(final: bool = False) -> None:
        elapsed = time.monotonic() - started
        if total:
            filled = int(width * done / total)
            bar = "#" * filled + " " * (width - filled)
            text = f"{label} [{bar}] {done}/{total} {elapsed:.1f}s"
        else:
            text = f"{label} {done} {elapsed:.1f}s"
        if interactive:
            stream.write("\r" + text + ("\n" if final else ""))
        else:
            stream.write(text + "\n")
        stream.flush()

    for item in items:
        yield item
        done += 1
        if interactive or done % step == 0 or done == total:
            draw(final=done == total)
    if not total or done != total:
        draw(final=True)
