"""The synthetic default dataset: shaped like the course file, seeded, no download.

:func:`simulate` is what a new user gets when no course file is around, so the
book, the command line and the exercises all run on it. It reproduces the
*structure* of the TikTok claims file (column order and dtypes, class balance,
the missing-row pattern, rates by class, the shape of every count, ratios
between counts, text openings and lengths) and so the conclusions of every
analysis in the case study; it reproduces none of its rows or sentences.

How the course file was generated, as far as measurement shows (19,382 rows):

* rows come in three blocks: claims, then opinions, then 298 rows whose
  ``claim_status``, transcription and five counts are all missing;
* within a class, views are uniform (claims 1,000 to 1 million, opinions 20 to
  10,000: about 100 times fewer);
* each other count is a uniform fraction of an earlier one, rounded:
  likes of views, shares and downloads of likes, comments of downloads. The
  fractions are independent, so these ratios are uniform and the correlations
  between counts follow from that chain;
* duration is uniform on 5–60 s; ids are uniform ten-digit numbers;
* verified and ban status depend on the class (claims: 2 % verified, 32 % not
  active; opinions: 10 % verified, 7 % not active) and, more weakly, on each
  other; nothing else depends on them, except small effects of verified
  status (more shares per like and comments per download, slightly shorter
  videos) that give the verified-status regression the course file's signs;
* a transcription is an opening that depends on the class ("a friend read …"
  for claims, "my family's view is …" for opinions) followed by a fact drawn
  from one bank shared by both classes (the phrase banks and their draw are in
  :mod:`claimstats.transcripts`).

The measured targets and their values are listed in ``tests/test_simulate.py``;
``benchmarks/calibrate_simulate.py`` prints course vs synthetic side by side.
"""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd

from claimstats.schema import COLUMNS, COUNT_COLUMNS
from claimstats.transcripts import draw_transcriptions

__all__ = ["DEFAULT_ROWS", "DEFAULT_SEED", "simulate"]

#: Seed of the synthetic default (the book says which seed an edition used).
DEFAULT_SEED = 2025
#: Rows in the course file, and so in the synthetic default.
DEFAULT_ROWS = 19_382

# --- calibration constants, measured on the course file ---------------------
# Shares of the row blocks: 298 of 19,382 rows are missing; 9,608 of the 19,084
# complete rows are claims. Block sizes are computed (rounded), not drawn, so
# that the default size reproduces the course file's 9,608 / 9,476 / 298.
_MISSING_SHARE = 298 / 19_382
_CLAIM_SHARE = 9_608 / 19_084

# Joint counts of (verified status, ban status) per block, straight from the
# course file. Drawing the pair jointly keeps the weak within-class link (among
# claims, banned authors are less often verified), which is what gives the ban
# coefficients of the verified-status regression their sign.
_BAN_LEVELS = ("active", "under review", "banned")
_STATUS_PAIRS = tuple(product(("not verified", "verified"), _BAN_LEVELS))
_STATUS_COUNTS = np.array(
    [  # not verified: active, review, banned | verified: active, review, banned
        [6407, 1575, 1417, 159, 28, 22],  # claims
        [7898, 414, 173, 919, 49, 23],  # opinions
        [244, 11, 3, 36, 3, 1],  # rows with missing claim status
    ],
    dtype=float,
)

# Views: uniform integers within a class-specific range (the quantiles of the
# course file sit on a straight line; minima 1,049 and 20, maxima ~999,800 and
# 9,998). Index 0 = claim, 1 = opinion.
_VIEWS_LOW = np.array([1_000, 20])
_VIEWS_HIGH = np.array([1_000_000, 10_000])  # exclusive
# Upper bounds of the uniform fractions, read off the course maxima (up to
# rounding of small counts): likes/views by class (0.6666, 0.4444),
# shares/likes (0.4), downloads/likes (0.025), comments/downloads by class
# (0.6667; 0.4, seen among opinions with at least 40 downloads).
_LIKE_RATE = np.array([2 / 3, 4 / 9])
_SHARE_RATE = 0.4
_DOWNLOAD_RATE = 0.025
_COMMENT_RATE = np.array([2 / 3, 0.4])
# Verified authors get slightly more shares per like and comments per download
# (course, claims: +6 % and +8 % on the mean ratio, |t| about 1.5-2). The
# fraction is drawn as rate * U**gamma with gamma < 1, which lifts the mean to
# rate / (1 + gamma) and keeps the range. Without this lift the share and
# comment coefficients of the verified-status regression are null, where the
# course file has them positive (z 2.0 and 2.2; downloads -2.4, since
# comments = downloads x rate). The gammas are set so that the mean z of that
# regression over 30 seeds matches the course file's (+12 % and +16 % on the
# ratios); any single seed varies around it (sd of z about 0.6-0.8).
_VERIFIED_SHARE_GAMMA = 0.78
_VERIFIED_COMMENT_GAMMA = 0.72

