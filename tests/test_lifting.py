"""Lifting your own keypoints: format conversion, the one-call API, the lift and export commands."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from semgcn import Lifter, lift
from semgcn.data import load_pose_data
from semgcn.data.camera import image_coordinates
from semgcn.graph import H36M_JOINT_NAMES, H36M_KEEP_32
from semgcn.lifting import (FORMATS, PROPORTIONS, convert_keypoints, export_model, format_names, read_keypoints,
                            reference_camera, simulate_detections)
from semgcn.train import predict

REPO = Path(__file__).resolve().parents[1]
H36M = Path(os.environ.get("SEMGCN_H36M", REPO.parent / "shared" / "data" / "h36m"))


@pytest.fixture(scope="module")
def lifter():
    return Lifter.from_pretrained("h36m-semgcn-flip")


@pytest.fixture(scope="module")
def test_poses():
    return load_pose_data("synthetic", num_train=100, num_val=10, num_test=300).test


def _pixels32(rng, n=5):
    """Plausible 32-joint pixel poses: a random walk of small offsets around an image centre."""
    return 500 + np.cumsum(rng.normal(0, 15, (n, 32, 2)), axis=1)


def test_formats_convert_by_their_tables():
    rng = np.random.default_rng(0)
    px = _pixels32(rng)
    joints, filled = convert_keypoints(px[:, list(H36M_KEEP_32)], "h36m16")
    assert np.array_equal(joints, px[:, list(H36M_KEEP_32)]) and not filled.any()
    for fmt in ("h36m17", "h36m32"):   # every Human3.6M layout gives the same 16 joints
        kp, _ = simulate_detections(px, fmt)
        assert np.allclose(convert_keypoints(kp, fmt)[0], joints)
    kp, conf = simulate_detections(px, "coco17")
    coco, filled = convert_keypoints(kp, "coco17", conf > 0)
    names = format_names("coco17")
    assert np.allclose(coco[:, H36M_JOINT_NAMES.index("RWrist")], kp[:, names.index("right_wrist")])
    assert np.allclose(coco[:, 0], 0.5 * (kp[:, names.index("left_hip")] + kp[:, names.index("right_hip")]))
    shoulders = 0.5 * (kp[:, names.index("left_shoulder")] + kp[:, names.index("right_shoulder")])
    thorax = shoulders + PROPORTIONS["thorax_from_nose"] * (kp[:, 0] - shoulders)
    assert np.allclose(coco[:, H36M_JOINT_NAMES.index("Thorax")], thorax) and not filled.any()
    mapping = {n: i for i, n in enumerate(H36M_JOINT_NAMES) if n not in ("Hip", "Spine")}
    mapped, filled = convert_keypoints(joints, mapping)   # a user mapping: the pelvis and spine are derived
    assert np.allclose(mapped[:, 0], 0.5 * (joints[:, 1] + joints[:, 4])) and not filled.any()


def test_missing_joints_are_filled_and_reported():
    rng = np.random.default_rng(1)
    kp, conf = simulate_detections(_pixels32(rng), "coco17")
    conf[:, format_names("coco17").index("left_wrist")] = 0.1
    kp[0, format_names("coco17").index("right_elbow")] = np.nan
    joints, filled = convert_keypoints(kp, "coco17", conf >= 0.2)
    assert filled[:, H36M_JOINT_NAMES.index("LWrist")].all()
    assert np.array_equal(joints[:, H36M_JOINT_NAMES.index("LWrist")], joints[:, H36M_JOINT_NAMES.index("LElbow")])
    assert filled[0, H36M_JOINT_NAMES.index("RElbow")] and not filled[1, H36M_JOINT_NAMES.index("RElbow")]
    kp[2, format_names("coco17").index("left_hip")] = np.nan
    with pytest.raises(ValueError, match="pose 2 has no usable Hip"):
        convert_keypoints(kp, "coco17")
    conf[3, format_names("coco17").index("right_hip")] = 0.05   # a low-confidence hip counts as missing
    with pytest.raises(ValueError, match="pose 3 has no usable Hip"):
        convert_keypoints(np.nan_to_num(kp, nan=500.0), "coco17", conf >= 0.2)


def test_single_batch_numpy_and_torch_agree(lifter):
    rng = np.random.default_rng(2)
    kp, conf = simulate_detections(_pixels32(rng, 4), "coco17")
    batch = lifter.lift(kp, "coco17", image_size=(1000, 1000), confidences=conf)
    one = lifter.lift(kp[1], "coco17", image_size=(1000, 1000), confidences=conf[1])
    assert isinstance(batch.joints3d, np.ndarray) and batch.joints3d.shape == (4, 16, 3)
    assert one.joints3d.shape == (16, 3) and np.allclose(one.joints3d, batch.joints3d[1], atol=1e-6)
    as_torch = lifter.lift(torch.tensor(kp, dtype=torch.float32), "coco17", image_size=(1000, 1000),
                           confidences=torch.tensor(conf))
    assert isinstance(as_torch.joints3d, torch.Tensor) and as_torch.joints3d.dtype == torch.float32
    assert np.allclose(as_torch.joints3d.numpy(), batch.joints3d, atol=1e-4)
    assert batch.joint_names == tuple(H36M_JOINT_NAMES) and np.allclose(batch.joints3d[:, 0], 0)
    calibrated = lifter.lift(kp, "coco17", image_size=(1000, 1000), confidences=conf, bone_length=4.0)
    from semgcn.metrics import bone_vectors
    lengths = np.linalg.norm(bone_vectors(torch.as_tensor(calibrated.joints3d)).numpy(), axis=-1).sum(-1)
    assert np.allclose(lengths, 4.0)


def test_api_equals_predict_on_the_training_pipeline_input(lifter, test_poses):
    """Human3.6M-format pixels through the API = the network on the pipeline's own input (reference camera)."""
    ref = reference_camera()
    pixels = image_coordinates(test_poses.inputs.double(), ref["w"], ref["h"]).numpy()
    res = lifter.lift(pixels, "h36m16", image_size=(ref["w"], ref["h"]), flip=False,
                      intrinsics=(ref["f"], ref["f"], *ref["c"]))
    direct = predict(lifter.model, test_poses.inputs)
    direct = (direct - direct[:, :1]).numpy()
    assert np.abs(res.joints3d - direct).max() < 1e-5


