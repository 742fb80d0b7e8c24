"""Training engine: determinism and exact resume, atomic files, NaN guard,
distributed data parallel (gloo), JSON record, command line."""
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from semgcn.data import PoseData, PoseSplit
from semgcn.train import (TrainConfig, TrainingDiverged, atomic_save, epoch_batches, load_checkpoint, load_model,
                          evaluate, export_weights, predict, train)
from semgcn.models import build_model

REPO = Path(__file__).resolve().parents[1]


def fake_split(n, seed):
    g = torch.Generator().manual_seed(seed)
    y = torch.randn(n, 16, 3, generator=g) * 0.2
    y[:, 0] = 0
    x = y[..., :2] / (y[..., 2:] + 4.0)
    return PoseSplit(x, y, torch.randint(0, 3, (n,), generator=g), torch.zeros(n, dtype=torch.long),
                     torch.zeros(n, dtype=torch.long), ["A", "B", "C"], ["S1"])


def fake_data(n=512):
    return PoseData(fake_split(n, 0), fake_split(128, 1), fake_split(128, 2), "fake poses for tests")


SMALL = dict(model="semgcn", model_kwargs={"hidden": 16, "num_blocks": 1}, batch_size=64, epochs=3,
             eval_batch_size=256)


def test_epoch_batches_reproducible_and_complete():
    a = epoch_batches(1000, 64, seed=3, epoch=5)
    b = epoch_batches(1000, 64, seed=3, epoch=5)
    c = epoch_batches(1000, 64, seed=3, epoch=6)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a[0], c[0])
    assert torch.equal(torch.cat(a).sort().values, torch.arange(1000))
    shards = [torch.cat(epoch_batches(1000, 64, 3, 5, rank=r, world_size=2)) for r in range(2)]
    assert len(set(shards[0].tolist()) & set(shards[1].tolist())) == 0 and len(shards[0]) == len(shards[1]) == 500


def test_resume_equals_uninterrupted(tmp_path):
    data = fake_data()
    full = train(TrainConfig(**SMALL), data, tmp_path / "full", progress=False)
    part = train(TrainConfig(**SMALL), data, tmp_path / "part", progress=False, stop_after_epoch=1)
    assert part["complete"] is False and "test" not in part
    resumed = train(TrainConfig(**SMALL), data, tmp_path / "part", resume=True, progress=False)
    a = load_checkpoint(tmp_path / "full" / "checkpoint.pt")["model"]
    b = load_checkpoint(tmp_path / "part" / "checkpoint.pt")["model"]
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert resumed["history"]["val_mpjpe"] == full["history"]["val_mpjpe"]
    assert resumed["test"]["mpjpe"] == full["test"]["mpjpe"]


def test_resume_refuses_other_config(tmp_path):
    data = fake_data()
    train(TrainConfig(**{**SMALL, "epochs": 1}), data, tmp_path, progress=False)
    with pytest.raises(ValueError, match="configuration differs"):
        train(TrainConfig(**{**SMALL, "epochs": 1, "lr": 0.5}), data, tmp_path, resume=True, progress=False)


def test_resume_with_more_or_fewer_epochs(tmp_path):
    """Changing only ``epochs`` on resume extends a finished run exactly (no schedule
    depends on the total); asking for fewer epochs than already trained is refused."""
    data = fake_data()
    cfg = {**SMALL, "lr_schedule": "plateau", "plateau_patience": 0}
    full = train(TrainConfig(**{**cfg, "epochs": 3}), data, tmp_path / "full", progress=False)
    short = train(TrainConfig(**{**cfg, "epochs": 2}), data, tmp_path / "ext", progress=False)
    assert short["complete"] and short["config"]["epochs"] == 2
    extended = train(TrainConfig(**{**cfg, "epochs": 3}), data, tmp_path / "ext", resume=True, progress=False)
    assert extended["history"]["val_mpjpe"] == full["history"]["val_mpjpe"]
    assert extended["history"]["lr"] == full["history"]["lr"]
    assert extended["test"]["mpjpe"] == full["test"]["mpjpe"]
    with pytest.raises(ValueError, match="already trained 3 epochs"):
        train(TrainConfig(**{**cfg, "epochs": 2}), data, tmp_path / "ext", resume=True, progress=False)


