"""Tests of the Human3.6M pipeline (semgcn.data.h36m) and the safe .npz loader.

Unit tests write their own tiny synthetic files; tests marked ``h36m`` read the
real (licensed) files from ``$SEMGCN_H36M`` or ``../shared/data/h36m`` and are
skipped when those are absent.
"""
import builtins
import io
import math
import os
import pickle
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch

from semgcn.data import h36m
from semgcn.data.camera import load_cameras, normalize_screen_coordinates
from semgcn.data.h36m import (ACTIONS, TEST_SUBJECTS, TRAIN_SUBJECTS, H36MFormatError, canonical_action,
                              canonical_sequence, compute_gt_2d, find_h36m, h36m_pose_data, load_h36m_archive,
                              load_keypoints_2d, load_positions_3d, prepare_gt_2d, reduce_to_16, split_validation)
from semgcn.data.safe_load import UnsafePickleError, load_npz
from semgcn.graph import H36M_KEEP_32

SEQUENCES = ("Walking 1", "Eating", "TakingPhoto 2", "WalkDog")  # "TakingPhoto" is normalised to "Photo"


def _poses(rng, frames):
    """Random 32-joint poses of a person standing near the world origin (metres)."""
    return (rng.normal(scale=0.25, size=(frames, 32, 3)) + [0.0, 0.0, 0.9]).astype(np.float32)


def _write_3d(path, positions):
    np.savez_compressed(path, positions_3d=positions)
    return path


@pytest.fixture
def tiny(tmp_path):
    """A directory with a synthetic ``data_3d_h36m.npz``: 7 subjects x 4 sequences of 11-13 frames."""
    rng = np.random.default_rng(0)
    positions = {s: {seq: _poses(rng, 11 + (i % 3)) for i, seq in enumerate(SEQUENCES)}
                 for s in TRAIN_SUBJECTS + TEST_SUBJECTS}
    _write_3d(tmp_path / "data_3d_h36m.npz", positions)
    return tmp_path, positions


def _gt_2d_of(positions):
    """16-joint 2D keypoints of one file layout from :func:`compute_gt_2d`."""
    return {s: {canonical_sequence(q): v for q, v in seqs.items()} for s, seqs in compute_gt_2d(positions).items()}


# --------------------------------------------------------------------------- names, joints
def test_canonical_action_names():
    assert canonical_action("Walking 1") == "Walking"
    assert canonical_action("WalkingDog 1") == "WalkDog"
    assert canonical_action("WalkTogether 2") == "WalkTogether"
    assert canonical_action("TakingPhoto") == "Photo"
    assert canonical_action("SittingDown_1") == "SittingDown"
    assert canonical_sequence("TakingPhoto 1") == "Photo 1"
    assert len(ACTIONS) == 15 and len(set(ACTIONS)) == 15
    with pytest.raises(ValueError, match="unknown Human3.6M action 'Dancing'"):
        canonical_action("Dancing 1")


def test_reduce_to_16_picks_the_semgcn_joints():
    x = np.broadcast_to(np.arange(32, dtype=np.float32)[:, None], (5, 32, 3))
    out = reduce_to_16(x)
    assert out.shape == (5, 16, 3)
    assert out[0, :, 0].tolist() == [0, 1, 2, 3, 6, 7, 8, 12, 13, 15, 17, 18, 19, 25, 26, 27]
    assert tuple(out[0, :, 0].astype(int)) == H36M_KEEP_32
    y = torch.arange(17.0)[None, :, None].expand(2, 17, 2)  # H36M-17 order: drop the nose (index 9)
    assert reduce_to_16(y)[0, :, 0].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16]
    with pytest.raises(ValueError, match=r"\(5, 15, 3\)"):
        reduce_to_16(np.zeros((5, 15, 3)))


