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
    with pytest.raises(FileNotFoundError, match="has no record"):
        load_result("h36m-semgcn", tmp_path)
    with pytest.raises(FileNotFoundError, match="`python -m semgcn experiment h36m-semgcn --h36m PATH`"):
        load_result("h36m-semgcn", tmp_path)
    with pytest.raises(FileNotFoundError, match="`python -m semgcn experiment synthetic-semgcn`"):
        load_result("synthetic-semgcn", tmp_path)


def _tiny(monkeypatch, name="synthetic-tiny", **fields):
    """Register a small synthetic experiment whose registered recipe is the small one (so it may be shipped)."""
    import dataclasses
    from semgcn import experiments
    monkeypatch.delenv("SEMGCN_H36M", raising=False)
    exp = dataclasses.replace(
        EXPERIMENTS["synthetic-semgcn"], name=name,
        data={"source": "synthetic", "num_train": 1000, "num_val": 200, "num_test": 300},
        train={**EXPERIMENTS["synthetic-semgcn"].train, "epochs": 1, "model_kwargs": {"hidden": 16, "num_blocks": 1}},
        **fields)
    monkeypatch.setitem(experiments.EXPERIMENTS, name, exp)
    return exp


def _tree(root):
    """{relative path: bytes} of every file under ``root``."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_run_experiment_ships_record_and_half_checkpoint(tmp_path, monkeypatch):
    _tiny(monkeypatch)
    rec = run_experiment("synthetic-tiny", runs_dir=tmp_path / "runs", results_dir=tmp_path / "results",
                         progress=False, device="cpu", ship=True)
    assert rec["complete"] and rec["experiment"]["training_overrides"] == {}
    assert rec["command"] == "python -m semgcn experiment synthetic-tiny"
    assert "skipped" in rec["cross_eval"]  # no Human3.6M given: the cross evaluation says why it is missing
    shipped = load_result("synthetic-tiny", tmp_path / "results")
    assert shipped["test"]["mpjpe"] == pytest.approx(rec["test"]["mpjpe"])
    ckpt = load_checkpoint(tmp_path / "results" / "synthetic-tiny" / "model.pt")
    assert ckpt["meta"]["data"] == {"source": "synthetic", "num_train": 1000, "num_val": 200, "num_test": 300}
    halved = {k for k, v in ckpt["state_dict"].items() if v.dtype == torch.float16}
    params = {k for k, _ in build_model(ckpt["meta"]["model"], **ckpt["meta"]["model_kwargs"]).named_parameters()}
    assert halved == params   # learnable weights in float16; buffers (batch-norm statistics, masks) stay float32
    model = load_model(tmp_path / "results" / "synthetic-tiny" / "model.pt")
    full = load_model(tmp_path / "runs" / "synthetic-tiny" / "best.pt")
    x = torch.randn(8, 16, 2) * 0.2
    assert torch.allclose(model(x), full(x), atol=5e-3)  # float16 weights: same predictions to < 5 mm
    assert os.path.getsize(tmp_path / "results" / "synthetic-tiny" / "model.pt") < 10 * 2 ** 20


def test_run_experiment_writes_only_runs_unless_shipping(tmp_path, monkeypatch):
    """Without ship=True nothing is shipped; a changed recipe is refused before any training."""
    _tiny(monkeypatch)
    results = tmp_path / "results"
    (results / "synthetic-tiny").mkdir(parents=True)
    (results / "synthetic-tiny" / "record.json").write_text('{"shipped": "before"}')
    before = _tree(results)
    rec = run_experiment("synthetic-tiny", runs_dir=tmp_path / "runs", results_dir=results, progress=False,
                         device="cpu", epochs=2)
    assert rec["complete"] and (tmp_path / "runs" / "synthetic-tiny" / "record.json").is_file()
    assert rec["command"].endswith("--epochs 2")  # the recorded command reproduces the changed run
    for overrides in ({"epochs": 2}, {"data_overrides": {"num_train": 500}}, {"lr": 0.1}):
        with pytest.raises(ValueError, match="refusing to ship synthetic-tiny: its recipe differs"):
            run_experiment("synthetic-tiny", runs_dir=tmp_path / "runs2", results_dir=results, progress=False,
                           device="cpu", ship=True, **overrides)
    assert _tree(results) == before and not (tmp_path / "runs2").exists()


def test_ship_never_writes_into_an_installed_package(tmp_path, monkeypatch):
    from semgcn import experiments
    _tiny(monkeypatch)
    with pytest.raises(ValueError, match="installed package"):
        run_experiment("synthetic-tiny", runs_dir=tmp_path / "runs", results_dir=experiments._PACKAGE / "_results",
                       progress=False, device="cpu", ship=True)
    monkeypatch.setattr(experiments, "checkout_results_dir", lambda: None)   # as in a wheel install
    with pytest.raises(ValueError, match="pass --results-dir"):
        run_experiment("synthetic-tiny", runs_dir=tmp_path / "runs", progress=False, device="cpu", ship=True)
    assert not (tmp_path / "runs").exists()


def test_cli_experiment_with_epochs_leaves_results_byte_identical(tmp_path, monkeypatch, capsys):
    """`experiment NAME --epochs 1` in a clone trains into runs/ and leaves results/ untouched."""
    from semgcn import data as data_module
    from semgcn.__main__ import main
    from semgcn.experiments import RESULTS_DIR
    monkeypatch.delenv("SEMGCN_H36M", raising=False)
    real_loader = data_module.load_pose_data
    small = {"num_train": 600, "num_val": 100, "num_test": 100}
    monkeypatch.setattr(data_module, "load_pose_data",   # the full synthetic set takes minutes an epoch
                        lambda source=None, h36m=None, device="cpu", **kw: real_loader("synthetic", device=device,
                                                                                        **small))
    monkeypatch.setitem(EXPERIMENTS["synthetic-semgcn"].train, "max_steps_per_epoch", 2)
    before = _tree(RESULTS_DIR)
    monkeypatch.chdir(tmp_path)
    assert main(["experiment", "synthetic-semgcn", "--epochs", "1", "--no-progress"]) == 0
    assert (tmp_path / "runs" / "synthetic-semgcn" / "record.json").is_file()
    assert _tree(RESULTS_DIR) == before
    assert "epoch 1/1" in capsys.readouterr().err   # --no-progress: one line per epoch


def test_record_only_experiment_ships_no_weights(tmp_path, monkeypatch):
    """An experiment with ship_weights=False ships its record, removes stale weights, keeps best.pt in runs/."""
    exp = _tiny(monkeypatch, "synthetic-record-only", ship_weights=False, eval_data=None)
    stale = tmp_path / "results" / exp.name / "model.pt"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"weights of an older run")
    rec = run_experiment(exp.name, runs_dir=tmp_path / "runs", results_dir=tmp_path / "results", progress=False,
                         device="cpu", ship=True)
    assert rec["experiment"]["weights_shipped"] is False
    assert load_result(exp.name, tmp_path / "results")["experiment"]["weights_shipped"] is False
    assert not stale.exists() and (tmp_path / "runs" / exp.name / "best.pt").is_file()
    assert EXPERIMENTS["h36m-sh-fc"].ship_weights is False and EXPERIMENTS["h36m-fc"].ship_weights
    assert EXPERIMENTS["h36m-fc-flip"].ship_weights is False and EXPERIMENTS["h36m-semgcn-flip"].ship_weights


def test_other_seeds_train_apart_and_ship_records_only(tmp_path, monkeypatch):
    from semgcn.experiments import seed_records
    exp = _tiny(monkeypatch, eval_data=None)
    kw = dict(runs_dir=tmp_path / "runs", results_dir=tmp_path / "results", progress=False, device="cpu", ship=True)
    first = run_experiment(exp.name, **kw)
    other = run_experiment(exp.name, seed=3, **kw)
    assert other["config"]["seed"] == 3 and other["command"].endswith(f"experiment {exp.name} --seed 3")
    assert other["experiment"]["seed"] == 3 and other["experiment"]["weights_shipped"] is False
    assert (tmp_path / "runs" / f"{exp.name}-seed3" / "best.pt").is_file()
    assert not (tmp_path / "results" / f"{exp.name}-seed3" / "model.pt").exists()
    assert (tmp_path / "results" / exp.name / "model.pt").is_file()
    assert other["test"]["mpjpe"] != first["test"]["mpjpe"]        # another initialisation and batch order
    assert [r["config"]["seed"] for r in seed_records(exp.name, tmp_path / "results")] == [0, 3]
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        run_experiment(exp.name, seed=-1, **kw)


def test_an_experiment_continues_its_parent_run_exactly(tmp_path, monkeypatch):
    """``continues``: a recipe whose first epochs are another experiment's starts from that
    run's checkpoint (same seed) and ends where a run from scratch ends."""
    import dataclasses
    from semgcn import experiments
    parent = _tiny(monkeypatch, eval_data=None)
    parent = dataclasses.replace(parent, train={**parent.train, "lr_schedule": "step"})
    child = dataclasses.replace(parent, name="synthetic-tiny-anneal", continues=parent.name,
                                train={**parent.train, "epochs": 2, "anneal_epochs": 1})
    monkeypatch.setitem(experiments.EXPERIMENTS, parent.name, parent)
    monkeypatch.setitem(experiments.EXPERIMENTS, child.name, child)
    kw = dict(progress=False, device="cpu")
    first = run_experiment(parent.name, runs_dir=tmp_path / "runs", **kw)
    run_experiment(parent.name, runs_dir=tmp_path / "runs", seed=2, **kw)
    cont = run_experiment(child.name, runs_dir=tmp_path / "runs", **kw)
    assert cont["experiment"]["continued_from"] == {"run": parent.name, "epoch": 1}
    assert cont["history"]["cpu_seconds"][0] == first["history"]["cpu_seconds"][0]   # the parent's epoch
    fresh = run_experiment(child.name, runs_dir=tmp_path / "alone", **kw)             # no parent run there
    assert "continued_from" not in fresh["experiment"]
    assert fresh["history"]["val_mpjpe"] == cont["history"]["val_mpjpe"]
    assert fresh["test"]["mpjpe"] == cont["test"]["mpjpe"]
    other = run_experiment(child.name, runs_dir=tmp_path / "runs", seed=2, **kw)
    assert other["experiment"]["continued_from"] == {"run": f"{parent.name}-seed2", "epoch": 1}
    # a parent that trained into the annealed epoch is not continued: the child starts over
    longer = dataclasses.replace(parent, train={**parent.train, "epochs": 2})
    monkeypatch.setitem(experiments.EXPERIMENTS, parent.name, longer)
    run_experiment(parent.name, runs_dir=tmp_path / "long", **kw)
    over = run_experiment(child.name, runs_dir=tmp_path / "long", **kw)
    assert "continued_from" not in over["experiment"] and over["test"]["mpjpe"] == fresh["test"]["mpjpe"]