def test_record_contents(tmp_path):
    rec = train(TrainConfig(**{**SMALL, "epochs": 3, "lr": 5e-3}), fake_data(), tmp_path, progress=False)
    on_disk = json.loads((tmp_path / "record.json").read_text())
    assert on_disk["test"]["mpjpe"] == pytest.approx(rec["test"]["mpjpe"])
    for key in ("config", "history", "parameters", "hardware", "versions", "git_commit", "data", "command"):
        assert key in on_disk, key
    assert len(on_disk["history"]["val_mpjpe"]) == 3 and on_disk["history"]["poses_per_second"][0] > 0
    assert set(on_disk["test"]["mpjpe_per_action"]) == {"A", "B", "C"}
    assert on_disk["data"]["source"] == "fake poses for tests"
    assert "semgcn train" in on_disk["command"]
    # training actually learned something: the training loss dropped
    assert on_disk["history"]["train_loss"][-1] < 0.8 * on_disk["history"]["train_loss"][0]
    model = load_model(tmp_path / "best.pt")
    assert sum(p.numel() for p in model.parameters()) == on_disk["parameters"]


def test_resume_counts_an_omitted_data_setting_as_its_default(tmp_path):
    """A run whose data settings spell out a loader default (``train`` records test_stride=1) resumes under
    settings that leave it out (an experiment's), and is refused when a setting really differs."""
    from semgcn.data import same_data_settings

    spelled = {"source": "h36m", "keypoints": "gt", "train_stride": 5, "test_stride": 1, "actions": None}
    short = {"source": "h36m", "keypoints": "gt", "train_stride": 5}
    assert same_data_settings(spelled, short) and same_data_settings(short, spelled)
    assert not same_data_settings(spelled, {**short, "test_stride": 2})
    assert not same_data_settings(short, {**short, "source": "synthetic"})
    assert not same_data_settings(short, {**short, "unknown_setting": 1})

    def with_settings(settings):
        data = fake_data()
        data.meta["settings"] = settings
        return data

    train(TrainConfig(**SMALL), with_settings(spelled), tmp_path, progress=False, stop_after_epoch=1)
    with pytest.raises(ValueError, match="trained on other data"):
        train(TrainConfig(**SMALL), with_settings({**short, "train_stride": 10}), tmp_path, resume=True,
              progress=False)
    record = train(TrainConfig(**SMALL), with_settings(short), tmp_path, resume=True, progress=False)
    assert record["complete"] and len(record["history"]["epoch"]) == 3


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path):
    data = fake_data()
    train(TrainConfig(**{**SMALL, "epochs": 1}), data, tmp_path, progress=False)
    good = load_checkpoint(tmp_path / "checkpoint.pt")
    bad = PoseData(PoseSplit(data.train.inputs, data.train.targets * float("nan"), data.train.action,
                             data.train.subject, data.train.camera, data.train.action_names, ["S1"]),
                   data.val, data.test, "nan")
    with pytest.raises(TrainingDiverged, match="last good checkpoint"):
        train(TrainConfig(**{**SMALL, "epochs": 2}), bad, tmp_path, resume=True, progress=False)
    after = load_checkpoint(tmp_path / "checkpoint.pt")
    assert after["state"]["epoch"] == good["state"]["epoch"] == 1
    assert all(torch.equal(after["model"][k], good["model"][k]) for k in good["model"])


def test_atomic_save_leaves_old_file_when_interrupted(tmp_path, monkeypatch):
    path = tmp_path / "x.pt"
    atomic_save({"a": torch.ones(3)}, path)

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", boom)
    with pytest.raises(KeyboardInterrupt):
        atomic_save({"a": torch.zeros(3)}, path)
    assert torch.equal(load_checkpoint(path)["a"], torch.ones(3))
    assert [p.name for p in tmp_path.iterdir()] == ["x.pt"]  # no temporary file left behind


def test_load_checkpoint_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="cannot read checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")


