"""Exercises of the regression stage: a logistic regression of verified status, read as odds ratios."""

from __future__ import annotations

from claimstats.exercises.bank import CHOICE, CHOICES, COUNT, NUMBER, TEXT, Mistake, Question, Tolerance, register, step
from claimstats.regression import DEFAULT_PREDICTORS, fit_logit

SET = "regression"
_OPINION = "claim_status[opinion]"
_GIVEN_FIT = ("Your cleaned dataset and the case's model: `claimstats.regression.fit_logit(tidy)` with its "
              "defaults (outcome verified, the predictors of `DEFAULT_PREDICTORS`, a stratified 75/25 split, seed 0). "
              "The coefficients come from the training split as sampled; the model scored on the test split is "
              "fitted on the training split with its verified videos upsampled to balance the classes.")


@step(SET)
def logit(d):
    """The case's model: verified status on duration, claim and ban status and four counts."""
    return fit_logit(d.tidy)


@step(SET)
def logit_with_likes(d):
    """The same model with likes added back, to look at collinearity."""
    return fit_logit(d.tidy, [*DEFAULT_PREDICTORS, "video_like_count"], balance=None)


def _term(d, name):
    table = d.logit.to_frame().set_index("term")
    return table.loc[name]


def _model(d):
    return "logistic"


def _largest_vif(d):
    vif = d.logit_with_likes.vif_frame()
    return vif.loc[vif["gvif"].idxmax(), "predictor"]


def _odds_ratio(d):
    return _term(d, _OPINION)["odds_ratio"]


def _log_odds(d, key):
    return _term(d, _OPINION)["coef"]


def _inverse(d, key):
    return 1 / key


def _significant(d):
    table = d.logit.to_frame()
    terms = table.loc[(table["term"] != "Intercept") & (table["p_value"] < 0.05), "term"]
    return sorted({t.split("[", 1)[0] for t in terms})


def _n_train(d):
    return d.logit.n_train


def _n_test(d, key):
    return d.logit.n_test


def _n_train_upsampled(d, key):
    split = d.logit.split_frame()
    return split.loc[split["split"].str.contains("upsample"), "rows"].sum()


def _metric(d, name):
    return d.logit.evaluation_frame().set_index("metric").loc[name, "value"]


def _auc(d):
    return _metric(d, "roc_auc")


def _recall(d, key):
    return _metric(d, "recall")


