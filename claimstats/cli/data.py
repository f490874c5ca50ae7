"""Data verbs: ``simulate``, ``validate``, ``clean``."""

from __future__ import annotations

import sys

from claimstats.cli._common import check_output_path, data_file_help, fail, load_clean, print_table
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
    from claimstats.simulate import DEFAULT_ROWS, DEFAULT_SEED, simulate

    rows = DEFAULT_ROWS if args.rows is None else args.rows
    if rows < 1:
        raise ClaimstatsError(f"--rows must be at least 1, got {rows}")
    seed = DEFAULT_SEED if args.seed is None else args.seed
    if seed < 0:
        raise ClaimstatsError(f"--seed must be a non-negative integer, got {seed}")
    out = check_output_path(args.out)
    simulate(rows, seed=seed).to_csv(out, index=False)
    print(f"wrote {rows:,} synthetic rows (seed {seed}) to {out}")
    return 0


def run_validate(args) -> int:
    from claimstats.data import load
    from claimstats.schema import DataValidationError

    try:
        frame, source = load(args.file)
    except DataValidationError as err:
        print(err.report())
        n = len(err.problems)
        columns = ", ".join(dict.fromkeys(c for c in (getattr(p, "column", "") for p in err.problems) if c))
        where = f" in column{'s' if ',' in columns else ''} {columns}" if columns else ""
        return fail(f"{args.file}: {n} problem{'s' if n != 1 else ''}{where} (listed on stdout, with the rows "
                    "concerned); the file does not satisfy the data contract")
    print(f"{args.file}: valid ({len(frame):,} rows, {frame.shape[1]} columns)")
    for note in source.notes:
        print(f"  normalised: {note}")
    incomplete = int(frame["claim_status"].isna().sum())
    if incomplete:
        print(f"  note: {incomplete:,} rows lack a label; `claimstats clean` drops them")
    return 0


def run_clean(args) -> int:
    out = check_output_path(args.out, args.file)
    dropped_path = check_output_path(args.dropped, args.file, flag="--dropped") if args.dropped else None
    tidy, report, source = load_clean(args.file)
    tidy.to_csv(out, index=False)
    if dropped_path is not None:
        report.dropped.to_csv(dropped_path, index=False)
    if args.json:
        print(report.to_frame().to_json(orient="records"))
        return 0
    for note in source.notes:
        print(f"normalised: {note}")
    print_table(report.to_frame())
    print(report.describe())
    print(f"wrote {report.rows_out:,} rows to {out}", file=sys.stderr)
    return 0
