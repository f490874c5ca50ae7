"""The ``claimstats`` command: one verb per job, each a thin call into the package.

Verbs live in the modules of this package; each module has ``register(verbs)``
that adds its sub-parsers and sets ``func`` to a function taking the parsed
arguments and returning an exit status. Modules are found by name, so adding a
verb module needs no edit here.

Bad input (a missing file, an invalid CSV, an unknown column, a bad flag)
prints one line on stderr and exits with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from claimstats import __version__
from claimstats.cli._common import fail
from claimstats.errors import ClaimstatsError

# Verb modules in the order their verbs appear in --help; others follow by name.
_ORDER = ("data", "stats", "models", "exercises")


def _verb_modules():
    names = [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]
    names.sort(key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n))
    return [importlib.import_module(f"{__name__}.{n}") for n in names]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: what is wrong, and where to read the options."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="claimstats",
        description="The TikTok claims case study from the terminal: validate, clean, "
        "analyse, train a claim classifier and triage a report backlog.",
        epilog="Run 'claimstats VERB --help' for a verb's options. Input errors exit with status 2.",
    )
    parser.add_argument("--version", action="version", version=f"claimstats {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for module in _verb_modules():
        module.register(verbs)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ClaimstatsError as err:
        return fail(str(err))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `claimstats describe f.csv | head`
        sys.stderr.close()
        return 0
    except OSError as err:  # a missing file, a full disk: the environment, not a bug
        return fail(str(err) if not err.filename else f"{err.filename}: {err.strerror or err}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
