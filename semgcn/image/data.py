"""Image data sets rendered on the fly from 3D poses (chapter 9, *Image features*).

An :class:`ImagePoseSplit` keeps, for every sample, the 3D joints in camera
coordinates (absolute, metres), the camera's intrinsics and the action /
subject / camera labels, all as tensors on the training device.  Images are
rendered when a batch is needed (:meth:`ImagePoseSplit.render`), on that
device, by :func:`~semgcn.image.render.render_poses`; each image depends only
on ``(seed, split, index)``, so an epoch's batches are reproducible and no
image is ever stored.

Builders: :func:`synthetic_image_data` (the embedded synthetic poses, the
default) and :func:`h36m_image_data` (real Human3.6M poses, S1/S5/S6/S7/S8
train, S9/S11 test; the licensed arrays are read from the user's copy and
never written anywhere).  :meth:`ImagePoseData.pose_data` gives the same
samples as a :class:`~semgcn.data.PoseData` with ground-truth (pinhole) 2D
inputs, for the ground-truth-2D upper bound trained by :func:`semgcn.train.train`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np
import torch

from ..data.camera import load_cameras, normalize_screen_coordinates, project_pinhole, world_to_camera
from ..data.dataset import PoseData, PoseSplit
from .render import RenderOutput, render_poses

__all__ = ["ImagePoseSplit", "ImagePoseData", "synthetic_image_data", "h36m_image_data", "load_image_data",
           "SPLIT_STREAMS"]

#: Random stream of each split: train, validation and test images never share an appearance.
SPLIT_STREAMS = {"train": 1, "val": 2, "test": 3}
_FIELDS = ("positions", "intrinsics", "action", "subject", "camera")


@dataclass
class ImagePoseSplit:
    """One split of an image data set (tensors on one device).

    Attributes:
        positions: ``(N, 16, 3)`` float32 joints in camera coordinates, metres, absolute.
        intrinsics: ``(N, 11)`` float32 ``[fx, fy, cx, cy, k1, k2, k3, p1, p2, res_w, res_h]``.
        action, subject, camera: ``(N,)`` long labels.
        stream: random stream of the renderer (:data:`SPLIT_STREAMS`).

    Derived (computed once): ``pixels`` ``(N, 16, 2)`` pinhole projections in
    image pixels, ``inputs`` ``(N, 16, 2)`` the same in normalised screen
    coordinates, ``targets`` ``(N, 16, 3)`` root-relative 3D (joint 0 zero),
    ``image_size`` ``(N, 2)`` ``(res_w, res_h)``.
    """

    positions: torch.Tensor
    intrinsics: torch.Tensor
    action: torch.Tensor
    subject: torch.Tensor
    camera: torch.Tensor
    action_names: list = field(default_factory=list)
    subject_names: list = field(default_factory=list)
    stream: int = 0

    def __post_init__(self):
        n = self.positions.shape[0]
        if self.positions.dim() != 3 or self.positions.shape[1:] != (16, 3):
            raise ValueError(f"ImagePoseSplit.positions must be (N, 16, 3), got {tuple(self.positions.shape)}")
        if self.intrinsics.shape != (n, 11):
            raise ValueError(f"ImagePoseSplit.intrinsics must be ({n}, 11), got {tuple(self.intrinsics.shape)}")
        for name in ("action", "subject", "camera"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"ImagePoseSplit.{name} must have shape ({n},), got {tuple(getattr(self, name).shape)}")
        if n and bool((self.positions[..., 2] <= 0.05).any()):
            raise ValueError("ImagePoseSplit: some joints are behind the camera (Z <= 0.05 m)")
        self.pixels = project_pinhole(self.positions, self.intrinsics[:, None])
        self.image_size = self.intrinsics[:, 9:11]
        self.inputs = normalize_screen_coordinates(self.pixels, self.image_size[:, None, :1],
                                                   self.image_size[:, None, 1:]).float()
        self.targets = self.positions - self.positions[:, :1]
        self._cache = None

    def __len__(self) -> int:
        return self.positions.shape[0]

    @property
    def device(self) -> torch.device:
        return self.positions.device

    def to(self, device) -> "ImagePoseSplit":
        return replace(self, **{k: getattr(self, k).to(device) for k in _FIELDS})

    def subset(self, index) -> "ImagePoseSplit":
        """Rows selected by a boolean mask or an index tensor."""
        return replace(self, **{k: getattr(self, k)[index] for k in _FIELDS})

    def render(self, index: torch.Tensor, size: int = 64, seed: int = 0, supersample: int = 1,
               **kwargs) -> RenderOutput:
        """Render samples ``index`` (a ``(B,)`` index tensor) on this split's device.
        Extra keyword arguments go to :func:`~semgcn.image.render.render_poses`.
        Served from the cache of :meth:`cache_images` when it holds these settings."""
        index = torch.as_tensor(index, device=self.device).long()
        c = self._cache
        if c is not None and not kwargs and c["key"] == (size, seed, supersample):
            return RenderOutput(images=c["images"][index].float() / 255, boxes=c["boxes"][index],
                                joints_image=self.pixels[index].float(), joints_crop=c["joints_crop"][index])
        return render_poses(self.positions[index], self.intrinsics[index], size=size, index=index, seed=seed,
                            stream=self.stream, supersample=supersample, **kwargs)

    def cache_images(self, size: int = 64, seed: int = 0, supersample: int = 1, batch_size: int = 256) -> int:
        """Render every image once and keep it (``uint8``, exact since the
        renderer quantises to 8 bits) so that later :meth:`render` calls with
        the same settings are lookups: worth it on a CPU, where rendering
        costs as much as a training step.  Returns the bytes used."""
        if self._cache is not None and self._cache["key"] == (size, seed, supersample):
            return self._cache["images"].numel()
        n = len(self)
        images = torch.empty(n, 3, size, size, dtype=torch.uint8, device=self.device)
        boxes = torch.empty(n, 4, device=self.device)
        joints = torch.empty(n, self.positions.shape[1], 2, device=self.device)
        for i in range(0, n, batch_size):
            idx = torch.arange(i, min(i + batch_size, n), device=self.device)
            r = self.render(idx, size, seed, supersample)
            images[idx] = torch.round(r.images * 255).to(torch.uint8)
            boxes[idx], joints[idx] = r.boxes, r.joints_crop
        self._cache = {"key": (size, seed, supersample), "images": images, "boxes": boxes, "joints_crop": joints}
        return images.numel()

    def clear_cache(self) -> None:
        """Forget the images of :meth:`cache_images`."""
        self._cache = None

    def pose_split(self) -> PoseSplit:
        """The same samples as a :class:`~semgcn.data.PoseSplit` (ground-truth pinhole 2D inputs)."""
        return PoseSplit(self.inputs, self.targets.float(), self.action, self.subject, self.camera,
                         list(self.action_names), list(self.subject_names))


@dataclass
class ImagePoseData:
    """Train / validation / test :class:`ImagePoseSplit` plus a description of the source."""

    train: ImagePoseSplit
    val: ImagePoseSplit
    test: ImagePoseSplit
    source: str = ""
    meta: dict = field(default_factory=dict)

    def to(self, device) -> "ImagePoseData":
        return replace(self, train=self.train.to(device), val=self.val.to(device), test=self.test.to(device))

    def pose_data(self) -> PoseData:
        """:class:`~semgcn.data.PoseData` with ground-truth 2D inputs (the GT-2D upper bound)."""
        return PoseData(self.train.pose_split(), self.val.pose_split(), self.test.pose_split(),
                        source=self.source + ", ground-truth pinhole 2D", meta=dict(self.meta))

    def summary(self) -> str:
        return (f"{self.source}: train {len(self.train):,} / val {len(self.val):,} / test {len(self.test):,} "
                f"rendered images")


def _split(positions, intrinsics, action, subject, camera, action_names, subject_names, name, device):
    t = lambda a, dt: torch.as_tensor(np.asarray(a), dtype=dt, device=device)
    return ImagePoseSplit(t(positions, torch.float32), t(intrinsics, torch.float32), t(action, torch.long),
                          t(subject, torch.long), t(camera, torch.long), list(action_names), list(subject_names),
                          SPLIT_STREAMS[name])


def synthetic_image_data(num_train: int = 512, num_val: int = 128, num_test: int = 256, seed: int = 0,
                         device="cpu") -> ImagePoseData:
    """Images of the embedded synthetic poses (:mod:`semgcn.data.synthetic`), the default (chapter 9).

    Train / validation poses come from the training virtual subjects, test
    poses from the test subjects, each filmed by one random camera of its
    host Human3.6M subject (as in :func:`~semgcn.data.synthetic.synthetic_pose_data`).
    Defaults are CPU-sized; images are rendered on the fly.
    """
    from ..data.synthetic import TEST_SUBJECTS, TRAIN_SUBJECTS, generate_poses, project_poses

    train_seed, test_seed, cam_seed = np.random.SeedSequence(seed).spawn(3)
    trainval = generate_poses(num_train + num_val, seed=train_seed, subjects=TRAIN_SUBJECTS)
    test = generate_poses(num_test, seed=test_seed, subjects=TEST_SUBJECTS)
    rng = np.random.default_rng(cam_seed)
    cams = load_cameras()
    splits = {}
    for name, poses, sl in (("train", trainval, slice(0, num_train)),
                            ("val", trainval, slice(num_train, num_train + num_val)), ("test", test, slice(0, None))):
        world, host = poses["positions_world"][sl], poses["host"][sl]
        camera = rng.integers(0, 4, len(world))
        projected = project_poses(world, host, camera)
        intr = np.stack([cams[h][c].intrinsics() for h, c in zip(host, camera)]) if len(world) else np.zeros((0, 11))
        splits[name] = _split(projected["positions_camera"], intr, poses["action"][sl], poses["subject"][sl], camera,
                              poses["action_names"], poses["subject_names"], name, device)
    source = f"rendered synthetic poses (seed {seed}, train/val {','.join(TRAIN_SUBJECTS)}, test {','.join(TEST_SUBJECTS)})"
    meta = {"generator": "semgcn.image.data.synthetic_image_data", "seed": seed, "num_train": num_train,
            "num_val": num_val, "num_test": num_test}
    return ImagePoseData(splits["train"], splits["val"], splits["test"], source, meta)


def h36m_image_data(path=None, train_stride: int = 5, val_stride: int = 25, test_stride: int = 25,
                    actions: Sequence[str] | None = None, val="sequences", device="cpu") -> ImagePoseData:
    """Images rendered from real Human3.6M poses (chapter 9; the issue's full experiment).

    Protocol: train on S1, S5, S6, S7, S8 (every ``train_stride``-th frame;
    the paper's 10 fps is 5), validation = held-out training sequences
    (:func:`~semgcn.data.h36m.split_validation`), test on S9 and S11 (every
    ``test_stride``-th frame; the standard protocol uses every frame, which
    is 540k renderings: pass ``test_stride=1`` on a GPU for the final number).
    Each frame is seen by the 4 cameras (4 samples).  Reads ``data_3d_h36m.npz``
    from ``path`` or ``$SEMGCN_H36M``; nothing is written to disk.
    """
    from ..data import h36m

    for name, value in (("train_stride", train_stride), ("val_stride", val_stride), ("test_stride", test_stride)):
        if int(value) < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    root = h36m.find_h36m(path)
    positions = h36m.load_positions_3d(root / h36m.FILE_3D)
    cameras = load_cameras()
    train_pairs, val_pairs = h36m.split_validation(h36m.select_sequences(positions, h36m.TRAIN_SUBJECTS, actions), val)
    test_pairs = h36m.select_sequences(positions, h36m.TEST_SUBJECTS, actions)
    splits = {}
    for name, pairs, stride in (("train", train_pairs, train_stride), ("val", val_pairs, val_stride),
                                ("test", test_pairs, test_stride)):
        parts = {k: [] for k in _FIELDS}
        for subject, seq in pairs:
            world = h36m.reduce_to_16(positions[subject][seq][::stride]).astype(np.float64)
            for c, cam in enumerate(cameras[subject]):
                parts["positions"].append(world_to_camera(world, np.asarray(cam.orientation), np.asarray(cam.translation)))
                parts["intrinsics"].append(np.broadcast_to(cam.intrinsics(), (len(world), 11)))
                parts["camera"].append(np.full(len(world), c))
                parts["action"].append(np.full(len(world), h36m.ACTIONS.index(h36m.canonical_action(seq))))
                parts["subject"].append(np.full(len(world), h36m.SUBJECTS.index(subject)))
        cat = {k: (np.concatenate(v) if v else np.zeros((0,) + {"positions": (16, 3), "intrinsics": (11,)}.get(k, ())))
               for k, v in parts.items()}
        splits[name] = _split(cat["positions"], cat["intrinsics"], cat["action"], cat["subject"], cat["camera"],
                              h36m.ACTIONS, h36m.SUBJECTS, name, device)
    source = (f"rendered Human3.6M poses ({root}), train {','.join(h36m.TRAIN_SUBJECTS)} every {train_stride}th frame, "
              f"val {len(val_pairs)} held-out sequences every {val_stride}th, test {','.join(h36m.TEST_SUBJECTS)} "
              f"every {test_stride}th frame, 4 cameras")
    meta = {"dataset": "h36m-rendered", "strides": {"train": train_stride, "val": val_stride, "test": test_stride},
            "actions": list(actions) if actions else list(h36m.ACTIONS),
            "val_split": val if isinstance(val, str) else str(val)}
    return ImagePoseData(splits["train"], splits["val"], splits["test"], source, meta)


def load_image_data(source: str = "synthetic", device="cpu", **kwargs) -> ImagePoseData:
    """``"synthetic"`` (:func:`synthetic_image_data`) or ``"h36m"`` (:func:`h36m_image_data`)."""
    if source == "synthetic":
        return synthetic_image_data(device=device, **kwargs)
    if source == "h36m":
        return h36m_image_data(device=device, **kwargs)
    raise ValueError(f"unknown image data source {source!r}: use 'synthetic' or 'h36m'")
