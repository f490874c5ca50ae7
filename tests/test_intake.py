"""intake: the reasons each row of a reports table cannot be scored."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from claimstats import classify, simulate
from claimstats.errors import ClaimstatsError
from claimstats.intake import check_reports, normalise_reports
from claimstats.triage import train_claim_model


def test_check_reports_gives_each_broken_row_its_reasons(model, reports):
    raw = pd.read_csv(reports, dtype=str)
    reasons = check_reports(raw, model.columns)
    bad = reasons[reasons != ""]
    assert bad.loc[4] == "video_duration_sec: outside 5–60"
    assert bad.loc[9] == "verified_status: not one of not verified, verified"
    assert bad.loc[14] == "video_like_count: negative"
    assert bad.loc[24] == "video_id: not 10 digits"
    missing = raw["video_view_count"].isna()  # simulate's incomplete rows: no text and no counts
    assert bad.index.difference([4, 9, 14, 24]).equals(raw.index[missing])
    assert bad[missing].str.startswith("video_transcription_text: missing; video_view_count: missing").all()
    with pytest.raises(ClaimstatsError, match="missing: video_id"):
        check_reports(raw.drop(columns="video_id"))


def test_an_at_upload_model_accepts_reports_without_counts(tidy, reports):
    upload, _ = train_claim_model(tidy.sample(1200, random_state=3), feature_set="upload", grid="fast",
                                  importance_repeats=0)
    raw = pd.read_csv(reports, dtype=str).head(40).assign(video_view_count=np.nan)
    assert not check_reports(raw, upload.columns).str.contains("video_view_count").any()
    assert check_reports(raw, classify.input_columns("all")).str.contains("video_view_count: missing").all()


def test_normalise_reports_brings_variants_to_the_contract_and_keeps_the_rest():
    raw = pd.DataFrame({" id ": [7, 8, 9], "verified_status": [" Verified", 5, None],
                        "author_ban_status": ["UNDER REVIEW", "active", "Gone"],
                        "video_transcription_text": ["it\\'s true", 3, None]}, dtype=object)
    copy = raw.copy()
    view = normalise_reports(raw)
    assert view.columns.tolist() == ["#", "verified_status", "author_ban_status", "video_transcription_text"]
    assert view["verified_status"].tolist()[:2] == ["verified", 5] and pd.isna(view["verified_status"].iloc[2])
    assert view["author_ban_status"].tolist() == ["under review", "active", "gone"]
    assert view["video_transcription_text"].tolist()[:2] == ["it's true", 3]
    pd.testing.assert_frame_equal(raw, copy)  # the input is not modified
    # what is still wrong is left for check_reports to name
    full = simulate(3, seed=4).drop(columns="claim_status")
    full["author_ban_status"] = ["Gone", " ACTIVE", "banned"]
    assert check_reports(normalise_reports(full)).tolist() == [
        "author_ban_status: not one of active, under review, banned", "", ""]
