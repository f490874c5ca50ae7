"""Exercises of the Inspect-and-clean stage: what is missing, what to drop, what remains."""

from __future__ import annotations

from claimstats.describe import missing_summary, overview
from claimstats.exercises.bank import CHOICE, CHOICES, COUNT, TEXT, Mistake, Question, register
from claimstats.schema import COLUMNS, COUNT_COLUMNS, TARGET
from claimstats.schema import TEXT as TRANSCRIPT

SET = "inspect"


def _incomplete_rows(d):
    return overview(d.raw).incomplete_rows


def _missing_cells(d, key):
    return int(missing_summary(d.raw)["missing"].sum())


def _columns_with_gaps(d):
    table = missing_summary(d.raw)
    return list(table.loc[table["missing"] > 0, "column"])


def _missing_pattern(d):
    unlabelled = d.raw[d.raw[TARGET].isna()]
    table = missing_summary(unlabelled)
    always = set(table.loc[table["share"] == 1.0, "column"])
    if {TRANSCRIPT, *COUNT_COLUMNS} <= always:
        return "transcription_and_counts"
    if TRANSCRIPT in always:
        return "transcription_only"
    if set(COUNT_COLUMNS) <= always:
        return "counts_only"
    return "nothing_else"


def _duplicate_ids(d):
    return overview(d.raw).duplicate_ids


def _rows_kept(d):
    return d.report.rows_out


def _rows_in(d, key):
    return d.report.rows_in


def _float_counts(d):
    return "missing_values"


def _treatment(d):
    return "drop"


register(
    Question(
        id="insp-incomplete-rows", set=SET, kind=COUNT, title="Rows with a gap",
        given="Your dataset file, as loaded by `claimstats.load`.",
        task="How many rows have at least one missing value?",
        answer="A whole number",
        key=_incomplete_rows,
        hint="Count rows in which any column is empty; a row with several empty cells counts once.",
        mistakes=(Mistake(_missing_cells, "You counted missing cells; the question asks for rows that have at least one."),),
        explanation="`overview(frame).incomplete_rows`, i.e. `frame.isna().any(axis=1).sum()`.",
    ),
    Question(
        id="insp-missing-columns", set=SET, kind=CHOICES, title="Columns with gaps",
        given="Your dataset file, as loaded.",
        task="Which columns have at least one missing value?",
        answer="The list of column names",
        options=tuple((c, c) for c in COLUMNS),
        key=_columns_with_gaps,
        hint="Check every column, e.g. with `claimstats.describe.missing_summary(frame)`; the set is neither "
        "all columns nor a single one.",
        explanation="`missing_summary(frame)` lists the missing count of every column; the columns with "
        "a positive count are the label, the transcription and the five engagement counts.",
    ),
    Question(
        id="insp-missing-pattern", set=SET, kind=CHOICE, title="The pattern of missing values",
        given="The rows of your file whose `claim_status` is missing.",
        task="What else is missing in those rows?",
        answer="The pattern",
        options=(
            ("nothing_else", "only claim_status is missing"),
            ("transcription_only", "the transcription is missing too, the counts are present"),
            ("counts_only", "the counts are missing too, the transcription is present"),
            ("transcription_and_counts", "the transcription and all five counts are missing too"),
        ),
        key=_missing_pattern,
        hint="Select the rows without a label and summarise the missing values of every column in them only.",
        explanation="In every unlabelled row the transcription and all five counts are missing as well "
        "(`missing_summary(frame[frame.claim_status.isna()])` gives a share of 1.0 for these seven "
        "columns): the rows are empty records, not partial ones, so nothing can be imputed from them.",
    ),
    Question(
        id="insp-duplicate-ids", set=SET, kind=COUNT, title="Repeated video ids",
        given="Your dataset file, as loaded.",
        task="How many rows repeat the `video_id` of an earlier row?",
        answer="A whole number",
        key=_duplicate_ids,
        hint="Use `duplicated()` on the id column, which marks every repeat after the first.",
        explanation="`overview(frame).duplicate_ids`. Checking is the point: a duplicated video would "
        "count twice in every statistic and could sit in both the training and the test split.",
    ),
    Question(
        id="insp-float-counts", set=SET, kind=CHOICE, title="Why the counts are decimals",
        given="The file writes counts such as `343296.0`.",
        task="Why are whole-number counts stored as decimal numbers?",
        answer="The reason",
        options=(
            ("missing_values", "a column with missing values (NaN) cannot be an integer column in pandas"),
            ("fractional_counts", "some counts are fractions"),
            ("rounding", "the counts were rounded averages"),
            ("csv_format", "CSV files cannot hold integers"),
        ),
        key=_float_counts,
        hint="Look at which columns are decimals and which are not, and at what else those columns have in common.",
        explanation="NaN is a floating-point value, so a NumPy-backed column with any missing value is "
        "float64. After cleaning, `claimstats.clean` turns the counts back into int64.",
    ),
    Question(
        id="insp-treatment", set=SET, kind=CHOICE, title="What to do with the empty rows",
        given="Your answer to @exr-insp-missing-pattern.",
        task="What should the analysis do with the rows that lack a label?",
        answer="The treatment",
        options=(
            ("drop", "drop them"),
            ("impute_mean", "fill the counts with column means and keep them"),
            ("impute_opinion", "label them as opinions"),
            ("keep", "keep them as they are"),
        ),
        key=_treatment,
        hint="A row can only be imputed from what it still holds; look again at what those rows hold.",
        explanation="The rows hold no label, no text and no counts: imputing would invent whole "
        "records, and they are few (about 1.5 %). `claimstats.clean` drops them and reports how many.",
    ),
    Question(
        id="insp-rows-kept", set=SET, kind=COUNT, title="Rows left after cleaning",
        given="Your dataset, cleaned with `claimstats.clean`.",
        task="How many rows remain after cleaning?",
        answer="A whole number",
        key=_rows_kept,
        hint="Clean first (rows without a label, a transcription or a count, and repeated ids go), then count.",
        mistakes=(Mistake(_rows_in, "That is the size before cleaning; count the rows of the cleaned frame."),),
        explanation="`tidy, report = claimstats.clean(frame)`; `report.rows_out` (equal to `len(tidy)`).",
    ),
    Question(
        id="insp-report", set=SET, kind=TEXT, title="What cleaning did, for the data owner",
        given="Your answers to this set and `report.describe()`.",
        task="Write two sentences for the person who sent the file: what cleaning removed and why, and "
        "whether it could bias the analysis.",
        answer="Two sentences of plain text",
        key=None,
        hint="How many rows, which ones, why they cannot be used, and what share of the file they are.",
        explanation="A model answer: “We removed the N rows (about 1.5 % of the file) that have no label, "
        "no transcription and no engagement counts, since nothing in them can be analysed; no video id "
        "was repeated. They are too few, and too empty, to change any conclusion, but we would like to "
        "know why those records were exported blank.”",
        marking="1 point: the number (or share) of rows removed, from the student's own data, with the reason "
        "(the rows are empty, not merely incomplete). 1 point: a judgement on bias (few rows; but missing "
        "records are worth asking about) in plain words.",
        points=2,
    ),
)
