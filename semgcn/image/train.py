r"""Multi-stage training of the image-feature framework (the paper's Sec. 5.1;
chapter 9, *Image features*).

Three stages, each a resumable run with its own folder (``checkpoint.pt``
written atomically every epoch, ``best.pt`` by validation error,
``record.json``), the same files and record format as
:func:`semgcn.train.train`:

1. ``"2d"``: train the 2D network (:class:`~semgcn.image.backbone.PoseResNet`)
   on rendered crops with the integral loss (Sun et al. 2018).
2. ``"3d"``: freeze it and train SemGCN (channel-wise SemGConv, Eq. 3) on its
   2D predictions and pooled features with Eq. 7 (joints + bones).  The
   frozen network's outputs are computed once per split and cached on the
   device when they fit (``cache_features``): every epoch then costs a
   SemGCN pass only.
3. ``"finetune"``: train everything end to end with both losses.

:func:`train_image_model` chains the stages (each starts from the previous
stage's best weights); :func:`compare_image_features` runs the issue's
comparison (2D-only SemGCN on the same predicted 2D vs. SemGCN with image
features vs. the ground-truth-2D upper bound, several seeds) and writes
``summary.json``.  Everything (rendering, backbone, SemGCN) runs on the
training device; on CUDA with bfloat16 autocast and channels-last
convolutions.  Training is deterministic on the CPU: batches come from
:func:`semgcn.train.epoch_batches` and images from ``(seed, split, index)``,
so a resumed run ends with the weights of an uninterrupted one.
"""
from __future__ import annotations

import dataclasses
import json
import math
import platform
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..losses import pose_loss
from ..metrics import action_average, mpjpe, p_mpjpe, per_action_errors
from ..models import count_parameters
from ..train import (TrainingDiverged, _git_commit, _package_version, atomic_save, atomic_write_json, epoch_batches,
                     hardware_description, load_checkpoint, make_optimizer, pick_device, plateau_update,
                     shippable_state)
from .backbone import integral_loss
from .model import ImageSemGCN, screen_inputs

__all__ = ["ImageTrainConfig", "STAGES", "STAGE_DIRS", "PRESETS", "build_model_from_config", "train_stage",
           "train_image_model", "compare_image_features", "evaluate_2d", "evaluate_3d", "backbone_outputs",
           "load_image_model", "export_image_model", "ship_image_results", "benchmark_image_pipeline"]

#: The three stages of Sec. 5.1, in order.
STAGES = ("2d", "3d", "finetune")
#: Folder of each stage inside a run directory.
STAGE_DIRS = {"2d": "stage1-2d", "3d": "stage2-3d", "finetune": "stage3-finetune"}


