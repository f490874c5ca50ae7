"""Compare the synthetic default dataset with the course file, target by target.

Run from the repository root::

    python benchmarks/calibrate_simulate.py [path/to/tiktok_dataset.csv]

The course file is found through the argument, ``CLAIMSTATS_DATA`` or
``../shared/data/tiktok_dataset.csv``.  Prints one table: real vs synthetic.
"""
from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

COUNTS = ["video_view_count", "video_like_count", "video_share_count",
          "video_download_count", "video_comment_count"]


def _course_path() -> Path | None:
    for cand in (sys.argv[1] if len(sys.argv) == 2 else None,
                 os.environ.get("CLAIMSTATS_DATA"),
                 Path(__file__).resolve().parents[2] / "shared/data/tiktok_dataset.csv"):
        if cand and Path(cand).is_file():
            return Path(cand)
    return None


REGRESSORS = {"video_duration_sec": "duration", "opinion": "opinion",
              "banned": "banned", "under_review": "under review",
              "video_view_count": "views", "video_share_count": "shares",
              "video_download_count": "downloads", "video_comment_count": "comments"}


def regression(d: pd.DataFrame, upsample: bool = False) -> dict[str, tuple[float, float]]:
    """Logit of verified status; {name: (coefficient, z)}."""
    import statsmodels.api as sm

    if upsample:  # the course notebook balances the classes by resampling
        minority = d[d.verified_status == "verified"]
        majority = d[d.verified_status != "verified"]
        d = pd.concat([majority, minority.sample(len(majority), replace=True, random_state=0)])
    X = pd.DataFrame({
        "video_duration_sec": d.video_duration_sec,
        "opinion": (d.claim_status == "opinion").astype(float),
        "banned": (d.author_ban_status == "banned").astype(float),
        "under_review": (d.author_ban_status == "under review").astype(float),
        "video_view_count": d.video_view_count,
        "video_share_count": d.video_share_count,
        "video_download_count": d.video_download_count,
        "video_comment_count": d.video_comment_count,
    })
    y = (d.verified_status == "verified").astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.Logit(y.to_numpy(), sm.add_constant(X)).fit(disp=0, maxiter=200)
    return {nm: (fit.params[k], fit.tvalues[k]) for k, nm in REGRESSORS.items()}