def test_find_h36m(tmp_path, monkeypatch, tiny):
    root, _ = tiny
    monkeypatch.delenv("SEMGCN_H36M", raising=False)
    with pytest.raises(FileNotFoundError, match="SEMGCN_H36M"):
        find_h36m()
    with pytest.raises(FileNotFoundError, match="holds no data_3d_h36m.npz"):
        find_h36m(tmp_path / "nowhere")
    assert find_h36m(root) == root
    assert find_h36m(root / "data_3d_h36m.npz") == root
    monkeypatch.setenv("SEMGCN_H36M", str(root))
    assert find_h36m() == root


# --------------------------------------------------------------------------- safe loading
class _Payload:
    """Pickles as a call to ``func(*args)``: what a malicious data file would do."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


@pytest.mark.parametrize("attack", ["os.system", "builtins.open", "builtins.exec"])
def test_safe_load_refuses_code(tmp_path, attack):
    marker = tmp_path / "pwned"
    payload = {"os.system": _Payload(os.system, f"touch '{marker}'"),
               "builtins.open": _Payload(builtins.open, str(marker), "w"),
               "builtins.exec": _Payload(builtins.exec, f"open({str(marker)!r}, 'w').close()")}[attack]
    bad = tmp_path / "evil.npz"
    np.savez(bad, positions_3d=np.array({"S1": payload}, dtype=object))
    func = attack.split(".")[1]
    assert func.encode() in bad.read_bytes()  # the file really carries the call
    with pytest.raises(UnsafePickleError, match=rf"evil\.npz.*forbidden global \S*\.{func}"):
        load_npz(bad)
    assert not marker.exists()
    with pytest.raises(UnsafePickleError):  # the pipeline loads through the same door
        load_positions_3d(bad)
    assert not marker.exists()


def test_safe_load_accepts_plain_data(tmp_path):
    obj = {"S1": {"Walking 1": np.arange(6, dtype=np.float32).reshape(2, 3)},
           "list": [np.zeros((2, 2), np.float64), "text", 3, 2.5, True, None],
           "tuple": (1, b"bytes", np.float32(1.5), np.int64(7)),
           "fortran": np.asfortranarray(np.arange(12, dtype=np.int16).reshape(3, 4))}
    path = tmp_path / "ok.npz"
    np.savez(path, data=np.array(obj, dtype=object), plain=np.eye(3), big_endian=np.arange(4, dtype=">f4"))
    got = load_npz(path)
    assert list(got) == ["data", "plain", "big_endian"]
    assert np.array_equal(got["data"]["S1"]["Walking 1"], obj["S1"]["Walking 1"])
    assert got["data"]["S1"]["Walking 1"].dtype == np.float32
    assert got["data"]["list"][1:] == ["text", 3, 2.5, True, None]
    assert got["data"]["tuple"] == (1, b"bytes", np.float32(1.5), np.int64(7))
    assert np.array_equal(got["data"]["fortran"], obj["fortran"]) and got["data"]["fortran"].flags.f_contiguous
    assert np.array_equal(got["plain"], np.eye(3)) and np.array_equal(got["big_endian"], np.arange(4))
    assert list(load_npz(path, keys=["plain"])) == ["plain"]   # only what is asked for is read
    with pytest.raises(ValueError, match="missing key 'nope'"):
        load_npz(path, keys=["nope"])
    # Objects beyond plain data are refused, even harmless-looking ones.
    for name, bad in (("ordered", np.array({"o": OrderedDict(a=1)}, dtype=object)),
                      ("objects", np.array([[1, "a"]], dtype=object))):
        np.savez(tmp_path / f"{name}.npz", x=bad)
        with pytest.raises(UnsafePickleError):
            load_npz(tmp_path / f"{name}.npz")
    text = tmp_path / "not_a_zip.npz"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not a readable .npz"):
        load_npz(text)


def test_safe_load_reads_numpy1_protocol2_pickles(tmp_path):
    """Files written by numpy 1.x refer to numpy.core.multiarray (and _codecs for bytes)."""
    obj = np.array({"S1": {"Walking": np.arange(6.0).reshape(2, 3)}}, dtype=object)
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, np.lib.format.header_data_from_array_1_0(obj))
    pickle.dump(obj, buf, protocol=2)
    raw = buf.getvalue().replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")
    assert b"cnumpy.core.multiarray\n" in raw and b"_codecs" in raw
    path = tmp_path / "old.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("positions_3d.npy", raw)
    assert np.array_equal(load_npz(path)["positions_3d"]["S1"]["Walking"], np.arange(6.0).reshape(2, 3))


def test_safe_load_reads_protocol5_pickles(tmp_path):
    """A legitimate protocol-5 pickle (numpy's _frombuffer with an in-band buffer) loads."""
    obj = np.array({"S1": {"Walking": np.arange(6.0).reshape(2, 3)}, "n": np.int32(3)}, dtype=object)
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, np.lib.format.header_data_from_array_1_0(obj))
    pickle.dump(obj, buf, protocol=5)
    path = tmp_path / "p5.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("positions_3d.npy", buf.getvalue())
    got = load_npz(path)["positions_3d"]
    assert np.array_equal(got["S1"]["Walking"], np.arange(6.0).reshape(2, 3)) and got["n"] == 3


