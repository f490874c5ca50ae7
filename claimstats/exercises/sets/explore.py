"""Exercises of the Explore stage: class balance, engagement by class, outliers, correlation."""

from __future__ import annotations

from claimstats.describe import class_balance, crosstab, grouped_summary
from claimstats.exercises.bank import BUILD, CHOICE, COUNT, NUMBER, TEXT, Mistake, Question, Tolerance, register
from claimstats.features import correlations, find_outliers
from claimstats.plots import plot_distribution
from claimstats.schema import BAN, TARGET

SET = "explore"
VIEWS, LIKES = "video_view_count", "video_like_count"


def _percent(d, key):
    return 100 * key


def _claims(d):
    table = class_balance(d.tidy).to_frame().set_index("level")
    return table.loc["claim", "count"]


def _claims_raw(d, key):
    return int((d.raw[TARGET] == "claim").sum())


def _view_summary(d):
    return grouped_summary(d.tidy, VIEWS, by=TARGET).set_index(TARGET)


def _mean_views_claim(d):
    return _view_summary(d).loc["claim", "mean"]


def _median_views_claim(d, key):
    return _view_summary(d).loc["claim", "median"]


def _median_ratio(d):
    summary = _view_summary(d)
    return summary.loc["claim", "median"] / summary.loc["opinion", "median"]


def _like_outliers(d):
    return find_outliers(d.tidy, LIKES).to_frame().loc[0, "outliers"]


def _like_outliers_k3(d, key):
    return find_outliers(d.tidy, LIKES, k=3).to_frame().loc[0, "outliers"]


def _banned_share_of_claims(d):
    return crosstab(d.tidy, TARGET, BAN).table("row").loc["claim", "banned"]


def _claim_share_of_banned(d, key):
    return crosstab(d.tidy, TARGET, BAN).table("column").loc["claim", "banned"]


def _views_likes_r(d):
    return correlations(d.tidy, [VIEWS, LIKES]).loc[0, "pearson_r"]


def _views_likes_rho(d, key):
    return correlations(d.tidy, [VIEWS, LIKES]).loc[0, "spearman_rho"]


def _which_plot(d):
    return "box_log"


def _views_figure(d):
    return plot_distribution(d.tidy, VIEWS, by=TARGET, log=True)


