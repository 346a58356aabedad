"""Evaluation of probabilistic forecasts.

- ``backtest``: rolling-origin backtests over the challenge windows, scoring every model
  and the official benchmark files with the same rules (:mod:`sentinelle.scoring`:
  CRPS, ignorance, interval score, coverage, Brier and average precision, with the
  VIEWS 2023/24 challenge conventions);
- ``calibration``: PIT histograms and reliability diagrams.

Import from the submodules (``sentinelle.evaluate.backtest`` ...): this package does
not import them itself, because ``backtest`` loads every forecast model (LightGBM,
scikit-learn) and ``calibration`` matplotlib, which a caller of one need not pay for.
"""