@dataclass
class ImageTrainConfig:
    """Hyper-parameters of the three stages (defaults: the CPU-sized configuration).

    Model: ``arch``, ``width``, ``stages``, ``deconv_layers``, ``deconv_channels``,
    ``pretrained`` (backbone, :class:`~semgcn.image.backbone.PoseResNet`);
    ``use_features`` (pooled features, Configuration #2; ``False``: 2D-only),
    ``hidden``, ``num_blocks``, ``nonlocal_blocks`` (SemGCN; paper: 128, 4, yes).
    Images: ``image_size`` (crop side), ``supersample``, ``render_seed``
    (appearance of every image: part of the data's identity).
    Stage 1: ``epochs_2d``, ``lr_2d``.  Stage 2: ``epochs_3d``, ``lr_3d``,
    ``input_2d`` (``"pred"``: the frozen network's 2D; ``"gt"``: ground-truth
    2D, the upper bound), ``cache_features`` (``"auto"``/``"yes"``/``"no"``:
    keep the frozen network's outputs on the device, ``auto`` when they fit
    in ``cache_limit_gb``).  ``cache_images``: render every image once and
    keep it as ``uint8`` (``auto``: on a CPU, when it fits; on a GPU rendering
    is cheaper than a lookup is worth).  Stage 3: ``epochs_finetune``, ``lr_finetune``,
    ``integral_weight`` (weight of the integral loss next to Eq. 7),
    ``finetune_bn`` (``"frozen"``: the backbone's batch-norm layers keep the
    statistics of stage 1, so stage 3 starts exactly where stage 2 ended
    and small batches do not perturb them; ``"train"``: update them).
    Common: ``batch_size`` (paper 64), ``bone_weight`` (Eq. 7's bone term),
    ``lr_schedule`` (``"plateau"``: halve when validation saturates, the
    paper; or ``"none"``), ``max_grad_norm``, ``seed``, ``device``, ``amp``
    (bfloat16 autocast, CUDA only), ``channels_last`` (CUDA only),
    ``eval_batch_size``, ``max_steps_per_epoch``.
    """

    arch: str = "resnet18"
    width: int = 16
    stages: int = 4
    deconv_layers: int = 3
    deconv_channels: int = 64
    pretrained: bool | str = False
    use_features: bool = True
    hidden: int = 64
    num_blocks: int = 2
    nonlocal_blocks: bool = True
    image_size: int = 64
    supersample: int = 1
    render_seed: int = 0
    epochs_2d: int = 6
    lr_2d: float = 1e-3
    epochs_3d: int = 20
    lr_3d: float = 1e-3
    input_2d: str = "pred"
    cache_features: str = "auto"
    cache_images: str = "auto"
    cache_limit_gb: float = 2.0
    epochs_finetune: int = 2
    lr_finetune: float = 1e-4
    integral_weight: float = 1.0
    finetune_bn: str = "frozen"
    batch_size: int = 32
    bone_weight: float = 1.0
    lr_schedule: str = "plateau"
    plateau_factor: float = 0.5
    plateau_patience: int = 2
    max_grad_norm: float | None = 1.0
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    channels_last: bool = True
    eval_batch_size: int = 128
    max_steps_per_epoch: int | None = None

    def __post_init__(self):
        if self.input_2d not in ("pred", "gt"):
            raise ValueError(f"input_2d must be 'pred' or 'gt', got {self.input_2d!r}")
        for name in ("cache_features", "cache_images"):
            if getattr(self, name) not in ("auto", "yes", "no"):
                raise ValueError(f"{name} must be 'auto', 'yes' or 'no', got {getattr(self, name)!r}")
        if self.finetune_bn not in ("frozen", "train"):
            raise ValueError(f"finetune_bn must be 'frozen' or 'train', got {self.finetune_bn!r}")
        if self.lr_schedule not in ("plateau", "none"):
            raise ValueError(f"lr_schedule must be 'plateau' or 'none', got {self.lr_schedule!r}")
        if self.image_size % 32 or self.image_size < 32:
            raise ValueError(f"image_size must be a multiple of 32 (>= 32), got {self.image_size}")
        for name in ("epochs_2d", "epochs_3d", "epochs_finetune", "batch_size", "eval_batch_size", "supersample",
                     "width", "stages", "deconv_channels", "hidden", "num_blocks"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {getattr(self, name)!r}")
        for name in ("deconv_layers", "plateau_patience", "render_seed", "seed"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 0:
                raise ValueError(f"{name} must be an integer >= 0, got {getattr(self, name)!r}")
        for name, low, high in (("lr_2d", 0, math.inf), ("lr_3d", 0, math.inf), ("lr_finetune", 0, math.inf),
                                ("cache_limit_gb", -1e-300, math.inf), ("integral_weight", -1e-300, math.inf),
                                ("bone_weight", -1e-300, math.inf), ("plateau_factor", 0, 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                    math.isfinite(value) and low < value and (value < high or high == math.inf)):
                raise ValueError(f"{name} must be a finite number in {'[' if low < 0 else '('}{max(low, 0):g}, "
                                 f"{high:g}), got {value!r}")
        if self.max_grad_norm is not None and not (isinstance(self.max_grad_norm, (int, float))
                                                   and math.isfinite(self.max_grad_norm) and self.max_grad_norm >= 0):
            raise ValueError(f"max_grad_norm must be a finite number >= 0 or None, got {self.max_grad_norm!r}")
        if self.max_steps_per_epoch is not None and (not isinstance(self.max_steps_per_epoch, int)
                                                     or self.max_steps_per_epoch < 1):
            raise ValueError(f"max_steps_per_epoch must be an integer >= 1 or None, got {self.max_steps_per_epoch!r}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def model_config(self) -> dict:
        """Keyword arguments of :class:`~semgcn.image.model.ImageSemGCN`."""
        return dict(arch=self.arch, width=self.width, stages=self.stages, deconv_layers=self.deconv_layers,
                    deconv_channels=self.deconv_channels, use_features=self.use_features, hidden=self.hidden,
                    num_blocks=self.num_blocks, nonlocal_blocks=self.nonlocal_blocks, image_size=self.image_size)

    def cli_args(self) -> list:
        """``--set key=value`` flags of ``python -m semgcn.image`` that reproduce this config."""
        default = ImageTrainConfig()
        return [arg for f in dataclasses.fields(self) if f.name != "device"
                and getattr(self, f.name) != getattr(default, f.name)
                for arg in ("--set", f"{f.name}={getattr(self, f.name)}")]


_BACKBONE_KEYS = ("arch", "width", "stages", "deconv_layers", "deconv_channels", "pretrained", "image_size",
                  "supersample", "render_seed", "seed", "batch_size", "max_grad_norm", "lr_schedule",
                  "plateau_factor", "plateau_patience", "max_steps_per_epoch")
_STAGE_KEYS = {
    "2d": _BACKBONE_KEYS + ("epochs_2d", "lr_2d"),
    "3d": _BACKBONE_KEYS + ("use_features", "hidden", "num_blocks", "nonlocal_blocks", "epochs_3d", "lr_3d",
                            "input_2d", "bone_weight"),
    "finetune": _BACKBONE_KEYS + ("use_features", "hidden", "num_blocks", "nonlocal_blocks", "epochs_finetune",
                                  "lr_finetune", "integral_weight", "bone_weight", "finetune_bn"),
}

#: Named configurations: the CPU-sized one (CI, the chapter) and a starting
#: point for a GPU run on rendered Human3.6M (data: keyword arguments of
#: :func:`~semgcn.image.data.load_image_data`).
PRESETS = {
    "cpu-tiny": {"config": {}, "data": {"source": "synthetic", "num_train": 512, "num_val": 128, "num_test": 256}},
    # Human3.6M renderings at CPU size (the experiment, scaled to one CPU core for ~15 min a seed):
    # every 250th training frame (~5.3k images), every 250th test frame of S9/S11 (~2.1k), 64 px crops.
    "cpu-h36m": {"config": dict(epochs_2d=8, epochs_3d=20, epochs_finetune=2),
                 "data": {"source": "h36m", "train_stride": 250, "val_stride": 1000, "test_stride": 250}},
    "gpu": {"config": dict(arch="resnet18", width=64, deconv_channels=256, hidden=128, num_blocks=4, image_size=128,
                           batch_size=128, epochs_2d=4, epochs_3d=15, epochs_finetune=2, lr_2d=2e-3,
                           eval_batch_size=512, cache_limit_gb=24.0, pretrained="auto"),
            "data": {"source": "h36m", "train_stride": 10, "val_stride": 50, "test_stride": 10}},
}


def _stage_signature(config: ImageTrainConfig, stage: str) -> dict:
    return {k: getattr(config, k) for k in _STAGE_KEYS[stage]}


def build_model_from_config(config: ImageTrainConfig, device="cpu") -> ImageSemGCN:
    """The :class:`~semgcn.image.model.ImageSemGCN` of ``config`` (seeded with ``config.seed``)."""
    torch.manual_seed(config.seed)
    return ImageSemGCN(pretrained=config.pretrained, **config.model_config()).to(device)


# --------------------------------------------------------------------------- batches
def _device_setup(config: ImageTrainConfig) -> torch.device:
    device = pick_device(config.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    return device


def _autocast(config: ImageTrainConfig, device: torch.device):
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.amp and device.type == "cuda")


def _render(split, idx, config: ImageTrainConfig, device: torch.device):
    r = split.render(idx, config.image_size, config.render_seed, config.supersample)
    images = r.images
    if config.channels_last and device.type == "cuda":
        images = images.contiguous(memory_format=torch.channels_last)
    return r, images


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@torch.no_grad()
def backbone_outputs(model: ImageSemGCN, split, config: ImageTrainConfig, features: bool = True,
                     batch_size: int | None = None) -> dict:
    """Run the (frozen, eval-mode) 2D network over a whole split.

    Returns ``joints_crop`` ``(N, K, 2)`` predictions, ``inputs_2d`` ``(N, K, 2)``
    SemGCN inputs (normalised screen coordinates; ground truth when
    ``config.input_2d == "gt"``), ``features`` ``(N, K, F)`` pooled at those 2D
    joints (float16 on CUDA, else float32; ``None`` when not requested),
    ``pixel_error`` (mean 2D error of the predictions in image pixels),
    ``pixel_error_crop`` and ``images_per_second`` (render + network).
    """
    device = split.device
    was = model.training
    model.eval()
    bs = batch_size or config.eval_batch_size
    n = len(split)
    joints = torch.empty(n, split.positions.shape[1], 2, device=device)
    err_img = torch.zeros((), device=device)
    err_crop = torch.zeros((), device=device)
    feats = None
    _sync(device)
    t0 = time.perf_counter()
    try:
        for i in range(0, n, bs):
            idx = torch.arange(i, min(i + bs, n), device=device)
            r, images = _render(split, idx, config, device)
            with _autocast(config, device):
                out = model.backbone(images)
                pred = out.joints.float()
                at = r.joints_crop if config.input_2d == "gt" else pred
                f = model.pool_features(out.features, at) if features and model.use_features else None
            joints[idx] = pred
            d = (pred - r.joints_crop).norm(dim=-1)
            err_crop += d.sum()
            err_img += (d * ((r.boxes[:, 2] - r.boxes[:, 0]) / config.image_size)[:, None]).sum()
            if f is not None:
                if feats is None:
                    feats = torch.empty(n, f.shape[1], f.shape[2], device=device,
                                        dtype=torch.float16 if device.type == "cuda" else torch.float32)
                feats[idx] = f.to(feats.dtype)
            if i == 0:
                boxes_all = torch.empty(n, 4, device=device)
            boxes_all[idx] = r.boxes
    finally:
        model.train(was)
    _sync(device)
    seconds = time.perf_counter() - t0
    k = split.positions.shape[1]
    inputs = split.inputs if config.input_2d == "gt" else screen_inputs(joints, config.image_size, boxes_all,
                                                                         split.image_size).float()
    return {"joints_crop": joints, "inputs_2d": inputs, "features": feats, "boxes": boxes_all,
            "pixel_error": float(err_img) / max(n * k, 1), "pixel_error_crop": float(err_crop) / max(n * k, 1),
            "images_per_second": n / max(seconds, 1e-9), "seconds": seconds}


def _metrics_3d(pred: torch.Tensor, split) -> dict:
    pred = pred.float() - pred[:, :1].float()
    targets = split.targets.float()
    e1 = mpjpe(pred, targets, reduce=False)
    e2 = p_mpjpe(pred, targets, reduce=False)
    t1 = per_action_errors(e1, split.action, split.action_names)
    t2 = per_action_errors(e2, split.action, split.action_names)
    return {"mpjpe": action_average(t1), "p_mpjpe": action_average(t2), "mpjpe_per_action": t1,
            "p_mpjpe_per_action": t2, "mpjpe_all_poses": float(e1.mean()), "num_poses": len(split)}


@torch.no_grad()
def evaluate_2d(model: ImageSemGCN, split, config: ImageTrainConfig) -> dict:
    """2D accuracy of the backbone on a split: mean joint error in image and
    crop pixels, and images/s (rendering + inference)."""
    out = backbone_outputs(model, split, config, features=False)
    return {"pixel_error": out["pixel_error"], "pixel_error_crop": out["pixel_error_crop"],
            "images_per_second": out["images_per_second"], "num_images": len(split)}


@torch.no_grad()
def evaluate_3d(model: ImageSemGCN, split, config: ImageTrainConfig, cache: dict | None = None) -> dict:
    """Protocol #1 / #2 (mm, per action and averaged, the format of
    :func:`semgcn.train.evaluate`) of the whole framework on a split, plus the
    2D error of the 2D network and images/s (rendering + both networks).
    ``cache``: precomputed :func:`backbone_outputs` of this split (stage 2)."""
    was = model.training
    model.eval()
    try:
        device = split.device
        _sync(device)
        t0 = time.perf_counter()
        out = cache if cache is not None else backbone_outputs(model, split, config)
        preds = []
        for i in range(0, len(split), config.eval_batch_size):
            sl = slice(i, i + config.eval_batch_size)
            f = out["features"][sl] if out["features"] is not None else None
            with _autocast(config, device):
                preds.append(model.lift(out["inputs_2d"][sl], f).float())
        _sync(device)
        seconds = time.perf_counter() - t0
    finally:
        model.train(was)
    result = _metrics_3d(torch.cat(preds), split)
    result.update(pixel_error=out["pixel_error"], pixel_error_crop=out["pixel_error_crop"],
                  images_per_second=len(split) / max(seconds + (out["seconds"] if cache is not None else 0), 1e-9))
    return result


# --------------------------------------------------------------------------- the engine
def _cache_fits(config: ImageTrainConfig, model: ImageSemGCN, data, device) -> bool:
    if config.cache_features != "auto":
        return config.cache_features == "yes"
    n = len(data.train) + len(data.val) + len(data.test)
    per = data.train.positions.shape[1] * (model.feature_dim + 4) * (2 if device.type == "cuda" else 4)
    return n * per / 2 ** 30 <= config.cache_limit_gb


def _maybe_cache_images(config: ImageTrainConfig, data, device) -> bool:
    if config.cache_images == "no":
        return False
    n = len(data.train) + len(data.val) + len(data.test)
    fits = n * 3 * config.image_size ** 2 / 2 ** 30 <= config.cache_limit_gb
    if config.cache_images == "auto" and (device.type != "cpu" or not fits):
        return False
    for split in (data.train, data.val, data.test):
        split.cache_images(config.image_size, config.render_seed, config.supersample, config.eval_batch_size)
    return True


def _previous_best(path) -> dict:
    path = Path(path)
    if path.suffix != ".pt":
        path = path / "best.pt"
    return load_checkpoint(path)


def train_stage(stage: str, config: ImageTrainConfig, data, out_dir, init_from=None, resume: bool = True,
                progress: bool = True, stop_after_epoch: int | None = None, command: str | None = None) -> dict:
    """Train one stage (``"2d"``, ``"3d"`` or ``"finetune"``) in ``out_dir`` and return its record.

    ``init_from``: the previous stage's folder or ``best.pt`` (stage ``"3d"``
    takes the backbone from it, ``"finetune"`` everything; not needed for
    stage ``"3d"`` with ``input_2d="gt"`` and no features).  ``resume``
    continues from ``out_dir/checkpoint.pt`` when its stage settings match.
    ``stop_after_epoch`` simulates an interruption (record ``"complete": false``).
    """
    from tqdm.auto import tqdm

    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; choose one of {STAGES}")
    if stage == "finetune" and config.input_2d == "gt":
        raise ValueError("stage 'finetune' trains on the network's own 2D: use input_2d='pred'")
    out_dir = Path(out_dir)
    device = _device_setup(config)
    if data.train.device != device:
        data = data.to(device)
    if len(data.val) == 0 or len(data.train) == 0:
        raise ValueError("image training needs non-empty train and validation splits")
    wall0 = time.perf_counter()
    model = build_model_from_config(config, device)
    needs_backbone = stage != "2d" and not (stage == "3d" and config.input_2d == "gt" and not config.use_features)
    if stage != "2d" and needs_backbone:
        if init_from is None:
            raise ValueError(f"stage {stage!r} needs init_from= the previous stage's folder or best.pt")
        state = _previous_best(init_from)["state_dict"]
        if stage == "3d":  # the trained 2D network only
            state = {k: v for k, v in state.items() if k.startswith("backbone.")}
            missing = [k for k in model.state_dict() if k.startswith("backbone.") and k not in state]
            if missing:
                raise ValueError(f"{init_from} has no trained 2D network (missing {missing[:3]})")
            model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()}, strict=False)
        else:
            ref = model.state_dict()
            bad = [k for k in ref if k not in state or state[k].shape != ref[k].shape]
            if bad:
                raise ValueError(f"{init_from} does not match this model (e.g. {bad[:3]}); was it trained with "
                                 f"the same use_features/hidden/num_blocks?")
            model.load_state_dict({k: v.to(ref[k].dtype) for k, v in state.items()})
    if config.channels_last and device.type == "cuda":
        model.backbone.to(memory_format=torch.channels_last)

    # What trains in this stage.
    if stage == "2d":
        params = list(model.backbone.parameters())
        lr, epochs = config.lr_2d, config.epochs_2d
    elif stage == "3d":
        for p in model.backbone.parameters():
            p.requires_grad_(False)
        params = [p for name, p in model.named_parameters() if not name.startswith("backbone.")]
        lr, epochs = config.lr_3d, config.epochs_3d
    else:
        params = list(model.parameters())
        lr, epochs = config.lr_finetune, config.epochs_finetune
    holder = nn.ParameterList(params)
    optimizer = make_optimizer(holder, lr, device)
    t0 = time.perf_counter()
    cached_images = stage != "3d" or config.input_2d == "pred" or config.use_features
    cached_images = cached_images and _maybe_cache_images(config, data, device)
    image_cache_seconds = time.perf_counter() - t0
    use_cache = stage == "3d" and needs_backbone and _cache_fits(config, model, data, device)
    caches = {}
    cache_seconds = 0.0
    if use_cache:
        t0 = time.perf_counter()
        caches = {name: backbone_outputs(model, getattr(data, name), config) for name in ("train", "val")}
        cache_seconds = time.perf_counter() - t0

    def set_mode():
        model.train()
        if stage == "3d":
            model.backbone.eval()
        elif stage == "finetune" and config.finetune_bn == "frozen":
            for m in model.backbone.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()

    def loss_of(idx):
        split = data.train
        if stage == "2d":
            r, images = _render(split, idx, config, device)
            with _autocast(config, device):
                out = model.backbone(images)
            return integral_loss(out.joints, r.joints_crop, config.image_size)
        if stage == "3d":
            if use_cache:
                c = caches["train"]
                x, f = c["inputs_2d"][idx], c["features"][idx] if c["features"] is not None else None
            elif config.input_2d == "gt" and not config.use_features:
                x, f = split.inputs[idx], None
            else:
                with torch.no_grad():
                    r, images = _render(split, idx, config, device)
                    with _autocast(config, device):
                        out = model.backbone(images)
                        at = r.joints_crop if config.input_2d == "gt" else out.joints.float()
                        f = model.pool_features(out.features, at)
                    x = split.inputs[idx] if config.input_2d == "gt" else screen_inputs(
                        out.joints.float(), config.image_size, r.boxes, split.image_size[idx])
            with _autocast(config, device):
                pred = model.lift(x, f)
            return pose_loss(pred.float(), split.targets[idx].float(), config.bone_weight)
        r, images = _render(split, idx, config, device)
        with _autocast(config, device):
            out = model(images, r.boxes, split.image_size[idx])
        return (config.integral_weight * integral_loss(out["joints_crop"], r.joints_crop, config.image_size)
                + pose_loss(out["pose_3d"].float(), split.targets[idx].float(), config.bone_weight))

    def validate(split_name):
        split = getattr(data, split_name)
        if stage == "2d":
            res = evaluate_2d(model, split, config)
            return res, res["pixel_error_crop"]
        if stage == "3d" and config.input_2d == "gt" and not config.use_features:
            c = {"inputs_2d": split.inputs, "features": None, "pixel_error": 0.0, "pixel_error_crop": 0.0,
                 "seconds": 0.0}
            res = evaluate_3d(model, split, config, cache=c)
        else:
            res = evaluate_3d(model, split, config, cache=caches.get(split_name) if use_cache else None)
        return res, res["mpjpe"]

    metric = "val_pixel_error_crop" if stage == "2d" else "val_mpjpe"
    history = {k: [] for k in ("epoch", "train_loss", metric, "lr", "epoch_seconds", "images_per_second", "steps")}
    if stage != "2d":
        history["val_p_mpjpe"] = []
    state = {"epoch": 0, "step": 0, "lr": lr, "best_val": math.inf, "best_epoch": 0, "plateau_bad": 0,
             "plateau_best": math.inf, "elapsed": 0.0}
    signature = _stage_signature(config, stage)
    ckpt_path = out_dir / "checkpoint.pt"
    meta = {"model_config": model.config, "stage": stage, "config": config.to_dict()}
    if resume and ckpt_path.exists():
        ckpt = load_checkpoint(ckpt_path, map_location=device)
        if ckpt.get("signature") != signature:
            diff = {k: (ckpt.get("signature", {}).get(k), v) for k, v in signature.items()
                    if ckpt.get("signature", {}).get(k) != v}
            raise ValueError(f"cannot resume {ckpt_path}: its stage settings differ (saved, requested): {diff}; "
                             f"use another folder or resume=False")
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        history, state = ckpt["history"], ckpt["state"]
        if progress:
            print(f"resuming {out_dir} after epoch {state['epoch']}", file=sys.stderr)
    epoch_at_start = state["epoch"]

    n = len(data.train)
    steps_per_epoch = math.ceil(n / config.batch_size)
    if config.max_steps_per_epoch:
        steps_per_epoch = min(steps_per_epoch, config.max_steps_per_epoch)
    bar = tqdm(total=epochs, initial=state["epoch"], desc=f"image {stage}", unit="epoch", disable=not progress,
               dynamic_ncols=True)
    complete = True
    for epoch in range(state["epoch"] + 1, epochs + 1):
        if stop_after_epoch is not None and epoch > stop_after_epoch:
            complete = False
            break
        torch.manual_seed(config.seed * 1_000_003 + epoch)
        batches = epoch_batches(n, config.batch_size, config.seed, epoch, device)[:steps_per_epoch]
        set_mode()
        loss_sum = torch.zeros((), device=device)
        _sync(device)
        t0 = time.perf_counter()
        for idx in batches:
            loss = loss_of(idx)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.max_grad_norm:
                nn.utils.clip_grad_norm_(params, config.max_grad_norm)
            optimizer.step()
            loss_sum += loss.detach()
            state["step"] += 1
        _sync(device)
        seconds = time.perf_counter() - t0
        train_loss = float(loss_sum) / max(len(batches), 1)
        if not math.isfinite(train_loss):
            raise TrainingDiverged(f"loss became {train_loss} in stage {stage!r}, epoch {epoch} of {out_dir}; the "
                                   f"last good checkpoint (epoch {state['epoch']}) is kept. Try a lower learning rate.")
        val, score = validate("val")
        if config.lr_schedule == "plateau":
            plateau_update(state, score, config, optimizer)
        for key, value in (("epoch", epoch), ("train_loss", train_loss), (metric, score),
                           ("lr", optimizer.param_groups[0]["lr"]), ("epoch_seconds", seconds),
                           ("images_per_second", sum(len(i) for i in batches) / max(seconds, 1e-9)),
                           ("steps", state["step"])):
            history[key].append(value)
        if stage != "2d":
            history["val_p_mpjpe"].append(val["p_mpjpe"])
        state["epoch"], state["elapsed"] = epoch, state["elapsed"] + seconds
        if score < state["best_val"]:
            state["best_val"], state["best_epoch"] = score, epoch
            atomic_save({"state_dict": model.state_dict(), "meta": meta}, out_dir / "best.pt")
        atomic_save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "history": history,
                     "state": state, "signature": signature, "config": config.to_dict(), "meta": meta}, ckpt_path)
        bar.update(1)
        bar.set_postfix(loss=f"{train_loss:.3g}", val=f"{score:.3g}", best=f"{state['best_val']:.3g}")
    bar.close()

    record = {
        "name": out_dir.name, "stage": stage, "complete": complete, "config": config.to_dict(),
        "model_config": model.config, "parameters": count_parameters(model),
        "trained_parameters": sum(p.numel() for p in params), "history": history,
        "best_epoch": state["best_epoch"], "best_val": state["best_val"], "selection_metric": metric,
        "train_seconds": state["elapsed"], "cache_seconds": cache_seconds, "steps": state["step"],
        "cached_features": use_cache, "cached_images": cached_images, "image_cache_seconds": image_cache_seconds,
        "init_from": str(init_from) if init_from is not None else None,
        "data": {"source": data.source,
                 **{k: v for k, v in data.meta.items() if isinstance(v, (str, int, float, bool, list))},
                 "train": len(data.train), "val": len(data.val), "test": len(data.test)},  # counts win over meta
        "hardware": hardware_description(device),
        "versions": {"semgcn": _package_version(), "torch": torch.__version__, "python": platform.python_version()},
        "git_commit": _git_commit(),
        "command": command or shlex.join(["python", "-m", "semgcn.image", "train", "--stages", stage,
                                          *config.cli_args(), "--out", str(out_dir)]),
    }
    if stage != "2d":
        record["best_val_mpjpe"] = state["best_val"]
    if complete:
        best = load_checkpoint(out_dir / "best.pt", map_location=device)
        model.load_state_dict(best["state_dict"])
        if use_cache:  # the test split only now: it is evaluated once, with the selected weights
            caches["test"] = backbone_outputs(model, data.test, config)
        record["test"], _ = validate("test")
        if progress:
            what = (f"2D error {record['test']['pixel_error']:.2f} px" if stage == "2d" else
                    f"MPJPE {record['test']['mpjpe']:.1f} mm, P-MPJPE {record['test']['p_mpjpe']:.1f} mm")
            print(f"stage {stage}: test {what} (best validation epoch {state['best_epoch']})", file=sys.stderr)
    # Wall time of the call that trained this stage; a call that only resumes a finished stage
    # (nothing left to train) keeps the earlier record's value.  ``train_seconds`` (the sum of
    # the epochs' times) stays exact across any number of resumes.
    record["stage_seconds"] = time.perf_counter() - wall0
    previous = out_dir / "record.json"
    if resume and state["epoch"] == epoch_at_start and previous.is_file():
        try:
            record["stage_seconds"] = json.loads(previous.read_text()).get("stage_seconds", record["stage_seconds"])
        except (OSError, ValueError):
            pass
    atomic_write_json(record, out_dir / "record.json")
    return record


