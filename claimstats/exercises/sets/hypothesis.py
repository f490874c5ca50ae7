"""Exercises of the hypothesis-testing stage: do verified accounts get different view counts?"""

from __future__ import annotations

from claimstats.exercises.bank import CHOICE, NUMBER, TEXT, Mistake, Question, Tolerance, register, step
from claimstats.hypothesis import compare_groups

SET = "hypothesis"
VIEWS, VERIFIED = "video_view_count", "verified_status"
_ORDER = "not verified minus verified"


@step(SET)
def welch(d):
    """Welch's t-test of views, not verified vs verified (the case's test)."""
    return compare_groups(d.tidy, value=VIEWS, group=VERIFIED, method="welch")


@step(SET)
def student(d):
    """Student's pooled t-test, only to recognise it as a mistake."""
    return compare_groups(d.tidy, value=VIEWS, group=VERIFIED, method="student")


def _flipped(d, key):
    return -key


def _which_test(d):
    return "welch_t"


def _null(d):
    return "equal_means"


def _difference(d):
    return d.welch.difference


def _median_difference(d, key):
    return d.welch.median[0] - d.welch.median[1]


def _t(d):
    return d.welch.t


def _student_t(d, key):
    return d.student.t


def _df(d):
    return d.welch.df


def _student_df(d, key):
    return d.student.df


def _decision(d):
    return "reject" if d.welch.significant else "do_not_reject"


def _cohens_d(d):
    return d.welch.cohens_d


def _d_av(d, key):
    return d.welch.d_av


