"""Exercises of the Plan stage: the business question, the label, the costly error."""

from __future__ import annotations

from claimstats.describe import overview
from claimstats.exercises.bank import CHOICE, COUNT, TEXT, Mistake, Question, register
from claimstats.schema import TARGET, VIDEO_ID

SET = "plan"


def _target(d):
    return TARGET


def _rows(d):
    return overview(d.raw).rows


def _costly_error(d):
    return "false_negative"


def _metric(d):
    return "recall"


def _identifier(d):
    return VIDEO_ID


register(
    Question(
        id="plan-target", set=SET, kind=CHOICE, title="The label to predict",
        given="The data dictionary (`claimstats.data_dictionary()`) and the project's aim: help "
        "moderators find the reported videos that make claims.",
        task="Which column is the label a classifier must learn to predict?",
        answer="The column's name",
        options=(
            ("claim_status", "whether the video makes a claim or states an opinion"),
            ("verified_status", "whether the author's account is verified"),
            ("author_ban_status", "the author's moderation status"),
            ("video_transcription_text", "what is said in the video"),
        ),
        key=_target,
        hint="The label is what moderators want to know about a video, not a fact about its author or an input.",
        mistakes=(
            Mistake(lambda d, k: "video_transcription_text",
                    "The transcription is the main input a model reads, not what it predicts."),
        ),
        explanation="Moderators need to know whether a reported video makes a claim; `claim_status` "
        "records exactly that, with the two classes claim and opinion. The transcription is the "
        "model's main input; verified and ban status describe the author.",
    ),
    Question(
        id="plan-costly-error", set=SET, kind=CHOICE, title="Which error costs more",
        given="The model will rank the backlog of reported videos; moderators review the top of the list.",
        task="Which error is more costly for TikTok: a video that makes a claim ranked as an opinion "
        "(and so possibly never reviewed), or an opinion ranked as a claim (and so reviewed for nothing)?",
        answer="The kind of error",
        options=(
            ("false_negative", "a claim predicted as an opinion"),
            ("false_positive", "an opinion predicted as a claim"),
            ("equal", "both cost the same"),
        ),
        key=_costly_error,
        hint="Ask what happens next to each kind of mistake: which one is caught by a moderator, and which one stays online?",
        explanation="A claim predicted as an opinion drops down the queue and may stay online "
        "unreviewed: that is the harm the project exists to prevent. An opinion predicted as a claim "
        "costs a moderator a few minutes, and the moderator corrects it.",
    ),
    Question(
        id="plan-metric", set=SET, kind=CHOICE, title="The metric to choose a model by",
        given="Your answer to @exr-plan-costly-error.",
        task="Which metric should the team use to choose between candidate models?",
        answer="The metric",
        options=(
            ("accuracy", "share of all videos classified correctly"),
            ("precision", "share of predicted claims that are claims"),
            ("recall", "share of claims that are predicted as claims"),
            ("specificity", "share of opinions predicted as opinions"),
        ),
        key=_metric,
        hint="Pick the metric that falls when the costly error of the previous exercise becomes more frequent.",
        mistakes=(
            Mistake(lambda d, k: "accuracy",
                    "Accuracy weighs both errors alike; the previous exercise says they do not cost the same."),
        ),
        explanation="Recall of the claim class is TP / (TP + FN): it falls exactly when claims are "
        "missed (false negatives), the costly error. Precision matters too (moderators' time), which is "
        "why the Execute stage picks a threshold on the precision–recall trade-off.",
    ),
    Question(
        id="plan-rows", set=SET, kind=COUNT, title="Size of your dataset",
        given="Your dataset file, before any cleaning.",
        task="How many videos (data rows, not counting the header) does your file hold?",
        answer="A whole number",
        key=_rows,
        hint="Count data rows of the file as loaded, before dropping anything; the header is not a row.",
        explanation="`claimstats.describe.overview(frame).rows` (or `len(frame)`) on the frame that "
        "`claimstats.load` returns.",
    ),
    Question(
        id="plan-identifier", set=SET, kind=CHOICE, title="A column that identifies, not describes",
        given="The data dictionary.",
        task="Which column identifies a video and says nothing a model should learn from?",
        answer="The column's name",
        options=(
            ("video_id", "identifier of the video"),
            ("video_duration_sec", "length of the video"),
            ("verified_status", "whether the account is verified"),
            ("video_view_count", "times the video was viewed"),
        ),
        key=_identifier,
        hint="Which value would change if the platform renumbered its videos, while the video stayed the same?",
        explanation="`video_id` is an arbitrary number given to each video: renumbering the videos "
        "would not change what they say. Such columns must be left out of models (see also the "
        "leakage exercise in the classifier set, where the row number `#` is worse than useless).",
    ),
    Question(
        id="plan-stakeholder", set=SET, kind=TEXT, title="The question, for a stakeholder",
        given="The case description: the moderation backlog and the data available.",
        task="Write two sentences for TikTok's head of operations: the question this project answers, "
        "and how the answer will be used.",
        answer="Two sentences of plain text",
        key=None,
        hint="Name the decision the answer supports and the data it rests on.",
        explanation="A model answer: “We will build a model that predicts, from a video's transcription "
        "and engagement, whether a reported video makes a claim or states an opinion. Moderators will "
        "review the reported videos in the order the model ranks them, so that claims are reviewed first "
        "and the backlog shrinks.”",
        marking="1 point: states the prediction task (claim vs opinion for reported videos). "
        "1 point: says how it is used (ranking or triage of the review queue, moderators stay in the loop). "
        "Deduct for jargon a non-specialist cannot follow (e.g. 'logit', 'F1') or for promising "
        "automatic removal of videos.",
        points=2,
    ),
)
