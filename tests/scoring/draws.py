"""Hypothesis strategies of observations and sample draws shared by the scoring tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

counts = st.integers(min_value=0, max_value=3000)


@st.composite
def obs_and_draws(draw: st.DrawFn, max_rows: int = 6, max_members: int = 25) -> tuple:
    n = draw(st.integers(1, max_rows))
    m = draw(st.integers(1, max_members))
    obs = draw(arrays(np.int64, n, elements=counts))
    ens = draw(arrays(np.int64, (n, m), elements=counts))
    return obs.astype(float), ens.astype(float)
