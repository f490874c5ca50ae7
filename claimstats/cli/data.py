"""Data verbs: ``simulate``, ``validate``, ``clean``."""

from __future__ import annotations

import sys

from claimstats.cli._common import check_output_path, check_outputs, data_file_help, fail, print_table
from claimstats.errors import ClaimstatsError


def register(verbs) -> None:
    p = verbs.add_parser("simulate", help="write a synthetic dataset shaped like the course file",
                         description="Write a synthetic dataset with the course file's structure.")
    p.add_argument("--rows", type=int, default=None, help="number of rows (default: 19,382, as the course file)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: claimstats.DEFAULT_SEED)")
    p.add_argument("--out", required=True, help="CSV file to write")
    p.set_defaults(func=run_simulate)

    p = verbs.add_parser("validate", help="check a CSV against the data contract",
                         description="Check a CSV against the data contract; list every problem. "
                         "Exit 0 when valid, 2 when not.")
    p.add_argument("file", help=data_file_help("CSV file to check"))
    p.set_defaults(func=run_validate)

    p = verbs.add_parser("clean", help="drop unusable rows and report them",
                         description="Drop rows with a missing label, text or count and duplicate "
                         "video ids; print what was dropped and why.")
    p.add_argument("file", help=data_file_help("CSV file to clean"))
    p.add_argument("--out", required=True, help="CSV file for the cleaned rows")
    p.add_argument("--dropped", help="optional CSV listing every dropped row with its reason")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run_clean)


def run_simulate(args) -> int:
    from claimstats.outputs import write_csv
    from claimstats.simulate import DEFAULT_ROWS, DEFAULT_SEED, check_size, simulate

    rows = DEFAULT_ROWS if args.rows is None else args.rows
    if rows < 1:
        raise ClaimstatsError(f"--rows must be at least 1, got {rows}")
    check_size(rows, what="--rows")
    seed = DEFAULT_SEED if args.seed is None else args.seed
    if seed < 0:
        raise ClaimstatsError(f"--seed must be a non-negative integer, got {seed}")
    out = check_output_path(args.out)
    write_csv(simulate(rows, seed=seed), out)
    print(f"wrote {rows:,} synthetic rows (seed {seed}) to {out}")
    return 0


def run_validate(args) -> int:
    from claimstats.data import check_file
    from claimstats.schema import DataValidationError

    try:
        result = check_file(args.file)
    except DataValidationError as err:
        result = None
        problems = err
    else:
        problems = DataValidationError(result.problems, source=args.file) if result.problems else None
    if problems is not None:
        print(problems.report())
        n = len(problems.problems)
        columns = ", ".join(dict.fromkeys(c for c in (getattr(p, "column", "") for p in problems.problems) if c))
        where = f" in column{'s' if ',' in columns else ''} {columns}" if columns else ""
        return fail(f"{args.file}: {n} problem{'s' if n != 1 else ''}{where} (listed on stdout, with the rows "
                    "concerned); the file does not satisfy the data contract")
    print(f"{args.file}: valid ({result.rows:,} rows, {result.columns} columns)")
    for note in result.notes:
        print(f"  normalised: {note}")
    for reason, n, first in result.drops:
        rows = ", ".join(map(str, first)) + (", …" if n > len(first) else "")
        plural = "s" if n != 1 else ""
        print(f"  `claimstats clean` will drop {n:,} row{plural}: {reason} (row{plural} {rows})")
    if result.rows_dropped == result.rows:
        return fail(f"{args.file}: no row is usable: cleaning would drop all {result.rows:,} rows")
    return 0


def run_clean(args) -> int:
    from claimstats.data import clean_file

    paths = check_outputs({"--out": args.out, "--dropped": args.dropped}, args.file)
    report, source = clean_file(args.file, paths["--out"], paths["--dropped"])
    if args.json:
        print(report.to_frame().to_json(orient="records"))
        return 0
    for note in source.notes:
        print(f"normalised: {note}")
    print_table(report.to_frame())
    print(report.describe())
    print(f"wrote {report.rows_out:,} rows to {paths['--out']}", file=sys.stderr)
    return 0
