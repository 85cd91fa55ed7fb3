"""Objective weights against published worked examples (numbers as printed in the papers)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from commeval.index import critic_weights, entropy_weights


def test_entropy_xu_2004():
    """Xu, X. (2004). A note on the subjective and objective integrated approach to determine
    attribute weights. European Journal of Operational Research 156(2), 530–532: entropy of the
    raw proportions; the nearly constant fourth attribute gets weight 0."""
    X = pd.DataFrame(
        [[30, 30, 38, 29], [19, 54, 86, 29], [19, 15, 85, 28.9], [68, 70, 60, 29]],
        columns=["c1", "c2", "c3", "c4"],
    )
    w = entropy_weights(X, scaling="none")
    np.testing.assert_array_equal(np.round(w.to_numpy(), 4), [0.4630, 0.3992, 0.1378, 0.0000])


def test_entropy_zavadskas_podvezko_2016():
    """Zavadskas, E. K. & Podvezko, V. (2016). Integrated determination of objective criteria
    weights in MCDM. Int. J. Information Technology & Decision Making 15(2), 267–283."""
    X = pd.DataFrame(
        [[3.0, 100, 10, 7], [2.5, 80, 8, 5], [1.8, 50, 20, 11], [2.2, 70, 12, 9]],
        columns=["c1", "c2", "c3", "c4"],
    )
    w = entropy_weights(X, scaling="none")
    np.testing.assert_array_equal(np.round(w.to_numpy(), 4), [0.1146, 0.1981, 0.4185, 0.2689])


def test_critic_tus_aytac_adali_2019():
    """Tuş, A. & Aytaç Adalı, E. (2019). The new combination with CRITIC and WASPAS methods for
    the time and attendance software selection problem. Opsearch 56(2), 528–538: the CRITIC
    weights printed in the paper (criteria min–max scaled in one direction for the
    correlation-based conflict measure)."""
    X = pd.DataFrame(
        [
            [5000, 3, 3, 4, 3, 2],
            [680, 5, 3, 2, 2, 1],
            [2000, 3, 2, 3, 4, 3],
            [600, 4, 3, 1, 2, 2],
            [800, 2, 4, 3, 3, 4],
        ],
        columns=[f"c{i}" for i in range(1, 7)],
    )
    w = critic_weights(X)
    np.testing.assert_array_equal(
        np.round(w.to_numpy(), 3), [0.157, 0.249, 0.168, 0.121, 0.154, 0.151]
    )