def test_split_seed_name_knows_registered_experiments_only():
    from semgcn.experiments import split_seed_name
    assert split_seed_name("h36m-semgcn-1h-seed2") == ("h36m-semgcn-1h", 2)
    assert split_seed_name("h36m-semgcn-1h") == ("h36m-semgcn-1h", None)
    assert split_seed_name("no-such-run-seed2") == ("no-such-run-seed2", None)   # not a registered experiment
    assert split_seed_name("h36m-semgcn-1h-seedx") == ("h36m-semgcn-1h-seedx", None)


def _cli_config(command: str, record: dict):
    """The TrainConfig that the command line builds for ``command`` (a record's)."""
    import shlex
    from semgcn.__main__ import build_parser
    args = build_parser().parse_args(shlex.split(command)[3:])
    exp = EXPERIMENTS[args.name]
    return exp.config(**({"epochs": args.epochs} if args.epochs is not None else {}))


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_registered_recipe_and_recorded_command_reproduce_the_shipped_record(name):
    """`experiment NAME` with no flags, and every record's own command, rerun the shipped recipe exactly."""
    try:
        rec = load_result(name)
    except FileNotFoundError:
        pytest.skip(f"{name} is not shipped")
    ignore = {"device", "eval_batch_size"}   # where it ran and its inference chunk change no result
    defaults = type(EXPERIMENTS[name].config())().to_dict()   # options added later than the record: their default
    shipped = {k: rec["config"].get(k, defaults[k]) for k in defaults if k not in ignore}
    registered = {k: v for k, v in EXPERIMENTS[name].config().to_dict().items() if k not in ignore}
    assert registered == shipped
    from_command = {k: v for k, v in _cli_config(rec["command"], rec).to_dict().items() if k not in ignore}
    assert from_command == shipped
    assert rec["experiment"]["data_overrides"] == {}


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
                            threads=1, inference_poses=512)
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
    assert any("512 poses:" in line and "in chunks of 256" in line for line in lines)
    assert res["inference_poses"] == 512
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