def test_config_validation():
    with pytest.raises(ValueError, match="lr_schedule"):
        TrainConfig(lr_schedule="linear")
    with pytest.raises(ValueError, match="batch_size"):
        TrainConfig(batch_size=0)


def test_step_schedule_decays_learning_rate(tmp_path):
    rec = train(TrainConfig(**{**SMALL, "epochs": 2, "lr_decay_steps": 4, "lr_gamma": 0.5}), fake_data(),
                tmp_path, progress=False)
    # 8 steps per epoch: after epoch 1 the rate was last set at step 4 (x0.5), after epoch 2 at step 12 (x0.125)
    assert rec["history"]["lr"] == pytest.approx([1e-3 * 0.5, 1e-3 * 0.125])


def test_cosine_schedule_falls_to_zero_and_resumes_only_with_the_same_epochs(tmp_path):
    from semgcn.train import cosine_lr
    assert [cosine_lr(1.0, s, 16) for s in (0, 8, 16, 20)] == pytest.approx([1.0, 0.5, 0.0, 0.0])
    data, cfg = fake_data(), {**SMALL, "epochs": 2, "lr_schedule": "cosine"}
    full = train(TrainConfig(**cfg), data, tmp_path / "full", progress=False)
    # 8 steps per epoch, 16 in all: the rate of each epoch's last step (7 and 15) is what the history holds
    assert full["history"]["lr"] == pytest.approx([cosine_lr(1e-3, 7, 16), cosine_lr(1e-3, 15, 16)])
    assert full["history"]["lr"][1] < 0.01 * 1e-3
    assert all(s > 0 for s in full["history"]["cpu_seconds"]) and len(full["history"]["cpu_seconds"]) == 2
    train(TrainConfig(**cfg), data, tmp_path / "part", progress=False, stop_after_epoch=1)
    resumed = train(TrainConfig(**cfg), data, tmp_path / "part", resume=True, progress=False)
    assert resumed["history"]["val_mpjpe"] == full["history"]["val_mpjpe"]
    with pytest.raises(ValueError, match="configuration differs.*epochs"):   # the schedule depends on the total
        train(TrainConfig(**{**cfg, "epochs": 3}), data, tmp_path / "part", resume=True, progress=False)


def test_cosine_warmup_rises_linearly_then_follows_the_cosine(tmp_path):
    from semgcn.train import cosine_lr
    assert [cosine_lr(1.0, s, 20, warmup=4) for s in (0, 1, 3, 4, 12, 20)] == pytest.approx(
        [0.25, 0.5, 1.0, 1.0, 0.5, 0.0])
    data, cfg = fake_data(), {**SMALL, "epochs": 2, "lr_schedule": "cosine", "warmup_epochs": 0.5}
    rec = train(TrainConfig(**cfg), data, tmp_path / "w", progress=False)
    # 8 steps per epoch, 4 of warm-up, then a cosine over the remaining 12 steps
    last = 0.5e-3 * (1 + math.cos(math.pi * 11 / 12))   # step 15 = cosine step 11 of 12
    assert rec["history"]["lr"] == pytest.approx([cosine_lr(1e-3, 7, 16, 4), last])
    assert "--warmup-epochs" in TrainConfig(**cfg).cli_args()
    train(TrainConfig(**cfg), data, tmp_path / "part", progress=False, stop_after_epoch=1)
    resumed = train(TrainConfig(**cfg), data, tmp_path / "part", resume=True, progress=False)
    assert resumed["history"]["val_mpjpe"] == rec["history"]["val_mpjpe"]
    with pytest.raises(ValueError, match="configuration differs.*warmup_epochs"):
        train(TrainConfig(**{**cfg, "warmup_epochs": 1}), data, tmp_path / "part", resume=True, progress=False)
    with pytest.raises(ValueError, match="warmup_epochs applies to lr_schedule='cosine' only"):
        TrainConfig(lr_schedule="plateau", warmup_epochs=1)
    with pytest.raises(ValueError, match=r"warmup_epochs must be below epochs \(2\)"):
        TrainConfig(lr_schedule="cosine", epochs=2, warmup_epochs=2)
    with pytest.raises(ValueError, match="warmup_epochs must be in"):
        TrainConfig(lr_schedule="cosine", warmup_epochs=-1)
    with pytest.raises(ValueError, match="warmup_epochs must be a number, got 'x'"):   # not a TypeError
        TrainConfig(lr_schedule="cosine", warmup_epochs="x")


