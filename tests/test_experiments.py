"""Experiments registry, shipping of results, benchmark smoke test."""
import json
import os

import pytest
import torch

from semgcn.benchmark import run_benchmark
from semgcn.experiments import EXPERIMENTS, PAPER, load_result, run_experiment
from semgcn.models import build_model, list_models
from semgcn.train import load_checkpoint, load_model


def test_registry_is_consistent():
    for name, exp in EXPERIMENTS.items():
        assert exp.model in list_models(), name
        assert exp.data["source"] in ("synthetic", "h36m"), name
        exp.config()  # valid TrainConfig
    for model in ("semgcn", "semgcn-no-nonlocal", "fc"):
        assert "official_code" in PAPER[model]


def test_load_result_names_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="`python -m semgcn experiment h36m-semgcn --h36m PATH`"):
        load_result("h36m-semgcn", tmp_path)
    with pytest.raises(FileNotFoundError, match="`python -m semgcn experiment synthetic-semgcn`"):
        load_result("synthetic-semgcn", tmp_path)


def test_run_experiment_ships_record_and_half_checkpoint(tmp_path, monkeypatch):
    monkeypatch.delenv("SEMGCN_H36M", raising=False)
    rec = run_experiment("synthetic-semgcn", runs_dir=tmp_path / "runs", results_dir=tmp_path / "results",
                         progress=False, device="cpu", epochs=1, data_overrides={"num_train": 1000, "num_val": 200,
                                                                                 "num_test": 300},
                         model_kwargs={"hidden": 16, "num_blocks": 1})
    assert rec["complete"] and rec["experiment"]["training_overrides"]["epochs"] == 1
    assert rec["command"].endswith("--epochs 1")  # the recorded command reproduces the shortened run
    assert rec["experiment"]["data_overrides"]["num_train"] == 1000
    assert "skipped" in rec["cross_eval"]  # no Human3.6M given: the cross evaluation says why it is missing
    shipped = load_result("synthetic-semgcn", tmp_path / "results")
    assert shipped["test"]["mpjpe"] == pytest.approx(rec["test"]["mpjpe"])
    ckpt = load_checkpoint(tmp_path / "results" / "synthetic-semgcn" / "model.pt")
    halved = {k for k, v in ckpt["state_dict"].items() if v.dtype == torch.float16}
    params = {k for k, _ in build_model(ckpt["meta"]["model"], **ckpt["meta"]["model_kwargs"]).named_parameters()}
    assert halved == params   # learnable weights in float16; buffers (batch-norm statistics, masks) stay float32
    model = load_model(tmp_path / "results" / "synthetic-semgcn" / "model.pt")
    full = load_model(tmp_path / "runs" / "synthetic-semgcn" / "best.pt")
    x = torch.randn(8, 16, 2) * 0.2
    assert torch.allclose(model(x), full(x), atol=5e-3)  # float16 weights: same predictions to < 5 mm
    assert os.path.getsize(tmp_path / "results" / "synthetic-semgcn" / "model.pt") < 10 * 2 ** 20


def test_record_only_experiment_ships_no_weights(tmp_path, monkeypatch):
    """An experiment with ship_weights=False ships its record, removes stale weights, keeps best.pt in runs/."""
    import dataclasses
    from semgcn import experiments
    monkeypatch.delenv("SEMGCN_H36M", raising=False)
    exp = dataclasses.replace(EXPERIMENTS["synthetic-semgcn"], name="synthetic-record-only", ship_weights=False,
                              eval_data=None)
    monkeypatch.setitem(experiments.EXPERIMENTS, exp.name, exp)
    stale = tmp_path / "results" / exp.name / "model.pt"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"weights of an older run")
    rec = run_experiment(exp.name, runs_dir=tmp_path / "runs", results_dir=tmp_path / "results", progress=False,
                         device="cpu", epochs=1, data_overrides={"num_train": 300, "num_val": 100, "num_test": 100},
                         model_kwargs={"hidden": 8, "num_blocks": 1})
    assert rec["experiment"]["weights_shipped"] is False
    assert load_result(exp.name, tmp_path / "results")["experiment"]["weights_shipped"] is False
    assert not stale.exists() and (tmp_path / "runs" / exp.name / "best.pt").is_file()
    assert EXPERIMENTS["h36m-sh-fc"].ship_weights is False and EXPERIMENTS["h36m-fc"].ship_weights
    assert EXPERIMENTS["h36m-fc-flip"].ship_weights is False and EXPERIMENTS["h36m-semgcn-flip"].ship_weights