def train_image_model(config: ImageTrainConfig, data, out_dir, stages=STAGES, resume: bool = True,
                      progress: bool = True, backbone_from=None, command: str | None = None) -> dict:
    """Run ``stages`` in order in ``out_dir/stage1-2d``, ``stage2-3d``,
    ``stage3-finetune``; each starts from the previous one's ``best.pt``.

    ``backbone_from``: an existing stage-1 folder to reuse instead of
    training stage 1 here (e.g. the 2D-only and the image-feature variants
    share one 2D network, so both see the same predicted 2D).  ``command``:
    the command line recorded in every record.  Returns ``{stage: record}``.
    """
    out_dir = Path(out_dir)
    stages = tuple(stages)
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise ValueError(f"unknown stages {unknown}; choose from {STAGES}")
    records = {}
    previous = Path(backbone_from) if backbone_from is not None else out_dir / STAGE_DIRS["2d"]
    for stage in stages:
        init = None
        if stage == "3d" and (config.input_2d == "pred" or config.use_features):
            init = previous
        elif stage == "finetune":
            init = out_dir / STAGE_DIRS["3d"]
        stage_dir = out_dir / STAGE_DIRS[stage]
        records[stage] = train_stage(stage, config, data, stage_dir, init_from=init, resume=resume, progress=progress,
                                     command=command)
        if stage == "2d":
            previous = stage_dir
    return records