# --------------------------------------------------------------------------- bad files
def test_3d_file_errors(tmp_path):
    rng = np.random.default_rng(1)
    np.savez(tmp_path / "nokey.npz", positions=np.array({"S1": {}}, dtype=object))
    with pytest.raises(H36MFormatError, match=r"nokey\.npz: missing key 'positions_3d'"):
        load_positions_3d(tmp_path / "nokey.npz")
    _write_3d(tmp_path / "shape.npz", {"S1": {"Walking 1": np.zeros((5, 31, 3), np.float32)}})
    with pytest.raises(H36MFormatError, match=r"shape\.npz: positions_3d\['S1'\]\['Walking 1'\] must be a "
                                              r"\(T, 32, 3\) array with T > 0, got \(5, 31, 3\)"):
        load_positions_3d(tmp_path / "shape.npz")
    nan = _poses(rng, 4)
    nan[2, 5, 1] = np.nan
    _write_3d(tmp_path / "nan.npz", {"S1": {"Eating": nan}})
    with pytest.raises(H36MFormatError, match=r"nan\.npz: positions_3d\['S1'\]\['Eating'\] of shape \(4, 32, 3\) "
                                              r"holds NaN"):
        load_positions_3d(tmp_path / "nan.npz")
    _write_3d(tmp_path / "subject.npz", {"S12": {"Eating": _poses(rng, 3)}})
    with pytest.raises(H36MFormatError, match=r"subject\.npz: key 'positions_3d' holds unknown subject 'S12'"):
        load_positions_3d(tmp_path / "subject.npz")
    _write_3d(tmp_path / "action.npz", {"S1": {"Dancing 1": _poses(rng, 3)}})
    with pytest.raises(ValueError, match="unknown Human3.6M action 'Dancing'"):
        load_positions_3d(tmp_path / "action.npz")


def _write_2d(path, keypoints, joints=16, symmetry=None):
    meta = {"num_joints": joints,
            "keypoints_symmetry": symmetry or h36m.KEYPOINTS_SYMMETRY.get(joints, [[], []])}
    np.savez_compressed(path, positions_2d=keypoints, metadata=meta)
    return path


