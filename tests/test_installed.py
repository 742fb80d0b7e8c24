"""The package as a new user meets it: a wheel installed into a fresh
environment, used from a folder that is not the checkout."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fresh_env import REPO, build_wheel, fresh_venv

SHIPPED = ("synthetic-semgcn", "h36m-semgcn", "h36m-semgcn-no-nonlocal", "h36m-fc")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(python, working folder) of a fresh venv with the wheel installed."""
    tmp = tmp_path_factory.mktemp("installed")
    wheel = build_wheel(tmp)
    assert wheel.stat().st_size < 40 * 2 ** 20
    python = fresh_venv(tmp)
    r = subprocess.run([str(python), "-c", "import semgcn"], capture_output=True, text=True, cwd=tmp)
    assert r.returncode != 0   # nothing of the checkout leaks into the fresh environment
    r = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-index", str(wheel)], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    work = tmp / "elsewhere"
    work.mkdir()
    return python, work


def _run(installed, *args, **kw):
    python, work = installed
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SEMGCN_H36M", "SEMGCN_RESULTS")}
    env["OMP_NUM_THREADS"] = "1"
    return subprocess.run([str(python), *args], capture_output=True, text=True, cwd=work, env=env, timeout=600, **kw)


def test_installed_package_is_not_the_checkout(installed):
    r = _run(installed, "-c", "import semgcn, semgcn.experiments as e; print(semgcn.__file__); print(e.RESULTS_DIR)")
    assert r.returncode == 0, r.stderr
    module, results = r.stdout.split()
    assert "site-packages" in module and Path(results).name == "_results" and "site-packages" in results


def test_experiment_list_finds_the_shipped_results(installed):
    r = _run(installed, "-m", "semgcn", "experiment", "--list")
    assert r.returncode == 0, r.stderr
    lines = {line.split()[0]: line for line in r.stdout.splitlines()[1:]}
    for name in SHIPPED:
        assert "shipped: test MPJPE" in lines[name], lines[name]
    # every experiment the checkout ships is found in the installed copy (registered experiments that are not
    # trained yet, e.g. the fast-recipe rows awaiting seeds, say "not shipped" here as in the checkout)
    in_checkout = {p.parent.name for p in (REPO / "results").glob("*/record.json")}
    missing = {name for name, line in lines.items() if "not shipped" in line}
    assert not missing & in_checkout, missing & in_checkout


def test_shipped_model_loads_and_evaluates_on_synthetic_data(installed):
    code = ("import json, semgcn.experiments as e, semgcn.train as t, semgcn.data as d\n"
            "model = e.load_shipped_model('synthetic-semgcn')\n"
            "data = d.load_pose_data('synthetic', num_train=200, num_val=50, num_test=2000)\n"
            "print(json.dumps({'mpjpe': t.evaluate(model, data.test)['mpjpe'],"
            " 'record': e.load_result('synthetic-semgcn')['test']['mpjpe']}))")
    r = _run(installed, "-c", code)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.splitlines()[-1])
    assert out["mpjpe"] < 160 and abs(out["mpjpe"] - out["record"]) < 25   # a trained model, not a random one
    r = _run(installed, "-m", "semgcn", "evaluate", "--checkpoint", "h36m-semgcn", "--synthetic-train", "200")
    assert r.returncode == 0, r.stderr
    assert "trained on h36m data; scoring it on synthetic data" in r.stderr and "test: MPJPE" in r.stdout


def test_installed_package_refuses_to_ship_into_itself(installed):
    r = _run(installed, "-m", "semgcn", "experiment", "synthetic-semgcn", "--ship")
    assert r.returncode == 2 and "pass --results-dir" in r.stderr and "Traceback" not in r.stderr
    python, work = installed
    assert not (work / "runs").exists()


def test_left_right_without_shipped_networks_is_an_error(installed, tmp_path):
    r = _run(installed, "-m", "semgcn", "left-right", "--h36m", str(tmp_path), "--results-dir", str(tmp_path))
    assert r.returncode == 2 and "no shipped weights" in r.stderr


@pytest.mark.parametrize("version", ["3.12", "3.13"])
def test_cli_parses_on_newer_pythons(version, tmp_path):
    """Colab runs 3.12: the package compiles and its command line builds there (no torch needed for --help)."""
    found = sorted(Path("/root/.pyenv/versions").glob(f"{version}.*/bin/python{version}"))
    if not found:
        pytest.skip(f"no Python {version} on this machine")
    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(repo), "PYTHONPYCACHEPREFIX": str(tmp_path)}
    r = subprocess.run([str(found[-1]), "-m", "compileall", "-q", str(repo / "semgcn")], capture_output=True,
                       text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stdout[-2000:]
    for args in (["--help"], ["train", "--help"], ["experiment", "--help"]):
        r = subprocess.run([str(found[-1]), "-m", "semgcn", *args], capture_output=True, text=True, env=env,
                           timeout=60, cwd=tmp_path)
        assert r.returncode == 0 and "usage:" in r.stdout, r.stderr[-1000:]
