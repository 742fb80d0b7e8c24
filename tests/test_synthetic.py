"""Tests of the synthetic pose generator (semgcn.data.synthetic, chapter 2)."""
import numpy as np
import pytest
import torch

from semgcn.data import synthetic as syn
from semgcn.data.camera import load_cameras, normalize_screen_coordinates, project_to_2d
from semgcn.graph import H36M_PARENTS

PARENTS = list(H36M_PARENTS[1:])


@pytest.fixture(scope="module")
def poses():
    return syn.generate_poses(3000, seed=11)


@pytest.fixture(scope="module")
def splits():
    return syn._synthetic_splits(num_train=900, num_val=300, num_test=450, seed=5,
                                 train_subjects=syn.TRAIN_SUBJECTS, test_subjects=syn.TEST_SUBJECTS)


def bones(P):
    return np.linalg.norm(P[:, 1:] - P[:, PARENTS], axis=-1)


def test_determinism_by_seed():
    a = syn.generate_poses(400, seed=3)
    b = syn.generate_poses(400, seed=3)
    c = syn.generate_poses(400, seed=4)
    for key in ("positions_world", "subject", "action", "angles"):
        np.testing.assert_array_equal(a[key], b[key])
    assert np.abs(a["positions_world"] - c["positions_world"]).max() > 0.1
    d1 = syn.synthetic_pose_data(200, 50, 100, seed=7)
    d2 = syn.synthetic_pose_data(200, 50, 100, seed=7)
    for split in ("train", "val", "test"):
        s1, s2 = getattr(d1, split), getattr(d2, split)
        assert torch.equal(s1.inputs, s2.inputs) and torch.equal(s1.targets, s2.targets)
        assert torch.equal(s1.camera, s2.camera)


def test_shapes_and_dtypes(poses):
    n = 3000
    assert poses["positions_world"].shape == (n, 16, 3) and poses["positions_world"].dtype == np.float64
    assert poses["angles"].shape == (n, len(syn.ANGLE_NAMES))
    assert poses["subject"].shape == (n,) and poses["subject"].dtype == np.int64
    assert poses["action"].shape == (n,) and poses["action"].dtype == np.int64
    assert poses["action_names"] == list(syn.ACTIONS) and len(syn.ACTIONS) == 15
    assert poses["subject_names"] == [f"V{i}" for i in range(1, 8)]
    data = syn.synthetic_pose_data(300, 60, 150, seed=1)
    for split, size in ((data.train, 300), (data.val, 60), (data.test, 150)):
        assert split.inputs.shape == (size, 16, 2) and split.inputs.dtype == torch.float32
        assert split.targets.shape == (size, 16, 3) and split.targets.dtype == torch.float32
        for name in ("action", "subject", "camera"):
            assert getattr(split, name).dtype == torch.long
        assert split.camera.min() >= 0 and split.camera.max() <= 3
    assert data.source.startswith("synthetic poses (seed 1")


def test_bone_lengths_constant_per_subject(poses):
    B = bones(poses["positions_world"])
    for i, subject in enumerate(syn.VIRTUAL_SUBJECTS):
        mine = B[poses["subject"] == i]
        assert len(mine) > 100
        np.testing.assert_allclose(mine, np.broadcast_to(subject.bone_lengths(), mine.shape), atol=1e-9)
        # left/right symmetric, adult proportions
        np.testing.assert_allclose(mine[0, [3, 4, 5]], mine[0, [0, 1, 2]])
        assert 0.38 < subject.thigh < 0.52 and 0.22 < subject.upper_arm < 0.33
    # subjects differ from each other
    assert len({tuple(s.bone_lengths().round(4)) for s in syn.VIRTUAL_SUBJECTS}) == 7