def test_bad_input_gives_clear_errors(lifter):
    kp = np.full((17, 2), 500.0)
    with pytest.raises(ValueError, match=r"shape \(N, 17, 2\)"):
        lifter.lift(np.zeros((16, 2)), "coco17", image_size=(1000, 1000))
    with pytest.raises(ValueError, match="unknown keypoint format"):
        lifter.lift(kp, "openpose25", image_size=(1000, 1000))
    with pytest.raises(ValueError, match="image_size"):
        lifter.lift(kp, "coco17", image_size=(0, 100))
    with pytest.raises(ValueError, match="intrinsics"):
        lifter.lift(kp, "coco17", image_size=(1000, 1000), intrinsics=(0, 1, 2, 3))
    with pytest.raises(ValueError, match="confidences must have shape"):
        lifter.lift(kp, "coco17", image_size=(1000, 1000), confidences=np.ones(16))
    with pytest.raises(ValueError, match="neither a checkpoint file nor a shipped experiment"):
        Lifter.from_pretrained("no-such-model")
    assert set(FORMATS) == {"h36m16", "h36m17", "h36m32", "coco17", "mpii16"}
    with pytest.raises(ValueError, match="image_size=.* is required"):
        lift(kp, "coco17")
    assert lift(kp, "coco17", image_size=(1000, 1000)).joints3d.shape == (16, 3)


def _cli(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "semgcn", *args], capture_output=True, text=True, timeout=300,
                          env=env, cwd=cwd)


