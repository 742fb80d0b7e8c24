"""Command line as a user meets it: fast help, data settings stored with a
checkpoint, one line per epoch, --debug anywhere, pipes, missing extras."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TINY = ["--model-arg", "hidden=16", "--model-arg", "num_blocks=1", "--epochs", "1", "--max-steps-per-epoch", "3",
        "--device", "cpu"]


def _cli(*args, cwd=REPO, timeout=300, python=sys.executable):
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    env.pop("SEMGCN_H36M", None)
    return subprocess.run([python, "-m", "semgcn", *args], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=cwd)


def test_help_does_not_import_torch():
    """`--help` of every command answers without importing PyTorch (seconds saved on every typo)."""
    for args in ([], ["train"], ["evaluate"], ["experiment"], ["prepare"], ["benchmark"], ["left-right"]):
        r = subprocess.run([sys.executable, "-X", "importtime", "-m", "semgcn", *args, "--help"],
                           capture_output=True, text=True, timeout=60, cwd=REPO)
        assert r.returncode == 0 and "usage:" in r.stdout, (args, r.stderr[-500:])
        imported = {line.split("|")[-1].strip() for line in r.stderr.splitlines() if line.startswith("import time")}
        assert "torch" not in imported, args
    r = _cli("train", "--help")
    assert "official code's recipe" in r.stdout and "paper's recipe" not in r.stdout


def test_debug_is_accepted_anywhere_and_errors_are_one_line():
    r = _cli("experiment", "no-such", "--debug")
    assert r.returncode == 1 and "Traceback" in r.stderr
    r = _cli("experiment", "no-such")
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "unknown experiment" in r.stderr


def test_list_into_a_closed_pipe_is_quiet():
    r = subprocess.run(f"{sys.executable} -m semgcn experiment --list | head -n 1", shell=True, capture_output=True,
                       text=True, timeout=60, cwd=REPO)
    assert r.stdout.startswith("shipped results:") and "Broken pipe" not in r.stderr and "Error" not in r.stderr


def test_missing_extra_names_the_pip_extra(tmp_path):
    """Without plotly, `import semgcn.viz` says which extra installs it."""
    blocker = tmp_path / "sitecustomize.py"   # make plotly unimportable in a child process
    blocker.write_text("import sys\nsys.modules['plotly'] = None\n")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}"}
    r = subprocess.run([sys.executable, "-c", "import semgcn.viz"], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 1 and 'pip install "semgcn[viz]"' in r.stderr


@pytest.mark.slow
def test_evaluate_reuses_the_data_settings_of_the_checkpoint(tmp_path):
    """A run trained with --synthetic-train N scores the same in `evaluate` without repeating the flag;
    --resume onto other data is refused; --no-progress prints one line per epoch."""
    out = tmp_path / "run"
    r = _cli("train", *TINY, "--synthetic-train", "700", "--out", str(out), "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "semgcn epoch 1/1: loss" in r.stderr   # one line per epoch for logs
    record = json.loads((out / "record.json").read_text())
    assert record["data"]["settings"] == {"source": "synthetic", "num_train": 700}
    r = _cli("evaluate", "--checkpoint", str(out / "best.pt"), "--json", str(tmp_path / "eval.json"))
    assert r.returncode == 0, r.stderr
    assert "data settings stored with the checkpoint" in r.stderr
    scored = json.loads((tmp_path / "eval.json").read_text())
    assert scored["mpjpe"] == pytest.approx(record["test"]["mpjpe"], abs=1e-3)
    import hashlib
    prov = scored["provenance"]    # what produced the numbers, without this machine's paths
    assert prov["checkpoint"] == "best.pt"
    assert prov["checkpoint_sha256"] == hashlib.sha256((out / "best.pt").read_bytes()).hexdigest()
    assert prov["command"] == "python -m semgcn evaluate --checkpoint best.pt --json eval.json"
    assert prov["data"]["settings"]["source"] == "synthetic" and prov["hardware"] and prov["versions"]["torch"]
    r = _cli("train", *TINY[:4], "--epochs", "2", "--max-steps-per-epoch", "3", "--device", "cpu",
             "--synthetic-train", "800", "--out", str(out), "--resume")
    assert r.returncode == 2 and "trained on other data" in r.stderr and "Traceback" not in r.stderr


def test_public_argv_keeps_no_local_path():
    from semgcn.__main__ import _public_argv
    assert _public_argv(["evaluate", "--checkpoint", "/x/y/ckpt.pth", "--h36m", "/data/h36m", "--json=/t/e.json",
                         "--flip-test"]) == ["evaluate", "--checkpoint", "ckpt.pth", "--h36m", "PATH",
                                             "--json=e.json", "--flip-test"]


def test_evaluate_a_shipped_experiment_by_name():
    """`evaluate --checkpoint NAME` finds a shipped experiment's weights and the data settings of its record."""
    from semgcn.experiments import shipped_model_path
    from semgcn.train import checkpoint_data_settings
    try:
        path = shipped_model_path("synthetic-semgcn")
    except FileNotFoundError:
        pytest.skip("synthetic-semgcn is not shipped")
    settings = checkpoint_data_settings(path)
    assert settings["source"] == "synthetic" and settings["num_train"] == 50_000


