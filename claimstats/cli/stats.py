"""Construct verbs: ``ttest`` (compare two groups) and ``logit`` (the logistic regression)."""

from __future__ import annotations

import json

from claimstats.cli._common import data_file_help, load_clean, print_json, print_table

_BALANCE_CHOICES = ("upsample", "weights", "none")


def register(verbs) -> None:
    p = verbs.add_parser("ttest", help="compare a numeric column between two groups (t-test and checks)",
                         description="Welch's (or Student's) t-test of a numeric column between the two levels of "
                         "a group column, with effect sizes, the Mann–Whitney test, assumption checks and an "
                         "APA-style sentence. The file is cleaned first.")
    p.add_argument("file", help=data_file_help("CSV file (the course file or a variant)"))
    p.add_argument("--value", required=True, help="numeric column to compare, e.g. video_view_count")
    p.add_argument("--group", required=True, help="column with two groups, e.g. verified_status")
    p.add_argument("--groups", nargs=2, metavar=("A", "B"), help="two levels of --group to compare, in this order")
    p.add_argument("--student", action="store_true", help="Student's pooled-variance t-test instead of Welch's")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    p.add_argument("--alternative", choices=("two-sided", "less", "greater"), default="two-sided",
                   help="H1 for mean(A) − mean(B) (default two-sided)")
    p.add_argument("--permutations", type=int, default=0, help="also run a permutation test with N resamples")
    p.add_argument("--seed", type=int, default=None, help="seed for the permutation test and subsampling (default 0)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run_ttest)

    p = verbs.add_parser("logit", help="logistic regression of verified status, with VIF and evaluation",
                         description="The case's logistic regression (verified_status, event 'verified'): "
                         "coefficients and odds ratios, VIF, Box–Tidwell linearity check, and a held-out "
                         "evaluation on a seeded stratified split. The file is cleaned first.")
    p.add_argument("file", help=data_file_help("CSV file (the course file or a variant)"))
    p.add_argument("--predictors", nargs="+", metavar="COL", help="predictor columns (default: the case's set)")
    p.add_argument("--vif-threshold", type=float, default=None,
                   help="drop the predictor with the largest VIF above X, repeatedly")
    p.add_argument("--balance", choices=_BALANCE_CHOICES, default="upsample",
                   help="class-imbalance treatment of the training split (default upsample, as the case)")
    p.add_argument("--standardize", action="store_true", help="odds ratios per SD of each numeric predictor")
    p.add_argument("--test-size", type=float, default=0.25, help="share of rows held out (default 0.25)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split and the upsampling (default 0)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run_logit)


def _records(frame):
    return json.loads(frame.to_json(orient="records", double_precision=10))


def _print_notes(notes) -> None:
    if notes:
        print("\nNotes:")
        for note in notes:
            print(f"- {note}")


def run_ttest(args) -> int:
    from claimstats.hypothesis import compare_groups

    tidy, _, _ = load_clean(args.file)
    result = compare_groups(tidy, args.value, args.group, method="student" if args.student else "welch",
                            alpha=args.alpha, alternative=args.alternative, permutations=args.permutations,
                            seed=args.seed, groups=tuple(args.groups) if args.groups else None)
    if args.json:
        print_json({"h0": result.h0, "h1": result.h1, "test": result.test_name, "groups": _records(result.groups_frame()),
                    "statistics": _records(result.to_frame()), "cohens_d": result.cohens_d, "d_av": result.d_av,
                    "mann_whitney_p": result.mann_whitney_p, "mann_whitney_method": result.mann_whitney_method,
                    "assumptions": _records(result.assumptions_frame()),
                    "notes": list(result.notes), "description": result.describe()})
        return 0
    print(result.h0)
    print(result.h1 + "\n")
    print_table(result.groups_frame(), floatfmt=",.2f")
    print()
    print_table(result.to_frame(), title=result.test_name)
    print()
    print_table(result.assumptions_frame().drop(columns="doubtful"), title="Assumption checks")
    _print_notes(result.notes)
    print("\n" + result.describe())
    return 0


def run_logit(args) -> int:
    from claimstats.regression import fit_logit

    tidy, _, _ = load_clean(args.file)
    result = fit_logit(tidy, args.predictors, standardize=args.standardize, vif_threshold=args.vif_threshold,
                       balance=None if args.balance == "none" else args.balance, test_size=args.test_size,
                       seed=args.seed)
    if args.json:
        print_json({"outcome": result.outcome, "event": result.event, "n": result.n, "n_train": result.n_train,
                    "n_test": result.n_test, "method": result.method,
                    "separation": {"kind": result.separation.kind, "terms": list(result.separation.terms)}, "pseudo_r2": result.pseudo_r2, "log_likelihood": result.log_likelihood,
                    "coefficients": _records(result.to_frame()), "vif": _records(result.vif_frame()),
                    "dropped": [{"predictor": n, "vif": v, "reason": why} for n, v, why in result.dropped],
                    "box_tidwell": _records(result.box_tidwell_frame()),
                    "evaluation": _records(result.evaluation_frame()), "confusion": _records(result.confusion_frame()),
                    "split": _records(result.split_frame()), "notes": list(result.notes),
                    "description": result.describe()})
        return 0
    table = result.to_frame()
    print_table(table[["term", "coef", "std_err", "z", "p_value", "lr_p_value", "ci_low", "ci_high"]],
                title=f"Logit of {result.outcome} = {result.event} by {result.method} (n = {result.n:,} rows, "
                f"McFadden pseudo-R² = {result.pseudo_r2:.3f}, log-likelihood = {result.log_likelihood:,.1f})")
    print()
    print_table(result.odds_ratio_table(),
                title=f"Odds ratios per 'per' units of each predictor ({1 - result.alpha:.0%} CI)", floatfmt=",.4g")
    print()
    print_table(result.vif_frame(), title="Generalised variance inflation factors, one per predictor (all rows)")
    print()
    print_table(result.box_tidwell_frame(), title="Box–Tidwell linearity of the logit")
    print()
    print_table(result.split_frame(), title="Rows per split and class", floatfmt=",.0f")
    print()
    print_table(result.evaluation_frame(), title=f"Held-out evaluation (balance={args.balance}, threshold 0.5)")
    print()
    print_table(result.confusion_frame())
    _print_notes(result.notes)
    print("\n" + result.describe())
    return 0