def test_final_annealing_falls_linearly_to_zero_and_continues_an_unannealed_run(tmp_path):
    """anneal_epochs: the last epochs' rate falls linearly to zero; a finished run
    without annealing continued by one annealed epoch equals the annealed run."""
    data, cfg = fake_data(), {**SMALL, "lr_schedule": "step", "anneal_epochs": 1}
    full = train(TrainConfig(**cfg), data, tmp_path / "full", progress=False)
    # 8 steps per epoch, 24 in all, annealing over steps 16-23: step 23's rate is 1e-3 * 1/8
    assert full["history"]["lr"] == pytest.approx([1e-3, 1e-3, 1e-3 / 8])
    train(TrainConfig(**{**cfg, "epochs": 2, "anneal_epochs": 0}), data, tmp_path / "ext", progress=False)
    cont = train(TrainConfig(**cfg), data, tmp_path / "ext", resume=True, progress=False)
    a = load_checkpoint(tmp_path / "full" / "checkpoint.pt")["model"]
    b = load_checkpoint(tmp_path / "ext" / "checkpoint.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert cont["history"]["val_mpjpe"] == full["history"]["val_mpjpe"]
    # once annealed, a run cannot be extended (its last epoch would differ)
    with pytest.raises(ValueError, match="configuration differs.*epochs"):
        train(TrainConfig(**{**cfg, "epochs": 4}), data, tmp_path / "ext", resume=True, progress=False)
    # with no schedule, the constant rate is annealed the same way
    flat = train(TrainConfig(**{**cfg, "epochs": 2, "lr_schedule": "none"}), data, tmp_path / "none",
                 progress=False)
    assert flat["history"]["lr"] == pytest.approx([1e-3, 1e-3 / 8])
    assert "--anneal-epochs" in TrainConfig(**cfg).cli_args()
    with pytest.raises(ValueError, match="anneal_epochs applies to lr_schedule='step' or 'none' only"):
        TrainConfig(lr_schedule="cosine", anneal_epochs=1)
    with pytest.raises(ValueError, match=r"anneal_epochs must be at most epochs \(2\)"):
        TrainConfig(epochs=2, anneal_epochs=3)
    with pytest.raises(ValueError, match="anneal_epochs must be an integer, got 0.5"):
        TrainConfig(anneal_epochs=0.5)


def test_weight_averaging_evaluates_the_mean_of_the_sampled_weights(tmp_path, monkeypatch):
    """average_epochs: over the last epochs the weights are sampled every
    average_every steps; validation, the test monitor and best.pt use their
    mean (batch-norm statistics included); it survives resume and continues an
    unaveraged run exactly."""
    import semgcn.train as engine
    samples, real = [], engine._add_to_average
    monkeypatch.setattr(engine, "_add_to_average", lambda avg, model, count: (
        samples.append({k: v.detach().clone() for k, v in model.state_dict().items()}), real(avg, model, count))[1])
    data = fake_data()
    cfg = {**SMALL, "lr_schedule": "step", "average_epochs": 1, "average_every": 2, "monitor_test": True}
    full = train(TrainConfig(**cfg), data, tmp_path / "full", progress=False)
    assert full["averaged_samples"] == len(samples) == 4          # steps 18, 20, 22, 24 of 24
    ckpt = load_checkpoint(tmp_path / "full" / "checkpoint.pt")
    mean = {k: torch.stack([s[k].float() for s in samples]).mean(0) for k in samples[0]}
    for k, v in ckpt["average"].items():
        if v.is_floating_point():
            torch.testing.assert_close(v, mean[k])
    assert any("running_mean" in k for k in ckpt["average"])    # batch-norm statistics averaged too
    assert not torch.equal(ckpt["average"]["body.0.conv.weight"], ckpt["model"]["body.0.conv.weight"])
    model = build_model(cfg["model"], **cfg["model_kwargs"])
    model.load_state_dict(ckpt["average"])
    assert full["history"]["val_mpjpe"][-1] == pytest.approx(evaluate(model, data.val)["mpjpe"])
    assert full["history"]["test_mpjpe"][-1] == pytest.approx(evaluate(model, data.test)["mpjpe"])
    # a run that averages all along keeps the mean as best.pt
    train(TrainConfig(**{**cfg, "epochs": 1}), data, tmp_path / "one", progress=False)
    best = load_model(tmp_path / "one" / "best.pt").state_dict()
    one = load_checkpoint(tmp_path / "one" / "checkpoint.pt")
    assert all(torch.equal(best[k], one["average"][k]) for k in one["average"])
    # a 2-epoch run without averaging, continued by an averaged third, equals the run above
    samples.clear()
    train(TrainConfig(**{**cfg, "epochs": 2, "average_epochs": 0}), data, tmp_path / "ext", progress=False)
    cont = train(TrainConfig(**cfg), data, tmp_path / "ext", resume=True, progress=False)
    assert cont["history"]["val_mpjpe"] == full["history"]["val_mpjpe"]
    # averaging over two epochs, interrupted after the first of them: the mean is checkpointed
    two = {**cfg, "epochs": 4, "average_epochs": 2}
    whole = train(TrainConfig(**two), data, tmp_path / "whole", progress=False)
    train(TrainConfig(**two), data, tmp_path / "cut", progress=False, stop_after_epoch=3)
    resumed = train(TrainConfig(**two), data, tmp_path / "cut", resume=True, progress=False)
    assert resumed["history"]["val_mpjpe"] == whole["history"]["val_mpjpe"]
    assert resumed["averaged_samples"] == whole["averaged_samples"] == 8
    # a checkpoint whose mean does not fit the model is refused in one line, the checkpoint kept
    bad = load_checkpoint(tmp_path / "cut" / "checkpoint.pt")
    bad["average"]["body.0.conv.weight"] = torch.zeros(3)
    atomic_save(bad, tmp_path / "cut" / "checkpoint.pt")
    with pytest.raises(ValueError, match="'average' entry 'body.0.conv.weight' is not a torch.float32 tensor"):
        train(TrainConfig(**two), data, tmp_path / "cut", resume=True, progress=False)
    assert load_checkpoint(tmp_path / "cut" / "checkpoint.pt")["average"]["body.0.conv.weight"].shape == (3,)
    # once averaging has begun, its length is fixed
    with pytest.raises(ValueError, match="configuration differs.*average_epochs"):
        train(TrainConfig(**{**two, "average_epochs": 1}), data, tmp_path / "cut", resume=True, progress=False)
    assert "--average-epochs" in TrainConfig(**cfg).cli_args()
    with pytest.raises(ValueError, match=r"average_epochs must be at most epochs \(2\)"):
        TrainConfig(epochs=2, average_epochs=3)
    with pytest.raises(ValueError, match="average_every must be in"):
        TrainConfig(average_every=0)


def test_l1_weight_trains_with_the_mixed_loss(tmp_path, monkeypatch):
    """l1_weight reaches the loss of every training step (the modulated GCN's 0.9 MSE + 0.1 L1)."""
    import semgcn.train as engine
    seen = []
    real = engine.pose_loss
    monkeypatch.setattr(engine, "pose_loss", lambda *a, **k: seen.append(k.get("l1_weight")) or real(*a, **k))
    train(TrainConfig(**{**SMALL, "epochs": 1, "l1_weight": 0.1}), fake_data(), tmp_path, progress=False)
    assert seen and set(seen) == {0.1}


def test_train_fits_the_fc_standardization_and_the_checkpoint_carries_it(tmp_path):
    data = fake_data()
    cfg = TrainConfig(model="fc", model_kwargs={"width": 32, "standardize": True}, epochs=1, batch_size=64)
    train(cfg, data, tmp_path, progress=False)
    model = load_model(tmp_path / "best.pt")
    torch.testing.assert_close(model.out_mean, data.train.targets[:, 1:].flatten(1).mean(0))
    torch.testing.assert_close(model.in_std, data.train.inputs.flatten(1).std(0).clamp_min(1e-4))  # root: constant 0
    export_weights(model, tmp_path / "small.pt", half=True, meta={"model": "fc", "model_kwargs": cfg.model_kwargs})
    shipped = load_model(tmp_path / "small.pt")
    assert shipped.in_std.dtype == torch.float32
    torch.testing.assert_close(shipped.in_std, model.in_std, rtol=0, atol=0)


def test_training_flushes_subnormals_and_restores_the_default(tmp_path, monkeypatch):
    import dataclasses
    calls, real = [], torch.set_flush_denormal
    monkeypatch.setattr(torch, "set_flush_denormal", lambda on: calls.append(on) or real(on))
    train(TrainConfig(**{**SMALL, "epochs": 1}), fake_data(), tmp_path / "ok", progress=False)
    assert calls == [True, False]
    assert float(torch.tensor([1e-39]) * 1.0) > 0          # subnormals are back after training
    calls.clear()
    data = fake_data()
    no_val = dataclasses.replace(data, val=data.val.subset(torch.arange(0)))
    with pytest.raises(ValueError, match="validation split is empty"):   # also restored when training fails
        train(TrainConfig(**{**SMALL, "epochs": 1}), no_val, tmp_path / "failed", progress=False)
    assert calls == [True, False]


def _cli(*args, timeout=300, **kw):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("SEMGCN_H36M", None)
    return subprocess.run([sys.executable, "-m", "semgcn", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=kw.get("cwd", REPO))


def test_cli_clear_errors(tmp_path):
    r = _cli("train", "--model", "nope")
    assert r.returncode == 2 and "unknown model 'nope'" in r.stderr and "Traceback" not in r.stderr
    r = _cli("train", "--h36m", str(tmp_path), "--epochs", "1")
    assert r.returncode == 2 and "data_3d_h36m.npz" in r.stderr and "Traceback" not in r.stderr
    r = _cli("evaluate", "--checkpoint", str(tmp_path / "none.pt"))
    assert r.returncode == 2 and "checkpoint not found" in r.stderr
    r = _cli("experiment", "no-such-experiment")
    assert r.returncode == 2 and "unknown experiment" in r.stderr


@pytest.mark.slow
def test_kill_and_resume_via_cli(tmp_path):
    """Kill a real training process mid-run, resume it: same final weights."""
    args = ["train", "--model", "semgcn", "--model-arg", "hidden=16", "--model-arg", "num_blocks=1",
            "--synthetic-train", "3000", "--epochs", "3", "--batch-size", "64", "--device", "cpu", "--no-progress"]
    ref = _cli(*args, "--out", str(tmp_path / "ref"))
    assert ref.returncode == 0, ref.stderr
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("SEMGCN_H36M", None)
    run = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "semgcn", *args, "--out", str(run)], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while not (run / "checkpoint.pt").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)  # now somewhere inside epoch 2
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (run / "checkpoint.pt").exists()
    res = _cli(*args, "--out", str(run), "--resume")
    assert res.returncode == 0, res.stderr
    a = load_checkpoint(tmp_path / "ref" / "checkpoint.pt")
    b = load_checkpoint(run / "checkpoint.pt")
    assert b["state"]["epoch"] == 3
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    assert not list(run.glob("*.tmp"))