register(
    Question(
        id="hyp-which-test", set=SET, kind=CHOICE, title="Choosing the test",
        given="Two independent groups of videos (verified and not verified authors) of very different "
        "sizes, and a numeric outcome, the view count.",
        task="Which test compares the mean view count of the two groups?",
        answer="The test",
        options=(
            ("welch_t", "Welch's two-sample t-test"),
            ("student_t", "Student's two-sample t-test (pooled variance)"),
            ("paired_t", "a paired t-test"),
            ("chi_square", "a chi-square test of independence"),
        ),
        key=_which_test,
        hint="The groups are independent, the outcome is numeric, and nothing says their variances are equal.",
        mistakes=(
            Mistake(lambda d, k: "paired_t", "A paired test needs two measurements of the same unit; each video is in one group only."),
            Mistake(lambda d, k: "chi_square", "A chi-square test compares counts of categories; the outcome here is numeric."),
            Mistake(lambda d, k: "student_t",
                    "The pooled test assumes equal variances, which groups of such different sizes and spreads rarely have."),
        ),
        explanation="Welch's test compares two independent means without assuming equal variances and "
        "loses almost nothing when they are equal; with groups of such different sizes the pooled test "
        "can be badly off when the variances differ.",
    ),
    Question(
        id="hyp-null", set=SET, kind=CHOICE, title="The null hypothesis",
        given="The question: do videos from verified and unverified accounts get different numbers of views?",
        task="State the null hypothesis of the test.",
        answer="The hypothesis",
        options=(
            ("equal_means", "the mean view count is the same for verified and unverified accounts"),
            ("different_means", "the mean view counts differ"),
            ("verified_more", "verified accounts get more views on average"),
            ("equal_medians", "the median view count is the same"),
        ),
        key=_null,
        hint="The null hypothesis is the statement of no effect, about the parameter the test is built on.",
        explanation="H₀: μ(not verified) = μ(verified); H₁: they differ (two-sided). The t-test is about "
        "means; medians are the Mann–Whitney test's business.",
    ),
    Question(
        id="hyp-mean-difference", set=SET, kind=NUMBER, title="The difference in means",
        given="Your cleaned dataset.",
        task=f"What is the difference in mean view count, {_ORDER}?",
        answer="A number of views",
        tolerance=Tolerance(decimals=0, relative=0.001),
        key=_difference,
        hint="Mean of the unverified group minus mean of the verified group, on the cleaned rows.",
        mistakes=(
            Mistake(_flipped, f"Check the order of the groups: {_ORDER}."),
            Mistake(_median_difference, "You subtracted medians; the t-test is about means."),
        ),
        explanation="`compare_groups(tidy, 'video_view_count', 'verified_status').difference`.",
    ),
    Question(
        id="hyp-t-statistic", set=SET, kind=NUMBER, title="The t statistic",
        given="Your cleaned dataset; the test of @exr-hyp-which-test.",
        task=f"What is the test's t statistic ({_ORDER})?",
        answer="A t statistic",
        tolerance=Tolerance(decimals=2, absolute=0.02),
        key=_t,
        hint="Welch's t divides the mean difference by the square root of s₁²/n₁ + s₂²/n₂.",
        mistakes=(
            Mistake(_student_t, "That is Student's pooled t; use Welch's (unequal variances)."),
            Mistake(_flipped, f"Check the order of the groups: {_ORDER}."),
        ),
        explanation="`scipy.stats.ttest_ind(a, b, equal_var=False)` gives the same value; the large t "
        "reflects a difference many standard errors wide.",
    ),
    Question(
        id="hyp-df", set=SET, kind=NUMBER, title="Degrees of freedom",
        given="Your cleaned dataset; the test of @exr-hyp-which-test.",
        task="How many degrees of freedom does the test have?",
        answer="Degrees of freedom (generally not a whole number)",
        tolerance=Tolerance(decimals=1, absolute=0.5),
        key=_df,
        hint="Welch's test uses the Welch–Satterthwaite approximation, not n₁ + n₂ − 2.",
        mistakes=(Mistake(_student_df, "n₁ + n₂ − 2 is Student's df; Welch's test uses the Welch–Satterthwaite formula."),),
        explanation="The Welch–Satterthwaite df lies between the smaller group's n − 1 and n₁ + n₂ − 2, nearer "
        "to the group whose mean is less precise (the larger s²/n): here the few verified accounts, so the df "
        "is of the order of their number, far below n₁ + n₂ − 2.",
    ),
    Question(
        id="hyp-decision", set=SET, kind=CHOICE, title="The decision",
        given="Significance level α = 0.05; your test result.",
        task="Do you reject the null hypothesis?",
        answer="The decision",
        options=(("reject", "reject H₀"), ("do_not_reject", "do not reject H₀")),
        key=_decision,
        hint="Compare the p-value with α (not the t statistic with 0.05).",
        explanation="The p-value is far below 0.05: reject H₀. The mean view counts differ.",
    ),
    Question(
        id="hyp-effect-size", set=SET, kind=NUMBER, title="Effect size",
        given="Your cleaned dataset.",
        task=f"What is Cohen's d ({_ORDER}, pooled standard deviation)?",
        answer="A standardised difference",
        tolerance=Tolerance(decimals=3, absolute=0.002),
        key=_cohens_d,
        hint="Divide the mean difference by the pooled standard deviation of the two groups.",
        mistakes=(Mistake(_flipped, f"Check the order of the groups: {_ORDER}."),
                  Mistake(_d_av, "That divides by the root of the average of the two variances (d_av, the "
                          "standardiser that matches Welch's test); this question asks for the pooled SD.")),
        explanation="`compare_groups(...).cohens_d`. A p-value says the difference is not chance; d says "
        "how large it is, in standard deviations (about half to two-thirds of one here: a medium effect). "
        "The pooled SD assumes equal variances, as Student's t does; beside Welch's test report also "
        "`d_av`, which divides by the root of the average of the two variances.",
    ),
    Question(
        id="hyp-stakeholder", set=SET, kind=TEXT, title="The result, for a stakeholder",
        given="Your test result.",
        task="Write two sentences for the moderation lead: what the test found, and what it does not show.",
        answer="Two sentences of plain text",
        key=None,
        hint="Say which group gets more views, by how much, how sure we are, and that this is not a cause.",
        explanation="A model answer: “Videos from unverified accounts get far more views on average than "
        "those from verified accounts (on average N more views, with N from your data; a difference this "
        "large is very unlikely by chance, p < 0.001). This does not mean verification reduces views: unverified accounts post more claims, "
        "and claims draw more views.”",
        marking="1 point: direction and size of the difference in plain words, with the certainty stated "
        "without jargon beyond 'p < 0.001'. 1 point: a caveat that the test shows an association, not a "
        "cause (confounding by claim status). Deduct for 'proves' or for reporting only the p-value.",
        points=2,
    ),
)