def test_2d_file_errors_and_conversions(tmp_path, tiny):
    root, positions = tiny
    pos = load_positions_3d(root)
    kp = _gt_2d_of(positions)
    ok = load_keypoints_2d(_write_2d(tmp_path / "ok.npz", kp), pos)
    assert ok["S9"]["Photo 2"][3].shape == (pos["S9"]["Photo 2"].shape[0], 16, 2)

    short = {s: {q: list(v) for q, v in seqs.items()} for s, seqs in kp.items()}
    short["S5"]["Eating"] = [a[:-2] for a in short["S5"]["Eating"]]
    with pytest.raises(H36MFormatError, match=r"short\.npz: positions_2d\['S5'\]\['Eating'\] has shape \(10, 16, 2\): "
                                              r"10 frames but the 3D sequence has 12"):
        load_keypoints_2d(_write_2d(tmp_path / "short.npz", short), pos)

    long = {s: {q: [np.concatenate([a, a[:3]]) for a in v] for q, v in seqs.items()} for s, seqs in kp.items()}
    with pytest.raises(H36MFormatError, match="pass trim=True"):
        load_keypoints_2d(_write_2d(tmp_path / "long.npz", long), pos)
    trimmed = load_keypoints_2d(tmp_path / "long.npz", pos, trim=True)
    assert np.array_equal(trimmed["S1"]["Walking 1"][2], kp["S1"]["Walking 1"][2])

    missing = {s: dict(seqs) for s, seqs in kp.items()}
    del missing["S11"]["WalkDog"]
    with pytest.raises(H36MFormatError, match=r"positions_2d\['S11'\] has no sequence 'WalkDog'"):
        load_keypoints_2d(_write_2d(tmp_path / "missing.npz", missing), pos)
    no_subject = {s: seqs for s, seqs in kp.items() if s != "S7"}
    with pytest.raises(H36MFormatError, match="has no subject 'S7'"):
        load_keypoints_2d(_write_2d(tmp_path / "nosubject.npz", no_subject), pos)

    nan = {s: {q: [a.copy() for a in v] for q, v in seqs.items()} for s, seqs in kp.items()}
    nan["S6"]["Eating"][1][4, 2, 0] = np.nan
    with pytest.raises(H36MFormatError, match=r"positions_2d\['S6'\]\['Eating'\]\[1\] of shape \(12, 16, 2\) holds NaN"):
        load_keypoints_2d(_write_2d(tmp_path / "nan.npz", nan), pos)

    three = {s: {q: v[:3] for q, v in seqs.items()} for s, seqs in kp.items()}
    with pytest.raises(H36MFormatError, match="must be a list of 4 camera arrays"):
        load_keypoints_2d(_write_2d(tmp_path / "three.npz", three))

    fifteen = {s: {q: [a[:, :15] for a in v] for q, v in seqs.items()} for s, seqs in kp.items()}
    with pytest.raises(H36MFormatError, match=r"has shape \(\d+, 15, 2\): 15 joints; expected 16"):
        load_keypoints_2d(_write_2d(tmp_path / "fifteen.npz", fifteen, joints=15))

    with pytest.raises(H36MFormatError, match="keypoints_symmetry"):
        load_keypoints_2d(_write_2d(tmp_path / "order.npz", kp, symmetry=[[1, 2, 3], [4, 5, 6]]))

    # a 17-joint CPN-style file: insert a nose at index 9, the reader drops it again
    k17 = {s: {q: [np.insert(a, 9, -1.0, axis=1) for a in v] for q, v in seqs.items()} for s, seqs in kp.items()}
    got = load_keypoints_2d(_write_2d(tmp_path / "cpn.npz", k17, joints=17), pos)
    assert np.array_equal(got["S8"]["WalkDog"][0], kp["S8"]["WalkDog"][0])

    np.savez(tmp_path / "nokey2d.npz", metadata=np.array({}, dtype=object))
    with pytest.raises(H36MFormatError, match="missing key 'positions_2d'"):
        load_keypoints_2d(tmp_path / "nokey2d.npz")