DDP_SCRIPT = r"""
import sys, torch, torch.distributed as dist
sys.path.insert(0, {repo!r})
from tests.test_train import fake_data, SMALL
from semgcn.train import TrainConfig, train
dist.init_process_group("gloo")
rec = train(TrainConfig(**{{**SMALL, "epochs": 2}}), fake_data(), {out!r}, progress=False)
if dist.get_rank() == 0:
    print("WORLD", rec["world_size"], "TEST", rec["test"]["mpjpe"])
dist.destroy_process_group()
"""


@pytest.mark.slow
def test_distributed_data_parallel_gloo(tmp_path):
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT.format(repo=str(REPO), out=str(tmp_path / "run")))
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--standalone",
                        str(script)], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "WORLD 2" in r.stdout
    rec = json.loads((tmp_path / "run" / "record.json").read_text())
    assert rec["world_size"] == 2 and rec["complete"]
    # each rank saw half the data: steps per epoch are half of a single-process run
    assert rec["history"]["steps"][0] == 4


def test_export_keeps_batch_norm_statistics_finite(tmp_path):
    """A running variance above float16's range (seen in a trained non-local block) must survive export."""
    model = build_model("semgcn", hidden=16, num_blocks=1)
    bn = next(m for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d))
    bn.running_var.fill_(1e6)
    bn.running_mean.fill_(1e-9)
    from semgcn.train import export_weights
    export_weights(model, tmp_path / "m.pt", meta={"model": "semgcn", "model_kwargs": {"hidden": 16, "num_blocks": 1}})
    state = load_checkpoint(tmp_path / "m.pt")["state_dict"]
    assert all(bool(torch.isfinite(v.float()).all()) for v in state.values() if v.is_floating_point())
    assert any(v.dtype == torch.float16 for v in state.values())   # parameters still halved
    loaded = load_model(tmp_path / "m.pt")
    x = torch.randn(4, 16, 2)
    assert torch.allclose(loaded(x), model.eval()(x), atol=1e-2)


