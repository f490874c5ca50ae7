"""intake: the reasons each row of a reports table cannot be scored."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from claimstats import classify
from claimstats.errors import ClaimstatsError
from claimstats.intake import check_reports
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
