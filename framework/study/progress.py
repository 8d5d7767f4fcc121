"""Progress of a study on the console, as draws finish.

On a terminal each design gets a tqdm bar (draws done, draws per second or seconds per draw,
time left), started at the draws kept from an earlier run so that the rate counts only the
draws run now. Where the output goes to a file or a pipe (a batch job's log, CI), a bar's
carriage returns would pile up, so each finished draw is one plain line with the same figures.
"""

from __future__ import annotations

import sys
from typing import TextIO


class ConsoleProgress:
    """A :data:`framework.study.runner.Progress` callback: ``progress(design, done, total,
    elapsed_s, kept)``."""

    def __init__(self, stream: TextIO | None = None, bar: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.bar = self.stream.isatty() if bar is None else bar
        self._bars: dict = {}

    def __call__(self, design: str, done: int, total: int, elapsed: float, kept: int = 0) -> None:
        if done == kept:
            print(f"[study] {design}: {kept}/{total} draws already done (kept from an earlier run), {total - kept} to run",
                  file=self.stream, flush=True)
        if self.bar:
            self._update_bar(design, done, total, kept)
        elif done > kept:
            rate = elapsed / (done - kept)
            print(f"[study] {design}: {done}/{total} draws, {rate:.1f} s per draw, {elapsed / 60:.1f} min so far, "
                  f"about {rate * (total - done) / 60:.1f} min left", file=self.stream, flush=True)

    def _update_bar(self, design: str, done: int, total: int, kept: int) -> None:
        from tqdm import tqdm

        bar = self._bars.get(design)
        if bar is None:
            bar = self._bars[design] = tqdm(total=total, initial=kept, desc=f"[study] {design}", unit="draw",
                                            file=self.stream, dynamic_ncols=True, smoothing=0.1)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()
