"""Tests of the Human3.6M camera model (semgcn.data.camera)."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from semgcn.data.camera import (DEFAULT_CAMERA_FILE, Camera, camera_extrinsics, camera_intrinsics, camera_to_world,
                                image_coordinates, load_cameras, normalize_screen_coordinates, project_pinhole,
                                project_to_2d, qinverse, qrot, world_to_camera)

SHARED_CAMERAS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "h36m" / "h36m_cameras.json"


def _hamilton(a, b):
    w1, x1, y1, z1 = a
    w2, x2, y2, z2 = b
    return (w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2, w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
            w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2, w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2)


def _readme_projection(X, cam: Camera):
    """The README's Human3.6M model, one point, plain Python floats."""
    w, h = cam.res_w, cam.res_h
    fx, fy = (f / w * 2 for f in cam.focal_length)
    cx, cy = cam.center[0] / w * 2 - 1, cam.center[1] / w * 2 - h / w
    k1, k2, k3 = cam.radial_distortion
    p1, p2 = cam.tangential_distortion
    x = min(max(X[0] / X[2], -1.0), 1.0)
    y = min(max(X[1] / X[2], -1.0), 1.0)
    r2 = x * x + y * y
    radial = 1 + k1 * r2 + k2 * r2 ** 2 + k3 * r2 ** 3
    tan = p1 * x + p2 * y
    xd, yd = x * (radial + tan) + p1 * r2, y * (radial + tan) + p2 * r2
    un, vn = fx * xd + cx, fy * yd + cy
    return (un + 1) * w / 2, (vn + h / w) * w / 2


@pytest.fixture(scope="module")
def cams():
    return load_cameras()


def test_load_cameras_units_and_subjects(cams):
    raw = json.loads(DEFAULT_CAMERA_FILE.read_text())
    assert sorted(cams) == sorted(["S1", "S5", "S6", "S7", "S8", "S9", "S11"])  # S2-S4 have no extrinsics
    c = cams["S1"][0]
    assert [cc.id for cc in cams["S1"]] == [e["id"] for e in raw["intrinsics"]]
    assert c.translation == pytest.approx([v / 1000 for v in raw["extrinsics"]["S1"][0]["translation"]])
    assert 1.0 < abs(c.translation[1]) < 10.0  # metres, not millimetres
    R, t = camera_extrinsics("S9", 2)
    assert np.allclose(R, cams["S9"][2].orientation) and np.allclose(t, cams["S9"][2].translation)
    vec = camera_intrinsics(1).intrinsics()
    assert vec.shape == (11,) and vec[9] == 1000 and vec[0] == pytest.approx(raw["intrinsics"][1]["focal_length"][0])
    with pytest.raises(ValueError, match="camera index"):
        camera_intrinsics(4)
    with pytest.raises(ValueError, match="S3"):
        camera_extrinsics("S3", 0)


@pytest.mark.skipif(not SHARED_CAMERAS.is_file(), reason="shared camera file not present")
def test_shipped_camera_file_matches_shared_copy():
    assert json.loads(DEFAULT_CAMERA_FILE.read_text()) == json.loads(SHARED_CAMERAS.read_text())


def test_qrot_matches_quaternion_product():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(5, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    v = rng.normal(size=(5, 3))
    got = qrot(q, v)
    for i in range(5):
        expect = _hamilton(_hamilton(q[i], (0.0, *v[i])), qinverse(q[i]))
        assert expect[0] == pytest.approx(0.0, abs=1e-12)
        assert got[i] == pytest.approx(expect[1:], abs=1e-12)
    assert np.allclose(np.linalg.norm(got, axis=1), np.linalg.norm(v, axis=1))


@pytest.mark.parametrize("as_torch,dtype", [(False, np.float64), (False, np.float32), (True, torch.float32)])
def test_world_camera_round_trip(cams, as_torch, dtype):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(7, 16, 3)) + np.array([0.0, 0.0, 1.0])
    X = torch.tensor(X, dtype=dtype) if as_torch else X.astype(dtype)
    cam = cams["S5"][3]
    R, t = np.array(cam.orientation), np.array(cam.translation)
    Xc = world_to_camera(X, R, t)
    back = camera_to_world(Xc, R, t)
    assert type(Xc) is type(X) and Xc.dtype == X.dtype and Xc.shape == X.shape
    tol = 1e-5 if dtype in (np.float32, torch.float32) else 1e-12
    assert np.allclose(np.asarray(back), np.asarray(X), atol=tol)
    # the camera centre is the origin of camera coordinates; distances are kept
    assert np.allclose(world_to_camera(t, R, t), 0.0, atol=1e-12)
    d = np.linalg.norm(np.asarray(X, dtype=np.float64) - t, axis=-1)
    assert np.allclose(np.linalg.norm(np.asarray(Xc, dtype=np.float64), axis=-1), d, atol=1e-4)
    assert np.allclose(cam.camera_to_world(cam.world_to_camera(np.asarray(X))), np.asarray(X), atol=tol)


