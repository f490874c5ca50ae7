"""Exercises of the classifier stage: leakage, splits, the fast at-upload model, its errors, held-out phrasing.

The keys use one pipeline (the at-upload features and a logistic regression),
not the full model comparison of the book, so that every student's answers are
computed in a second or two.
"""

from __future__ import annotations

from claimstats.classify import build_pipeline, input_columns
from claimstats.evaluation import claim_labels, count_separation, evaluate, grouped_split, split_data
from claimstats.exercises.bank import BUILD, CHOICE, CHOICES, COUNT, NUMBER, TEXT, Mistake, Question, Tolerance, register, step
from claimstats.phrasing import TEMPLATE_WORDS, opening
from claimstats.schema import COLUMNS, ROW_ID

SET = "classifier"
_GIVEN_SPLIT = ("Your cleaned dataset, split with `claimstats.evaluation.split_data(tidy, seed=0)`: 60 % train, "
                "20 % validation, 20 % test, stratified by class.")
_GIVEN_MODEL = ("The split of @exr-clf-train-rows and the at-upload pipeline "
                "`build_pipeline('upload', 'logistic')`, fitted on the training rows "
                "(`train[input_columns('upload')]`, labels `claim_labels(train)`), scored on the test rows at "
                "scikit-learn's default cut (a claim when the probability is above 0.5, as `predict`).")
_GIVEN_TEMPLATES = (f"Your cleaned dataset; a transcription's phrasing template is its first {TEMPLATE_WORDS} words, "
                    "lower-cased (`claimstats.phrasing.opening(tidy)`).")
_GIVEN_GROUPED = ("The templates of @exr-clf-templates held out: `grouped_split(tidy, opening(tidy), seed=0)`, whose "
                  "validation and test rows use templates no training row uses. The at-upload pipeline "
                  "`build_pipeline('upload', 'logistic')` fitted on its training rows, scored on its test rows at "
                  "scikit-learn's default cut.")


@step(SET)
def split(d):
    """Train / validation / test split, stratified, seed 0."""
    return split_data(d.tidy, seed=0)


@step(SET)
def upload_model(d):
    """The at-upload pipeline (duration, verified and ban status, text) with a logistic regression."""
    columns = input_columns("upload")
    return build_pipeline("upload", "logistic").fit(d.split.train[columns], claim_labels(d.split.train))


@step(SET)
def upload_test(d):
    """The at-upload model scored once on the test split."""
    return evaluate(d.upload_model, d.split.test, importance_repeats=0, interval_resamples=0)


@step(SET)
def grouped(d):
    """Train / validation / test split with whole phrasing templates held out, seed 0."""
    return grouped_split(d.tidy, opening(d.tidy).to_numpy(), seed=0)


@step(SET)
def grouped_test(d):
    """The at-upload pipeline fitted on the grouped split's training templates, scored once on its test templates."""
    columns = input_columns("upload")
    fitted = build_pipeline("upload", "logistic").fit(d.grouped.train[columns], claim_labels(d.grouped.train))
    return evaluate(fitted, d.grouped.test, importance_repeats=0, interval_resamples=0)


def _templates(d):
    return opening(d.tidy).nunique()


def _held_out_recall(d):
    return d.grouped_test.metrics["recall"]


def _random_recall_as_mistake(d, key):
    return _recall(d)


def _leaking_column(d):
    return "row_number"


def _fresh_inputs(d):
    return sorted(set(input_columns("all")) - set(input_columns("upload")))


def _train_rows(d):
    return len(d.split.train)


def _test_rows(d, key):
    return len(d.split.test)


def _views_rule_accuracy(d):
    table = count_separation(d.split.train).set_index("column")
    return table.loc["video_view_count", "accuracy"]


def _recall(d):
    return d.upload_test.metrics["recall"]


def _precision(d, key):
    return d.upload_test.metrics["precision"]


def _false_negatives(d):
    confusion = d.upload_test.confusion_frame().set_index("actual")
    return confusion.loc["claim", "predicted opinion"]


def _false_positives(d, key):
    confusion = d.upload_test.confusion_frame().set_index("actual")
    return confusion.loc["opinion", "predicted claim"]


def _choosing_split(d):
    return "validation"


