"""Event probability, Brier score and average precision."""

from __future__ import annotations

import numpy as np
import pytest
import scoringrules as sr

from sentinelle.scoring import average_precision, brier_score, event_probability


def test_brier_and_event_probability() -> None:
    ens = [[0, 10, 25, 100], [0, 0, 0, 0]]
    np.testing.assert_allclose(event_probability(ens), [0.5, 0.0])
    np.testing.assert_allclose(brier_score([30, 30], ens), [0.25, 1.0])
    np.testing.assert_allclose(
        brier_score([30, 0], ens), sr.brier_score(np.array([1.0, 0.0]), np.array([0.5, 0.0]))
    )


def test_average_precision_hand_case() -> None:
    # Ranked 0.9 (event), 0.5 (no), 0.1 (event): precision 1 at recall 1/2, 2/3 at 1.
    assert average_precision([True, False, True], [0.9, 0.5, 0.1]) == pytest.approx(5 / 6)
    assert np.isnan(average_precision([False, False], [0.3, 0.2]))