def test_fc_decay_experiments_change_only_what_their_names_say():
    flip, decay, zscore = (EXPERIMENTS[n].config().to_dict() for n in
                           ("h36m-fc-flip", "h36m-fc-flip-decay", "h36m-fc-flip-decay-zscore"))
    assert {k for k in flip if flip[k] != decay[k]} == {"epochs", "lr_schedule", "lr_decay_steps"}
    assert {k for k in decay if decay[k] != zscore[k]} == {"model_kwargs"}
    assert decay["lr_gamma"] == 0.96 and zscore["model_kwargs"] == {"standardize": True}
    assert build_model("fc", **zscore["model_kwargs"]).standardize
    assert not any(EXPERIMENTS[n].ship_weights for n in ("h36m-fc-flip-decay", "h36m-fc-flip-decay-zscore"))


def test_benchmark_smoke():
    lines = []
    before = torch.get_num_threads()
    try:
        res = run_benchmark(models=("semgcn",), batch_sizes=(16,), device="cpu", seconds=0.05, print_fn=lines.append,
                            threads=1)
    finally:
        torch.set_num_threads(before)
    assert res["threads"] == 1 and res["clock"] == "wall"
    entry = res["models"]["semgcn"]["train"][16]
    assert entry["poses_per_second"] > 0 and 0 < entry["fraction_of_matmul"] < 1.5
    assert 0 < res["batch_cost_fraction"] < 1
    assert any("of matmul" in line for line in lines) and any("matrix products alone" in line for line in lines)
    ceiling = entry["products_only"]
    assert ceiling["calls"] > 0 and ceiling["poses_per_second"] > 0 and ceiling["fraction_of_matmul"] > 0
    inference = res["models"]["semgcn"]
    assert inference["inference_poses_per_second"] > 0 and inference["inference_poses_per_second_one_pass"] > 0
    assert any("in chunks of 256" in line for line in lines)
    sub = res["subnormals"]   # reported, not asserted faster: speed is for benchmarks, not tests
    assert sub["fraction"] == 0.135 and sub["seconds_per_step"] > 0 and sub["seconds_per_step_flushed"] > 0
    assert any("subnormal second moments" in line for line in lines)
    assert float(torch.tensor([1e-39]) * 1.0) > 0      # the process default (no flushing) is back


@pytest.mark.parametrize("name, nominal", [("semgcn", 45e6), ("semgcn-no-nonlocal", 29e6)])
def test_products_only_replays_forward_and_backward_products(name, nominal):
    """The recorded products of a training step add up to the nominal training FLOP per pose
    (forward alone would be a third), so their replay is a fair floor for the step."""
    from semgcn.benchmark import products_only_rate
    res = products_only_rate(name, 8, "cpu", seconds=0.05)
    assert res["flop_per_pose"] == pytest.approx(nominal, rel=0.05)
    assert res["calls"] > 3 * 9 and res["poses_per_second"] > 0 and res["gflops"] > 0


def test_subnormal_cost_argument_error():
    from semgcn.benchmark import subnormal_cost
    with pytest.raises(ValueError, match="fraction"):
        subnormal_cost(fraction=1.5)


def test_benchmark_cpu_clock_and_argument_errors():
    from semgcn.benchmark import training_rate
    assert training_rate("semgcn", 16, "cpu", seconds=0.05, clock="cpu") > 0
    with pytest.raises(ValueError, match="clock"):
        run_benchmark(models=("semgcn",), device="cpu", clock="sundial")
    with pytest.raises(ValueError, match="threads"):
        run_benchmark(models=("semgcn",), device="cpu", threads=0)


def test_every_shipped_checkpoint_is_finite():
    """A float16 overflow once shipped an inf batch-norm variance (w/o SemGConv scored ~240 mm): never again."""
    from semgcn.experiments import RESULTS_DIR
    checked = 0
    for path in sorted(RESULTS_DIR.glob("*/model.pt")):
        state = load_checkpoint(path)["state_dict"]
        bad = [k for k, v in state.items() if v.is_floating_point() and not bool(torch.isfinite(v.float()).all())]
        assert not bad, f"{path}: non-finite {bad[:3]}"
        checked += 1
    assert checked >= 8