def compare_image_features(config: ImageTrainConfig, data, out_dir, seeds=(0, 1, 2), finetune: bool = True,
                           resume: bool = True, progress: bool = True, command: str | None = None) -> dict:
    """The issue's comparison, several seeds, Protocol #1 and #2.

    For each seed: one 2D network (stage 1); SemGCN with image features
    (stages 2 and 3) and the 2D-only SemGCN on the *same* predicted 2D
    (stages 2 and 3, the latter fine-tuning the 2D network through the
    soft-argmax only); the ground-truth-2D upper bound (stage 2 on GT 2D).
    Writes ``out_dir/summary.json`` (per variant: test MPJPE / P-MPJPE per
    seed, mean and standard deviation, 2D error, time per stage, images/s)
    and returns it.  ``command``: the command line recorded everywhere.
    """
    from ..report import mean_std

    out_dir = Path(out_dir)
    runs = {}
    for seed in seeds:
        cfg = dataclasses.replace(config, seed=seed)
        root = out_dir / f"seed{seed}"
        s1 = train_stage("2d", cfg, data, root / STAGE_DIRS["2d"], resume=resume, progress=progress, command=command)
        stages = ("3d", "finetune") if finetune else ("3d",)
        feat = train_image_model(dataclasses.replace(cfg, use_features=True), data, root / "features", stages,
                                 resume, progress, backbone_from=root / STAGE_DIRS["2d"], command=command)
        only = train_image_model(dataclasses.replace(cfg, use_features=False), data, root / "2d-only", stages,
                                 resume, progress, backbone_from=root / STAGE_DIRS["2d"], command=command)
        gt = train_image_model(dataclasses.replace(cfg, use_features=False, input_2d="gt"), data, root / "gt-2d",
                               ("3d",), resume, progress, command=command)
        runs[seed] = {"2d": s1, "features": feat, "2d-only": only, "gt-2d": gt}
    variants = {"2d-only (stage 2)": ("2d-only", "3d"), "image features (stage 2)": ("features", "3d"),
                "gt-2d upper bound": ("gt-2d", "3d")}
    if finetune:
        variants.update({"2d-only (stage 3, end to end)": ("2d-only", "finetune"),
                         "image features (stage 3, end to end)": ("features", "finetune")})
    table = {}
    for label, (variant, stage) in variants.items():
        recs = [runs[s][variant][stage] for s in seeds]
        if not all("test" in r for r in recs):
            continue
        table[label] = {"mpjpe": mean_std([r["test"]["mpjpe"] for r in recs]),
                        "p_mpjpe": mean_std([r["test"]["p_mpjpe"] for r in recs]),
                        "pixel_error": mean_std([r["test"]["pixel_error"] for r in recs]),
                        "stage_seconds": mean_std([r["stage_seconds"] for r in recs]),
                        "train_seconds": mean_std([r["train_seconds"] for r in recs]),
                        "train_images_per_second": mean_std([r["history"]["images_per_second"][-1] for r in recs]),
                        "test_images_per_second": mean_std([r["test"]["images_per_second"] for r in recs])}
    stage1 = [runs[s]["2d"] for s in seeds]
    summary = {
        "seeds": list(seeds), "config": config.to_dict(), "data": stage1[0]["data"], "hardware": stage1[0]["hardware"],
        "stage1_2d": {"pixel_error": mean_std([r["test"]["pixel_error"] for r in stage1 if "test" in r]),
                      "stage_seconds": mean_std([r["stage_seconds"] for r in stage1]),
                      "train_seconds": mean_std([r["train_seconds"] for r in stage1]),
                      "train_images_per_second": mean_std([r["history"]["images_per_second"][-1] for r in stage1])},
        "test": table,
        "paper": _paper_reference(),
        "versions": stage1[0]["versions"], "git_commit": stage1[0]["git_commit"],
        "command": command or stage1[0]["command"],  # this invocation (stages of earlier ones may be reused)
    }
    atomic_write_json(summary, out_dir / "summary.json")
    return summary


