"""plots: what each figure draws, its alt text, the figure registry, and no leaked figures."""

from __future__ import annotations

import gc
import weakref

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from claimstats import clean, plots, simulate
from claimstats.cli.describe import PLOT_KINDS
from claimstats.errors import ClaimstatsError, ColumnError
from claimstats.figure_style import CLASS_COLORS, FigureResult


@pytest.fixture(scope="module")
def designed() -> pd.DataFrame:
    """Claims with views 100k..900k (median 500,000), opinions 1k..9k (median 5,000); statuses by hand."""
    claim_views = [100_000, 300_000, 500_000, 700_000, 900_000]
    opinion_views = [1_000, 3_000, 5_000, 7_000, 9_000]
    return pd.DataFrame(
        {
            # Opinion listed first in the data: colours must still follow the class, not the order.
            "claim_status": pd.Categorical(["opinion"] * 5 + ["claim"] * 5, categories=["claim", "opinion"]),
            "video_view_count": opinion_views + claim_views,
            "video_like_count": [200, 600, 1_000, 1_400, 1_800] + [20_000, 60_000, 100_000, 140_000, 180_000],
            "video_comment_count": [0, 0, 1, 2, 3] + [10, 40, 90, 150, 400],
            "video_duration_sec": [10, 20, 30, 40, 50, 15, 25, 35, 45, 55],
            "author_ban_status": pd.Categorical(
                ["active"] * 4 + ["banned"] + ["active", "active", "under review", "banned", "banned"],
                categories=["active", "under review", "banned"],
            ),
            "verified_status": pd.Categorical(
                ["verified"] * 2 + ["not verified"] * 3 + ["not verified"] * 5, categories=["not verified", "verified"]
            ),
        }
    )


@pytest.fixture(scope="module")
def small_clean() -> pd.DataFrame:
    return clean(simulate(800, seed=9))[0]


def same_color(a, b) -> bool:
    return np.allclose(to_rgb(a), to_rgb(b))


# ------------------------------------------------------------------ figures


def test_distribution_panels_labels_and_alt(designed):
    result = plots.plot_distribution(designed)
    assert isinstance(result, FigureResult) and isinstance(result.figure, Figure)
    hist_ax, box_ax = result.figure.axes
    assert hist_ax.get_ylabel() == "Videos" and box_ax.get_xlabel() == "Views (log scale)"
    assert hist_ax.get_xscale() == "log"  # positive counts spanning three orders of magnitude
    assert len(hist_ax.patches) == 2  # one filled step histogram per class
    assert [t.get_text() for t in hist_ax.get_legend().get_texts()] == ["claim (n = 5)", "opinion (n = 5)"]
    assert [t.get_text() for t in box_ax.get_yticklabels()] == ["claim", "opinion"]
    assert same_color(hist_ax.patches[0].get_facecolor(), CLASS_COLORS["claim"])
    assert result.alt == (
        "Histogram and box plot of views by claim status, log scale: claim videos are centred near "
        "500,000 views and opinion videos near 5,000 (medians)."
    )
    # The box plot's median lines sit at the medians of the data.
    vertical = [tuple(line.get_xdata()) for line in box_ax.lines if len(set(line.get_xdata())) == 1]
    assert (500_000, 500_000) in vertical and (5_000, 5_000) in vertical


def test_distribution_with_zeros_and_linear_scale(designed):
    with_zeros = plots.plot_distribution(designed, "video_comment_count")
    assert with_zeros.figure.axes[0].get_xscale() == "symlog"
    assert with_zeros.figure.axes[1].get_xlabel() == "Comments (log scale)"
    assert "opinion videos near 1 (medians)" in with_zeros.alt and "claim videos are centred near 90 comments" in with_zeros.alt
    linear = plots.plot_distribution(designed, "video_duration_sec", by="verified_status")
    assert linear.figure.axes[0].get_xscale() == "linear" and linear.figure.axes[1].get_xlabel() == "Duration (seconds)"
    assert "videos from unverified accounts are centred near 38 seconds" in linear.alt  # median 37.5
    assert "videos from verified accounts near 15" in linear.alt
    with pytest.raises(ClaimstatsError, match="no positive values"):
        plots.plot_distribution(designed.assign(video_view_count=0), log=True)


