"""figure_style: the house style, the words of alt texts, saving with alt text, log axes."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_rgb

from claimstats import figure_style
from claimstats.errors import ClaimstatsError
from claimstats.figure_style import CLASS_COLORS, PALETTE, FigureResult


def same_color(a, b) -> bool:
    return np.allclose(to_rgb(a), to_rgb(b))


@pytest.fixture
def bar_chart() -> FigureResult:
    """Three claims and one opinion as bars, with the alt text plots.plot_class_balance gives them."""
    figure, ax = figure_style.new_figure(height=2.8)
    ax.barh(["claim", "opinion"], [3, 1], color=figure_style.colors_for(["claim", "opinion"]))
    return FigureResult(figure, "Bar chart of videos by claim status: 3 claim (75.0%) and 1 opinion (25.0%).")


# ------------------------------------------------------------- house style


def test_style_palette_and_helpers():
    figure_style.apply_style()
    first = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"][0]
    assert same_color(first, PALETTE[0])
    assert not matplotlib.rcParams["axes.spines.top"] and not matplotlib.rcParams["axes.spines.right"]
    assert set(CLASS_COLORS.values()) <= set(PALETTE)
    assert figure_style.colors_for(["claim", "opinion"]) == figure_style.colors_for(["opinion", "claim"])[::-1]
    assert figure_style.colors_for(["x", "y"])[0] not in CLASS_COLORS.values()
    figure, axes = figure_style.new_figure(1, 2, height=3)
    assert figure.get_size_inches().tolist() == [figure_style.BOOK_WIDTH, 3.0] and len(axes) == 2
    assert figure_style.axis_label("video_share_count", log=True) == "Shares (log scale)"
    assert figure_style.axis_label("my_column") == "My column"


def test_save_writes_alt_text_into_the_file(bar_chart, tmp_path):
    from PIL import Image

    result = bar_chart
    png = result.save(tmp_path / "balance.png")
    with Image.open(png) as image:
        assert image.text["Description"] == result.alt
        assert image.size[0] >= 7 * 150  # book width at print resolution
    svg = result.save(tmp_path / "balance.svg")
    assert "Bar chart of videos by claim status" in svg.read_text(encoding="utf-8")
    assert result._repr_png_().startswith(b"\x89PNG")
    with pytest.raises(ClaimstatsError, match="cannot write a jpg figure; use .png, .svg or .pdf"):
        result.save(tmp_path / "balance.jpg")
    assert not (tmp_path / "balance.jpg").exists()


# ------------------------------------------------------------------- words


@pytest.mark.parametrize("value", [501_555, 4_949, 87.4, 1.0, 0.01234, -2_345, 123_456_789, 0.5])
def test_round_for_prose_keeps_two_significant_figures(value):
    # Independent: Python's "g" format rounds to two significant figures.
    rounded = float(f"{value:.2g}")
    expected = f"{int(rounded):,}" if rounded.is_integer() else str(rounded)
    assert figure_style.round_for_prose(value) == expected


def test_round_for_prose_zero_and_non_finite():
    assert [figure_style.round_for_prose(v) for v in (0.0, math.nan, math.inf)] == ["0", "n/a", "n/a"]


def test_phrases_known_and_unknown_columns():
    assert figure_style.join_phrases(["a"]) == "a"
    assert figure_style.join_phrases(["a", "b"]) == "a and b"
    assert figure_style.join_phrases(["a", "b", "c"]) == "a, b and c"
    assert figure_style.column_noun("video_view_count") == "views"
    assert figure_style.column_unit("video_view_count") == "views"
    assert (figure_style.column_noun("region_code"), figure_style.column_unit("region_code")) == ("region code", "")
    assert figure_style.group_phrase("claim_status", "opinion") == "opinion videos"
    assert figure_style.group_phrase("verified_status", "not verified") == "videos from unverified accounts"
    assert figure_style.group_phrase("region", "north") == "videos with region 'north'"


# ---------------------------------------------------------------- log axes


def test_wants_log_scale_at_two_orders_of_magnitude():
    # Positive values from 1 to 100 span exactly two orders of magnitude; 1 to 99 do not.
    assert figure_style.wants_log_scale(np.array([0.0, 1, 100]), None, "views")
    assert not figure_style.wants_log_scale(np.array([1.0, 99]), None, "views")
    assert not figure_style.wants_log_scale(np.array([1.0, 1000]), False, "views")
    assert figure_style.wants_log_scale(np.array([1.0, 2]), True, "views")
    with pytest.raises(ClaimstatsError, match="cannot draw 'score' on a log scale: it has negative values"):
        figure_style.wants_log_scale(np.array([-1.0, 10]), True, "score")


def test_set_log_scale_with_zeros_is_symlog_cut_at_zero():
    _, ax = figure_style.new_figure()
    figure_style.set_log_scale(ax, "x", np.array([0.0, 3, 45_000]))
    # Linear up to the smallest positive value (3), ticks at 0 and at 10 ... 10,000.
    assert ax.get_xscale() == "symlog" and ax.xaxis.get_transform().linthresh == 3.0
    assert ax.xaxis.get_major_locator().tick_values(0, 1).tolist() == [0.0, 10.0, 100.0, 1_000.0, 10_000.0]
    assert ax.get_xlim()[0] == pytest.approx(-0.3)
    figure_style.set_log_scale(ax, "y", np.array([0.0, 2, 500]), linthresh=0.5)
    assert ax.get_yscale() == "symlog" and ax.get_ylim()[0] == pytest.approx(-0.05)
    assert ax.yaxis.get_major_locator().tick_values(0, 1).tolist() == [0.0, 1.0, 10.0, 100.0]
