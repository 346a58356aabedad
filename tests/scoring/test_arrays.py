"""Shared shape checks and row chunking of the scoring rules."""

from __future__ import annotations

import numpy as np
import pytest

from sentinelle.scoring import _arrays, crps_ensemble, ignorance_score


def test_crps_chunking_does_not_change_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(2)
    obs = rng.poisson(5, 11).astype(float)
    ens = rng.poisson(5, (11, 30)).astype(float)
    whole_crps, whole_ign = crps_ensemble(obs, ens), ignorance_score(obs, ens)
    monkeypatch.setattr(_arrays, "CHUNK_ROWS", 3)
    np.testing.assert_array_equal(crps_ensemble(obs, ens), whole_crps)
    np.testing.assert_array_equal(ignorance_score(obs, ens), whole_ign)


def test_scores_reject_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="expected obs"):
        crps_ensemble([1.0, 2.0], [[1.0, 2.0]])
    with pytest.raises(ValueError, match="at least one member"):
        crps_ensemble([1.0], np.zeros((1, 0)))
