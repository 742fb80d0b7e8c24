"""The image-feature framework (semgcn.image): renderer occlusion and
determinism, crops, RoI boxes, soft-argmax, pretrained-weight handling,
end-to-end gradients, a tiny three-stage run and its resume."""
import json
import math
import urllib.error

import pytest
import torch

from semgcn.graph import H36M_JOINT_NAMES
from semgcn.image import (BODY_PARTS, ImageSemGCN, ImageTrainConfig, JointFeaturePooling, PoseResNet,
                          PretrainedWeightsUnavailable, crop_images, crop_to_image, image_to_crop, integral_loss,
                          joint_boxes, load_image_model, mean_bone_length, render_poses, ship_image_results,
                          soft_argmax, synthetic_image_data, train_image_model, train_stage)
from semgcn.image import backbone as backbone_module
from semgcn.image.render import ray_capsule_depth
from semgcn.train import load_checkpoint

J = {name: i for i, name in enumerate(H36M_JOINT_NAMES)}
PART = {p[0]: i for i, p in enumerate(BODY_PARTS)}
INTRINSICS = torch.tensor([1150.0, 1150.0, 500.0, 500.0, 0, 0, 0, 0, 0, 1000, 1000])


def standing_pose(depth=4.0):
    """A front-facing standing pose in camera coordinates (x right, y down, z forward), metres."""
    p = torch.zeros(16, 3)
    # subject's right is the camera's left (x < 0) when facing the camera
    for name, xyz in {"Hip": (0, 0, 0), "RHip": (-0.13, 0, 0), "RKnee": (-0.14, 0.45, 0), "RFoot": (-0.14, 0.9, 0),
                      "LHip": (0.13, 0, 0), "LKnee": (0.14, 0.45, 0), "LFoot": (0.14, 0.9, 0),
                      "Spine": (0, -0.25, 0), "Thorax": (0, -0.5, 0), "Head": (0, -0.7, 0),
                      "LShoulder": (0.17, -0.48, 0), "LElbow": (0.2, -0.2, 0), "LWrist": (0.22, 0.05, 0),
                      "RShoulder": (-0.17, -0.48, 0), "RElbow": (-0.2, -0.2, 0), "RWrist": (-0.22, 0.05, 0)}.items():
        p[J[name]] = torch.tensor(xyz)
    p[:, 2] += depth
    return p


def arm_across_chest(depth_offset):
    """Left forearm horizontal across the chest, ``depth_offset`` metres in front (< 0) or behind (> 0)."""
    p = standing_pose()
    p[J["LElbow"]] = torch.tensor([0.25, -0.3, 4.0 + depth_offset])
    p[J["LWrist"]] = torch.tensor([-0.25, -0.3, 4.0 + depth_offset])
    return p


def pixel_of(point, out, b=0):
    uv = image_to_crop((INTRINSICS[:2] * point[:2] / point[2] + INTRINSICS[2:4])[None, None], out.boxes[b:b + 1],
                       out.size)[0, 0]
    return int(uv[1]), int(uv[0])  # row, column


def test_ray_capsule_depth_closed_form():
    d = torch.tensor([[0.0, 0.0, 1.0]])
    a, b = torch.tensor([[-1.0, 0.0, 5.0]]), torch.tensor([[1.0, 0.0, 5.0]])
    assert torch.allclose(ray_capsule_depth(d, a, b, torch.tensor([0.5])), torch.tensor([4.5]))  # the body
    a2, b2 = torch.tensor([[0.0, 0.0, 5.0]]), torch.tensor([[0.0, 0.0, 7.0]])
    assert torch.allclose(ray_capsule_depth(d, a2, b2, torch.tensor([0.5])), torch.tensor([4.5]))  # an end cap
    miss = ray_capsule_depth(torch.tensor([[0.6, 0.0, 0.8]]), a, b, torch.tensor([0.5]))
    assert math.isinf(float(miss))


def test_renderer_nearer_limb_covers_farther():
    front = render_poses(arm_across_chest(-0.3)[None], INTRINSICS, size=64)
    back = render_poses(arm_across_chest(+0.3)[None], INTRINSICS, size=64)
    # the chest point behind/in front of the middle of the forearm
    row, col = pixel_of(torch.tensor([0.0, -0.3, 3.7]), front)
    assert front.part[0, row, col] == PART["l_forearm"]
    row_b, col_b = pixel_of(torch.tensor([0.0, -0.3, 4.0]), back)
    assert back.part[0, row_b, col_b] == PART["chest"]
    # depth is the nearer surface, and the two images differ there
    assert front.depth[0, row, col] < 3.75 and back.depth[0, row_b, col_b] > 3.8
    # the far forearm is still visible beside the torso, but not in front of it
    assert (back.part == PART["l_forearm"]).any()
    assert not torch.equal(front.images, back.images)