def test_joint_limits_respected(poses):
    ang = poses["angles"]
    assert not syn.joint_limit_violations(ang).any()
    # positions are the forward kinematics of the returned angles
    body = np.stack([s.as_array() for s in syn.VIRTUAL_SUBJECTS])[poses["subject"]]
    P = syn.forward_kinematics(ang, body)
    W = poses["positions_world"]
    np.testing.assert_allclose(W - W[:, :1], P, atol=1e-9)
    # inverse kinematics recovers the hinge angles from positions alone
    rec = syn.pose_to_angles(W)
    for name in ("r_knee", "l_knee", "r_elbow", "l_elbow", "r_hip_flex", "l_shoulder_abd", "chest_flex"):
        i = syn.ANGLE_NAMES.index(name)
        np.testing.assert_allclose(rec[:, i], ang[:, i], atol=1e-6)


def test_knees_never_bend_forwards(poses):
    P = poses["positions_world"]
    right_axis = P[:, 1] - P[:, 4]
    for hip, knee, foot in ((1, 2, 3), (4, 5, 6)):
        thigh, shin = P[:, knee] - P[:, hip], P[:, foot] - P[:, knee]
        bend = np.degrees(np.arccos(np.clip((thigh * shin).sum(-1) / np.linalg.norm(thigh, axis=-1)
                                            / np.linalg.norm(shin, axis=-1), -1, 1)))
        assert bend.max() <= 160 + 1e-6
        normal = np.cross(thigh, shin)
        bent = bend > 10
        # a knee that bends backwards turns the shin about the body's left-pointing axis
        assert ((normal[bent] * right_axis[bent]).sum(-1) < 0).all()


def test_all_actions_and_subject_split(splits):
    for name in ("train", "val", "test"):
        assert set(splits[name]["action"].tolist()) == set(range(15))
    train_names = {syn.VIRTUAL_SUBJECTS[i].name for i in splits["train"]["subject"]}
    test_names = {syn.VIRTUAL_SUBJECTS[i].name for i in splits["test"]["subject"]}
    assert train_names == set(syn.TRAIN_SUBJECTS) and test_names == set(syn.TEST_SUBJECTS)
    assert {syn.VIRTUAL_SUBJECTS[i].name for i in splits["val"]["subject"]} <= set(syn.TRAIN_SUBJECTS)
    # validation poses are different poses than the training poses
    tr = splits["train"]["targets"].reshape(len(splits["train"]["targets"]), -1)
    va = splits["val"]["targets"].reshape(len(splits["val"]["targets"]), -1)
    nearest = np.sqrt(((va[:, None] - tr[None]) ** 2).sum(-1)).min(1)
    assert nearest.min() > 1e-3


def test_world_frame_like_human36m(poses):
    P, act = poses["positions_world"], poses["action"]
    assert P[..., 2].min() >= -1e-9                       # nothing below the floor
    assert np.abs(P[..., 2].min(1)).max() < 0.1           # someone always touches the floor
    assert np.abs(P[:, 0, :2]).max() < 2.6                # inside the capture area
    walking = act == syn.ACTIONS.index("Walking")
    assert 0.8 < np.median(P[walking, 0, 2]) < 1.05       # standing hip height (metres)
    floor = act == syn.ACTIONS.index("SittingDown")
    assert np.median(P[floor, 0, 2]) < 0.4                # mostly sitting on the floor
    sitting = act == syn.ACTIONS.index("Sitting")
    assert 0.45 < np.median(P[sitting, 0, 2]) < 0.8       # on a chair