# --------------------------------------------------------------------------- ground-truth 2D
def test_prepare_gt_2d(tmp_path, tiny):
    root, positions = tiny
    out = prepare_gt_2d(root / "data_3d_h36m.npz", tmp_path / "out" / "data_2d_h36m_gt.npz", progress=False)
    assert out.is_file() and [p.name for p in out.parent.iterdir()] == ["data_2d_h36m_gt.npz"]  # no temp left
    data = load_npz(out)
    assert set(data) == {"positions_2d", "metadata"}
    assert data["metadata"] == {"num_joints": 16, "keypoints_symmetry": [[4, 5, 6, 10, 11, 12], [1, 2, 3, 13, 14, 15]]}
    kp = data["positions_2d"]
    assert sorted(kp) == sorted(TRAIN_SUBJECTS + TEST_SUBJECTS)
    assert sorted(kp["S1"]) == sorted(["Walking 1", "Eating", "Photo 2", "WalkDog"])
    views = kp["S7"]["Photo 2"]
    X = positions["S7"]["TakingPhoto 2"]
    assert isinstance(views, list) and len(views) == 4
    assert all(v.dtype == np.float32 and v.shape == (X.shape[0], 16, 2) for v in views)
    cam = load_cameras()["S7"][2]
    expect = cam.project(cam.world_to_camera(X[:, H36M_KEEP_32].astype(np.float64)))
    assert np.abs(views[2] - expect).max() < 1e-3
    assert 100 < views[2].mean() < 900  # pixels, on the image
    # the file is what load_keypoints_2d reads back, with matching frame counts
    assert np.array_equal(load_keypoints_2d(out, load_positions_3d(root))["S7"]["Photo 2"][2], views[2])


# --------------------------------------------------------------------------- splits and PoseData
def test_split_validation():
    seqs = [(s, f"Walking {i}") for s in TRAIN_SUBJECTS for i in range(6)]
    train, val = split_validation(seqs)
    assert len(val) == 3 and val[0] == ("S1", "Walking 0") and not set(train) & set(val)
    assert len(train) + len(val) == len(seqs)
    train, val = split_validation(seqs, val=("S8",))
    assert {s for s, _ in val} == {"S8"} and "S8" not in {s for s, _ in train}
    assert split_validation(seqs, val="S5")[1] == split_validation(seqs, val=["S5"])[1]
    assert split_validation(seqs, val=None)[1] == []
    with pytest.raises(ValueError, match="S9 is a test subject"):
        split_validation(seqs, val=("S9",))
    with pytest.raises(ValueError, match="test subjects"):
        split_validation(seqs + [("S11", "Eating")])


