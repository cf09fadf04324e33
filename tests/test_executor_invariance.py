"""Executor and chunk-size invariance: every executor and chunking gives the same bits."""

from __future__ import annotations

import pytest

from fentsim.ensemble import (
    DaskExecutor,
    LeverDesign,
    ProcessExecutor,
    SerialExecutor,
    evaluate,
    make_executor,
)
from fentsim.errors import UserError
from test_ensemble_toy import assert_bitwise, toy_experiment


@pytest.fixture(scope="module")
def experiment():
    return toy_experiment(
        runs=128, method="sobol", trajectories=True, levers=LeverDesign({"moud_access": (0.0, 0.5)})
    )


@pytest.fixture(scope="module")
def reference(experiment):
    return {
        kind: evaluate(experiment, chunk=128, kind=kind)
        for kind in ("summary", "params", "trajectories")
    }


@pytest.mark.parametrize("chunk", [7, 64])
def test_serial_chunk_sizes_are_bitwise_identical(experiment, reference, chunk):
    for kind, ref in reference.items():
        assert_bitwise(evaluate(experiment, chunk=chunk, kind=kind), ref)


def test_process_executor_is_bitwise_identical(experiment, reference):
    with ProcessExecutor(workers=2) as ex:
        assert_bitwise(evaluate(experiment, executor=ex, chunk=7), reference["summary"])
        assert_bitwise(
            evaluate(experiment, executor=ex, chunk=64, kind="trajectories"),
            reference["trajectories"],
        )


def test_dask_local_cluster_is_bitwise_identical(experiment, reference):
    with DaskExecutor(workers=2) as ex:
        assert ex._client.scheduler.address.startswith("tcp://127.0.0.1:")
        assert len(ex._client.nthreads()) == 2
        assert_bitwise(evaluate(experiment, executor=ex, chunk=7), reference["summary"])
        assert_bitwise(
            evaluate(experiment, executor=ex, chunk=64, kind="params"), reference["params"]
        )
        # the same cluster reached by address, as `--scheduler tcp://HOST:PORT` does
        with DaskExecutor(ex._client.scheduler.address) as remote:
            assert remote.workers == 2
            assert_bitwise(evaluate(experiment, executor=remote, chunk=64), reference["summary"])
    assert ex._client is None and ex._cluster is None


def test_make_executor_picks_from_cli_options():
    assert isinstance(make_executor(1), SerialExecutor)
    assert isinstance(make_executor(2), ProcessExecutor)
    assert isinstance(make_executor(1, kind="process"), ProcessExecutor)
    assert isinstance(make_executor(2, kind="dask"), DaskExecutor)
    assert make_executor(1, "tcp://127.0.0.1:1").scheduler == "tcp://127.0.0.1:1"
    for bad in (
        {"workers": 0},
        {"kind": "gpu"},
        {"scheduler": "localhost:8786"},
        {"scheduler": "tcp://x:1", "kind": "process"},
    ):
        with pytest.raises(UserError):
            make_executor(**{"workers": 1, **bad})


def test_serial_executor_is_the_default(experiment, reference):
    with SerialExecutor() as ex:
        assert_bitwise(evaluate(experiment, executor=ex, chunk=64), reference["summary"])


def test_rows_are_run_major_with_every_portfolio(reference):
    df = reference["summary"]
    assert len(df) == 128 * 2
    assert df["run"].tolist() == [i for i in range(128) for _ in range(2)]
    assert df["portfolio"].tolist()[:2] == ["status-quo", "naloxone"]