# Every numeric flag out of range or not finite: one line naming the flag, exit 2, no traceback, no work done.
BAD_ARGUMENTS = [
    ("semgcn", ["train", "--lr-decay-steps", "0"], "--lr-decay-steps"),
    ("semgcn", ["train", "--lr-decay-steps", "-1"], "--lr-decay-steps"),
    ("semgcn", ["train", "--max-grad-norm", "-1"], "--max-grad-norm"),
    ("semgcn", ["train", "--lr-gamma", "nan"], "--lr-gamma"),
    ("semgcn", ["train", "--lr-gamma", "1.5"], "--lr-gamma"),
    ("semgcn", ["train", "--lr", "inf"], "--lr"),
    ("semgcn", ["train", "--lr", "0"], "--lr"),
    ("semgcn", ["train", "--plateau-factor", "5"], "--plateau-factor"),
    ("semgcn", ["train", "--plateau-patience", "-2"], "--plateau-patience"),
    ("semgcn", ["train", "--bone-weight", "-1"], "--bone-weight"),
    ("semgcn", ["train", "--bone-weight", "nan"], "--bone-weight"),
    ("semgcn", ["train", "--epochs", "0"], "--epochs"),
    ("semgcn", ["train", "--batch-size", "0"], "--batch-size"),
    ("semgcn", ["train", "--eval-batch-size", "-5"], "--eval-batch-size"),
    ("semgcn", ["train", "--max-steps-per-epoch", "0"], "--max-steps-per-epoch"),
    ("semgcn", ["train", "--seed", "-1"], "--seed"),
    ("semgcn", ["train", "--synthetic-train", "0"], "--synthetic-train"),
    ("semgcn", ["train", "--train-stride", "0"], "--train-stride"),
    ("semgcn", ["train", "--test-stride", "-1"], "--test-stride"),
    ("semgcn", ["train", "--model-arg", "hidden"], "--model-arg"),
    ("semgcn", ["train", "--model-arg", "=3"], "--model-arg"),
    ("semgcn", ["train", "--model-arg", "nosuch=3"], "--model-arg"),
    ("semgcn", ["train", "--model", "nope"], "unknown model"),
    ("semgcn", ["train", "--resume", "--overwrite"], "--resume and --overwrite"),
    ("semgcn", ["evaluate", "--checkpoint", "h36m-semgcn", "--test-stride", "0"], "--test-stride"),
    ("semgcn", ["evaluate", "--checkpoint", "no-such.pt"], "no-such.pt"),
    ("semgcn", ["benchmark", "--batch-sizes", "0"], "--batch-sizes"),
    ("semgcn", ["benchmark", "--seconds", "nan"], "--seconds"),
    ("semgcn", ["benchmark", "--seconds", "inf"], "--seconds"),
    ("semgcn", ["benchmark", "--seconds", "-1"], "--seconds"),
    ("semgcn", ["benchmark", "--threads", "0"], "--threads"),
    ("semgcn", ["experiment", "synthetic-semgcn", "--epochs", "0"], "--epochs"),
    ("semgcn", ["left-right", "--h36m", "/nonexistent", "--test-stride", "0"], "--test-stride"),
    ("semgcn.image", ["train", "--out", "OUT", "--set", "lr_2d=nan"], "lr_2d"),
    ("semgcn.image", ["train", "--out", "OUT", "--set", "batch_size=0"], "batch_size"),
    ("semgcn.image", ["train", "--out", "OUT", "--set", "nosuch=1"], "nosuch"),
    ("semgcn.image", ["train", "--out", "OUT", "--set", "epochs_2d"], "--set"),
    ("semgcn.image", ["train", "--out", "OUT", "--num-train", "0"], "--num-train"),
    ("semgcn.image", ["compare", "--out", "OUT", "--seeds", "-1"], "--seeds"),
    ("semgcn.image", ["render", "--png", "x.png", "--count", "0"], "--count"),
    ("semgcn.image", ["benchmark", "--batch-size", "0"], "--batch-size"),
]


@pytest.mark.parametrize("module,args,names", BAD_ARGUMENTS, ids=[" ".join(a) for _, a, _ in BAD_ARGUMENTS])
def test_bad_arguments_give_one_line_errors(module, args, names, tmp_path):
    args = [str(tmp_path / "run") if a == "OUT" else a for a in args]
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    env.pop("SEMGCN_H36M", None)
    r = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=120, env=env,
                       cwd=tmp_path)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr[-800:]
    assert lines[-1].startswith("error:") and names in lines[-1], lines
    assert not (tmp_path / "run").exists() and not (tmp_path / "runs").exists()   # refused before any work


def test_out_that_is_a_file_is_refused_before_any_work(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("keep me")
    r = _cli("train", *TINY, "--out", str(target))
    assert r.returncode == 2 and "is a file" in r.stderr and target.read_text() == "keep me"


def test_experiment_list_gives_the_mean_over_shipped_seeds(tmp_path):
    """`experiment --list` reports one run's error, or the mean when NAME-seedN records are shipped beside it."""
    def ship(folder, seed, mpjpe):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "record.json").write_text(json.dumps(
            {"complete": True, "config": {"seed": seed}, "test": {"mpjpe": mpjpe, "p_mpjpe": 30.0}}))
    ship("h36m-semgcn-1h", 0, 43.0)
    ship("h36m-resgcn-1h", 0, 130.0)
    ship("h36m-semgcn-1h-seed1", 1, 44.0)
    r = _cli("experiment", "--list", "--results-dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    lines = {line.split()[0]: line for line in r.stdout.splitlines()[1:]}
    assert "shipped: test MPJPE 43.5 mm (2-seed mean)" in lines["h36m-semgcn-1h"]
    assert "shipped: test MPJPE 130.0 mm " in lines["h36m-resgcn-1h"]
    assert "not shipped" in lines["h36m-fc-1h"]