def test_h36m_pose_data_on_tiny_files(tiny):
    root, positions = tiny
    data = h36m_pose_data(root, train_stride=5, test_stride=1, val_stride=2, val=("S8",))
    frames = {(s, canonical_sequence(q)): p.shape[0] for s, seqs in positions.items() for q, p in seqs.items()}
    n = lambda subjects, stride: 4 * sum(math.ceil(t / stride) for (s, _), t in frames.items() if s in subjects)
    assert len(data.train) == n(("S1", "S5", "S6", "S7"), 5)
    assert len(data.val) == n(("S8",), 2)
    assert len(data.test) == n(TEST_SUBJECTS, 1)
    names = data.test.subject_names
    assert {names[i] for i in data.test.subject.unique().tolist()} == set(TEST_SUBJECTS)
    assert {names[i] for i in data.train.subject.unique().tolist()} == {"S1", "S5", "S6", "S7"}
    for split in (data.train, data.val, data.test):
        assert split.inputs.dtype == torch.float32 and split.targets.shape[1:] == (16, 3)
        assert torch.all(split.targets[:, 0] == 0)
        assert sorted(split.by_action()) == sorted(["Eating", "Photo", "WalkDog", "Walking"])
    # first rows: first training sequence (S1 "Eating"), camera 0, frames 0, 5, 10
    X = positions["S1"]["Eating"][::5, H36M_KEEP_32].astype(np.float64)
    cam = load_cameras()["S1"][0]
    Xc = cam.world_to_camera(X)
    k = X.shape[0]
    assert torch.allclose(data.train.targets[:k].double(), torch.from_numpy(Xc - Xc[:, :1]), atol=1e-6)
    u = normalize_screen_coordinates(cam.project(Xc), cam.res_w, cam.res_h)
    assert torch.allclose(data.train.inputs[:k].double(), torch.from_numpy(u), atol=1e-6)
    assert data.train.camera[:k].eq(0).all() and data.train.camera[k:2 * k].eq(1).all()
    assert data.meta["sequences"]["train"][0] == ("S1", "Eating", k)
    assert "2D: gt (projected from 3D)" in data.source and "every 5th frame" in data.source

    # a ground-truth file in the directory is used instead, with the same numbers
    prepare_gt_2d(root, root / "data_2d_h36m_gt.npz", progress=False)
    again = h36m_pose_data(root, train_stride=5, test_stride=1, val_stride=2, val=("S8",))
    assert "data_2d_h36m_gt.npz" in again.source
    assert torch.allclose(again.test.inputs, data.test.inputs, atol=1e-6)
    assert torch.equal(again.test.targets, data.test.targets)

    walking = h36m_pose_data(root, actions="Walking", val=None)
    assert len(walking.val) == 0 and walking.train.action.unique().tolist() == [ACTIONS.index("Walking")]
    with pytest.raises(ValueError, match="unknown action 'Dance'"):
        h36m_pose_data(root, actions=["Dance"])
    with pytest.raises(FileNotFoundError, match="data_2d_h36m_cpn.npz not found"):
        h36m_pose_data(root, keypoints="cpn")
    with pytest.raises(ValueError, match="train_stride must be a positive integer"):
        h36m_pose_data(root, train_stride=0)


def test_default_validation_never_touches_test_subjects(tiny):
    root, _ = tiny
    data = h36m_pose_data(root)
    val_pairs = {(s, q) for s, q, _ in data.meta["sequences"]["val"]}
    train_pairs = {(s, q) for s, q, _ in data.meta["sequences"]["train"]}
    assert val_pairs and not val_pairs & train_pairs
    assert all(s in TRAIN_SUBJECTS for s, _ in val_pairs)
    assert len(val_pairs) == math.ceil((len(train_pairs) + len(val_pairs)) / h36m.VAL_EVERY)


# --------------------------------------------------------------------------- HDF5 archive
def test_hdf5_archive(tmp_path):
    h5py = pytest.importorskip("h5py")
    rng = np.random.default_rng(3)
    files = {("S1", "Walking 1"): 7, ("S1", "TakingPhoto"): 5, ("S9", "WalkingDog 1"): 4, ("S11", "Directions"): 3}
    raw = {}
    for (subject, name), frames in files.items():
        folder = tmp_path / subject / "MyPoses" / "3D_positions"
        folder.mkdir(parents=True, exist_ok=True)
        raw[subject, name] = rng.normal(scale=500.0, size=(96, frames))  # millimetres
        with h5py.File(folder / f"{name}.h5", "w") as f:
            f["3D_positions"] = raw[subject, name]
    (tmp_path / "S5").mkdir()  # a subject without takes is tolerated
    got = load_h36m_archive(tmp_path)
    assert sorted(got) == ["S1", "S9"]  # S11 "Directions" is dropped (corrupted video)
    assert sorted(got["S1"]) == ["Photo", "Walking 1"] and list(got["S9"]) == ["WalkDog 1"]
    a = got["S1"]["Walking 1"]
    assert a.shape == (7, 32, 3) and a.dtype == np.float32
    # rows are joint-major x, y, z: row 3 j + c, column t  ->  [t, j, c], metres
    r = raw["S1", "Walking 1"]
    for t, j, c in [(0, 0, 0), (6, 31, 2), (3, 12, 1)]:
        assert a[t, j, c] == pytest.approx(r[3 * j + c, t] / 1000.0, rel=1e-6)
    assert "Directions" in load_h36m_archive(tmp_path, subjects=["S11"], drop_corrupted=False)["S11"]
    with h5py.File(tmp_path / "S1" / "MyPoses" / "3D_positions" / "Eating.h5", "w") as f:
        f["3D_positions"] = np.zeros((95, 4))
    with pytest.raises(H36MFormatError, match=r"Eating\.h5: dataset '3D_positions' must have shape \(96, T\).*\(95, 4\)"):
        load_h36m_archive(tmp_path)


