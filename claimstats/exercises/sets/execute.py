"""Exercises of the Execute stage: a threshold for a target recall, the workload it saves, the memo.

They reuse the at-upload model of the classifier set (steps ``split`` and
``upload_model``): thresholds are chosen on its validation scores and judged
on the test rows, as :mod:`claimstats.triage` does for the real queue.
"""

from __future__ import annotations

from claimstats.classify import predict_claim_probability
from claimstats.evaluation import claim_labels
from claimstats.exercises.bank import BUILD, CHOICE, NUMBER, TEXT, Mistake, Question, Tolerance, register, step
from claimstats.triage import DEFAULT_CONFIDENCE, recall_lower_bound, threshold_for_recall, workload_curve

SET = "execute"
TARGET_RECALL = 0.95
_GIVEN = ("The at-upload model and split of the classifier set (@exr-clf-recall); a target recall of "
          f"{TARGET_RECALL:.0%}.")
_GIVEN_TEST = _GIVEN + " Reports are reviewed from the highest claim probability down to the threshold of @exr-exe-threshold."


@step(SET)
def review_threshold(d):
    """The highest threshold that catches the target share of the validation claims."""
    labels = claim_labels(d.split.validation)
    scores = predict_claim_probability(d.upload_model, d.split.validation)
    return threshold_for_recall(labels, scores, target=TARGET_RECALL)


@step(SET)
def confident_threshold(d):
    """The threshold whose recall on new claims reaches the target with 95% confidence."""
    labels = claim_labels(d.split.validation)
    scores = predict_claim_probability(d.upload_model, d.split.validation)
    return threshold_for_recall(labels, scores, target=TARGET_RECALL, confidence=DEFAULT_CONFIDENCE)


@step(SET)
def test_curve(d):
    """The workload curve of the model's ranking of the test reports."""
    return workload_curve(claim_labels(d.split.test), predict_claim_probability(d.upload_model, d.split.test))


def _threshold(d):
    return d.review_threshold


def _test_recall(d):
    return d.test_curve.at_threshold(d.review_threshold)["share_caught"]


def _share_reviewed(d, key=None):
    return d.test_curve.at_threshold(d.review_threshold)["share_reviewed"]


def _test_recall_as_mistake(d, key):
    return _test_recall(d)


def _saved(d):
    summary = d.test_curve.summary(d.review_threshold)  # rows: ranked, arrival order, everything
    return summary.loc[1, "workload_saved_by_ranking"]


def _saved_of_everything(d, key):
    return 1 - _share_reviewed(d)


def _confident_threshold(d):
    return d.confident_threshold


def _rank_threshold_as_mistake(d, key):
    return d.review_threshold


def _recall_bound(d):
    labels = claim_labels(d.split.validation)
    scores = predict_claim_probability(d.upload_model, d.split.validation)
    return recall_lower_bound(int((scores[labels == 1] >= d.confident_threshold).sum()), int(labels.sum()))


def _raise_threshold(d):
    return "fewer_reviews_more_missed"


def _capacity_tool(d):
    return "workload_curve"