_DURATION_RANGE = (5, 60)
# Verified authors' videos are a little shorter (course: 31.6 vs 32.4 s among
# opinions): duration = 5 + 56 * U**power, power > 1 for verified authors.
_VERIFIED_DURATION_POWER = 1.045
# Ten-digit ids; the course file's smallest id is 1,234,959,018, consistent
# with uniform draws from 1,234,567,890 upwards.
_ID_RANGE = (1_234_567_890, 9_999_999_999)



def _rounded(x: np.ndarray) -> np.ndarray:
    # Counts are products rounded to the nearest whole number (the course file
    # has share/like ratios of 0.5 and comment/download ratios of 1 only where
    # small counts were rounded up).
    return np.floor(x + 0.5)


def _block_sizes(n: int) -> tuple[int, int, int]:
    """Claims, opinions and missing rows for ``n`` rows, in the course file's shares."""
    n_missing = int(np.floor(n * _MISSING_SHARE + 0.5))
    n_claim = int(np.floor((n - n_missing) * _CLAIM_SHARE + 0.5))
    return n_claim, n - n_missing - n_claim, n_missing


def _unique_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct ten-digit ids, in random order."""
    low, high = _ID_RANGE
    ids = rng.integers(low, high + 1, size=n, dtype=np.int64)
    # Collisions are rare (about n**2 / 1.8e10: one in 20,000 rows at a
    # million), so redraw only the repeats until none is left.
    while True:
        _, first = np.unique(ids, return_index=True)
        repeat = np.ones(n, dtype=bool)
        repeat[first] = False
        if not repeat.any():
            return ids
        ids[repeat] = rng.integers(low, high + 1, size=int(repeat.sum()), dtype=np.int64)


def _count_uniforms(rng, n, block, verified):
    """Five columns of uniforms for the count chain; stratified for verified rows.

    Verified authors are few (about 210 claims and 990 opinions at the default
    size), and the verified-status regression reads its count coefficients
    off them. Independent draws let one seed's luck in so small a group
    outweigh the calibrated effect (course |z| about 2, seed-to-seed sd about
    1). Within each class, the verified rows' uniforms are therefore drawn
    stratified (Latin hypercube: one draw in each of k equal slices, slices
    shuffled independently per column), which keeps every marginal uniform and
    the columns independent but removes most of that group's sampling noise.
    """
    u = rng.random((5, n))
    for code in (0, 1, 2):
        rows = np.flatnonzero(verified & (block == code))
        k = len(rows)
        if k < 2:
            continue
        slices = rng.permuted(np.broadcast_to(np.arange(k), (5, k)), axis=1)
        u[:, rows] = (slices + u[:, rows]) / k
    return u


def _text_dtype():
    # What pd.read_csv gives for the course file: the "str" dtype from pandas 3
    # on, plain object columns before.
    return "str" if int(pd.__version__.split(".")[0]) >= 3 else object


#: Memory a synthetic row takes, measured on the data (bytes, a generous round figure): text dominates.
BYTES_PER_ROW = 600


def _available_memory() -> int | None:
    """Bytes of memory free for this process (Linux ``MemAvailable``), or None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def check_size(n: int, *, what: str = "n") -> None:
    """Refuse, before any work, a number of rows that cannot fit in this machine's memory.

    Examples
    --------
    >>> check_size(1_000)
    >>> check_size(10**13)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    claimstats.errors.ClaimstatsError: n = 10,000,000,000,000 rows need about 6,000,000 GB of memory; ...
    """
    from claimstats.errors import ClaimstatsError

    need = int(n) * BYTES_PER_ROW
    free = _available_memory()
    limit = free if free is not None else 2**40
    if need > limit:
        have = f"{free / 1e9:,.1f} GB are available" if free is not None else "that is more than this tool allows"
        raise ClaimstatsError(f"{what} = {int(n):,} rows need about {need / 1e9:,.0f} GB of memory; {have}; "
                              "ask for fewer rows")


