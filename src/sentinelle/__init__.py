"""Sentinelle: open conflict early-warning and peace-operations impact system.

Data flows one way: ``sources`` (publishers' files and APIs) → ``store`` (one DuckDB
file) → ``panel`` (unit-month panels) → ``forecast`` / ``impact`` → outputs.
The Python API mirrors the CLI: every command is a function in its capability's
subpackage.
"""

__version__ = "0.1.0"