def test_renderer_deterministic_by_index_and_left_right_colours():
    data = synthetic_image_data(6, 1, 1, seed=3)
    a = data.train.render(torch.tensor([4, 1]), size=32, seed=7)
    b = data.train.render(torch.tensor([1, 2, 3, 4]), size=32, seed=7)
    assert torch.equal(a.images[0], b.images[3]) and torch.equal(a.images[1], b.images[0])
    c = data.train.render(torch.tensor([4]), size=32, seed=8)
    assert not torch.equal(a.images[0], c.images[0])
    assert a.images.shape == (2, 3, 32, 32) and 0 <= float(a.images.min()) and float(a.images.max()) <= 1
    # left limbs are orange-tinted, right limbs blue-tinted: mean colours differ in the red-blue balance
    out = render_poses(standing_pose()[None], INTRINSICS, size=64)
    img = out.images[0]
    left = img[:, out.part[0] == PART["l_thigh"]].mean(1)
    right = img[:, out.part[0] == PART["r_thigh"]].mean(1)
    assert (left[0] - left[2]) > (right[0] - right[2]) + 0.2


def test_crop_transform_roundtrip_and_joints_inside():
    data = synthetic_image_data(8, 1, 1)
    out = data.train.render(torch.arange(8), size=32)
    assert torch.allclose(crop_to_image(out.joints_crop, out.boxes, 32), out.joints_image, atol=1e-3)
    affine = out.affine()
    hom = torch.cat([out.joints_image, torch.ones(8, 16, 1)], -1)
    assert torch.allclose(hom @ affine.transpose(1, 2), out.joints_crop, atol=1e-3)
    assert (out.joints_crop > 0).all() and (out.joints_crop < 32).all()
    assert torch.allclose(out.boxes[:, 2] - out.boxes[:, 0], out.boxes[:, 3] - out.boxes[:, 1])
    # cached images are exactly the rendered ones
    data.train.cache_images(32)
    cached = data.train.render(torch.arange(8), size=32)
    assert torch.equal(cached.images, out.images) and torch.allclose(cached.boxes, out.boxes)


def test_crop_images_of_a_real_image():
    h, w = 40, 60
    ys, xs = torch.meshgrid(torch.arange(h) + 0.5, torch.arange(w) + 0.5, indexing="ij")
    image = torch.stack([xs, ys, xs * 0]).float()[None]
    crop = crop_images(image, torch.tensor([[10.0, 5.0, 30.0, 25.0]]), 8)  # a 20-px box -> 8 px
    centres = 10 + (torch.arange(8) + 0.5) * 20 / 8
    assert torch.allclose(crop[0, 0, 3], centres, atol=1e-4)
    assert torch.allclose(crop[0, 1, :, 2], centres - 5, atol=1e-4)


def test_roi_boxes_centred_on_joints():
    g = torch.Generator().manual_seed(0)
    joints = 16 + 32 * torch.rand(2, 16, 2, generator=g)
    side = mean_bone_length(joints)
    rois = joint_boxes(joints, side).view(2, 16, 5)
    assert torch.allclose((rois[..., 1:3] + rois[..., 3:5]) / 2, joints)
    assert torch.allclose(rois[..., 3] - rois[..., 1], side[:, None].expand(2, 16))
    assert torch.equal(rois[..., 0], torch.tensor([0.0, 1.0])[:, None].expand(2, 16))
    # pooling a map that holds its own x coordinate returns the joint's x at every level
    size = 64
    maps = []
    for stride in (2, 4, 8, 16):
        n = size // stride
        x = (torch.arange(n) + 0.5) * stride
        maps.append(torch.stack([x.expand(n, n), x[:, None].expand(n, n)])[None].expand(2, 2, n, n))
    pool = JointFeaturePooling(sampling_ratio=4)
    inner = 24 + 16 * torch.rand(2, 16, 2, generator=g)  # boxes inside the maps (linear interpolation is exact)
    inner[:, 1:] = inner[:, :1] + 0.2 * (inner[:, 1:] - inner[:, :1])  # small skeleton -> small boxes
    pooled = pool(maps, inner).view(2, 16, 4, 2)
    assert torch.allclose(pooled, inner[:, :, None, :].expand(2, 16, 4, 2), atol=1e-3)


