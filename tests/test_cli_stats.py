"""The Construct verbs of the command line: output, JSON, exit codes and one-line errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from scipy import stats

from claimstats import clean, load, simulate
from _cli import run
from claimstats.cli import main
from claimstats.hypothesis import compare_groups
from claimstats.regression import fit_logit


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("stats") / "videos.csv"
    simulate(3000, seed=12).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def tidy(data_file):
    return clean(load(data_file).frame)[0]



def test_ttest_prints_tables_and_the_sentence(data_file, tidy, capsys):
    code, out, err = run(capsys, "ttest", data_file, "--value", "video_view_count", "--group", "verified_status")
    expected = compare_groups(tidy, "video_view_count", "verified_status")
    assert code == 0 and err == ""
    assert expected.h0 in out and "Assumption checks" in out and "Brown–Forsythe" in out
    assert out.rstrip().endswith(expected.describe())


def test_ttest_json_matches_scipy(data_file, tidy, capsys):
    code, out, _ = run(capsys, "ttest", data_file, "--value", "video_view_count", "--group", "verified_status",
                       "--student", "--groups", "verified", "not verified", "--permutations", "200", "--seed", "3",
                       "--json")
    payload = json.loads(out)
    statistics = {row["statistic"]: row["value"] for row in payload["statistics"]}
    views = tidy.groupby("verified_status", observed=True)["video_view_count"]
    reference = stats.ttest_ind(views.get_group("verified"), views.get_group("not verified"), equal_var=True)
    assert code == 0 and payload["test"] == "Student's t-test"
    assert statistics["t"] == pytest.approx(reference.statistic) and statistics["df"] == len(tidy) - 2
    # No relabelling comes near the observed difference: each tail is 1 / 201 (the observed split
    # counts), and the two-sided p-value doubles the smaller tail.
    assert statistics["p-value (permutation, 200 resamples)"] == pytest.approx(2 / 201)
    assert "Student's t(" in payload["description"]
    a, b = views.get_group("verified").to_numpy(float), views.get_group("not verified").to_numpy(float)
    d_av = (a.mean() - b.mean()) / ((a.var(ddof=1) + b.var(ddof=1)) / 2) ** 0.5
    assert payload["d_av"] == pytest.approx(d_av) and statistics["d (average variance)"] == pytest.approx(d_av)
    assert payload["mann_whitney_method"] == "normal approximation"
    assert payload["mann_whitney_p"] == pytest.approx(stats.mannwhitneyu(a, b).pvalue)


def test_ttest_shows_the_exact_mann_whitney_p_of_a_small_tied_sample(tmp_path, capsys):
    path = tmp_path / "small.csv"
    frame = simulate(7, seed=1)
    frame["video_view_count"] = [5, 5, 5, 1, 2, 3, 4]
    frame["verified_status"] = ["verified"] * 3 + ["not verified"] * 4
    frame.to_csv(path, index=False)
    code, out, _ = run(capsys, "ttest", path, "--value", "video_view_count", "--group", "verified_status",
                       "--groups", "verified", "not verified", "--json")
    payload = json.loads(out)
    assert code == 0 and payload["mann_whitney_method"] == "exact"
    assert payload["mann_whitney_p"] == pytest.approx(2 / 35)  # 2 of the 35 splits are as extreme
    code, out, _ = run(capsys, "ttest", path, "--value", "video_view_count", "--group", "verified_status",
                       "--groups", "verified", "not verified")
    assert "p-value (Mann–Whitney, exact)" in out and "exact p = .057" in out


def test_logit_prints_tables_and_json(data_file, tidy, capsys):
    code, out, _ = run(capsys, "logit", data_file, "--balance", "none", "--seed", "2")
    expected = fit_logit(tidy, balance=None, seed=2)
    assert code == 0
    for title in ("Generalised variance inflation factors", "Box–Tidwell", "lr_p_value", "by maximum likelihood", "Held-out evaluation (balance=none", "Odds ratios"):
        assert title in out
    assert out.rstrip().endswith(expected.describe())

    code, out, _ = run(capsys, "logit", data_file, "--predictors", "claim_status", "video_view_count",
                       "video_like_count", "--vif-threshold", "1.5", "--json")
    payload = json.loads(out)
    expected = fit_logit(tidy, ["claim_status", "video_view_count", "video_like_count"], vif_threshold=1.5)
    assert code == 0
    got = pd.DataFrame(payload["coefficients"]).set_index("term")["coef"]
    pd.testing.assert_series_equal(got, expected.to_frame().set_index("term")["coef"], rtol=1e-9)
    assert [d["predictor"] for d in payload["dropped"]] == [name for name, _, _ in expected.dropped]
    assert payload["dropped"], "views and likes are collinear: one of them must go at VIF 1.5"
    assert payload["method"] == "maximum likelihood" and payload["separation"] == {"kind": "none", "terms": []}
    assert payload["n"] == len(tidy) == payload["n_train"] + payload["n_test"]
    assert {"lr_p_value", "p_value"} <= set(payload["coefficients"][0])
    assert {"predictor", "df", "gvif", "gvif_1_2df"} <= set(payload["vif"][0])


def test_logit_reports_separation_and_firth_estimates(tmp_path, capsys):
    import statsmodels.api as sm

    path = tmp_path / "separated.csv"
    frame = simulate(3000, seed=5)
    frame.loc[frame["author_ban_status"] == "under review", "verified_status"] = "verified"
    frame.to_csv(path, index=False)
    code, out, _ = run(capsys, "logit", path, "--json")
    payload = json.loads(out)
    assert code == 0 and payload["method"] == "Firth's penalised likelihood"
    assert payload["separation"] == {"kind": "quasi-complete", "terms": ["author_ban_status[under review]"]}
    row = {r["term"]: r for r in payload["coefficients"]}["author_ban_status[under review]"]
    tidy = clean(load(path).frame)[0]
    # The likelihood-ratio test by hand (statsmodels, with and without the level's dummy) is overwhelming;
    # the Wald test of the diverging maximum-likelihood fit is not.
    X = sm.add_constant(pd.DataFrame({
        "r": (tidy["author_ban_status"] == "under review").astype(float),
        "b": (tidy["author_ban_status"] == "banned").astype(float),
        "o": (tidy["claim_status"] == "opinion").astype(float)}))
    y = (tidy["verified_status"] == "verified").astype(int)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full, reduced = sm.Logit(y, X).fit(disp=0, maxiter=300), sm.Logit(y, X.drop(columns="r")).fit(disp=0)
    assert full.pvalues["r"] > 0.9 and stats.chi2.sf(2 * (full.llf - reduced.llf), 1) < 1e-20
    assert row["p_value"] < 1e-20 and row["ci_low"] > 0
    code, out, _ = run(capsys, "logit", path)
    assert "by Firth's penalised likelihood" in out and "Quasi-complete separation: author_ban_status[under review]" in out


@pytest.mark.parametrize(
    "argv, phrase",
    [
        (["ttest", "{file}", "--value", "views", "--group", "verified_status"],
         "unknown column 'views'; available columns: #, claim_status"),
        (["ttest", "{file}", "--value", "video_view_count", "--group", "author_ban_status"],
         "has 3 levels among rows with a value (active, under review, banned)"),
        (["ttest", "{file}", "--value", "video_view_count", "--group", "verified_status", "--groups", "yes", "no"],
         "level 'yes' not found in column 'verified_status'; available: not verified, verified"),
        (["ttest", "{file}", "--value", "claim_status", "--group", "verified_status"], "is not numeric"),
        (["ttest", "{file}", "--value", "video_view_count", "--group", "verified_status", "--alpha", "2"],
         "alpha must be between 0 and 1"),
        (["ttest", "{file}", "--value", "video_view_count", "--group", "verified_status", "--permutations", "10",
          "--seed", "-1"], "seed must be a non-negative integer"),
        (["ttest", "{file}", "--value", "video_view_count", "--group", "video_view_count"],
         "cannot be both the value and the group column"),
        (["logit", "{file}", "--predictors", "likes"], "unknown column 'likes'; available columns:"),
        (["logit", "{file}", "--test-size", "1.5"], "test_size must be between 0 and 1"),
        (["logit", "{file}", "--vif-threshold", "nan"], "vif_threshold must be above 1"),
        (["logit", "{missing}"], "no such file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(data_file, tmp_path, capsys, argv, phrase):
    argv = [a.format(file=data_file, missing=tmp_path / "nope.csv") for a in argv]
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("claimstats: error: ") and err.count("\n") == 1
    assert phrase in err


def test_bad_flag_value_exits_2(data_file, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["logit", str(data_file), "--balance", "smote"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'smote'" in capsys.readouterr().err


def _strict_json(text):
    """JSON has no NaN or Infinity: Python's json accepts them by default, so refuse them here."""
    def refuse(token):
        raise ValueError(f"not JSON: {token}")
    return json.loads(text, parse_constant=refuse)


def test_json_output_has_no_nan_or_infinity(data_file, capsys):
    # A one-sided interval is unbounded on one side (-inf) and skewness rows have no p-value (nan).
    code, out, _ = run(capsys, "ttest", data_file, "--value", "video_view_count", "--group", "verified_status",
                       "--alternative", "less", "--json")
    statistics = {row["statistic"]: row["value"] for row in _strict_json(out)["statistics"]}
    assert code == 0 and statistics["CI 95% low"] is None and statistics["CI 95% high"] is not None
    code, out, _ = run(capsys, "logit", data_file, "--json")
    assert code == 0 and _strict_json(out)["n_test"] > 0