register(
    Question(
        id="expl-claims", set=SET, kind=COUNT, title="Class balance",
        given="Your cleaned dataset.",
        task="How many of the cleaned videos are labelled claim?",
        answer="A whole number",
        key=_claims,
        hint="Count the claim labels among the cleaned rows only.",
        mistakes=(Mistake(_claims_raw, "Count in the cleaned data: the raw file has rows that cleaning drops."),),
        explanation="`class_balance(tidy)` gives the count and share of each class. The classes are "
        "balanced (about half each), so accuracy would not be misleading here, but recall is still "
        "the metric that matches the costly error.",
    ),
    Question(
        id="expl-mean-views-claim", set=SET, kind=NUMBER, title="Mean views of claims",
        given="Your cleaned dataset.",
        task="What is the mean `video_view_count` of the videos labelled claim?",
        answer="A number of views",
        tolerance=Tolerance(decimals=0, relative=0.001),
        key=_mean_views_claim,
        hint="Filter the claim videos of the cleaned data, then average their view counts.",
        mistakes=(Mistake(_median_views_claim, "That is the median; the question asks for the mean."),),
        explanation="`grouped_summary(tidy, 'video_view_count', by='claim_status')` has the mean of each class.",
    ),
    Question(
        id="expl-median-ratio", set=SET, kind=NUMBER, title="How many more views claims get",
        given="Your cleaned dataset.",
        task="How many times larger is the median view count of claims than that of opinions?",
        answer="A ratio (median of claims divided by median of opinions)",
        tolerance=Tolerance(decimals=1, relative=0.002),
        key=_median_ratio,
        hint="Compute one median per class, then divide the claims' median by the opinions' median.",
        explanation="From `grouped_summary`: median of claims / median of opinions. Claims get about a "
        "hundred times more views, the strongest signal in the engagement columns.",
    ),
    Question(
        id="expl-like-outliers", set=SET, kind=COUNT, title="Outliers in likes",
        given="Your cleaned dataset; Tukey's rule (outside Q1 − 1.5·IQR or Q3 + 1.5·IQR, quartiles by "
        "linear interpolation, the pandas default).",
        task="How many values of `video_like_count` are outliers by this rule, over all cleaned videos?",
        answer="A whole number",
        key=_like_outliers,
        hint="Compute Q1, Q3 and the IQR over all cleaned videos (not per class), then count values beyond both fences.",
        mistakes=(Mistake(_like_outliers_k3, "You used 3 × IQR; the rule here is 1.5 × IQR."),),
        explanation="`find_outliers(tidy, 'video_like_count')` reports the fences and the count. These "
        "'outliers' are the claim videos' ordinary engagement: they should be kept, not dropped.",
    ),
    Question(
        id="expl-banned-share", set=SET, kind=NUMBER, title="Banned authors among claims",
        given="Your cleaned dataset.",
        task="Among the claim videos, what share have an author whose status is banned?",
        answer="A proportion between 0 and 1",
        tolerance=Tolerance(decimals=3, absolute=0.001),
        key=_banned_share_of_claims,
        hint="Restrict to claim videos first; the denominator is the number of claim videos.",
        mistakes=(
            Mistake(_claim_share_of_banned,
                    "You computed the share of banned authors' videos that are claims; reverse the condition."),
            Mistake(_percent, "Give a proportion between 0 and 1, not a percentage."),
        ),
        explanation="`crosstab(tidy, 'claim_status', 'author_ban_status').table('row')`: row proportions "
        "condition on the class. Claims come far more often from banned authors than opinions do.",
    ),
    Question(
        id="expl-views-likes-r", set=SET, kind=NUMBER, title="Views and likes",
        given="Your cleaned dataset.",
        task="What is Pearson's correlation between `video_view_count` and `video_like_count`?",
        answer="A correlation coefficient",
        tolerance=Tolerance(decimals=3, absolute=0.001),
        key=_views_likes_r,
        hint="Pearson's r on the raw counts of the cleaned rows, both classes together.",
        mistakes=(Mistake(_views_likes_rho, "That is Spearman's rho (on ranks); the question asks for Pearson's r."),),
        explanation="`correlations(tidy, ['video_view_count', 'video_like_count'])`. So strong a "
        "correlation is why the regression leaves likes out (see the regression set).",
    ),
    Question(
        id="expl-which-plot", set=SET, kind=CHOICE, title="Choosing a figure",
        given="View counts range from a few dozen to a million and differ by class.",
        task="Which figure best compares the distribution of view counts between claims and opinions?",
        answer="The figure",
        options=(
            ("box_log", "box plots (or histograms) by claim status on a log scale"),
            ("pie", "a pie chart of total views by class"),
            ("line", "a line chart of views in row order"),
            ("bar_mean", "a bar chart of the two mean view counts"),
        ),
        key=_which_plot,
        hint="The figure must show whole distributions (spread and centre), and counts spanning four orders of magnitude.",
        explanation="A box plot or histogram per class shows centre and spread; a log scale keeps the "
        "opinions (tens to thousands of views) from being squashed against zero by the claims.",
    ),
    Question(
        id="expl-views-figure", set=SET, kind=BUILD, title="Build the views figure",
        given="Your cleaned dataset and `claimstats.plots` (or matplotlib/seaborn directly).",
        task="Draw the distribution of `video_view_count` by `claim_status` on a log scale, save it as a PNG "
        "and hand it in with your answers.",
        answer="The PNG's file name",
        key=None,
        reference=_views_figure,
        hint="One panel, both classes, log axis, labelled axes and a legend.",
        explanation="`plot_distribution(tidy, 'video_view_count', by='claim_status', log=True)`, then "
        "`.save('views.png')`.",
        marking="1 point: both classes shown, distinguishable (colour and legend). 1 point: log scale, "
        "axes labelled with units. Deduct if the figure uses the uncleaned data or a linear scale that "
        "hides the opinions.",
        points=2,
    ),
    Question(
        id="expl-stakeholder", set=SET, kind=TEXT, title="What exploration found, for a stakeholder",
        given="Your answers to the other exercises of this set.",
        task="Write two sentences for the moderation team on how claim videos differ from opinion videos.",
        answer="Two sentences of plain text",
        key=None,
        hint="Compare typical engagement, with one number, and say why it matters for the queue.",
        explanation="A model answer: “Videos that make claims get far more engagement than opinions: their "
        "median view count is about a hundred times higher, with likes, shares and comments to match. "
        "Engagement is therefore a strong signal for ranking reported videos, and claims that are "
        "missed reach many viewers.”",
        marking="1 point: a correct comparison with a number from the student's own data (median, not "
        "only mean, or with the skew acknowledged). 1 point: a consequence for moderation. "
        "Deduct for causal language ('claims cause views').",
        points=2,
    ),
)
