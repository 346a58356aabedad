"""Evaluation of probabilistic forecasts.

- ``scores``: CRPS, ignorance, interval score, coverage, Brier and average precision on
  sample draws, with the VIEWS 2023/24 challenge conventions;
- ``backtest``: rolling-origin backtests over the challenge windows, scoring every model
  and the official benchmark files with the same code;
- ``calibration``: PIT histograms and reliability diagrams.

Import from the submodules (``sentinelle.evaluate.backtest`` ...): this package does
not import them itself, because ``sentinelle.forecast`` uses ``scores`` and
``backtest`` uses ``sentinelle.forecast``.
"""