register(
    Question(
        id="exe-threshold", set=SET, kind=NUMBER, title="A threshold for a target recall",
        given=_GIVEN,
        task=f"What is the highest threshold on the claim probability whose flagged validation reports "
        f"(probability at or above it) include at least {TARGET_RECALL:.0%} of the validation claims?",
        answer="A probability",
        tolerance=Tolerance(decimals=4, absolute=0.0002),
        key=_threshold,
        hint="Sort the validation claims by probability, highest first; the threshold is the probability of "
        "the claim that brings the count to the target share (rounded up).",
        explanation="`threshold_for_recall(claim_labels(split.validation), scores, target=0.95)`. It is chosen "
        "on validation, so the test rows still give an honest estimate of the recall it buys.",
    ),
    Question(
        id="exe-test-recall", set=SET, kind=NUMBER, title="The recall the threshold buys",
        given=_GIVEN_TEST,
        task="What share of the test claims is flagged for review?",
        answer="A proportion between 0 and 1",
        tolerance=Tolerance(decimals=3, absolute=0.002),
        key=_test_recall,
        hint="Count the test claims at or above the threshold and divide by all test claims.",
        mistakes=(Mistake(_share_reviewed, "That is the share of all reports reviewed; divide by the claims only."),),
        explanation="`workload_curve(y_test, scores).at_threshold(t)['share_caught']`: close to the target, "
        "not exactly on it, because the threshold was chosen on other rows.",
    ),
    Question(
        id="exe-workload", set=SET, kind=NUMBER, title="The workload",
        given=_GIVEN_TEST,
        task="What share of all test reports do the moderators review?",
        answer="A proportion between 0 and 1",
        tolerance=Tolerance(decimals=3, absolute=0.002),
        key=_share_reviewed,
        hint="Count every test report at or above the threshold, claims and opinions, and divide by all test reports.",
        mistakes=(Mistake(_test_recall_as_mistake, "That is the share of claims caught; the workload counts all reports reviewed."),),
        explanation="`at_threshold(t)['share_reviewed']`: about the share of claims in the backlog, because "
        "the ranking puts almost every claim before almost every opinion.",
    ),
    Question(
        id="exe-saved", set=SET, kind=NUMBER, title="What the ranking saves",
        given=_GIVEN_TEST + " Without a model, reports are reviewed in arrival order.",
        task="Reaching the same recall in arrival order means reviewing that same share of the reports, on "
        "average. What share of the reports does the ranking save compared with that?",
        answer="A proportion between 0 and 1",
        tolerance=Tolerance(decimals=3, absolute=0.002),
        key=_saved,
        hint="Arrival order needs a share of reports equal to the recall; subtract the share the ranking needs.",
        mistakes=(Mistake(_saved_of_everything,
                          "That compares with reviewing everything; compare with arrival order at the same recall."),),
        explanation="`workload_curve(...).summary(t)`: arrival order to the same recall r reviews a share r "
        "of the reports; the ranking reviews the workload of @exr-exe-workload. The difference is the "
        "moderators' time the model gives back.",
    ),
    Question(
        id="exe-confident-threshold", set=SET, kind=NUMBER, title="A threshold the team can plan on",
        given=_GIVEN,
        task=f"The threshold of @exr-exe-threshold reaches {TARGET_RECALL:.0%} on the validation claims, but on "
        f"new claims only about half the time. Take instead the k-th highest validation claim probability, for "
        f"the smallest k whose one-sided exact (Clopper–Pearson) {DEFAULT_CONFIDENCE:.0%} lower bound of k / n "
        f"(n validation claims) is at least {TARGET_RECALL:.0%}. What is that threshold?",
        answer="A probability",
        tolerance=Tolerance(decimals=4, absolute=0.0002),
        key=_confident_threshold,
        hint="`scipy.stats.binomtest(k, n, alternative='greater').proportion_ci(confidence_level=...).low` "
        "gives the bound for k claims caught of n; increase k until it reaches the target.",
        mistakes=(Mistake(_rank_threshold_as_mistake, "That is the threshold of @exr-exe-threshold, which reaches "
                          "the target on the validation claims only."),),
        explanation="`threshold_for_recall(labels, scores, target=0.95, confidence=0.95)`. The share of new "
        "claims scored at or above the k-th highest of n follows a beta distribution with parameters k and "
        "n − k + 1, so with 95% confidence the recall on new claims is at least the target.",
    ),
    Question(
        id="exe-recall-bound", set=SET, kind=NUMBER, title="The recall it guarantees",
        given=_GIVEN + " The threshold of @exr-exe-confident-threshold.",
        task=f"What recall on new claims does that threshold reach with {DEFAULT_CONFIDENCE:.0%} confidence: the "
        "one-sided exact lower bound for the validation claims at or above it?",
        answer="A proportion between 0 and 1",
        tolerance=Tolerance(decimals=3, absolute=0.001),
        key=_recall_bound,
        hint="Count the validation claims at or above the threshold (ties included), then take the one-sided "
        "Clopper–Pearson lower bound of that count out of all validation claims.",
        explanation="`claimstats.triage.recall_lower_bound(caught, claims)`: the number to report beside the "
        "validation recall, since it says what the team can count on for new reports.",
    ),
    Question(
        id="exe-raise-threshold", set=SET, kind=CHOICE, title="Moving the threshold",
        given="The review threshold of @exr-exe-threshold.",
        task="What happens when the team raises the threshold?",
        answer="The consequence",
        options=(
            ("fewer_reviews_more_missed", "fewer reports to review, more claims missed"),
            ("more_reviews_fewer_missed", "more reports to review, fewer claims missed"),
            ("fewer_reviews_fewer_missed", "fewer reports to review and fewer claims missed"),
            ("no_change", "nothing: the model is the same"),
        ),
        key=_raise_threshold,
        hint="A report is reviewed when its probability is at or above the threshold; which reports drop out when it rises?",
        explanation="Raising the threshold flags fewer reports: less work, lower recall. The threshold is a "
        "business choice on that trade-off, which is why it is set from a target recall agreed with the team.",
    ),
    Question(
        id="exe-capacity-tool", set=SET, kind=CHOICE, title="Planning for capacity",
        given="The moderation team can review at most 40 % of the backlog each day.",
        task="Which result tells you what recall that capacity buys?",
        answer="The result",
        options=(
            ("workload_curve", "the workload curve (share reviewed against share of claims caught)"),
            ("confusion_matrix", "the confusion matrix at threshold 0.5"),
            ("roc_auc", "the ROC AUC"),
            ("accuracy", "the accuracy"),
        ),
        key=_capacity_tool,
        hint="You need recall as a function of how many reports are reviewed from the top of the queue.",
        explanation="Read the workload curve at a share reviewed of 0.4: the share of claims caught there is "
        "the recall the capacity buys. The other results summarise one threshold or none.",
    ),
    Question(
        id="exe-workload-figure", set=SET, kind=BUILD, title="Build the workload figure",
        given="The test reports, the model's claim probabilities, and `claimstats.triage.workload_curve`.",
        task="Draw the workload curve (share of reports reviewed on x, share of claims caught on y), with "
        "arrival order as the diagonal for comparison and the review threshold marked. Hand in the PNG.",
        answer="The PNG's file name",
        key=None,
        hint="Plot `share_reviewed` against `share_caught` from `workload_curve(...).to_frame()`.",
        explanation="`workload_curve(y_test, scores).to_frame()` has one row per number of reports reviewed; "
        "the curve rises almost vertically to the share of claims, then flattens.",
        marking="1 point: both axes as shares, labelled. 1 point: the diagonal (arrival order) and the "
        "threshold's point marked. 1 point: a caption or title that states the finding (e.g. the share of "
        "reviewing saved at 95% recall).",
        points=3,
    ),
    Question(
        id="exe-memo", set=SET, kind=TEXT, title="The recommendation",
        given="Your answers to this set.",
        task="Write three or four sentences to TikTok's head of trust and safety recommending how to use the "
        "model: the threshold's effect in plain numbers, what it saves, and one risk to watch.",
        answer="Three or four sentences of plain text",
        key=None,
        hint="Recall and workload as shares of reports and claims, the comparison with arrival order, a caveat.",
        explanation="A model answer: “Rank reported videos by the model and review them from the top down to "
        "the agreed threshold: on held-out reports this reviews about half of the backlog and still reaches "
        "about 95% of the claims (numbers from your data), where arrival order would need 95% of the reports. "
        "Moderators keep the final decision. Watch the recall over time: new kinds of claims, or wording the "
        "model has not seen, will lower it, so re-check it on freshly labelled reports every month.”",
        marking="1 point: recommendation with recall and workload from the student's own results. 1 point: "
        "the saving compared with arrival order. 1 point: humans stay in the loop. 1 point: a concrete risk "
        "(drift, new claim types, fresh videos, the threshold being estimated) and how to watch it.",
        points=4,
    ),
)
