"""Run the command line in-process for a test: ``code, out, err = run(capsys, "verb", ...)``."""

from __future__ import annotations

from claimstats.cli import main


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err