def _paper_reference() -> dict:
    """The paper's Table 2 averages (Protocol #1, mm) that the comparison mirrors."""
    from ..report import PAPER_TABLE2
    return {"Ours (HG): Stacked Hourglass 2D": PAPER_TABLE2["Ours (HG)"]["Average"],
            "Ours (RN w/ FP): image features": PAPER_TABLE2["Ours (RN w/ FP)"]["Average"],
            "Ours (GT): ground-truth 2D": PAPER_TABLE2["Ours (GT)"]["Average"],
            "note": "Protocol #1 averages over the 15 actions, mm, real Human3.6M images (Table 2 of the paper)"}


# --------------------------------------------------------------------------- loading, export, speed
def load_image_model(path, device="cpu") -> ImageSemGCN:
    """Rebuild an :class:`~semgcn.image.model.ImageSemGCN` from a ``best.pt`` /
    ``checkpoint.pt`` / :func:`export_image_model` file (never downloads)."""
    ckpt = load_checkpoint(path)
    meta = ckpt.get("meta") or {}
    if "model_config" not in meta:
        raise ValueError(f"{path} is not an image-model checkpoint (no 'model_config' in its meta)")
    model = ImageSemGCN(**meta["model_config"])
    state = ckpt.get("state_dict") or ckpt.get("model")
    ref = model.state_dict()
    missing = [k for k in ref if k not in state]
    if missing:
        raise ValueError(f"{path} lacks weights {missing[:5]}")
    model.load_state_dict({k: v.to(ref[k].dtype) for k, v in state.items()})
    return model.to(device).eval()


