"""The engines that run the panel definitions: DuckDB (default) and Apache Spark.

``ENGINES`` holds them by name (``get_engine``); a plug-in adds an
:class:`EngineRunner` with ``ENGINES.register(name, runner)``. Both built-in engines
receive the same ``(name, sql)`` steps from
:func:`sentinelle.panel.definitions.panel_steps` and the same input temp tables
prepared in the store; they differ only in how inputs are read and the panel written:

* DuckDB runs each step as a temp table in the store's connection and the final step
  into the panel table.
* Spark (``local[2]`` by default, or any session passed in) reads the inputs from
  Parquet files DuckDB exports, registers each step as a temp view, writes the panel
  as Parquet and DuckDB loads it into the store. No JDBC or Maven jars are needed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import duckdb

from sentinelle.registry import Registry

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class EngineRunner(Protocol):
    """Runs panel ``steps`` so that the last one becomes the store table ``table``.

    ``inputs`` names the temp tables of ``con`` the steps read; ``spark`` is the
    session the caller passed to ``build_panel`` (``None`` if none).
    """

    def __call__(
        self,
        con: duckdb.DuckDBPyConnection,
        steps: Sequence[tuple[str, str]],
        table: str,
        inputs: Sequence[str],
        spark: SparkSession | None,
    ) -> None: ...


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def run_duckdb(
    con: duckdb.DuckDBPyConnection,
    steps: Sequence[tuple[str, str]],
    table: str,
    inputs: Sequence[str] = (),
    spark: SparkSession | None = None,
) -> None:
    """Run ``steps`` in ``con``; the last step becomes ``table`` (replaced).

    ``inputs`` and ``spark`` are unused: the inputs already are temp tables of ``con``.

    Rows are stored in no particular order: sorting millions of wide rows before the
    write took a third of a PRIO-GRID build, and every reader (``read_panel``,
    ``export_panel``) sorts by key anyway.
    """
    *intermediate, (_, final) = steps
    for name, sql in intermediate:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
    con.execute(f"CREATE OR REPLACE TABLE {table} AS {final}")
    for name, _ in intermediate:
        con.execute(f"DROP TABLE IF EXISTS {name}")


LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")


def spark_session(master: str = "local[2]") -> SparkSession:
    """A Spark session for panel builds (created, or the active one reused).

    Examples
    --------
    >>> spark = spark_session()          # doctest: +SKIP
    """
    from pyspark.sql import SparkSession

    # Errors only from the JVM (LOG4J_CONFIG), no console progress bars: a command's
    # output is its own Rich progress and report.
    return (
        SparkSession.builder.master(master)
        .appName("sentinelle-panel")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={LOG4J_CONFIG}")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def run_spark(
    con: duckdb.DuckDBPyConnection,
    steps: Sequence[tuple[str, str]],
    table: str,
    inputs: Sequence[str],
    spark: SparkSession | None = None,
) -> None:
    """Run ``steps`` on Spark over ``inputs`` exported from ``con``; load the result as ``table``.

    Inputs travel as Parquet files in a temporary directory, removed afterwards.
    """
    session = spark or spark_session()
    *intermediate, (_, final) = steps
    with tempfile.TemporaryDirectory(prefix="sentinelle-spark-") as tmp:
        for name in inputs:
            # Spark skips files whose names start with "_" or ".".
            path = Path(tmp, f"input{name}.parquet")
            con.execute(f"COPY {name} TO {_quote(path)} (FORMAT parquet)")
            session.read.parquet(str(path)).createOrReplaceTempView(name)
        cached = []
        for name, sql in intermediate:
            frame = session.sql(sql)
            if name == "_outcomes":  # read by the running state and the spatial lags
                frame = frame.cache()
                cached.append(frame)
            frame.createOrReplaceTempView(name)
        out = Path(tmp, "panel")
        session.sql(final).write.mode("overwrite").parquet(str(out))
        con.execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM "
            f"read_parquet({_quote(out / '*.parquet')})"
        )
        for frame in cached:
            frame.unpersist()
        for name in (*inputs, *(n for n, _ in intermediate)):
            session.catalog.dropTempView(name)


ENGINES: Registry[EngineRunner] = Registry(
    "panel engine", {"duckdb": run_duckdb, "spark": run_spark}
)


def get_engine(name: str) -> EngineRunner:
    """The runner of the panel engine ``name``.

    Raises
    ------
    sentinelle.errors.UnknownNameError
        If ``ENGINES`` has no engine ``name``; the message lists the valid names.

    Examples
    --------
    >>> get_engine("duckdb") is run_duckdb
    True
    """
    return ENGINES[name]