register(
    Question(
        id="reg-which-model", set=SET, kind=CHOICE, title="Choosing the model",
        given="The outcome: whether a video's author is verified (yes or no), and several predictors.",
        task="Which model relates a yes/no outcome to several predictors?",
        answer="The model",
        options=(
            ("logistic", "logistic regression"),
            ("linear", "linear regression of a 0/1 outcome"),
            ("t_test", "one t-test per predictor"),
            ("kmeans", "k-means clustering"),
        ),
        key=_model,
        hint="The model must keep predicted probabilities between 0 and 1 and adjust each predictor for the others.",
        mistakes=(Mistake(lambda d, k: "linear", "A linear model of a 0/1 outcome predicts values below 0 and above 1."),),
        explanation="Logistic regression models the log-odds of the event as a linear function of the "
        "predictors; each coefficient is adjusted for the others and exponentiates to an odds ratio.",
    ),
    Question(
        id="reg-collinear", set=SET, kind=CHOICE, title="Collinearity",
        given="Your cleaned dataset; the case's predictors plus `video_like_count`, fitted with "
        "`fit_logit(tidy, [*DEFAULT_PREDICTORS, 'video_like_count'])`.",
        task="Which predictor has the largest variance inflation factor (VIF)?",
        answer="The predictor's name",
        options=tuple((c, c) for c in ("video_duration_sec", "video_view_count", "video_like_count",
                                       "video_share_count", "video_download_count", "video_comment_count")),
        key=_largest_vif,
        hint="VIF = 1 / (1 − R²) of the regression of a predictor on all the others (for a categorical "
        "predictor, its dummies together: the generalised VIF); look at `vif_frame()`.",
        explanation="Likes are almost a fixed fraction of views, and shares and downloads follow likes, "
        "so likes are the best explained by the others: the case leaves them out of the model.",
    ),
    Question(
        id="reg-odds-ratio", set=SET, kind=NUMBER, title="An odds ratio",
        given=_GIVEN_FIT,
        task="By what factor does an opinion video (compared with a claim video) multiply the odds that "
        "its author is verified, holding the other predictors constant?",
        answer="An odds ratio",
        tolerance=Tolerance(decimals=2, relative=0.01),
        key=_odds_ratio,
        hint="Take the coefficient of claim_status = opinion and turn it from log-odds into an odds ratio.",
        mistakes=(
            Mistake(_log_odds, "That is the coefficient on the log-odds scale; exponentiate it to get an odds ratio."),
            Mistake(_inverse, "That is claim vs opinion; the question compares opinion with claim (the reference)."),
        ),
        explanation="`fit_logit(tidy).to_frame()`: the row `claim_status[opinion]`, column `odds_ratio` "
        "(= exp(coef)). An opinion video has several times the odds of a claim video of coming from a verified "
        "account: a ratio of odds, not of probabilities.",
    ),
    Question(
        id="reg-significant", set=SET, kind=CHOICES, title="Which predictors matter",
        given=_GIVEN_FIT,
        task="Which predictors have a coefficient with p < 0.05 (for `author_ban_status`: either of its two dummies)?",
        answer="The list of predictor names",
        options=tuple((c, c) for c in DEFAULT_PREDICTORS),
        key=_significant,
        hint="Read the p-value column of the coefficient table (the inference model), not the evaluation metrics.",
        explanation="The coefficient table of `fit_logit(tidy)`; on data like the course file, claim status "
        "is the clear predictor and the counts add little once it is in the model.",
    ),
    Question(
        id="reg-n-train", set=SET, kind=COUNT, title="The training split",
        given=_GIVEN_FIT,
        task="How many rows does the model's training split have, as sampled (before any upsampling)?",
        answer="A whole number",
        key=_n_train,
        hint="A quarter of the usable rows (rounded up) is held out for testing; the rest is for training.",
        mistakes=(
            Mistake(_n_test, "That is the size of the test split."),
            Mistake(_n_train_upsampled, "That counts the training split after upsampling; count it as sampled."),
        ),
        explanation="`fit_logit(tidy).n_train`; `sklearn.model_selection.train_test_split(..., "
        "test_size=0.25)` holds out ⌈0.25 n⌉ rows.",
    ),
    Question(
        id="reg-auc", set=SET, kind=NUMBER, title="How well the model ranks",
        given=_GIVEN_FIT,
        task="On the held-out rows, what is the model's ROC AUC for the verified class?",
        answer="A number between 0 and 1",
        tolerance=Tolerance(decimals=3, absolute=0.002),
        key=_auc,
        hint="The AUC uses the predicted probabilities of the test rows, not the 0/1 predictions.",
        mistakes=(Mistake(_recall, "That is the recall at the 0.5 threshold; the AUC summarises every threshold."),),
        explanation="`fit_logit(tidy).evaluation_frame()`, row `roc_auc`: the chance that a random "
        "verified account gets a higher predicted probability than a random unverified one. Well "
        "below the classifier's: verified status is hard to predict from these columns.",
    ),
    Question(
        id="reg-interpret", set=SET, kind=TEXT, title="The odds ratio, for a stakeholder",
        given="Your answer to @exr-reg-odds-ratio.",
        task="Explain the odds ratio of claim status to a product manager in two sentences, without the word 'logit'.",
        answer="Two sentences of plain text",
        key=None,
        hint="Say what is compared, in which direction, by how much, and what is held constant.",
        explanation="A model answer: “Among videos with the same engagement, duration and author status, "
        "an opinion video has several times the odds of coming from a verified account than a claim video "
        "(the factor from your data). Verified accounts mostly post opinions; the model does not say that "
        "verification makes people post opinions.”",
        marking="1 point: the comparison (opinion vs claim), direction and factor from the student's data, "
        "as odds (not probability). 1 point: 'holding the other predictors constant' in plain words, or "
        "the association-not-cause caveat. Deduct for reading the odds ratio as a ratio of probabilities.",
        points=2,
    ),
)