def simulate(n: int = DEFAULT_ROWS, seed: int | None = DEFAULT_SEED) -> pd.DataFrame:
    """A synthetic claims dataset with the structure of the course file.

    Parameters
    ----------
    n : int, default 19,382
        Number of rows (the course file's size by default). The shares of
        claims, opinions and rows with missing values are those of the course
        file (49.6 %, 48.9 %, 1.5 %), rounded to whole rows.
    seed : int or None, default :data:`DEFAULT_SEED`
        Seed of :func:`numpy.random.default_rng`. The same ``n`` and ``seed``
        give the same frame, byte for byte once written with ``to_csv``;
        ``None`` draws fresh entropy (not reproducible).

    Returns
    -------
    pandas.DataFrame
        ``n`` rows and the twelve columns of :data:`claimstats.schema.COLUMNS`,
        in order and with the dtypes ``pd.read_csv`` gives for the course file:
        ``#`` (1..n), ``video_id`` and ``video_duration_sec`` int64; text
        columns ``str``; the five counts float64 (whole numbers, NaN in the
        rows with missing values). As in the course file, claims come first,
        then opinions, then the rows whose claim status, transcription and
        counts are all missing.

    Raises
    ------
    ValueError
        If ``n`` is not a positive whole number.

    See Also
    --------
    claimstats.load : loads the course file when present, else this data.

    Notes
    -----
    The generating process and its calibration against the course file are
    described in the module docstring; the transcriptions come from phrase
    banks written for this package, not from the course file.

    Examples
    --------
    >>> from claimstats.simulate import simulate
    >>> df = simulate(200, seed=1)
    >>> df.shape
    (200, 12)
    >>> df["claim_status"].value_counts().to_dict()
    {'claim': 99, 'opinion': 98}
    >>> int(df["claim_status"].isna().sum())
    3
    >>> df.equals(simulate(200, seed=1))
    True
    """
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise ValueError(f"n must be a whole number of rows, got {n!r}")
    if n <= 0:
        raise ValueError(f"n must be at least 1 row, got {n}")
    n = int(n)
    check_size(n)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ValueError(f"seed must be a non-negative whole number or None, got {seed!r}")
    rng = np.random.default_rng(seed)
    n_claim, n_opinion, n_missing = _block_sizes(n)
    # block: 0 = claim, 1 = opinion, 2 = missing; rows stay in this order
    block = np.repeat(np.array([0, 1, 2], dtype=np.int8), [n_claim, n_opinion, n_missing])
    missing = block == 2
    cls = np.minimum(block, 1)  # count and text parameters of missing rows are never shown

    # Each draw covers all n rows (missing rows included, their values are
    # masked afterwards) and the draws come in a fixed order, so the data
    # depend on (n, seed) only and a row's values do not shift when another
    # column's parameters change.
    video_id = _unique_ids(rng, n)
    cum = np.cumsum(_STATUS_COUNTS / _STATUS_COUNTS.sum(axis=1, keepdims=True), axis=1)
    pair = (rng.random(n)[:, None] > cum[block]).sum(axis=1)
    pair = np.minimum(pair, len(_STATUS_PAIRS) - 1)  # guard against cum[-1] < 1 by rounding
    verified = pair >= len(_BAN_LEVELS)

    low, high = _DURATION_RANGE
    u_duration = rng.random(n)
    u_duration[verified] **= _VERIFIED_DURATION_POWER
    duration = low + np.floor(u_duration * (high - low + 1)).astype(np.int64)

    u_views, u_like, u_share, u_download, u_comment = _count_uniforms(rng, n, block, verified)
    views = _VIEWS_LOW[cls] + np.floor(u_views * (_VIEWS_HIGH - _VIEWS_LOW)[cls])
    likes = _rounded(views * _LIKE_RATE[cls] * u_like)
    u_share[verified] **= _VERIFIED_SHARE_GAMMA
    shares = _rounded(likes * _SHARE_RATE * u_share)
    downloads = _rounded(likes * _DOWNLOAD_RATE * u_download)
    u_comment[verified] **= _VERIFIED_COMMENT_GAMMA
    comments = _rounded(downloads * _COMMENT_RATE[cls] * u_comment)
    counts = np.column_stack([views, likes, shares, downloads, comments])
    counts[missing] = np.nan

    text = draw_transcriptions(rng, block)

    labels = np.array(["claim", "opinion", np.nan], dtype=object)[block]
    verified_text = np.array(["not verified", "verified"], dtype=object)[verified.astype(np.int8)]
    ban_text = np.array(_BAN_LEVELS, dtype=object)[pair % len(_BAN_LEVELS)]

    str_dtype = _text_dtype()
    values = {
        "#": np.arange(1, n + 1, dtype=np.int64),
        "claim_status": pd.array(labels, dtype=str_dtype),
        "video_id": video_id,
        "video_duration_sec": duration,
        "video_transcription_text": pd.array(text, dtype=str_dtype),
        "verified_status": pd.array(verified_text, dtype=str_dtype),
        "author_ban_status": pd.array(ban_text, dtype=str_dtype),
    }
    values.update({name: counts[:, i] for i, name in enumerate(COUNT_COLUMNS)})
    return pd.DataFrame({name: values[name] for name in COLUMNS})
