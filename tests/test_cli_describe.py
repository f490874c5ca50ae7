"""The describe and plot verbs: tables and figures that match the package, one-line errors, exit 2."""

from __future__ import annotations

import json

import pytest

from claimstats import clean, load, simulate
from _cli import run
from claimstats.cli import main
from claimstats.describe import STATISTICS, grouped_summary
from claimstats.plots import make_figure



@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "videos.csv"
    simulate(400, seed=6).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def tidy(data_file):
    return clean(load(data_file).frame)[0]


def test_describe_prints_the_grouped_summary(data_file, tidy, capsys):
    code, out, err = run(capsys, "describe", data_file)
    assert code == 0 and err == ""
    title, header, *rows = out.strip().splitlines()
    assert title.startswith(f"{data_file}: {len(tidy):,} videos after cleaning") and title.endswith("by claim_status")
    assert [c.strip() for c in header.strip("|").split("|")] == ["claim_status", "variable", *STATISTICS]
    assert len(rows) == 1 + 2 * 6  # separator, then two classes × duration and five counts
    claim_views = tidy.loc[tidy["claim_status"] == "claim", "video_view_count"]
    assert f"{claim_views.median():,.1f}" in out


def test_describe_json_matches_the_package(data_file, tidy, capsys):
    code, out, _ = run(capsys, "describe", data_file, "--by", "verified_status", "--columns",
                       "video_like_count", "video_comment_count", "--json")
    assert code == 0
    records = json.loads(out)
    expected = grouped_summary(tidy, ["video_like_count", "video_comment_count"], "verified_status")
    assert len(records) == len(expected) == 4
    for record, row in zip(records, expected.itertuples(index=False)):
        assert record["verified_status"] == row.verified_status and record["variable"] == row.variable
        assert record["count"] == row.count
        assert record["mean"] == pytest.approx(row.mean) and record["q3"] == pytest.approx(row.q3)


def test_describe_whole_file_and_wide(data_file, tidy, capsys):
    code, out, _ = run(capsys, "describe", data_file, "--by", "--columns", "video_view_count", "--json")
    (record,) = json.loads(out)
    assert code == 0 and "claim_status" not in record
    assert record["count"] == len(tidy) and record["max"] == tidy["video_view_count"].max()

    code, out, _ = run(capsys, "describe", data_file, "--columns", "video_view_count", "--wide")
    header = out.splitlines()[1]
    assert code == 0 and [c.strip() for c in header.strip("|").split("|")] == ["variable", "statistic", "claim", "opinion"]


@pytest.mark.parametrize(
    "argv, phrase",
    [
        (["--by", "claim"], "unknown column 'claim'; available columns: #, claim_status"),
        (["--columns", "views"], "unknown column 'views'; available columns: #, claim_status"),
        (["--columns", "author_ban_status"], "column 'author_ban_status' is not numeric; numeric columns:"),
        (["--by", "video_transcription_text"], "cannot group by 'video_transcription_text'"),
    ],
)
def test_describe_bad_column_is_one_line_exit_2(data_file, capsys, argv, phrase):
    code, out, err = run(capsys, "describe", data_file, *argv)
    assert code == 2 and out == ""
    assert err.startswith("claimstats: error: ") and phrase in err and err.count("\n") == 1


def test_describe_missing_file(tmp_path, capsys):
    code, _, err = run(capsys, "describe", tmp_path / "nope.csv")
    assert code == 2 and "no such file" in err and err.count("\n") == 1


def test_plot_writes_the_figure_and_prints_its_alt(data_file, tidy, tmp_path, capsys):
    before = data_file.read_bytes()
    out_path = tmp_path / "ban.png"
    code, out, err = run(capsys, "plot", data_file, "--kind", "ban", "--out", out_path)
    assert code == 0 and out.strip() == make_figure("ban", tidy).alt
    assert out_path.read_bytes().startswith(b"\x89PNG") and f"wrote {out_path}" in err
    assert data_file.read_bytes() == before

    code, out, _ = run(capsys, "plot", data_file, "--kind", "scatter", "--y", "video_share_count",
                       "--seed", "3", "--out", tmp_path / "scatter.svg")
    assert code == 0 and out.strip() == make_figure("scatter", tidy, y="video_share_count", seed=3).alt


@pytest.mark.parametrize(
    "extra, phrase",
    [
        (["--kind", "corr", "--out", "{tmp}/x.jpg"], "cannot write a jpg figure; use .png, .svg or .pdf"),
        (["--kind", "corr", "--x", "video_like_count", "--out", "{tmp}/x.png"], "--x applies only to --kind scatter"),
        (["--kind", "views", "--column", "nope", "--out", "{tmp}/x.png"], "unknown column 'nope'"),
        (["--kind", "views", "--out", "{tmp}/missing/x.png"], "does not exist"),
        (["--kind", "scatter", "--seed", "-1", "--out", "{tmp}/x.png"], "seed must be a non-negative integer"),
    ],
)
def test_plot_bad_input_is_one_line_exit_2(data_file, tmp_path, capsys, extra, phrase):
    code, out, err = run(capsys, "plot", data_file, *[a.format(tmp=tmp_path) for a in extra])
    assert code == 2 and out == ""
    assert phrase in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_plot_unknown_kind_is_an_argparse_error(data_file, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["plot", str(data_file), "--kind", "pie", "--out", str(tmp_path / "x.png")])
    assert exit_info.value.code == 2
    assert "invalid choice: 'pie'" in capsys.readouterr().err
