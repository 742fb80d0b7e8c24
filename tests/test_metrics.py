"""Losses (Eq. 7) and evaluation metrics: MPJPE, P-MPJPE / Procrustes,
per-action aggregation, bone-length calibration and the action table."""
import numpy as np
import pytest
import torch

from semgcn.graph import H36M_PARENTS
from semgcn.losses import bone_loss, bone_vectors, joint_loss, pose_loss
from semgcn.metrics import (
    action_average, calibrate_bone_length, format_action_table, mpjpe, p_mpjpe, per_action_errors,
    procrustes_align,
)

DT = torch.float64


@pytest.fixture(autouse=True)
def _seed_and_one_thread():
    """Deterministic randomness; one intra-op thread (tiny tensors, shared CPUs)."""
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _random_rotations(n, d=3):
    q, r = torch.linalg.qr(torch.randn(n, d, d, dtype=DT))
    q = q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1))[:, None, :]
    det = torch.linalg.det(q)
    q[:, :, 0] *= det[:, None]  # force det = +1
    return q


def _poses(n, k=16):
    return torch.randn(n, k, 3, dtype=DT) * 0.3


def _umeyama_numpy(x, y):
    """Independent reference: Umeyama (1991) similarity alignment of x onto y,
    one pose at a time, with numpy."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    mx, my = x.mean(0), y.mean(0)
    xc, yc = x - mx, y - my
    n = x.shape[0]
    cov = yc.T @ xc / n
    u, s, vt = np.linalg.svd(cov)
    e = np.eye(x.shape[1])
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        e[-1, -1] = -1
    r = u @ e @ vt  # y ~ c R x (column vectors)
    var_x = (xc ** 2).sum() / n
    c = np.trace(np.diag(s) @ e) / var_x
    t = my - c * r @ mx
    return (c * (r @ x.T)).T + t, r, c


# ----------------------------------------------------------------------------- MPJPE

def test_mpjpe_by_hand():
    target = _poses(5)
    shift = torch.tensor([0.0, 0.003, 0.004], dtype=DT)  # 5 mm everywhere
    torch.testing.assert_close(mpjpe(target + shift, target), torch.tensor(5.0, dtype=DT))
    pred = target.clone()
    pred[2, 7] += torch.tensor([0.016, 0.0, 0.0], dtype=DT)  # one joint of one pose, 16 mm
    per_pose = mpjpe(pred, target, reduce=False)
    assert per_pose.shape == (5,)
    torch.testing.assert_close(per_pose, torch.tensor([0, 0, 1.0, 0, 0], dtype=DT))
    # the same poses in millimetres give the same millimetres
    torch.testing.assert_close(mpjpe(pred * 1000, target * 1000, unit="mm"), torch.tensor(0.2, dtype=DT))
    # numpy inputs
    assert abs(float(mpjpe(pred.numpy(), target.numpy())) - 0.2) < 1e-9


def test_metric_units_are_explicit():
    """Poses in millimetres passed as metres are refused, not multiplied by 1000 once more."""
    target = _poses(3) * 1000  # millimetres
    with pytest.raises(ValueError, match="unit='mm'"):
        mpjpe(target + 5, target)
    with pytest.raises(ValueError, match="unit='mm'"):
        p_mpjpe(target + 5, target)
    with pytest.raises(ValueError, match="unit must be"):
        mpjpe(target, target, unit="cm")
    torch.testing.assert_close(p_mpjpe(target + 5, target, unit="mm"), torch.tensor(0.0, dtype=DT),
                               atol=1e-6, rtol=0)


def test_metric_shape_errors():
    with pytest.raises(ValueError, match="mpjpe"):
        mpjpe(torch.zeros(2, 16, 3), torch.zeros(2, 15, 3))
    with pytest.raises(ValueError, match="procrustes"):
        p_mpjpe(torch.zeros(2, 16, 3), torch.zeros(2, 16, 2))
    with pytest.raises(ValueError):
        mpjpe(torch.zeros(3), torch.zeros(3))


# ----------------------------------------------------------------------------- Procrustes

def test_procrustes_recovers_a_known_similarity_transform():
    x = _poses(32)
    rot = _random_rotations(32)
    scale = torch.empty(32, 1, 1, dtype=DT).uniform_(0.5, 2.0)
    trans = torch.randn(32, 1, 3, dtype=DT)
    target = scale * (x @ rot) + trans
    aligned = procrustes_align(x, target)
    torch.testing.assert_close(aligned, target, atol=1e-9, rtol=0)
    assert float(p_mpjpe(x, target)) < 1e-6  # mm
    assert float(mpjpe(x, target)) > 100  # while the unaligned error is large


def test_procrustes_matches_independent_umeyama():
    x, y = _poses(6), _poses(6)
    aligned = procrustes_align(x, y)
    for i in range(6):
        ref, _, _ = _umeyama_numpy(x[i], y[i])
        np.testing.assert_allclose(aligned[i].numpy(), ref, atol=1e-10)


def test_procrustes_reflection_gives_a_proper_rotation():
    x = _poses(8)
    mirror = torch.diag(torch.tensor([1.0, 1.0, -1.0], dtype=DT))
    target = x @ mirror
    aligned = procrustes_align(x, target)
    # recover the linear map actually applied: aligned - mean = (x - mean) @ (s R)
    xc, ac = x - x.mean(1, keepdim=True), aligned - aligned.mean(1, keepdim=True)
    for i in range(8):
        sr = torch.linalg.lstsq(xc[i], ac[i]).solution
        s = torch.linalg.det(sr).sign() * torch.linalg.det(sr).abs() ** (1 / 3)
        r = sr / s
        assert s > 0
        torch.testing.assert_close(r.t() @ r, torch.eye(3, dtype=DT))
        assert abs(float(torch.linalg.det(r)) - 1.0) < 1e-9  # a rotation, not the mirror
        ref, r_ref, _ = _umeyama_numpy(x[i], target[i])
        np.testing.assert_allclose(aligned[i].numpy(), ref, atol=1e-10)
    assert (p_mpjpe(x, target, reduce=False) > 1.0).all()  # a mirror cannot be undone


def test_procrustes_2d_and_float32_dtype():
    x = torch.randn(4, 10, 2, dtype=DT)
    rot = _random_rotations(4, d=2)
    target = 1.7 * (x @ rot) - 0.3
    torch.testing.assert_close(procrustes_align(x, target), target, atol=1e-9, rtol=0)
    out = procrustes_align(x.float(), target.float())
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, target.float(), atol=1e-5, rtol=0)


def test_p_mpjpe_at_most_mpjpe_and_invariant_to_similarity_of_prediction():
    target = _poses(64)
    pred = target + 0.05 * torch.randn_like(target) + 0.02 * torch.randn(64, 1, 3, dtype=DT)
    e1, e2 = mpjpe(pred, target), p_mpjpe(pred, target)
    assert e2 <= e1
    # per pose, the aligned root-mean-square error is never larger (least squares optimum)
    rms = lambda a, b: (a - b).square().sum(-1).mean(-1).sqrt()  # noqa: E731
    assert (rms(procrustes_align(pred, target), target) <= rms(pred, target) + 1e-12).all()
    moved = 1.3 * (pred @ _random_rotations(64)) + torch.randn(64, 1, 3, dtype=DT)
    torch.testing.assert_close(p_mpjpe(moved, target, reduce=False), p_mpjpe(pred, target, reduce=False))


# ----------------------------------------------------------------------------- per-action

def test_per_action_average_is_mean_of_action_means():
    names = ["Directions", "Eating", "Posing"]
    errors = torch.tensor([1.0, 1.0, 1.0, 5.0, 2.0, 4.0])
    action = torch.tensor([0, 0, 0, 1, 2, 2])
    table = per_action_errors(errors, action, names)
    assert list(table) == names
    assert table == pytest.approx({"Directions": 1.0, "Eating": 5.0, "Posing": 3.0})
    assert action_average(table) == pytest.approx(3.0)
    assert float(errors.mean()) == pytest.approx(14 / 6)  # the pose mean differs on unbalanced data
    assert action_average(table) != pytest.approx(float(errors.mean()))


def test_per_action_errors_missing_actions_and_errors():
    table = per_action_errors(np.array([2.0, 4.0]), np.array([2, 2]), ["A", "B", "C"])
    assert table == {"C": 3.0}
    with pytest.raises(ValueError, match="differ"):
        per_action_errors(torch.ones(3), torch.zeros(2, dtype=torch.long), ["A"])
    with pytest.raises(ValueError, match="empty"):
        action_average({})


# ----------------------------------------------------------------------------- losses

def test_bone_vectors():
    pose = _poses(2)
    bones = bone_vectors(pose)
    assert bones.shape == (2, 15, 3)
    for b, (child, parent) in enumerate((j, p) for j, p in enumerate(H36M_PARENTS) if p >= 0):
        torch.testing.assert_close(bones[:, b], pose[:, child] - pose[:, parent])
    with pytest.raises(ValueError, match="joints"):
        bone_vectors(torch.zeros(2, 15, 3))


def test_bone_loss_zero_iff_bones_agree():
    target = _poses(4)
    assert bone_loss(target.clone(), target) == 0.0
    # a global translation keeps every bone: zero bone loss, positive joint loss
    shifted = target + torch.tensor([0.1, -0.2, 0.3], dtype=DT)
    assert float(bone_loss(shifted, target)) < 1e-20 and joint_loss(shifted, target) > 0
    # moving a leaf joint (RFoot, 3) by v changes one bone: loss = |v|^2 / (4 poses * 15 bones * 3)
    moved = target.clone()
    v = torch.tensor([0.3, 0.0, 0.4], dtype=DT)
    moved[1, 3] += v
    torch.testing.assert_close(bone_loss(moved, target), v.square().sum() / (4 * 15 * 3))
    torch.testing.assert_close(joint_loss(moved, target), v.square().sum() / (4 * 16 * 3))
    # moving an inner joint (RKnee, 2) changes two bones
    moved = target.clone()
    moved[0, 2] += v
    torch.testing.assert_close(bone_loss(moved, target), 2 * v.square().sum() / (4 * 15 * 3))


def test_pose_loss_eq7():
    pred, target = _poses(3), _poses(3)
    torch.testing.assert_close(pose_loss(pred, target), joint_loss(pred, target))
    torch.testing.assert_close(pose_loss(pred, target, bone_weight=0.5),
                               joint_loss(pred, target) + 0.5 * bone_loss(pred, target))
    with pytest.raises(ValueError, match="differ in shape"):
        joint_loss(pred, target[:, :15])
    with pytest.raises(ValueError, match="differ in shape"):
        bone_loss(pred, target[:2])
    with pytest.raises(ValueError, match="2 or 3"):
        joint_loss(torch.zeros(2, 16, 4), torch.zeros(2, 16, 4))


# ----------------------------------------------------------------------------- calibration and table

def _bone_sum(pose):
    return torch.linalg.vector_norm(bone_vectors(pose), dim=-1).sum(-1)


def test_calibrate_bone_length():
    pred = _poses(5)
    out = calibrate_bone_length(pred, 4.5)
    torch.testing.assert_close(_bone_sum(out), torch.full((5,), 4.5, dtype=DT))
    ratio = out / pred  # a pure positive rescaling of each pose
    torch.testing.assert_close(ratio, ratio[:, :1, :1].expand_as(ratio))
    assert (ratio > 0).all()
    ref = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0], dtype=DT)
    torch.testing.assert_close(_bone_sum(calibrate_bone_length(pred, ref)), ref)


def test_format_action_table():
    rows = {"Ours": {"Walk": 1.0, "Eat": 2.0, "Sit": 6.0}, "FC": {"Walk": 2.0, "Eat": 4.0, "Sit": 6.0}}
    text = format_action_table(rows)
    lines = text.splitlines()
    assert len(lines) == 3
    header = lines[0].split()
    assert header == ["Walk", "Eat", "Sit", "Avg."]
    assert lines[1].split() == ["Ours", "1.0", "2.0", "6.0", "3.0"]
    assert lines[2].split() == ["FC", "2.0", "4.0", "6.0", "4.0"]
    # explicit action order, missing action shown as nan and left out of the average
    text = format_action_table({"A": {"Walk": 1.0, "Sit": 3.0}}, ["Sit", "Eat", "Walk"], digits=2)
    assert text.splitlines()[1].split() == ["A", "3.00", "nan", "1.00", "2.00"]
    assert format_action_table({}) == ""
