"""skillmark.spark in Spark local mode: the tagged columns equal the engine's
own highlight() output row for row."""

from __future__ import annotations

import os
import shutil
import sys

import pytest

import skillmark
from conftest import f32, make_posts

pyspark = pytest.importorskip("pyspark")

if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("no Java for Spark (scripts/setup-python-package installs it)", allow_module_level=True)


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("skillmark-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "64")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_highlight_equals_engine(spark, engine: skillmark.Engine) -> None:
    from skillmark.spark import highlight

    posts = make_posts(300, sentences=3, seed=7)
    rows = [(i, None if i % 37 == 5 else p) for i, p in enumerate(posts)]
    df = spark.createDataFrame(rows, "id long, text string").repartition(4)
    tagged = highlight(df, "text").cache()  # two actions below, one tagging
    assert tagged.columns == ["id", "text", "spans", "skills", "segments"]
    got = {r["id"]: r.asDict(recursive=True) for r in tagged.collect()}
    assert sorted(got) == list(range(len(rows)))
    want = f32(engine.highlight([t for _, t in rows if t is not None]))
    it = iter(want)
    for i, text in rows:
        r = got[i]
        assert r["text"] == text
        if text is None:
            assert r["spans"] is None and r["skills"] is None and r["segments"] is None
        else:
            assert {k: r[k] for k in ("spans", "skills", "segments")} == next(it), f"row {i}"
    # Scores as columns: the skills' best scores of each row.
    scores = tagged.selectExpr("id", "skills.bestScore as scores").where("id = 0").first()
    assert scores["scores"] == [s["bestScore"] for s in got[0]["skills"]]


def test_spark_prefix_and_options(spark, engine: skillmark.Engine) -> None:
    from skillmark.spark import highlight

    df = spark.createDataFrame([(1, "Python and SQL.")], "id long, body string")
    with pytest.raises(ValueError, match="no column"):
        highlight(df, "text")
    out = highlight(df, "body", prefix="sm_", min_score=0.9).first().asDict(recursive=True)
    assert out["sm_skills"] == f32(engine.highlight("Python and SQL.", min_score=0.9)["skills"])