def test_soft_argmax_recovers_known_peak():
    hm = torch.full((1, 2, 16, 12), -50.0)
    hm[0, 0, 5, 7] = 50.0
    ys, xs = torch.meshgrid(torch.arange(16) + 0.5, torch.arange(12) + 0.5, indexing="ij")
    hm[0, 1] = -((xs - 4.3) ** 2 + (ys - 9.6) ** 2) / 2.0  # a Gaussian log-heatmap at a sub-pixel position
    joints, prob = soft_argmax(hm)
    assert torch.allclose(joints[0, 0], torch.tensor([7.5, 5.5]), atol=1e-4)
    assert torch.allclose(joints[0, 1], torch.tensor([4.3, 9.6]), atol=1e-3)
    assert torch.allclose(prob.sum((2, 3)), torch.ones(1, 2))
    assert integral_loss(joints, joints + 2.0, 32) == pytest.approx(2.0 / 32)


def test_backbone_shapes_and_offline_pretrained(monkeypatch):
    net = PoseResNet("resnet18", width=8, deconv_channels=16)
    out = net(torch.rand(2, 3, 64, 64))
    assert out.heatmaps.shape == (2, 16, 16, 16) and out.joints.shape == (2, 16, 2)
    assert [f.shape[1:] for f in out.features] == [(8, 32, 32), (8, 16, 16), (16, 8, 8), (32, 4, 4)]
    assert net.feature_channels == (8, 8, 16, 32) and net.heatmap_stride == 4
    assert PoseResNet("resnet50", width=8, deconv_channels=8).feature_channels == (8, 32, 64, 128)
    short = PoseResNet("resnet34", width=8, stages=3, deconv_layers=2, deconv_channels=8)  # truncated after layer3
    assert short.heatmap_stride == 4 and short(torch.rand(1, 3, 64, 64)).heatmaps.shape == (1, 16, 16, 16)

    def offline(weights):
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setattr(backbone_module, "_download_state_dict", offline)
    with pytest.raises(PretrainedWeightsUnavailable, match="pretrained=False"):
        PoseResNet("resnet18", pretrained=True, deconv_layers=1, deconv_channels=8)
    with pytest.warns(UserWarning, match="random initialisation"):
        net = PoseResNet("resnet18", pretrained="auto", deconv_layers=1, deconv_channels=8)
    assert not net.pretrained_loaded
    with pytest.raises(ValueError, match="width"):
        PoseResNet("resnet18", pretrained=True, width=16)


