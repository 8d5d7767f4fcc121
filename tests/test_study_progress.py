"""The study's console progress (framework/study/progress.py): a tqdm bar on a terminal, plain
lines in a log, both counting only the draws run now for the rate and the time left."""

from __future__ import annotations

import io

from framework.study.progress import ConsoleProgress


def feed(progress, kept=0, total=4):
    if kept:
        progress("world", kept, total, 0.0, kept)
    for done in range(kept + 1, total + 1):
        progress("world", done, total, 2.0 * (done - kept), kept)


def test_a_log_gets_one_line_per_draw_with_the_rate_and_time_left():
    out = io.StringIO()
    feed(ConsoleProgress(out), kept=1)
    lines = out.getvalue().splitlines()
    assert lines[0] == "[study] world: 1/4 draws already done (kept from an earlier run), 3 to run"
    assert lines[1] == "[study] world: 2/4 draws, 2.0 s per draw, 0.0 min so far, about 0.1 min left"
    assert lines[-1].startswith("[study] world: 4/4 draws, 2.0 s per draw") and lines[-1].endswith("about 0.0 min left")
    assert len(lines) == 4


def test_a_terminal_gets_a_bar_that_starts_at_the_kept_draws_and_closes_at_the_end():
    out = io.StringIO()
    progress = ConsoleProgress(out, bar=True)
    feed(progress, kept=1)
    text = out.getvalue()
    assert text.startswith("[study] world: 1/4 draws already done (kept from an earlier run), 3 to run\n")
    assert "\r[study] world:  25%|" in text and "| 1/4 [" in text  # the bar starts at the kept draw
    assert text.rstrip("\n").split("\r")[-1].startswith("[study] world: 100%|")
    assert "| 4/4 [" in text and "draw/s]" in text and text.endswith("\n")
    assert progress._bars["world"].n == 4 and progress._bars["world"].disable  # closed at the last draw