def test_broadcast_four_cameras(cams):
    X = np.random.default_rng(2).normal(size=(6, 16, 3))
    R = np.array([c.orientation for c in cams["S1"]])[:, None, None]
    t = np.array([c.translation for c in cams["S1"]])[:, None, None]
    out = world_to_camera(X, R, t)
    assert out.shape == (4, 6, 16, 3)
    assert np.allclose(out[2], cams["S1"][2].world_to_camera(X))


def test_subject_is_in_front_of_every_camera(cams):
    """A person standing at the world origin is seen by all 4 cameras, inside the image:
    this fails if R and R^-1 (or millimetres and metres) are mixed up."""
    body = np.array([[0.0, 0.0, 0.1], [0.0, 0.0, 0.9], [0.0, 0.0, 1.7]])
    for subject, cam_list in cams.items():
        for cam in cam_list:
            Xc = cam.world_to_camera(body)
            assert (Xc[:, 2] > 2.0).all(), (subject, cam.id)
            uv = cam.project(Xc)
            assert ((uv > 0) & (uv < [cam.res_w, cam.res_h])).all(), (subject, cam.id, uv)
            assert uv[0, 1] > uv[2, 1]  # feet below the head: image v grows downwards


def test_projection_matches_readme_formula(cams):
    cam = cams["S9"][1]
    pts = [(0.1, -0.2, 4.0), (-0.7, 0.4, 5.5), (0.0, 0.0, 3.0), (6.0, -0.5, 4.0)]  # the last one is clamped
    got = project_to_2d(np.array(pts), cam)
    for p, g in zip(pts, got):
        assert g == pytest.approx(_readme_projection(p, cam), abs=1e-9)
    as_torch = project_to_2d(torch.tensor(pts, dtype=torch.float64), torch.from_numpy(cam.intrinsics()))
    assert isinstance(as_torch, torch.Tensor) and np.allclose(as_torch.numpy(), got, atol=1e-9)
    json_entry = json.loads(DEFAULT_CAMERA_FILE.read_text())["intrinsics"][1]
    assert np.allclose(project_to_2d(np.array(pts), json_entry), got, atol=1e-9)
    # distortion changes off-centre points by pixels, not by hundreds of pixels
    pin = project_pinhole(np.array(pts[:3]), cam)
    assert 0.01 < np.abs(pin - got[:3]).max() < 30
    assert pin[2] == pytest.approx(cam.center, abs=1e-9)  # the optical axis hits the principal point
    assert pin[0] == pytest.approx([cam.focal_length[0] * 0.1 / 4 + cam.center[0],
                                    cam.focal_length[1] * -0.2 / 4 + cam.center[1]], abs=1e-9)


def test_projection_keeps_float32_and_batches(cams):
    X = torch.tensor([[[0.1, 0.2, 4.0]], [[-0.3, 0.1, 5.0]]], dtype=torch.float32)
    intr = torch.from_numpy(np.stack([cams["S1"][0].intrinsics(), cams["S1"][1].intrinsics()]))[:, None, :]
    out = project_to_2d(X, intr)
    assert out.dtype == torch.float32 and out.shape == (2, 1, 2)
    assert np.allclose(out[1, 0].numpy(), cams["S1"][1].project(X[1, 0].double().numpy()), atol=1e-3)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_tensors_stay_on_device(cams):
    cam = cams["S1"][0]
    X = torch.tensor([[0.2, 0.1, 0.9]], device="cuda")
    Xc = world_to_camera(X, torch.tensor(cam.orientation), np.array(cam.translation))
    uv = project_to_2d(Xc, cam)
    assert Xc.is_cuda and uv.is_cuda
    assert np.allclose(uv.cpu().numpy(), cam.project(cam.world_to_camera(X.cpu().double().numpy())), atol=1e-2)