def test_predict_chunks_automatically_and_the_chunk_size_does_not_change_the_answer():
    from semgcn.train import default_eval_batch_size
    assert default_eval_batch_size("cpu") == 256 and default_eval_batch_size("cuda") == 8192
    torch.manual_seed(0)
    model = build_model("semgcn", hidden=16, num_blocks=1)
    x = torch.randn(700, 16, 2)
    auto, one_pass = predict(model, x), predict(model, x, batch_size=8192)
    assert auto.shape == (700, 16, 3) and torch.allclose(auto, one_pass, atol=1e-5)
    assert TrainConfig().eval_batch_size is None
    with pytest.raises(ValueError, match="eval_batch_size must be in \\[1, inf\\), got 0"):
        TrainConfig(eval_batch_size=0)


def test_a_fresh_run_never_replaces_an_earlier_one(tmp_path):
    """train into a folder holding a run: refused unless resume (continue) or overwrite (replace);
    stale temporary files of a killed write are removed."""
    cfg = TrainConfig(**{**SMALL, "epochs": 1})
    train(cfg, fake_data(), tmp_path, progress=False)
    before = {n: (tmp_path / n).read_bytes() for n in ("best.pt", "checkpoint.pt", "record.json")}
    with pytest.raises(ValueError, match="already holds a run"):
        train(cfg, fake_data(), tmp_path, progress=False)
    assert {n: (tmp_path / n).read_bytes() for n in before} == before        # nothing lost
    (tmp_path / "checkpoint.pt.abc123.tmp").write_bytes(b"half a checkpoint")
    rec = train(TrainConfig(**{**SMALL, "epochs": 2}), fake_data(), tmp_path, resume=True, progress=False)
    assert rec["complete"] and not list(tmp_path.glob("*.tmp"))
    rec = train(TrainConfig(**{**SMALL, "epochs": 1, "seed": 3}), fake_data(), tmp_path, overwrite=True,
                progress=False)
    assert rec["config"]["seed"] == 3 and len(rec["history"]["epoch"]) == 1
    (tmp_path / "checkpoint.pt").unlink()
    with pytest.raises(ValueError, match="no checkpoint.pt to resume from"):
        train(cfg, fake_data(), tmp_path, resume=True, progress=False)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        train(cfg, fake_data(), tmp_path / "afile", progress=False)