def measure(df: pd.DataFrame) -> dict[str, float]:
    """Every calibration target and the three analyses, as a flat dict."""
    from scipy import stats
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score, recall_score, accuracy_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    out: dict[str, float] = {}
    miss = df["claim_status"].isna()
    out["missing share"] = miss.mean()
    out["missing same rows"] = float(all(df[c].isna().equals(miss) for c in
                                         COUNTS + ["video_transcription_text"]))
    d = df[~miss].copy()
    out["claim share"] = (d.claim_status == "claim").mean()
    for cls in ("claim", "opinion"):
        s = d[d.claim_status == cls]
        out[f"{cls}: verified"] = (s.verified_status == "verified").mean()
        for b in ("banned", "under review"):
            out[f"{cls}: {b}"] = (s.author_ban_status == b).mean()
        out[f"{cls}: verified | active"] = (s[s.author_ban_status == "active"].verified_status == "verified").mean()
        out[f"{cls}: verified | not active"] = (s[s.author_ban_status != "active"].verified_status == "verified").mean()
        v = s.video_view_count
        for q in (0.01, 0.25, 0.5, 0.75, 0.99):
            out[f"{cls}: views q{q:g}"] = v.quantile(q)
        for c in COUNTS[1:]:
            out[f"{cls}: {c.split('_')[1]} median"] = s[c].median()
            out[f"{cls}: {c.split('_')[1]} q0.9"] = s[c].quantile(0.9)
            out[f"{cls}: {c.split('_')[1]} zero share"] = (s[c] == 0).mean()
        for c in COUNTS[1:]:
            out[f"{cls}: {c.split('_')[1]}/view median"] = (s[c] / v).median()
        out[f"{cls}: corr(likes, views)"] = s.video_like_count.corr(v)
        out[f"{cls}: corr(comments, downloads)"] = s.video_comment_count.corr(s.video_download_count)
        out[f"{cls}: corr(shares, views)"] = s.video_share_count.corr(v)
        t = s.video_transcription_text
        out[f"{cls}: text chars mean"] = t.str.len().mean()
        out[f"{cls}: text chars sd"] = t.str.len().std()
        out[f"{cls}: text words mean"] = t.str.split().str.len().mean()
        out[f"{cls}: text words sd"] = t.str.split().str.len().std()
        out[f"{cls}: text words min"] = t.str.split().str.len().min()
        out[f"{cls}: text words max"] = t.str.split().str.len().max()
        out[f"{cls}: distinct texts share"] = t.nunique() / len(t)
    out["all: corr(likes, views)"] = d.video_like_count.corr(d.video_view_count)
    out["duration min"] = df.video_duration_sec.min()
    out["duration max"] = df.video_duration_sec.max()
    out["duration mean"] = df.video_duration_sec.mean()
    out["id unique & 10 digits"] = float(df.video_id.is_unique and df.video_id.between(10**9, 10**10 - 1).all())

    # (1) Welch t-test of views by verified status
    ver = d.loc[d.verified_status == "verified", "video_view_count"]
    nov = d.loc[d.verified_status == "not verified", "video_view_count"]
    tt = stats.ttest_ind(ver, nov, equal_var=False)
    sp = np.sqrt(((len(ver) - 1) * ver.var() + (len(nov) - 1) * nov.var()) / (len(ver) + len(nov) - 2))
    out["(1) mean views verified"] = ver.mean()
    out["(1) mean views not verified"] = nov.mean()
    out["(1) Welch t"] = tt.statistic
    out["(1) log10 p"] = np.log10(max(tt.pvalue, 1e-300))
    out["(1) Cohen's d"] = (ver.mean() - nov.mean()) / sp

    # (2) logistic regression of verified status (the case drops likes), as is
    # and, as the course notebook does it, on data with verified rows upsampled
    for tag, z in (("(2)", regression(d)), ("(2u)", regression(d, upsample=True))):
        for nm, (coef, zval) in z.items():
            if tag == "(2)":
                out[f"{tag} coef {nm}"] = coef
            out[f"{tag} z {nm}"] = zval

    # (3) claim/opinion classifiers on one stratified split
    y = (d.claim_status == "claim").astype(int).to_numpy()
    idx_tr, idx_te = train_test_split(np.arange(len(d)), test_size=0.2, stratify=y, random_state=0)
    tr, te = d.iloc[idx_tr], d.iloc[idx_te]

    def score(name, model, cols):
        model.fit(tr[cols], y[idx_tr])
        p = model.predict(te[cols])
        out[f"(3) {name} recall"] = recall_score(y[idx_te], p)
        out[f"(3) {name} F1"] = f1_score(y[idx_te], p)
        out[f"(3) {name} accuracy"] = accuracy_score(y[idx_te], p)

    cat = ["verified_status", "author_ban_status"]
    d = d.assign(text_length=d.video_transcription_text.str.len())
    tr, te = d.iloc[idx_tr], d.iloc[idx_te]
    rf = make_pipeline(
        ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), cat)], remainder="passthrough"),
        RandomForestClassifier(n_estimators=200, random_state=0, n_jobs=-1))
    score("RF all features", rf, ["video_duration_sec", *cat, *COUNTS, "text_length"])
    txt = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))
    score("text-only TF-IDF+LR", txt, "video_transcription_text")
    up = make_pipeline(
        ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), cat),
                           ("txt", TfidfVectorizer(), "video_transcription_text"),
                           ("num", "passthrough", ["video_duration_sec"])]),
        LogisticRegression(max_iter=2000))
    score("at-upload LR", up, ["video_duration_sec", *cat, "video_transcription_text"])
    # at-upload without text: duration, verified, ban status only
    meta = make_pipeline(
        ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), cat)], remainder="passthrough"),
        RandomForestClassifier(n_estimators=200, random_state=0, min_samples_leaf=20, n_jobs=-1))
    score("metadata-only RF", meta, ["video_duration_sec", *cat])
    return out


def seeds_mode(k: int) -> None:
    """Regression z across k seeds: the expected value the calibration aims at."""
    from claimstats.simulate import simulate

    rows = []
    for seed in range(k):
        d = simulate(seed=seed).dropna()
        rows.append({f"{t} {nm}": z for t, up in (("(2)", False), ("(2u)", True))
                     for nm, (_, z) in regression(d, upsample=up).items()})
    z = pd.DataFrame(rows)
    path = _course_path()
    real = {}
    if path is not None:
        d = pd.read_csv(path).dropna()
        real = {f"{t} {nm}": zz for t, up in (("(2)", False), ("(2u)", True))
                for nm, (_, zz) in regression(d, upsample=up).items()}
    print(f"{'z of':25s} {'course':>8s} {'synth mean':>10s} {'sd':>6s} {'same sign':>9s}")
    for c in z.columns:
        r = real.get(c, float("nan"))
        print(f"{c:25s} {r:8.2f} {z[c].mean():10.2f} {z[c].std():6.2f} {(np.sign(z[c]) == np.sign(r)).mean():9.0%}")


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from claimstats.simulate import simulate

    if len(sys.argv) > 2 and sys.argv[1] == "--seeds":
        seeds_mode(int(sys.argv[2]))
        return
    path = _course_path()
    syn = measure(simulate())
    if path is None:
        real = {}
        print("course file not found; synthetic only")
    else:
        real = measure(pd.read_csv(path))
    print(f"{'target':45s} {'course':>14s} {'synthetic':>14s}")
    for k, v in syn.items():
        rv = real.get(k, float("nan"))
        print(f"{k:45s} {rv:14.5g} {v:14.5g}")


if __name__ == "__main__":
    main()