# --------------------------------------------------------------------------- the real files
def _real_root():
    env = os.environ.get("SEMGCN_H36M")
    root = Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "data" / "h36m"
    return root if (root / "data_3d_h36m.npz").is_file() else None


REAL = _real_root()


def needs_real(test):
    """Mark a test as needing the real files; skip it cleanly when they are absent."""
    return pytest.mark.h36m(pytest.mark.skipif(REAL is None, reason="Human3.6M files not available")(test))


@pytest.fixture(scope="module")
def real_3d():
    return load_positions_3d(REAL)


@needs_real
def test_real_frame_and_sequence_counts(real_3d):
    assert sum(p.shape[0] for seqs in real_3d.values() for p in seqs.values()) == 496_063
    assert {s: len(q) for s, q in real_3d.items()} == {"S1": 30, "S5": 28, "S6": 30, "S7": 28, "S8": 30,
                                                       "S9": 29, "S11": 29}
    actions = {canonical_action(q) for seqs in real_3d.values() for q in seqs}
    assert actions == set(ACTIONS)
    assert "Directions" not in real_3d["S11"]  # dropped on purpose in the standard release


@needs_real
def test_real_detections_close_to_ground_truth(real_3d):
    sh_file = REAL / "data_2d_h36m_sh_pt_mpii.npz"
    if not sh_file.is_file():
        pytest.skip("no Stacked Hourglass detections")
    sh = load_keypoints_2d(sh_file, real_3d)
    gt = compute_gt_2d(real_3d)
    dist = np.concatenate([np.linalg.norm(sh[s][q][c] - gt[s][q][c], axis=-1).ravel()
                           for s in real_3d for q in real_3d[s] for c in range(4)])
    assert dist.size == 496_063 * 4 * 16
    assert 10.0 < dist.mean() < 20.0, dist.mean()  # measured: 14.2 px
    assert np.median(dist) < dist.mean()  # a tail of detector failures


@needs_real
def test_real_pose_data_splits():
    data = h36m_pose_data(REAL)
    names = data.train.subject_names
    subjects = {k: {names[i] for i in getattr(data, k).subject.unique().tolist()} for k in ("train", "val", "test")}
    assert subjects["train"] == set(TRAIN_SUBJECTS) and subjects["val"] <= set(TRAIN_SUBJECTS)
    assert subjects["test"] == set(TEST_SUBJECTS)
    seqs = {k: {(s, q) for s, q, _ in data.meta["sequences"][k]} for k in ("train", "val", "test")}
    assert not seqs["train"] & seqs["val"] and len(seqs["train"]) + len(seqs["val"]) == 146
    assert len(seqs["val"]) == 15 and len(seqs["test"]) == 58
    assert len(data.test) == 4 * (73_544 + 56_419)  # every test frame, 4 cameras
    assert 0.08 < len(data.val) / (len(data.train) + len(data.val)) < 0.15
    for k in ("train", "val", "test"):
        assert len(getattr(data, k)) == 4 * sum(n for *_, n in data.meta["sequences"][k])
    assert torch.all(data.test.targets[:, 0] == 0)
    assert 0.1 < data.test.targets.norm(dim=-1)[:, 9].mean() < 1.0  # head ~0.5-0.7 m from the hip
    assert data.test.inputs.abs().max() < 1.2  # normalised screen coordinates
    print(f"\n{data.summary()}; built in {data.meta['seconds_to_build']} s")