def test_class_balance_bars(designed):
    result = plots.plot_class_balance(designed)
    (ax,) = result.figure.axes
    assert [p.get_width() for p in ax.patches] == [5, 5]
    assert same_color(ax.patches[0].get_facecolor(), CLASS_COLORS["claim"])
    assert ax.get_xlabel() == "Videos" and ax.get_ylabel() == "Claim status"
    assert result.alt == "Bar chart of videos by claim status: 5 claim (50.0%) and 5 opinion (50.0%)."
    ban = plots.plot_class_balance(designed, "author_ban_status")
    assert [p.get_width() for p in ban.figure.axes[0].patches] == [6, 1, 3]


def test_status_by_class_bars_are_row_shares(designed):
    result = plots.plot_ban_by_class(designed)
    (ax,) = result.figure.axes
    assert len(ax.patches) == 6  # three statuses × two classes
    expected = pd.crosstab(designed["claim_status"], designed["author_ban_status"], normalize="index") * 100
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx(expected.loc["claim"].tolist() + expected.loc["opinion"].tolist())
    assert same_color(ax.patches[0].get_facecolor(), CLASS_COLORS["claim"])
    assert ax.get_xlabel() == "Author ban status" and ax.get_ylabel() == "Videos (% of each class)"
    assert result.alt == (
        "Bar chart of author ban status within each claim status: 40.0% of claim videos and 20.0% of "
        "opinion videos are by banned authors."
    )
    verified = plots.plot_verified_by_class(designed)
    assert "0.0% of claim videos and 40.0% of opinion videos are from verified accounts" in verified.alt
    active = plots.plot_status_by_class(designed, highlight="active")
    assert "40.0% of claim videos and 80.0% of opinion videos are by active authors" in active.alt
    with pytest.raises(ClaimstatsError, match="has no level 'gone'"):
        plots.plot_status_by_class(designed, highlight="gone")


def test_correlation_heatmap_cells_and_alt(designed):
    columns = ["video_view_count", "video_like_count", "video_comment_count", "video_duration_sec"]
    result = plots.plot_correlation_heatmap(designed, columns)
    ax = result.figure.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 6  # lower triangle of a 4 × 4 matrix, diagonal left out
    matrix = designed[columns].corr()
    assert f"{matrix.loc['video_view_count', 'video_like_count']:.2f}" in texts
    absolute = matrix.abs().where(~np.eye(4, dtype=bool))
    strongest = absolute.stack().idxmax()
    assert f"({'r'} = {matrix.loc[strongest]:.2f})" in result.alt.split("the weakest")[0]
    assert result.alt.startswith("Heatmap of Pearson correlations between views, likes, comments and duration (seconds)")
    assert len(result.figure.axes) == 2  # the heatmap and its colour bar
    spearman = plots.plot_correlation_heatmap(designed, columns, method="spearman")
    assert "Spearman" in spearman.alt and "rho = " in spearman.alt


def test_scatter_subsample_is_seeded(small_clean):
    result = plots.plot_scatter(small_clean, max_points=300, seed=1)
    (ax,) = result.figure.axes
    (points,) = ax.collections
    assert len(points.get_offsets()) == 300
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "Views (log scale)" and ax.get_ylabel().startswith("Likes")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["claim", "opinion"]
    assert f"a random sample of 300 of {len(small_clean):,} videos (seed 1)" in result.alt
    assert "claim videos are centred near" in result.alt and "; opinion videos near" in result.alt
    again = plots.plot_scatter(small_clean, max_points=300, seed=1)
    other = plots.plot_scatter(small_clean, max_points=300, seed=2)
    np.testing.assert_array_equal(points.get_offsets(), again.figure.axes[0].collections[0].get_offsets())
    assert not np.array_equal(points.get_offsets(), other.figure.axes[0].collections[0].get_offsets())