@pytest.mark.slow
def test_lift_command_reads_json_npy_csv_and_refuses_bad_files(tmp_path):
    rng = np.random.default_rng(3)
    kp, conf = simulate_detections(_pixels32(rng, 3), "coco17")
    anns = [{"keypoints": np.concatenate([np.nan_to_num(k), (c > 0)[:, None] * 2], 1).ravel().tolist()}
            for k, c in zip(kp, conf)]
    (tmp_path / "a.json").write_text(json.dumps({"annotations": anns}))
    np.save(tmp_path / "a.npy", np.concatenate([np.nan_to_num(kp), conf[..., None]], -1))
    np.savetxt(tmp_path / "a.csv", np.concatenate([np.nan_to_num(kp), conf[..., None]], -1).reshape(3, -1),
               delimiter=",")
    outputs = []
    for name in ("a.json", "a.npy", "a.csv"):
        r = _cli("lift", name, "--image-size", "1000", "1000", "--out", f"{name}.out.json", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        outputs.append(np.array(json.loads((tmp_path / f"{name}.out.json").read_text())["joints3d"]))
    assert np.allclose(outputs[0], outputs[1], atol=1e-5) and np.allclose(outputs[0], outputs[2], atol=1e-5)
    r = _cli("lift", "a.npy", "--image-size", "1000", "1000", "--plot", "view.html", "--out", "o.json", cwd=tmp_path)
    assert r.returncode == 0 and (tmp_path / "view.html").stat().st_size > 1_000_000   # plotly.js inside: offline
    np.save(tmp_path / "nan.npy", np.where(np.isnan(kp), np.nan, kp))
    for args, message in ((["nan.npy"], "is not a number"), (["a.npy", "--format", "mpii16"], "(N, 16, 2 or 3)"),
                          (["a.npy", "--image-size", "50", "50"], "far outside"),
                          (["a.npy", "--format", "openpose"], "--format"), (["a.txt"], "no such file")):
        extra = [] if "--image-size" in args else ["--image-size", "1000", "1000"]
        r = _cli("lift", *args, *extra, cwd=tmp_path)
        assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)


@pytest.mark.slow
def test_onnx_and_torchscript_exports_equal_pytorch(lifter, test_poses, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    written = export_model(lifter.model, tmp_path / "m.onnx", tmp_path / "m.pt")
    x = test_poses.inputs[:1000] if len(test_poses) >= 1000 else test_poses.inputs.repeat(4, 1, 1)[:1000]
    with torch.no_grad():
        ref = lifter.model.float()(x).numpy()
    session = ort.InferenceSession(written["onnx"], providers=["CPUExecutionProvider"])
    out = session.run(None, {"keypoints": x.numpy()})[0]
    assert out.shape == ref.shape and np.abs(out - ref).max() < 1e-5
    scripted = torch.jit.load(written["torchscript"])
    assert np.abs(scripted(x).detach().numpy() - ref).max() < 1e-5


@pytest.mark.h36m
@pytest.mark.skipif(not (H36M / "data_3d_h36m.npz").is_file(), reason="Human3.6M files not present")
def test_proportions_and_format_accuracy_on_human36m():
    from semgcn.lifting import fit_proportions, format_accuracy
    fitted = fit_proportions(H36M)
    assert all(abs(fitted[k] - PROPORTIONS[k]) < 2e-3 for k in PROPORTIONS), fitted
    acc = format_accuracy(H36M, formats=("h36m16", "coco17"), test_stride=400)
    assert abs(acc["h36m16"]["mpjpe"] - acc["pipeline"]["mpjpe"]) < 1.0   # the camera remapping costs < 1 mm
    assert acc["coco17"]["mpjpe"] < 200


@pytest.mark.h36m
@pytest.mark.skipif(not (H36M / "data_3d_h36m.npz").is_file(), reason="Human3.6M files not present")
def test_coco_input_pipeline_gives_the_lifting_conversion_of_the_same_poses():
    from semgcn.data import load_pose_data
    from semgcn.lifting import convert_keypoints
    kw = dict(actions=["Walking"], train_stride=200, test_stride=200)
    native = load_pose_data("h36m", h36m=H36M, **kw)
    coco = load_pose_data("h36m", h36m=H36M, input_format="coco17", **kw)
    assert coco.meta["settings"]["input_format"] == "coco17" and "coco17" in coco.source
    for a, b in ((native.train, coco.train), (native.test, coco.test)):
        assert torch.equal(a.targets, b.targets)
        names = list(H36M_JOINT_NAMES)
        same = [names.index(n) for n in ("RHip", "RKnee", "RFoot", "LHip", "LKnee", "LFoot", "LShoulder",
                                         "LElbow", "LWrist", "RShoulder", "RElbow", "RWrist")]
        assert torch.allclose(a.inputs[:, same], b.inputs[:, same], atol=1e-6)   # joints COCO has
        made = [names.index(n) for n in ("Spine", "Thorax", "Head")]
        assert (a.inputs[:, made] - b.inputs[:, made]).abs().max() > 1e-3       # joints it has to make
    with pytest.raises(ValueError, match="needs keypoints='gt'"):
        load_pose_data("h36m", h36m=H36M, keypoints="sh_pt_mpii", input_format="coco17", **kw)
    with pytest.raises(ValueError, match="input_format must be one of"):
        load_pose_data("h36m", h36m=H36M, input_format="openpose25", **kw)