@pytest.mark.parametrize("bad", [dict(max_grad_norm=-1), dict(lr_decay_steps=-1), dict(lr_gamma=float("nan")),
                                 dict(plateau_factor=5), dict(plateau_patience=-1), dict(bone_weight=-1),
                                 dict(lr=float("inf")), dict(epochs=1.5), dict(seed=-1), dict(augment_flip="yes"),
                                 dict(l1_weight=1.5), dict(l1_weight=-0.1)])
def test_config_refuses_values_that_would_train_wrongly(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        TrainConfig(**bad)


def test_init_from_starts_from_the_given_weights_and_refuses_others(tmp_path):
    from semgcn.train import load_initial_weights
    data = fake_data()
    first = train(TrainConfig(**{**SMALL, "epochs": 1}), data, tmp_path / "a", progress=False)
    start = load_checkpoint(tmp_path / "a" / "best.pt")["state_dict"]
    # a tiny rate and one step: the fine-tuned weights are the starting ones, not a fresh initialisation
    cfg = TrainConfig(**{**SMALL, "epochs": 1, "max_steps_per_epoch": 1, "lr": 1e-12,
                         "init_from": str(tmp_path / "a" / "best.pt")})
    tuned = train(cfg, data, tmp_path / "b", progress=False)
    after = load_checkpoint(tmp_path / "b" / "best.pt")["state_dict"]
    for k, v in start.items():
        if v.is_floating_point() and "running_" not in k:   # batch-norm statistics move with any forward pass
            assert torch.allclose(after[k], v, atol=1e-6), k
    assert abs(tuned["test"]["mpjpe"] - first["test"]["mpjpe"]) < 0.5
    assert "--init-from" in tuned["command"]
    fresh = train(TrainConfig(**{**SMALL, "epochs": 1, "max_steps_per_epoch": 1, "lr": 1e-12, "seed": 5}),
                  data, tmp_path / "c", progress=False)
    assert abs(fresh["test"]["mpjpe"] - first["test"]["mpjpe"]) > 0.5   # the test above can fail
    other = build_model("semgcn", hidden=8, num_blocks=1)
    with pytest.raises(ValueError, match="do not fit model"):
        load_initial_weights(other, str(tmp_path / "a" / "best.pt"), "semgcn")
    with pytest.raises(ValueError, match="holds a 'semgcn' model"):
        load_initial_weights(build_model("resgcn", hidden=16, num_blocks=1), str(tmp_path / "a" / "best.pt"), "resgcn")
    with pytest.raises(ValueError, match="not a shipped experiment"):
        load_initial_weights(other, "no-such-run", "semgcn")
    with pytest.raises(ValueError, match="init_from"):
        TrainConfig(init_from="  ")


def test_monitor_test_records_the_test_error_without_changing_the_run(tmp_path):
    """monitor_test scores the test split after every epoch; the run (weights, validation, the selected epoch,
    its test error) is the one trained without it, and test_selected_on_test is the epoch with the lowest
    monitored test error."""
    from semgcn.train import evaluate, selected_on_test
    data, cfg = fake_data(), {**SMALL, "epochs": 4, "lr": 3e-3}
    plain = train(TrainConfig(**cfg), data, tmp_path / "plain", progress=False)
    watched = train(TrainConfig(**cfg, monitor_test=True), data, tmp_path / "watched", progress=False)
    assert watched["history"]["val_mpjpe"] == plain["history"]["val_mpjpe"]
    assert watched["best_epoch"] == plain["best_epoch"] and watched["test"] == plain["test"]
    errors = watched["history"]["test_mpjpe"]
    assert len(errors) == len(watched["history"]["test_p_mpjpe"]) == 4
    last = evaluate(load_model(tmp_path / "watched" / "checkpoint.pt"), data.test)   # the last epoch's weights
    assert errors[-1] == pytest.approx(last["mpjpe"])
    chosen = watched["test_selected_on_test"]
    assert chosen["mpjpe"] == min(errors) and chosen["epoch"] == 1 + errors.index(min(errors))
    assert chosen["mpjpe"] <= watched["test"]["mpjpe"] + 1e-9   # the test's own pick is never worse on the test
    assert "test_selected_on_test" not in plain and "test_mpjpe" not in plain["history"]
    assert "--monitor-test" in TrainConfig(**cfg, monitor_test=True).cli_args()
    with pytest.raises(ValueError, match="no test error for every epoch"):
        selected_on_test(plain["history"])
    with pytest.raises(ValueError, match="monitor_test must be true or false, got 'yes'"):
        TrainConfig(monitor_test="yes")