def test_gradients_flow_end_to_end_in_stage_3():
    torch.manual_seed(0)
    data = synthetic_image_data(4, 1, 1)
    r = data.train.render(torch.arange(4), size=32)
    model = ImageSemGCN(width=8, deconv_channels=16, hidden=16, num_blocks=1, image_size=32)
    model.train()
    out = model(r.images, r.boxes, data.train.image_size[:4])
    assert out["features"].shape == (4, 16, model.feature_dim) and out["pose_3d"].shape == (4, 16, 3)
    from semgcn.losses import pose_loss
    pose_loss(out["pose_3d"], data.train.targets[:4], bone_weight=1.0).backward()  # the 3D loss alone
    for name in ("backbone.conv1.weight", "backbone.layer1.0.conv1.weight", "backbone.layer3.0.conv1.weight",
                 "backbone.layer4.0.conv1.weight", "backbone.final.weight", "gcn.head.weight"):
        grad = dict(model.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name
    # the 2D-only model still trains the backbone end to end, through the soft-argmax coordinates
    model2 = ImageSemGCN(width=8, deconv_channels=16, hidden=16, num_blocks=1, image_size=32, use_features=False)
    out2 = model2(r.images, r.boxes, data.train.image_size[:4])
    assert out2["features"] is None
    out2["pose_3d"].square().mean().backward()
    assert model2.backbone.final.weight.grad.abs().sum() > 0


TINY = dict(width=8, deconv_channels=16, hidden=16, num_blocks=1, image_size=32, batch_size=16, epochs_2d=3,
            epochs_3d=5, epochs_finetune=2, lr_2d=3e-3, eval_batch_size=64, device="cpu")


def test_tiny_three_stage_run_reduces_loss_and_writes_records(tmp_path):
    data = synthetic_image_data(64, 16, 16, seed=1)
    records = train_image_model(ImageTrainConfig(**TINY), data, tmp_path / "run", progress=False)
    assert set(records) == {"2d", "3d", "finetune"}
    loss2d = records["2d"]["history"]["train_loss"]
    loss3d = records["3d"]["history"]["train_loss"]
    assert loss2d[-1] < loss2d[0] and loss3d[-1] < 0.7 * loss3d[0]
    for stage, folder in (("2d", "stage1-2d"), ("3d", "stage2-3d"), ("finetune", "stage3-finetune")):
        d = tmp_path / "run" / folder
        assert (d / "checkpoint.pt").is_file() and (d / "best.pt").is_file()
        rec = json.loads((d / "record.json").read_text())
        assert rec["complete"] and rec["stage"] == stage and "test" in rec and "hardware" in rec
    assert math.isfinite(records["finetune"]["test"]["mpjpe"]) and records["3d"]["cached_features"]
    assert set(records["3d"]["test"]["mpjpe_per_action"]) <= set(data.test.action_names)
    # stage 2 trained only SemGCN: the backbone is the stage-1 one
    s1 = load_checkpoint(tmp_path / "run" / "stage1-2d" / "best.pt")["state_dict"]
    s2 = load_checkpoint(tmp_path / "run" / "stage2-3d" / "best.pt")["state_dict"]
    assert all(torch.equal(s1[k], s2[k]) for k in s1 if k.startswith("backbone.") and "num_batches" not in k)
    # shipping: JSON records and float16 weights that load back
    shipped = ship_image_results(tmp_path / "run", tmp_path / "ship", max_mb=10)
    assert "stage3-finetune/record.json" in shipped and "stage3-finetune/model.pt" in shipped
    model = load_image_model(tmp_path / "ship" / "stage3-finetune" / "model.pt")
    assert model.config["image_size"] == 32 and not model.training


def test_command_line_errors_are_one_line(capsys):
    from semgcn.image.__main__ import main
    assert main(["train", "--out", "unused", "--set", "no_such_setting=1", "--quiet"]) == 2
    assert "unknown setting" in capsys.readouterr().err
    assert main(["train", "--out", "unused", "--set", "image_size=50", "--quiet"]) == 2
    assert "multiple of 32" in capsys.readouterr().err


def test_stage_resume_equals_uninterrupted(tmp_path):
    data = synthetic_image_data(32, 8, 8, seed=2)
    config = ImageTrainConfig(**{**TINY, "epochs_2d": 2})
    full = train_stage("2d", config, data, tmp_path / "full", progress=False)
    part = train_stage("2d", config, data, tmp_path / "part", progress=False, stop_after_epoch=1)
    assert part["complete"] is False and "test" not in part
    resumed = train_stage("2d", config, data, tmp_path / "part", progress=False)
    a = load_checkpoint(tmp_path / "full" / "checkpoint.pt")["model"]
    b = load_checkpoint(tmp_path / "part" / "checkpoint.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert resumed["history"]["train_loss"] == full["history"]["train_loss"]
    # Resuming a finished stage trains nothing and keeps the timing of the call that trained it.
    again = train_stage("2d", config, data, tmp_path / "full", progress=False)
    assert again["stage_seconds"] == full["stage_seconds"] and again["train_seconds"] == full["train_seconds"]
    with pytest.raises(ValueError, match="stage settings differ"):
        train_stage("2d", ImageTrainConfig(**{**TINY, "epochs_2d": 2, "lr_2d": 1e-4}), data, tmp_path / "part",
                    progress=False)


def test_ground_truth_2d_upper_bound_needs_no_backbone(tmp_path):
    data = synthetic_image_data(32, 8, 8, seed=4)
    config = ImageTrainConfig(**{**TINY, "use_features": False, "input_2d": "gt"})
    rec = train_image_model(config, data, tmp_path / "gt", stages=("3d",), progress=False)["3d"]
    assert rec["init_from"] is None and not rec["cached_images"] and math.isfinite(rec["test"]["mpjpe"])
    with pytest.raises(ValueError, match="input_2d"):
        ImageTrainConfig(input_2d="detections")
    with pytest.raises(ValueError, match="needs init_from"):
        train_stage("3d", ImageTrainConfig(**TINY), data, tmp_path / "x", progress=False)