def export_image_model(model: ImageSemGCN, path, half: bool = True, meta: dict | None = None) -> int:
    """Save a shippable checkpoint (float16 weights by default) readable by
    :func:`load_image_model`; returns its size in bytes."""
    atomic_save({"state_dict": shippable_state(model, half), "meta": {**(meta or {}), "model_config": model.config}},
                path)
    return Path(path).stat().st_size


def ship_image_results(run_dir, dest, max_mb: float = 10.0, weights=None) -> list:
    """Copy a run's JSON (``summary.json`` and every stage's ``record.json``)
    from ``run_dir`` to ``dest``, same relative paths, plus each stage's best
    weights as float16 ``model.pt`` when that file is at most ``max_mb`` MB
    (larger ones are skipped and listed in ``dest/shipped.json``).
    ``weights``: stage folders (relative to ``run_dir``, e.g.
    ``["seed0/features/stage3-finetune"]``) whose weights to ship; ``None``:
    all.  Returns the shipped paths.  Never copies data: records hold no arrays."""
    import json

    run_dir, dest = Path(run_dir), Path(dest)
    shipped, skipped = [], []
    for src in sorted(run_dir.rglob("*.json")):
        rel = src.relative_to(run_dir)
        atomic_write_json(json.loads(src.read_text()), dest / rel)
        shipped.append(str(rel))
    wanted = None if weights is None else {Path(w).as_posix().strip("/") for w in weights}
    for best in sorted(run_dir.rglob("best.pt")):
        if wanted is not None and best.parent.relative_to(run_dir).as_posix() not in wanted:
            continue
        rel = best.parent.relative_to(run_dir) / "model.pt"
        model = load_image_model(best)
        size = export_image_model(model, dest / rel, half=True, meta={k: v for k, v in load_checkpoint(best)
                                                                       .get("meta", {}).items() if k != "model_config"})
        if size > max_mb * 2 ** 20:
            (dest / rel).unlink()
            skipped.append({"path": str(rel), "megabytes": round(size / 2 ** 20, 2)})
        else:
            shipped.append(str(rel))
    atomic_write_json({"shipped": shipped, "skipped_over_limit": skipped, "max_mb": max_mb}, dest / "shipped.json")
    return shipped


