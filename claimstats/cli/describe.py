"""Analyze verbs: ``describe`` (grouped summary table) and ``plot`` (one figure to a file)."""

from __future__ import annotations

import sys

from claimstats.cli._common import check_output_path, data_file_help, load_clean, print_table
from claimstats.errors import ClaimstatsError
from claimstats.schema import TARGET

# The keys of claimstats.plots.FIGURES, listed here so that the command starts
# without importing matplotlib (tests check the two agree).
PLOT_KINDS = ("views", "balance", "ban", "verified", "corr", "scatter")


def register(verbs) -> None:
    p = verbs.add_parser(
        "describe", help="summarise numeric columns by group",
        description="Load and clean FILE, then print count, mean, sd, min, quartiles and max of "
        "numeric columns within each group. FILE may also be 'synthetic' or 'synthetic:SEED'.",
    )
    p.add_argument("file", help=data_file_help())
    p.add_argument("--by", nargs="*", default=[TARGET], metavar="COL",
                   help=f"categorical columns to group by (default: {TARGET}); "
                   "give --by alone to summarise the whole file")
    p.add_argument("--columns", nargs="+", default=None, metavar="COL",
                   help="numeric columns to summarise (default: duration and the five counts)")
    p.add_argument("--wide", action="store_true", help="one row per statistic, one column per group")
    p.add_argument("--json", action="store_true", help="print the table as JSON records")
    p.set_defaults(func=run_describe)

    p = verbs.add_parser(
        "plot", help="draw one of the case's figures to a file",
        description="Load and clean FILE, draw a figure and write it (.png, .svg or .pdf); "
        "print its alt text.",
    )
    p.add_argument("file", help=data_file_help())
    p.add_argument("--kind", required=True, choices=PLOT_KINDS,
                   help="views: distribution of a count by class; balance: videos per class; "
                   "ban / verified: status within each class; corr: correlation heatmap; "
                   "scatter: two counts by class")
    p.add_argument("--out", required=True, help="figure file to write (.png, .svg or .pdf)")
    p.add_argument("--column", default=None, help="--kind views: the column to draw (default: views)")
    p.add_argument("--x", default=None, help="--kind scatter: horizontal column (default: views)")
    p.add_argument("--y", default=None, help="--kind scatter: vertical column (default: likes)")
    p.add_argument("--seed", type=int, default=None, help="--kind scatter: seed of the random sample (default: 0)")
    p.set_defaults(func=run_plot)


def run_describe(args) -> int:
    from claimstats.describe import grouped_summary

    tidy, report, _ = load_clean(args.file)
    table = grouped_summary(tidy, args.columns, args.by, layout="wide" if args.wide else "long")
    groups = f" by {', '.join(dict.fromkeys(args.by))}" if args.by else ""
    title = f"{args.file}: {len(tidy):,} videos after cleaning ({report.rows_dropped:,} rows dropped){groups}"
    print_table(table, as_json=args.json, title=title, floatfmt=",.1f")
    return 0


# Which --kind each figure option applies to (its keyword in the plot function).
_PLOT_OPTIONS = {"column": "views", "x": "scatter", "y": "scatter", "seed": "scatter"}


def run_plot(args) -> int:
    from claimstats.figure_style import figure_format
    from claimstats.plots import make_figure

    out = check_output_path(args.out, args.file)
    figure_format(out)
    options = {name: getattr(args, name) for name in _PLOT_OPTIONS if getattr(args, name) is not None}
    for name in options:
        if _PLOT_OPTIONS[name] != args.kind:
            raise ClaimstatsError(f"--{name} applies only to --kind {_PLOT_OPTIONS[name]}, not --kind {args.kind}")
    tidy, _, _ = load_clean(args.file)
    result = make_figure(args.kind, tidy, **options)
    from claimstats.outputs import atomic_path

    with atomic_path(out) as temporary:  # the suffix is kept: it sets the format
        result.save(temporary)
    print(result.alt)
    print(f"wrote {out}", file=sys.stderr)
    return 0
