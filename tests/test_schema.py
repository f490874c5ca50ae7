"""The data contract: the dictionary it publishes and the problems validate() finds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from claimstats import simulate
from claimstats.schema import CATEGORIES, COLUMNS, Problem, data_dictionary, validate


def test_contract_columns_in_course_order():
    header = ("#,claim_status,video_id,video_duration_sec,video_transcription_text,verified_status,"
              "author_ban_status,video_view_count,video_like_count,video_share_count,video_download_count,"
              "video_comment_count")
    assert ",".join(COLUMNS) == header


def test_dictionary_has_a_row_per_column():
    table = data_dictionary()
    assert table["column"].tolist() == list(COLUMNS)
    assert table.set_index("column").loc["claim_status", "allowed values"] == "claim | opinion"
    assert table.set_index("column").loc["video_id", "may be missing"] == "no"


def test_valid_frame_has_no_problems():
    assert validate(simulate(200, seed=9)) == []


def test_problem_text_names_column_rows_and_examples():
    frame = simulate(50, seed=9).astype({"verified_status": "object"})
    frame.loc[[0, 10], "verified_status"] = "Yes"
    (problem,) = validate(frame)
    assert problem == Problem("verified_status", "has values outside {not verified, verified}", (1, 11), 2, ("'Yes'",))
    assert str(problem) == "column 'verified_status': has values outside {not verified, verified} (2 rows: 1, 11; e.g. 'Yes')"


def test_infinite_and_text_in_numbers():
    frame = simulate(20, seed=9).dropna().reset_index(drop=True)
    frame["video_view_count"] = frame["video_view_count"].astype(float)
    frame.loc[0, "video_view_count"] = np.inf
    problems = {str(p) for p in validate(frame)}
    assert any("infinite" in p for p in problems)


def test_categories_are_the_course_labels():
    assert CATEGORIES["author_ban_status"] == ("active", "under review", "banned")
    assert isinstance(data_dictionary(), pd.DataFrame)


def test_several_missing_columns_are_one_problem():
    frame = simulate(10, seed=9).drop(columns=["video_id", "video_like_count"])
    (problem,) = validate(frame)
    assert str(problem) == "2 columns are missing from the header: video_id, video_like_count"
