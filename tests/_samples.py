"""Samples shared by the tests of hypothesis and assumptions: ``frame, a, b = two_groups()``."""

from __future__ import annotations

import numpy as np
import pandas as pd


def two_groups(n_a=25, n_b=40, seed=11):
    """Skewed samples with unequal spreads, so Welch and Student differ."""
    rng = np.random.default_rng(seed)
    a = rng.lognormal(3.0, 0.6, n_a)
    b = rng.lognormal(3.3, 0.9, n_b)
    frame = pd.DataFrame({"x": np.r_[a, b], "g": ["a"] * n_a + ["b"] * n_b})
    return frame, a, b
