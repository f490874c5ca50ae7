"""progress: tqdm on stderr, drawn on a terminal only, quiet in logs, pipes and tests."""

from __future__ import annotations

import io

from claimstats.progress import progress_bar


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_quiet_off_a_terminal_and_drawn_on_one(monkeypatch):
    piped = io.StringIO()  # what a log file or a pipe is: not a terminal
    monkeypatch.setattr("sys.stderr", piped)
    assert sum(progress_bar(range(5), desc="fits")) == 10
    assert piped.getvalue() == ""
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    with progress_bar(total=4, desc="fits", unit=" fits") as bar:
        bar.update(4)
    drawn = terminal.getvalue()
    assert "fits:   0%|" in drawn and "0/4" in drawn  # drawn at the start (then at most every 0.1 s)
    assert drawn.endswith("\r")  # and cleared at the end: the job's own output follows on a clean line
    forced_off = _Terminal()
    monkeypatch.setattr("sys.stderr", forced_off)
    list(progress_bar(range(3), enabled=False))
    assert forced_off.getvalue() == ""


def test_training_is_quiet_off_a_terminal(synthetic_clean, capsys):
    from claimstats.comparison import compare_models

    compare_models(synthetic_clean.sample(1500, random_state=0), feature_sets=("upload",), grid="fast", importance_repeats=0)
    assert capsys.readouterr().err == ""