register(
    Question(
        id="clf-leak", set=SET, kind=CHOICE, title="The column that leaks",
        given="Your dataset file as it is: rows in the order of the file.",
        task="One column predicts `claim_status` almost perfectly in this file but says nothing about a new "
        "video, so it must never be a feature. Which?",
        answer="The column's name",
        options=(
            ("row_number", f"`{ROW_ID}`, the row number"),
            ("video_duration_sec", "the video's length"),
            ("verified_status", "whether the account is verified"),
            ("video_transcription_text", "the transcription"),
        ),
        key=_leaking_column,
        hint="Sort the file by each column in turn and look at the labels: which ordering puts all claims first?",
        mistakes=(Mistake(lambda d, k: "video_transcription_text",
                          "The transcription does predict the label, and a new video has one too: it is the "
                          "main legitimate input."),),
        explanation="The file lists all claims, then all opinions, then the incomplete rows, so the row "
        f"number `{ROW_ID}` alone separates the classes: an artefact of how the file was put together, not a "
        "property of videos. A model that uses it looks perfect in testing and is useless in production.",
    ),
    Question(
        id="clf-fresh-inputs", set=SET, kind=CHOICES, title="What a fresh video does not have",
        given="The model scores a video when it is reported, often minutes after upload.",
        task="Which inputs of the all-features model are not yet meaningful for such a video?",
        answer="The list of column names",
        options=tuple((c, c) for c in COLUMNS if c not in (ROW_ID, "claim_status", "video_id")),
        key=_fresh_inputs,
        hint="Which columns grow with time after upload?",
        explanation="The five engagement counts accumulate after upload; a model leaning on them (as the "
        "all-features model does) loses almost all its recall on fresh videos. "
        "`set(input_columns('all')) - set(input_columns('upload'))`.",
    ),
    Question(
        id="clf-train-rows", set=SET, kind=COUNT, title="The training split",
        given=_GIVEN_SPLIT,
        task="How many rows are in the training split?",
        answer="A whole number",
        key=_train_rows,
        hint="The test fifth is cut first, then the validation rows from the rest; count what remains.",
        mistakes=(Mistake(_test_rows, "That is the test split; the question asks for the training rows."),),
        explanation="`len(split_data(tidy, seed=0).train)`. Three splits: train to fit, validation to choose "
        "(model, threshold), test to report once.",
    ),
    Question(
        id="clf-views-rule", set=SET, kind=NUMBER, title="One count, one cut",
        given=_GIVEN_SPLIT,
        task="On the training rows, what accuracy does the best single rule 'claim when `video_view_count` is "
        "above t' reach (best t)?",
        answer="An accuracy between 0 and 1",
        tolerance=Tolerance(decimals=3, absolute=0.0005),
        key=_views_rule_accuracy,
        hint="Try every cut between two observed view counts and keep the one that labels the most training rows correctly.",
        explanation="`count_separation(split.train)`: one number nearly separates the classes, which is "
        "why a model with counts looks excellent and why it fails on fresh videos.",
    ),
    Question(
        id="clf-recall", set=SET, kind=NUMBER, title="Recall of the at-upload model",
        given=_GIVEN_MODEL,
        task="What is the model's recall of the claim class on the test rows?",
        answer="A proportion between 0 and 1",
        tolerance=Tolerance(decimals=3, absolute=0.002),
        key=_recall,
        hint="Recall = claims predicted as claims / all claims in the test rows (claim is the positive class).",
        mistakes=(Mistake(_precision, "That is precision; recall divides by the claims actually in the test rows."),),
        explanation="`evaluate(model, split.test).metrics['recall']`. The transcription's wording alone "
        "catches nearly every claim, without any engagement count.",
    ),
    Question(
        id="clf-templates", set=SET, kind=COUNT, title="Phrasing templates",
        given=_GIVEN_TEMPLATES,
        task="How many different phrasing templates do the transcriptions of your dataset use?",
        answer="A whole number",
        key=_templates,
        hint="Lower-case each transcription, keep its first words, and count the distinct results.",
        explanation="`opening(tidy).nunique()`. Each template is used by one class only, and a random split "
        "puts every template in both training and test: a text model can recognise the template instead of "
        "the claim.",
    ),
    Question(
        id="clf-held-out-recall", set=SET, kind=NUMBER, title="Recall on phrasing never seen",
        given=_GIVEN_GROUPED,
        task="What is the model's recall of the claim class on the test rows of the grouped split?",
        answer="A proportion between 0 and 1",
        tolerance=Tolerance(decimals=3, absolute=0.002),
        key=_held_out_recall,
        hint="Fit on `grouped.train` only; every test row is phrased in a template the model never saw.",
        mistakes=(Mistake(_random_recall_as_mistake, "That is the recall on the random split of @exr-clf-recall, "
                          "where the test templates also appear in training."),),
        explanation="`evaluate(model, grouped.test).metrics['recall']`: the recall a moderation team can plan "
        "on when reports are phrased in new ways. The random split's recall is the optimistic figure; how far "
        "the two differ measures how much the model relied on the templates themselves.",
    ),
    Question(
        id="clf-false-negatives", set=SET, kind=COUNT, title="Claims the model misses",
        given=_GIVEN_MODEL,
        task="How many claims in the test rows does the model label as opinions?",
        answer="A whole number",
        key=_false_negatives,
        hint="Read the confusion matrix: actual claim, predicted opinion.",
        mistakes=(Mistake(_false_positives, "Those are opinions flagged as claims (false positives); the question asks for missed claims."),),
        explanation="`evaluate(...).confusion_frame()`: the false negatives, the costly error of "
        "@exr-plan-costly-error.",
    ),
    Question(
        id="clf-choosing-split", set=SET, kind=CHOICE, title="Where choices are made",
        given="Three splits: train, validation, test.",
        task="On which split should you choose between models and set the decision threshold?",
        answer="The split",
        options=(("train", "the training split"), ("validation", "the validation split"), ("test", "the test split")),
        key=_choosing_split,
        hint="One split fits, one chooses, one reports; choosing on the one you report on makes the report optimistic.",
        mistakes=(Mistake(lambda d, k: "test", "Choosing on the test split spends it: its scores are then optimistic."),),
        explanation="Validation: choices made on the training rows overfit, and choices made on the test rows "
        "leave no honest estimate of how the chosen model will do.",
    ),
    Question(
        id="clf-pipeline", set=SET, kind=BUILD, title="Build the pipeline",
        given="Your cleaned dataset, scikit-learn, and the split of @exr-clf-train-rows.",
        task="Write a script that builds a scikit-learn `Pipeline` turning the at-upload inputs (duration, "
        "verified and ban status, transcription) into features and fitting a classifier, fits it on the "
        "training rows only, and prints its recall and precision on the validation rows. Hand in the script.",
        answer="The script's file name",
        key=None,
        hint="A ColumnTransformer for the columns, a text vectoriser, a classifier, all inside one Pipeline.",
        explanation="`claimstats.classify.build_pipeline('upload', 'logistic')` is one such pipeline: a "
        "`ColumnTransformer` (duration as is, the two statuses one-hot, the text as TF-IDF of words and "
        "word pairs), a `StandardScaler`, then `LogisticRegression`.",
        marking="1 point: one Pipeline (or make_pipeline) holding every transformation, so nothing is fitted "
        "outside it. 1 point: fitted on the training rows only and scored on validation, not test. "
        "1 point: no engagement counts, no `#` or `video_id` among the inputs. Deduct if the vectoriser is "
        "fitted on all rows before splitting (leakage).",
        points=3,
    ),
    Question(
        id="clf-explain", set=SET, kind=TEXT, title="The best score is not the best model",
        given="The book's comparison: the all-features model scores best on the test split, but with the test "
        "videos' counts set to zero it catches almost no claim.",
        task="In two or three sentences for the trust and safety lead, explain which model should score "
        "reported videos, and why.",
        answer="Two or three sentences of plain text",
        key=None,
        hint="Say what a freshly reported video has and lacks, and what that does to each model.",
        explanation="A model answer: “Deploy the model that reads only what a video has when it is reported: "
        "its text, length and author status. The model that also uses views and likes scores best on old "
        "videos, but a fresh video has no views yet, and on such videos it misses almost every claim.”",
        marking="1 point: recommends the at-upload (or text) model. 1 point: the reason, engagement not yet "
        "available at report time, in plain words. 1 point: names the consequence (missed claims on fresh "
        "videos) rather than a metric alone.",
        points=3,
    ),
)