def benchmark_image_pipeline(config: ImageTrainConfig | None = None, batch_size: int | None = None,
                             repeats: int = 3, data=None) -> dict:
    """Images per second of each part on ``config.device``: rendering alone,
    2D-network inference, and one training step of each stage (rendering
    included), median of ``repeats`` timed batches after a warm-up."""
    config = config or ImageTrainConfig()
    device = _device_setup(config)
    bs = batch_size or config.batch_size
    if data is None:
        from .data import synthetic_image_data
        data = synthetic_image_data(num_train=bs, num_val=1, num_test=1, device=device)
    data = data.to(device)
    split = data.train
    idx = torch.arange(min(bs, len(split)), device=device)
    model = build_model_from_config(config, device)
    if config.channels_last and device.type == "cuda":
        model.backbone.to(memory_format=torch.channels_last)
    opt = make_optimizer(model, 1e-4, device)

    def timed(fn):
        fn()
        times = []
        for _ in range(repeats):
            _sync(device)
            t0 = time.perf_counter()
            fn()
            _sync(device)
            times.append(time.perf_counter() - t0)
        return len(idx) / sorted(times)[len(times) // 2]

    def render():
        _render(split, idx, config, device)

    r, images = _render(split, idx, config, device)

    @torch.no_grad()
    def infer():
        model.eval()
        with _autocast(config, device):
            model(images, r.boxes, split.image_size[idx])

    def step(kind):
        def run():
            model.train()
            rr, im = _render(split, idx, config, device)
            with _autocast(config, device):
                if kind == "2d":
                    out = model.backbone(im)
                    loss = integral_loss(out.joints, rr.joints_crop, config.image_size)
                else:
                    out = model(im, rr.boxes, split.image_size[idx])
                    loss = integral_loss(out["joints_crop"], rr.joints_crop, config.image_size) + pose_loss(
                        out["pose_3d"].float(), split.targets[idx].float(), config.bone_weight)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return run

    return {"device": hardware_description(device), "batch_size": len(idx), "image_size": config.image_size,
            "render_images_per_second": timed(render), "inference_images_per_second": timed(infer),
            "train_2d_images_per_second": timed(step("2d")),
            "train_end_to_end_images_per_second": timed(step("finetune")),
            "threads": torch.get_num_threads()}