def test_targets_root_relative_and_inputs_are_projections(splits):
    cams = load_cameras()
    part = splits["test"]
    Xc = part["positions_camera"]
    np.testing.assert_allclose(part["targets"], Xc - Xc[:, :1])
    assert (Xc[..., 2] > 1.0).all()                       # in front of the cameras
    for i in range(0, len(Xc), 37):
        cam = cams[part["host"][i]][part["camera"][i]]
        px = project_to_2d(cam.world_to_camera(part["positions_world"][i]), cam)
        np.testing.assert_allclose(part["pixels"][i], px, atol=1e-6)
        np.testing.assert_allclose(part["inputs"][i], normalize_screen_coordinates(px, cam.res_w, cam.res_h),
                                   atol=1e-9)
    split = syn._to_split(part, "cpu")
    assert torch.equal(split.targets[:, 0], torch.zeros(len(split), 3))
    np.testing.assert_allclose(split.inputs.numpy(), part["inputs"], atol=1e-6)
    np.testing.assert_allclose(split.targets.numpy(), part["targets"], atol=1e-6)
    assert np.abs(part["inputs"]).max() < 1.3             # people are inside the images
    data = syn.synthetic_pose_data(100, 20, 40, seed=2)
    assert torch.equal(data.test.targets[:, 0], torch.zeros(40, 3))


def test_depth_ambiguity_pair_same_image_different_pose():
    d = syn.generate_poses(60, seed=9, actions=["Directions", "Greeting", "Posing"])
    cam = load_cameras()["S9"][1]
    original, alt = syn.depth_ambiguity_pair(d["positions_world"], camera=cam)
    assert original.shape == alt.shape == (60, 16, 3)
    px_a, px_b = project_to_2d(original, cam), project_to_2d(alt, cam)
    err = np.abs(px_a - px_b).max(axis=(1, 2))
    assert np.median(err) < 1e-6 and err.max() < 25.0    # same image (up to rare missed rays)
    mpjpe = np.linalg.norm((original - original[:, :1]) - (alt - alt[:, :1]), axis=-1).mean(1)
    assert np.median(mpjpe) > 0.05                        # clearly different 3D (metres)
    np.testing.assert_allclose(bones(original), bones(alt), atol=1e-9)
    # a single pose in camera coordinates, flipping only the right forearm
    one, one_alt = syn.depth_ambiguity_pair(original[0], flip=[15])
    assert one.shape == (16, 3)
    np.testing.assert_allclose(one_alt[:15], one[:15])
    np.testing.assert_allclose(project_to_2d(one_alt, cam), project_to_2d(one, cam), atol=1e-6)


def test_argument_checks():
    with pytest.raises(ValueError, match="unknown action"):
        syn.generate_poses(10, actions=["Dancing"])
    with pytest.raises(ValueError, match="unknown virtual subject"):
        syn.generate_poses(10, subjects=["S1"])
    one = syn.generate_poses(30, seed=0, subjects=["V3"], actions=["Walking"])
    assert set(one["subject"].tolist()) == {2} and set(one["action"].tolist()) == {13}
    with pytest.raises(ValueError):
        syn.synthetic_pose_data(-1, 10, 10)


@pytest.mark.skipif(syn.load_pose_prior() is None, reason="no fitted pose prior shipped")
def test_prior_styles_respect_the_body_model():
    prior = syn.load_pose_prior()
    k = prior["weights"].shape[1]
    assert prior["means"].shape == (15, k, 24) and prior["chol"].shape == (15, k, 24, 24)
    assert syn.POSE_PRIOR_FILE.stat().st_size < 1_000_000
    for style in ("prior", "mixed"):
        a = syn.generate_poses(600, seed=2, style=style)
        b = syn.generate_poses(600, seed=2, style=style)
        np.testing.assert_array_equal(a["positions_world"], b["positions_world"])
        assert not syn.joint_limit_violations(a["angles"]).any()
        B = bones(a["positions_world"])
        for i, subject in enumerate(syn.VIRTUAL_SUBJECTS):
            np.testing.assert_allclose(B[a["subject"] == i], np.broadcast_to(subject.bone_lengths(),
                                                                             B[a["subject"] == i].shape), atol=1e-9)
        assert a["positions_world"][..., 2].min() >= -1e-9
        assert set(a["action"].tolist()) == set(range(15))
    with pytest.raises(ValueError, match="unknown style"):
        syn.generate_poses(10, style="gan")
