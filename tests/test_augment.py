"""Mirror (flip) augmentation: geometry, involution, masking, errors, and the
flip options of the training engine (resume stays exact, test-time flipping)."""
import numpy as np
import pytest
import torch

from semgcn.data.augment import mirror_inputs, mirror_pairs, mirror_targets, principal_points_x
from semgcn.data.camera import camera_intrinsics, normalize_screen_coordinates, project_pinhole
from semgcn.graph import H36M_LEFT, H36M_RIGHT
from semgcn.models import build_model
from semgcn.train import TrainConfig, predict, train

from test_train import SMALL, fake_data


def _project(X, cams):
    out = []
    for pose, c in zip(X, cams.tolist()):
        cam = camera_intrinsics(c)
        u = project_pinhole(pose.double().numpy(), cam.intrinsics())
        out.append(normalize_screen_coordinates(u, cam.res_w, cam.res_h))
    return torch.tensor(np.stack(out), dtype=torch.float32)


def test_principal_points_are_right_of_centre():
    c = principal_points_x()
    assert c.shape == (4,)
    # Human3.6M principal points lie 8-20 px right of the 1000 px image centre.
    assert bool(((c > 0.01) & (c < 0.05)).all()), c


def test_mirrored_image_equals_projection_of_mirrored_scene():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(8, 16, 3, generator=g) * 0.3 + torch.tensor([0.3, -0.1, 5.0])
    cams = torch.tensor([0, 1, 2, 3, 3, 2, 1, 0])
    u, u_mirror_scene = _project(X, cams), _project(mirror_targets(X), cams)
    assert torch.allclose(mirror_inputs(u, cams, principal_points_x()), u_mirror_scene, atol=1e-6)
    # mirroring about the image centre instead would be off by the principal-point offset
    naive = u[:, mirror_perm()].clone()
    naive[..., 0] = -naive[..., 0]
    assert (naive - u_mirror_scene).abs().max() > 0.01


def mirror_perm():
    perm = list(range(16))
    for a, b in zip(H36M_LEFT, H36M_RIGHT):
        perm[a], perm[b] = b, a
    return perm


def test_mirror_is_an_involution_and_swaps_sides():
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(5, 16, 2, generator=g), torch.randn(5, 16, 3, generator=g)
    cams, c = torch.tensor([0, 1, 2, 3, 0]), principal_points_x()
    assert torch.allclose(mirror_inputs(mirror_inputs(x, cams, c), cams, c), x, atol=1e-6)
    assert torch.equal(mirror_targets(mirror_targets(y)), y)
    m = mirror_targets(y)
    assert torch.equal(m[:, H36M_LEFT[0], 0], -y[:, H36M_RIGHT[0], 0])
    assert torch.equal(m[:, 0, 1:], y[:, 0, 1:])   # the root stays, only x changes sign


def test_mirror_pairs_touches_only_selected_poses():
    g = torch.Generator().manual_seed(2)
    x, y = torch.randn(6, 16, 2, generator=g), torch.randn(6, 16, 3, generator=g)
    cams, c = torch.zeros(6, dtype=torch.long), principal_points_x()
    which = torch.tensor([True, False, True, False, False, True])
    xm, ym = mirror_pairs(x, y, cams, c, which)
    assert torch.equal(xm[~which], x[~which]) and torch.equal(ym[~which], y[~which])
    assert torch.equal(xm[which], mirror_inputs(x, cams, c)[which])
    assert torch.equal(ym[which], mirror_targets(y)[which])


def test_mirror_errors_name_the_problem():
    x, c = torch.zeros(3, 16, 2), principal_points_x()
    with pytest.raises(ValueError, match="camera indices must be in 0..3"):
        mirror_inputs(x, torch.tensor([0, 4, 1]), c)
    with pytest.raises(ValueError, match=r"camera must have shape \(3,\)"):
        mirror_inputs(x, torch.tensor([0, 1]), c)
    with pytest.raises(ValueError, match="which must have shape"):
        mirror_pairs(x, torch.zeros(3, 16, 3), torch.zeros(3, dtype=torch.long), c, torch.tensor([True]))
    with pytest.raises(ValueError, match="needs the camera index"):
        predict(build_model("resgcn", hidden=8, num_blocks=1), x, flip=True)


