"""Error rates by account group against independent computations: scipy's binomtest, counting by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from claimstats import ClaimstatsError, clean, simulate
from claimstats.group_errors import clopper_pearson, error_rates_by_group


@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.01])
def test_clopper_pearson_matches_scipy_binomtest(alpha):
    for n in (1, 2, 7, 30, 513):
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            low, high = clopper_pearson(k, n, alpha)
            expected = stats.binomtest(k, n).proportion_ci(confidence_level=1 - alpha, method="exact")
            assert (float(low), float(high)) == pytest.approx((expected.low, expected.high), rel=1e-9, abs=1e-12)


def test_clopper_pearson_without_trials_is_undefined_and_bad_counts_are_refused():
    low, high = clopper_pearson([0, 3], [0, 5])
    assert np.isnan(low[0]) and np.isnan(high[0]) and 0 < low[1] < 0.6 < high[1] < 1
    with pytest.raises(ClaimstatsError, match="between 0 and the number of trials"):
        clopper_pearson(6, 5)


@pytest.fixture(scope="module")
def scored():
    tidy = clean(simulate(3000, seed=8))[0]
    rng = np.random.default_rng(3)
    # Scores that know the label, noisily: some claims fall below the threshold and some opinions above.
    scores = np.clip((tidy["claim_status"] == "claim").to_numpy(float) * 0.5 + rng.random(len(tidy)) * 0.6, 0, 1)
    return tidy, scores


def test_rates_and_intervals_by_counting(scored):
    tidy, scores = scored
    result = error_rates_by_group(tidy, scores, threshold=0.55)
    table = result.to_frame().set_index(["group", "level"])
    claim = (tidy["claim_status"] == "claim").to_numpy()
    flagged = scores >= 0.55
    assert list(table.index.get_level_values("group").unique()) == ["all", "verified_status", "author_ban_status"]
    for column in ("verified_status", "author_ban_status"):
        for level in tidy[column].cat.categories:
            rows = (tidy[column] == level).to_numpy()
            row = table.loc[(column, level)]
            tp = int((rows & claim & flagged).sum())
            assert row["reports"] == rows.sum() and row["claims"] == (rows & claim).sum()
            assert row["flag_rate"] == pytest.approx(flagged[rows].mean())
            assert row["recall"] == pytest.approx(tp / (rows & claim).sum())
            assert row["precision"] == pytest.approx(tp / (rows & flagged).sum())
            ci = stats.binomtest(tp, int((rows & claim).sum())).proportion_ci(method="exact")
            assert (row["recall_low"], row["recall_high"]) == pytest.approx((ci.low, ci.high), rel=1e-9)
            ci = stats.binomtest(int((rows & flagged).sum()), int(rows.sum())).proportion_ci(method="exact")
            assert (row["flag_rate_low"], row["flag_rate_high"]) == pytest.approx((ci.low, ci.high), rel=1e-9)
    overall = table.loc[("all", "all")]
    assert overall["reports"] == len(tidy) and overall["recall"] == pytest.approx(flagged[claim].mean())


def test_describe_names_the_group_the_model_serves_worst():
    # Verified accounts' claims are all scored low: recall 0 for them, 1 for the others.
    n = 200
    frame = pd.DataFrame({"claim_status": ["claim"] * n + ["opinion"] * n,
                          "verified_status": (["verified", "not verified"] * n)})
    scores = np.where(frame["claim_status"] == "claim", np.where(frame["verified_status"] == "verified", 0.2, 0.9), 0.1)
    result = error_rates_by_group(frame, scores, threshold=0.5, by=["verified_status"])
    text = result.describe()
    assert text.startswith("By verified_status, recall is lowest for verified (0%")
    assert "the intervals do not overlap: the model misses more of the claims of verified accounts" in text
    table = result.table()
    assert table.loc[table["level"] == "verified", "recall"].item() == "0.0% [0.0%, 3.6%]"  # 1 - 0.025^(1/100)


def test_a_level_without_claims_or_flags_has_undefined_rates():
    frame = pd.DataFrame({"claim_status": ["opinion", "opinion", "claim"], "author_ban_status": ["banned", "banned", "active"]})
    table = error_rates_by_group(frame, [0.1, 0.2, 0.9], threshold=0.5, by="author_ban_status").to_frame()
    banned = table[table["level"] == "banned"].iloc[0]
    assert np.isnan(banned["recall"]) and np.isnan(banned["precision"]) and banned["flag_rate"] == 0
    assert np.isnan(banned["recall_low"]) and banned["flag_rate_high"] == pytest.approx(1 - 0.025 ** 0.5)


@pytest.mark.parametrize("kwargs, message", [
    ({"scores": [0.1]}, r"scores and rows differ in length \(1 scores for 3 rows\)"),
    ({"threshold": 1.5}, "threshold must be between 0 and 1"),
    ({"by": ["region"]}, "unknown column 'region'"),
    ({"scores": [0.1, np.nan, 0.3]}, "scores must be finite"),
    ({"by": []}, "at least one grouping column"),
])
def test_bad_input_is_a_clear_error(kwargs, message):
    frame = pd.DataFrame({"claim_status": ["claim", "opinion", "claim"], "verified_status": ["verified"] * 3})
    arguments = {"scores": [0.1, 0.2, 0.3], "threshold": 0.5, "by": ["verified_status"], **kwargs}
    with pytest.raises(ClaimstatsError, match=message):
        error_rates_by_group(frame, arguments.pop("scores"), **arguments)


def test_evaluate_command_shows_the_group_table_plain_and_json(tmp_path, capsys):
    import json

    from _cli import run
    from claimstats import load
    from claimstats.cli import main
    from claimstats.modelfile import load_model

    data, fresh, model_path = tmp_path / "videos.csv", tmp_path / "fresh.csv", tmp_path / "model.skops"
    simulate(1500, seed=41).to_csv(data, index=False)
    simulate(700, seed=44).to_csv(fresh, index=False)
    assert main(["train", str(data), "--out", str(model_path), "--grid", "fast", "--features", "upload"]) == 0
    capsys.readouterr()
    code, out, _ = run(capsys, "evaluate", model_path, fresh, "--json")
    payload = json.loads(out)
    model, tidy = load_model(model_path), clean(load(fresh).frame)[0]
    expected = error_rates_by_group(tidy, model.predict_proba(tidy), threshold=model.threshold)
    assert code == 0
    pd.testing.assert_frame_equal(pd.DataFrame(payload["by_group"]), expected.to_frame(), check_dtype=False)
    assert payload["by_group_description"] == expected.describe()
    code, out, _ = run(capsys, "evaluate", model_path, fresh)
    assert code == 0 and "Errors by account group (95% exact intervals)" in out and expected.describe() in out
    assert "| author_ban_status | banned" in out