def test_scatter_colours_and_medians(designed):
    result = plots.plot_scatter(designed)
    points = result.figure.axes[0].collections[0]
    offsets, colors = points.get_offsets(), points.get_facecolors()
    for (x, _), color in zip(offsets, colors):
        cls = "claim" if x >= 100_000 else "opinion"
        assert same_color(color[:3], CLASS_COLORS[cls])
    assert result.alt.endswith(
        "for all 10 videos: claim videos are centred near 500,000 views and 100,000 likes; "
        "opinion videos near 5,000 views and 1,000 likes (medians)."
    )
    with pytest.raises(ClaimstatsError, match="max_points must be at least 1"):
        plots.plot_scatter(designed, max_points=0)
    with pytest.raises(ColumnError, match="unknown column 'nope'"):
        plots.plot_scatter(designed, y="nope")


# ------------------------------------------- registry, memory and edge cases


def test_make_figure_knows_every_cli_kind(designed):
    assert set(plots.FIGURES) == set(PLOT_KINDS)
    assert plots.make_figure("balance", designed).alt == plots.plot_class_balance(designed).alt
    with pytest.raises(ClaimstatsError, match="unknown figure 'pie'"):
        plots.make_figure("pie", designed)


def test_figures_are_not_kept_alive(designed):
    before = plt.get_fignums()
    refs = []
    for _ in range(10):
        for kind in ("views", "balance", "ban"):
            refs.append(weakref.ref(plots.make_figure(kind, designed).figure))
    assert plt.get_fignums() == before  # pyplot never saw them
    gc.collect()
    assert all(ref() is None for ref in refs)


def test_synthetic_views_figure_reads_like_the_case(small_clean):
    alt = plots.plot_distribution(small_clean).alt
    medians = small_clean.groupby("claim_status", observed=True)["video_view_count"].median()
    # Two significant figures: six-digit claim medians to 10,000s, four-digit opinion medians to 100s.
    assert 1e5 <= medians["claim"] < 1e6 and 1e3 <= medians["opinion"] < 1e4
    assert f"claim videos are centred near {round(medians['claim'], -4):,.0f} views" in alt
    assert f"opinion videos near {round(medians['opinion'], -2):,.0f} (medians)" in alt


def test_no_automatic_log_scale_when_a_value_is_negative():
    # Positive values spanning 1..1000 would ask for a log axis, but the symmetric-log axis is cut
    # at 0 and would hide the negative value: stay linear.
    frame = pd.DataFrame({"claim_status": ["claim"] * 3 + ["opinion"] * 3, "score": [-5.0, 1, 1000, 5, 2, 200]})
    result = plots.plot_distribution(frame, "score")
    assert result.figure.axes[0].get_xscale() == "linear" and "log scale" not in result.alt
    lowest = min(line.get_xdata().min() for line in result.figure.axes[1].lines if len(line.get_xdata()))
    assert lowest == -5.0  # the box plot reaches the negative value
    with pytest.raises(ClaimstatsError, match="negative values"):
        plots.plot_distribution(frame, "score", log=True)



def test_class_balance_without_rows_is_a_clear_error():
    empty = pd.DataFrame({"claim_status": pd.Series([None, None], dtype="str")})
    with pytest.raises(ClaimstatsError, match="no rows with a 'claim_status' value to plot"):
        plots.plot_class_balance(empty)


def test_scatter_refuses_a_negative_seed(designed):
    with pytest.raises(ClaimstatsError, match="seed must be a non-negative integer"):
        plots.plot_scatter(designed, max_points=3, seed=-1)


def test_heatmap_alt_with_a_single_pair_names_it_once(designed):
    result = plots.plot_correlation_heatmap(designed, ["video_view_count", "video_like_count"])
    r = np.corrcoef(designed["video_view_count"], designed["video_like_count"])[0, 1]
    assert result.alt == f"Heatmap of Pearson correlations between views and likes: views and likes (r = {r:.2f})."