def test_screen_coordinates_round_trip():
    u = np.array([[0.0, 0.0], [1000.0, 1002.0], [500.0, 501.0]])
    n = normalize_screen_coordinates(u, 1000, 1002)
    assert np.allclose(n, [[-1, -1.002], [1, 1.002], [0, 0]])
    assert np.allclose(image_coordinates(n, 1000, 1002), u)
    # per-row image sizes broadcast as (..., 1)
    ut = torch.rand(3, 16, 2, dtype=torch.float64) * 1000
    w = torch.tensor([1000.0, 800.0, 1000.0])[:, None, None]
    h = torch.tensor([1002.0, 600.0, 1000.0])[:, None, None]
    nt = normalize_screen_coordinates(ut, w, h)
    assert nt.dtype == torch.float64 and torch.allclose(image_coordinates(nt, w, h), ut)
    assert torch.allclose(nt[1], normalize_screen_coordinates(ut[1], 800, 600))


def test_shape_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"v must have shape \(\.\.\., 3\).*\(4, 2\)"):
        qrot(np.array([1.0, 0, 0, 0]), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"R must have shape \(\.\.\., 4\).*\(3,\)"):
        world_to_camera(np.zeros((2, 3)), np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"leading dimensions of X \(5, 3\) and t \(4, 3\)"):
        world_to_camera(np.zeros((5, 3)), np.array([1.0, 0, 0, 0]), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"intrinsics must have shape \(\.\.\., 11\).*\(9,\)"):
        project_to_2d(np.ones((2, 3)), np.zeros(9))
    with pytest.raises(ValueError, match=r"X_cam must have shape \(\.\.\., 3\)"):
        project_to_2d(np.ones((2, 2)), camera_intrinsics(0))
    with pytest.raises(ValueError, match=r"u must have shape \(\.\.\., 2\).*\(4, 3\)"):
        normalize_screen_coordinates(np.zeros((4, 3)), 1000, 1000)
    with pytest.raises(ValueError, match=r"w must be a number or have shape \(\.\.\., 1\)"):
        normalize_screen_coordinates(np.zeros((4, 2)), np.full(4, 1000.0), 1000)


@pytest.mark.parametrize("where,value,message", [
    (("intrinsics", 0, "focal_length"), [float("nan"), 1.0], "NaN or infinite"),
    (("intrinsics", 1, "focal_length"), [0.0, 1145.0], "positive focal lengths"),
    (("intrinsics", 2, "res_w"), 0, "positive focal lengths and image size"),
    (("intrinsics", 3, "radial_distortion"), [0.1, float("inf"), 0.0], "NaN or infinite"),
    (("extrinsics", "S1", 0, "orientation"), [0.0, 0.0, 0.0, 0.0], "not a unit quaternion"),
    (("extrinsics", "S9", 2, "translation"), [1.0, float("nan"), 3.0], "NaN or infinite"),
    (("extrinsics", "S11", 1, "orientation"), ["a", 1, 2, 3], "malformed"),
])
def test_camera_file_values_are_validated(tmp_path, where, value, message):
    import json as _json
    from semgcn.data.camera import DEFAULT_CAMERA_FILE, load_cameras
    raw = _json.loads(Path(DEFAULT_CAMERA_FILE).read_text())
    node = raw
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    bad = tmp_path / "cameras.json"
    bad.write_text(_json.dumps(raw).replace("NaN", "NaN").replace("Infinity", "Infinity"))
    with pytest.raises(ValueError, match=message):
        load_cameras(bad)


def test_camera_file_that_is_not_json(tmp_path):
    from semgcn.data.camera import load_cameras
    bad = tmp_path / "cameras.json"
    bad.write_bytes(b"[" * 100_000)
    with pytest.raises(ValueError, match="not a readable camera file"):
        load_cameras(bad)
