"""The live figure of the rendered book (semgcn.viz.live_model): its exported networks, the
JavaScript forward pass (run in node) against PyTorch, the build's freshness check and the
notebook output.  The same page in headless Chromium is checked by tests/site_check.py."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from semgcn.data.camera import normalize_screen_coordinates
from semgcn.experiments import load_shipped_model, result_path
from semgcn.lifting import Lifter, reference_camera
from semgcn.viz import live_model as lm

STATIC = Path(lm.__file__).resolve().parent / "static"
NODE = shutil.which("node")

# Runs the book's JavaScript forward pass on the written files: argv = folder, prints {name: answers}.
_NODE_SCRIPT = r"""
const fs = require("fs"), path = require("path");
const net = require(process.argv[2]);
const dir = process.argv[3];
const man = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json")));
const tv = JSON.parse(fs.readFileSync(path.join(dir, "testvectors.json")));
const out = {};
for (const m of man.models) {
  const b = fs.readFileSync(path.join(dir, m.file));
  const n = new net.Network(m, b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength), man.joints.length);
  out[m.name] = tv.inputs_px.map(px => Array.from(n.forward(
    net.normalizeScreen(Float64Array.from(px.flat()), man.camera.w, man.camera.h))));
}
process.stdout.write(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site") / "semgcn-live"
    info = lm.write_live_files(folder)
    return folder, info


def _pytorch(name, pixels):
    """PyTorch's root-relative answer by the lifting API's own path (not the exporter's)."""
    ref = reference_camera()
    x = torch.as_tensor(normalize_screen_coordinates(np.asarray(pixels), ref["w"], ref["h"]), dtype=torch.float32)
    return Lifter(load_shipped_model(name)).predict_normalised(x, flip=False).double().numpy()


def test_written_files_are_complete_and_fresh(site):
    folder, info = site
    assert sorted(info["written"]) == sorted([n for n, _ in lm.LIVE_MODELS] + ["testvectors"])
    assert lm.check_live_files(folder) == []
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [m["name"] for m in manifest["models"]] == [n for n, _ in lm.LIVE_MODELS]
    semgcn = manifest["models"][0]
    assert semgcn["parameters"] == 434703
    # float16 exactly as shipped: two bytes per stored number, nothing widened to float32
    assert {t["dtype"] for m in manifest["models"] for t in m["tensors"]} == {"f16"}
    assert len(manifest["presets"]) >= 3 and all(np.shape(p["pixels"]) == (16, 2) for p in manifest["presets"])
    ref = reference_camera()
    assert (manifest["camera"]["w"], manifest["camera"]["h"]) == (ref["w"], ref["h"])
    assert abs(manifest["camera"]["f"] - ref["f"]) < 1e-3 and np.allclose(manifest["camera"]["c"], ref["c"], atol=1e-3)
    from semgcn.viz.skeleton import POSE_STYLES
    assert manifest["colors"] == {k: POSE_STYLES["gt"][k] for k in ("left", "right", "center")}
    # a second call keeps everything
    again = lm.write_live_files(folder)
    assert again["written"] == [] and sorted(again["kept"]) == sorted(n for n, _ in lm.LIVE_MODELS)


def test_reference_answers_are_pytorchs(site):
    folder, _ = site
    vectors = json.loads((folder / "testvectors.json").read_text())
    inputs = np.asarray(vectors["inputs_px"])
    assert inputs.shape == (20, 16, 2)
    for name, _ in lm.LIVE_MODELS:
        expected = _pytorch(name, inputs)
        assert np.abs(np.asarray(vectors["outputs"][name]) - expected).max() < 1e-6, name
    # the inputs are not all the same pose: the networks answer differently to them
    assert np.ptp(np.asarray(vectors["outputs"]["h36m-semgcn"]), axis=0).max() > 0.05


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_javascript_forward_pass_equals_pytorch(site, tmp_path):
    folder, _ = site
    script = tmp_path / "run.js"
    script.write_text(_NODE_SCRIPT)
    done = subprocess.run([NODE, str(script), str(STATIC / "semgcn_net.js"), str(folder)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    answers = json.loads(done.stdout)
    inputs = np.asarray(json.loads((folder / "testvectors.json").read_text())["inputs_px"])
    for name, _ in lm.LIVE_MODELS:
        got = np.asarray(answers[name]).reshape(-1, 16, 3)
        err = np.abs(got - _pytorch(name, inputs)).max()
        assert err < 1e-4, f"{name}: JavaScript differs from PyTorch by {err:.3g} m"


def _copy_results(tmp_path, changed="h36m-resgcn"):
    """A results folder with the live figure's four networks: ``changed`` copied, the others linked."""
    root = tmp_path / "results"
    for name, _ in lm.LIVE_MODELS:
        (root / name).mkdir(parents=True)
        source = result_path(name) / "model.pt"
        if name == changed:
            shutil.copyfile(source, root / name / "model.pt")
        else:
            (root / name / "model.pt").symlink_to(source)
    return root


def test_stale_or_missing_export_is_reported_and_rewritten(tmp_path):
    results = _copy_results(tmp_path)
    folder = tmp_path / "site"
    lm.write_live_files(folder, results_dir=results)
    assert lm.check_live_files(folder, results_dir=results) == []
    # new weights for ResGCN: its export and the test vectors are stale
    ckpt = torch.load(results / "h36m-resgcn" / "model.pt", weights_only=False)
    ckpt["state_dict"]["head.bias"] = ckpt["state_dict"]["head.bias"] + 0.5
    torch.save(ckpt, results / "h36m-resgcn" / "model.pt")
    problems = lm.check_live_files(folder, results_dir=results)
    assert any(p.startswith("h36m-resgcn: exported network is stale") for p in problems), problems
    assert any("testvectors.json" in p and "stale" in p for p in problems), problems
    info = lm.write_live_files(folder, results_dir=results)
    assert "h36m-resgcn" in info["written"] and "h36m-semgcn" in info["kept"]
    assert lm.check_live_files(folder, results_dir=results) == []
    vectors = json.loads((folder / "testvectors.json").read_text())
    assert np.abs(np.asarray(vectors["outputs"]["h36m-resgcn"])).max() > 0   # recomputed, with the new bias
    # a missing or altered binary
    (folder / "h36m-semgcn.bin").unlink()
    assert any("h36m-semgcn.bin: missing" in p for p in lm.check_live_files(folder, results_dir=results))
    with open(folder / "h36m-fc.bin", "r+b") as f:
        f.write(b"\x00\x01")
    assert any("h36m-fc.bin: its SHA-256 differs" in p for p in lm.check_live_files(folder, results_dir=results))
    (folder / "manifest.json").unlink()
    assert lm.check_live_files(folder, results_dir=results)[0].endswith("missing (the live figure's exported "
                                                                         "networks were not written)")


def test_build_fails_without_shipped_weights(tmp_path, monkeypatch):
    from sphinx.errors import ExtensionError

    import semgcn.experiments as ex
    results = _copy_results(tmp_path)
    (results / "h36m-fc" / "model.pt").unlink()
    monkeypatch.setattr(ex, "RESULTS_DIR", results)

    class Builder:
        format = "html"

    class App:
        builder, outdir = Builder(), str(tmp_path / "html")

    with pytest.raises(FileNotFoundError, match="live figure: no shipped weights for 'h36m-fc'"):
        lm._check_sources(App())
    with pytest.raises(ExtensionError, match="h36m-fc"):
        lm._write_site_files(App(), None)


def test_exporter_refuses_what_the_javascript_lacks():
    from semgcn.models import build_model
    for name in ("gat", "stgcn", "semgcn-channelwise"):
        with pytest.raises(ValueError, match="live figure"):
            lm.export_network(build_model(name))
    with pytest.raises(ValueError, match="z-scored"):
        lm.export_network(build_model("fc", standardize=True))


def test_notebook_output_has_a_static_picture_and_a_loader():
    html = lm.live_model_figure(preset=1, model="h36m-resgcn", joint="RWrist")._repr_html_()
    assert 'class="semgcn-live"' in html and 'data-model="h36m-resgcn"' in html and 'data-preset="1"' in html
    assert '<img src="data:image/png;base64,' in html and "static picture" in html
    assert '_static/semgcn-live/' in html and "semgcn_net.js" in html and "live_model.js" in html
    assert "https://" not in html   # nothing from the network at read time
    with pytest.raises(ValueError, match="unknown model"):
        lm.live_model_figure(model="h36m-gat")
    with pytest.raises(ValueError, match="preset must be"):
        lm.live_model_figure(preset=99)
    with pytest.raises(ValueError, match="unknown joint"):
        lm.live_model_figure(joint="Nose")


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_forward_pass_timing_runs():
    speed = lm.time_forward_pass(repeats=3)
    assert speed is not None and speed["javascript_ms"] > 0 and speed["pytorch_ms"] > 0


def test_export_by_other_code_is_not_reused(site, tmp_path):
    folder = tmp_path / "semgcn-live"
    shutil.copytree(site[0], folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["exporter"] = "0" * 16
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert any("another version of the exporter" in p for p in lm.check_live_files(folder))
    info = lm.write_live_files(folder)
    assert sorted(info["written"]) == sorted(n for n, _ in lm.LIVE_MODELS) and lm.check_live_files(folder) == []