def test_test_time_flip_averages_plain_and_mirrored_prediction():
    torch.manual_seed(0)
    model = build_model("semgcn", hidden=16, num_blocks=1).eval()
    x, cams, c = torch.randn(10, 16, 2) * 0.3, torch.randint(0, 4, (10,)), principal_points_x()
    with torch.no_grad():
        expected = 0.5 * (model(x) + mirror_targets(model(mirror_inputs(x, cams, c))))
    assert torch.allclose(predict(model, x, camera=cams, flip=True), expected, atol=1e-6)
    assert not torch.allclose(predict(model, x), expected, atol=1e-4)


def test_flip_augmented_run_resumes_exactly_and_records_both_tests(tmp_path):
    data = fake_data()
    cfg = {**SMALL, "augment_flip": True, "flip_test": True}
    full = train(TrainConfig(**cfg), data, tmp_path / "full", progress=False)
    train(TrainConfig(**cfg), data, tmp_path / "part", progress=False, stop_after_epoch=1)
    resumed = train(TrainConfig(**cfg), data, tmp_path / "part", resume=True, progress=False)
    assert resumed["history"]["val_mpjpe"] == full["history"]["val_mpjpe"]
    assert resumed["test"]["mpjpe"] == full["test"]["mpjpe"]
    assert full["test"]["flip_test"] is True and full["test_without_flip"]["flip_test"] is False
    assert full["test"]["mpjpe"] != full["test_without_flip"]["mpjpe"]
    assert "--augment-flip" in full["command"] and "--flip-test" in full["command"]
    # the augmentation changes training: a plain run ends with other weights
    plain = train(TrainConfig(**SMALL), data, tmp_path / "plain", progress=False)
    assert plain["history"]["train_loss"] != full["history"]["train_loss"]


def test_resume_accepts_checkpoints_written_before_the_flip_options(tmp_path):
    from semgcn.train import atomic_save, load_checkpoint
    data = fake_data()
    train(TrainConfig(**{**SMALL, "epochs": 1}), data, tmp_path, progress=False)
    ckpt = load_checkpoint(tmp_path / "checkpoint.pt")
    for key in ("augment_flip", "flip_test"):
        del ckpt["config"][key]
    ckpt["config"]["eval_batch_size"] = 8192   # the old default; the chunk size is not part of a run's identity
    atomic_save(ckpt, tmp_path / "checkpoint.pt")
    record = train(TrainConfig(**{**SMALL, "epochs": 2, "eval_batch_size": None}), data, tmp_path, resume=True,
                   progress=False)
    assert record["history"]["epoch"] == [1, 2]
    with pytest.raises(ValueError, match="configuration differs.*'lr'"):
        train(TrainConfig(**{**SMALL, "epochs": 3, "lr": 0.5}), data, tmp_path, resume=True, progress=False)


def test_cli_evaluate_with_test_time_flip(tmp_path):
    from test_train import REPO, _cli
    out = tmp_path / "eval.json"
    r = _cli("evaluate", "--checkpoint", str(REPO / "results" / "synthetic-semgcn" / "model.pt"), "--flip-test",
             "--synthetic-train", "1000", "--device", "cpu", "--json", str(out))
    assert r.returncode == 0, r.stderr
    assert "flip-averaged" in r.stdout
    import json
    res = json.loads(out.read_text())
    assert res["flip_test"] is True and 0 < res["mpjpe"] < 500


def test_flip_and_plain_evaluation_in_two_passes_matches_two_evaluations():
    from semgcn.train import evaluate, evaluate_flip_and_plain, predict_mirrored, score
    torch.manual_seed(0)
    model = build_model("semgcn", hidden=16, num_blocks=1).eval()
    test = fake_data().test
    with_flip, without = evaluate_flip_and_plain(model, test)
    for got, want in ((with_flip, evaluate(model, test, flip=True)), (without, evaluate(model, test))):
        assert got["flip_test"] == want["flip_test"]
        for key in ("mpjpe", "p_mpjpe", "mpjpe_all_poses"):
            assert got[key] == pytest.approx(want[key], rel=1e-6)
    assert with_flip["mpjpe"] != pytest.approx(without["mpjpe"])
    with pytest.raises(ValueError, match=r"predictions have shape \(3, 16, 3\)"):
        score(torch.zeros(3, 16, 3), test)
    with pytest.raises(ValueError, match="one camera index per pose"):
        predict_mirrored(model, test.inputs, test.camera[:-1])
