"""Lift your own 2D keypoints to 3D with a shipped network (chapter 12).

    >>> from semgcn import lift     # the function; the module is semgcn.lifting
    >>> result = lift(keypoints_px, format="coco17", image_size=(1920, 1080))
    >>> result.joints3d        # (K, 3) or (N, K, 3) metres, camera coordinates, root (pelvis) at 0
    >>> result.joint_names     # the 16 Human3.6M joints of SemGCN

What happens, step by step (each step is a public function, so a reader can
check it against the one-call API):

1. :func:`convert_keypoints`: the detector's joints in its own order
   (``"coco17"``, ``"mpii16"``, ``"h36m17"``, ``"h36m32"``, ``"h36m16"`` or a
   user mapping) become the 16 joints of SemGCN, by the table
   :data:`FORMATS`.  Joints a format lacks are made from others, as the table
   says (COCO has no pelvis, spine, thorax or head top: the pelvis is the
   mid-point of the hips, the thorax that of the shoulders, the spine the
   mid-point of pelvis and thorax, the head top the nose pushed away from the
   thorax).  Missing or low-confidence joints (``NaN``, or confidence below
   ``min_confidence``) are filled the same way where a rule exists, else from
   their parent in the skeleton, and reported in ``result.filled``.
2. :func:`to_network_input`: pixels become the network's input units *as if
   the image had been taken by a Human3.6M camera*: each point is turned into
   a viewing direction with the camera's intrinsics (focal lengths ``fx, fy``
   and principal point ``cx, cy``), then re-projected with the mean Human3.6M
   camera and normalised like the training data
   (:func:`semgcn.data.camera.normalize_screen_coordinates`).  Without
   intrinsics the focal length defaults to ``DEFAULT_FOCAL_FACTOR`` times the
   longer image side (the field of view of the Human3.6M cameras) and the
   principal point to the image centre.
3. The network predicts root-relative 3D joints in metres, in the camera's
   coordinates; with ``flip=True`` the prediction for the mirror image is
   mirrored back and averaged in (test-time flipping, chapter 11).
4. Optionally, :func:`semgcn.metrics.calibrate_bone_length` rescales each
   pose so that its bones add up to a given or the canonical skeleton's length
   (Sec. 5.2): a single image cannot tell a small person near from a tall one
   far away.
"""
from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import torch

from .graph import H36M_JOINT_NAMES, H36M_SKELETON

__all__ = ["FORMATS", "DEFAULT_MODEL", "FORMAT_MODELS", "default_model", "DEFAULT_FOCAL_FACTOR", "Lifter", "LiftResult", "lift", "convert_keypoints",
           "to_network_input", "reference_camera", "format_names"]

#: The shipped network :func:`lift` uses unless told otherwise: SemGCN trained with flip augmentation.
DEFAULT_MODEL = "h36m-semgcn-flip"
#: Networks trained for one keypoint format (``python -m semgcn experiment NAME``); :func:`default_model` picks
#: them for that format when their weights are shipped, :data:`DEFAULT_MODEL` otherwise.
FORMAT_MODELS = {"coco17": "h36m-semgcn-coco17"}


def default_model(format="coco17") -> str:
    """The shipped network :func:`lift` uses for keypoints in ``format`` when no model is named: the lifter
    trained on that format's joints (:data:`FORMAT_MODELS`) where its weights are shipped, else
    :data:`DEFAULT_MODEL` (trained on all 16 joints)."""
    name = FORMAT_MODELS.get(format) if isinstance(format, str) else None
    if name:
        from .experiments import shipped_model_path
        try:
            shipped_model_path(name)
            return name
        except FileNotFoundError:
            pass
    return DEFAULT_MODEL

# A target joint is made from source joints by one rule: a name (copy), ("mid", a, b) (mid-point) or
# ("ext", a, b, t) (a + t (b - a): from a towards b, t > 1 goes beyond b).
_H36M17 = ("Hip", "RHip", "RKnee", "RFoot", "LHip", "LKnee", "LFoot", "Spine", "Thorax", "Nose", "Head",
           "LShoulder", "LElbow", "LWrist", "RShoulder", "RElbow", "RWrist")
_H36M32 = ("Hip", "RHip", "RKnee", "RFoot", "RToe", "RToeEnd", "LHip", "LKnee", "LFoot", "LToe", "LToeEnd",
           "Hip_2", "Spine", "Thorax", "Nose", "Head", "Thorax_2", "LShoulder", "LElbow", "LWrist", "LWrist_2",
           "LThumb", "LFingers", "LFingers_2", "Thorax_3", "RShoulder", "RElbow", "RWrist", "RWrist_2", "RThumb",
           "RFingers", "RFingers_2")
_COCO17 = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
           "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
           "right_knee", "left_ankle", "right_ankle")
_MPII16 = ("r_ankle", "r_knee", "r_hip", "l_hip", "l_knee", "l_ankle", "pelvis", "thorax", "upper_neck",
           "head_top", "r_wrist", "r_elbow", "r_shoulder", "l_shoulder", "l_elbow", "l_wrist")

#: Proportions of the Human3.6M skeleton that make the joints COCO and MPII lack, each ``a + t (b - a)``:
#: thorax = shoulders' mid-point + 0.304 (nose - shoulders' mid-point); spine = pelvis + 0.484 (thorax - pelvis);
#: head top = thorax + 1.161 (nose - thorax).  Fitted once by least squares on the 3D poses of the Human3.6M
#: training subjects (S1, S5-S8) by :func:`fit_proportions`; tests/test_lifting.py refits them when the data
#: is present.
PROPORTIONS = {"thorax_from_nose": 0.304, "spine_from_pelvis": 0.484, "head_from_nose": 1.161}

_SAME = {name: name for name in H36M_JOINT_NAMES}

#: Keypoint formats: ``{name: (source joint names, {target joint: rule})}``; targets are the 16 SemGCN joints.
FORMATS: dict = {
    "h36m16": (tuple(H36M_JOINT_NAMES), dict(_SAME)),
    "h36m17": (_H36M17, dict(_SAME)),
    "h36m32": (_H36M32, dict(_SAME)),
    "coco17": (_COCO17, {
        "Hip": ("mid", "left_hip", "right_hip"), "RHip": "right_hip", "RKnee": "right_knee", "RFoot": "right_ankle",
        "LHip": "left_hip", "LKnee": "left_knee", "LFoot": "left_ankle",
        "Spine": ("ext", "Hip", "Thorax", PROPORTIONS["spine_from_pelvis"]),
        "Thorax": ("ext", ("mid", "left_shoulder", "right_shoulder"), "nose", PROPORTIONS["thorax_from_nose"]),
        "Head": ("ext", "Thorax", "nose", PROPORTIONS["head_from_nose"]),
        "LShoulder": "left_shoulder", "LElbow": "left_elbow", "LWrist": "left_wrist",
        "RShoulder": "right_shoulder", "RElbow": "right_elbow", "RWrist": "right_wrist"}),
    "mpii16": (_MPII16, {
        "Hip": "pelvis", "RHip": "r_hip", "RKnee": "r_knee", "RFoot": "r_ankle", "LHip": "l_hip", "LKnee": "l_knee",
        "LFoot": "l_ankle", "Spine": ("ext", "pelvis", "thorax", PROPORTIONS["spine_from_pelvis"]), "Thorax": "thorax",
        "Head": "head_top",
        "LShoulder": "l_shoulder", "LElbow": "l_elbow", "LWrist": "l_wrist", "RShoulder": "r_shoulder",
        "RElbow": "r_elbow", "RWrist": "r_wrist"}),
}
#: Rules used to fill a missing joint when the format's own rule needs it (a copy has nothing else to use).
_FALLBACK = {"Hip": ("mid", "LHip", "RHip"), "Thorax": ("mid", "LShoulder", "RShoulder"),
             "Spine": ("ext", "Hip", "Thorax", PROPORTIONS["spine_from_pelvis"])}

#: Focal length of the default camera, in units of the longer image side (the Human3.6M cameras: 1147 px / 1000 px).
DEFAULT_FOCAL_FACTOR = 1.147


def format_names(fmt, num_joints: int | None = None) -> tuple:
    """Source joint names of a format (a name of :data:`FORMATS`, or a user mapping ``{target: source index}``
    for keypoints with ``num_joints`` joints)."""
    return _format(fmt, num_joints)[0]


def _format(fmt, num_joints: int | None = None):
    if isinstance(fmt, str):
        if fmt not in FORMATS:
            raise ValueError(f"unknown keypoint format {fmt!r}; choose one of {', '.join(FORMATS)} or pass a mapping "
                             f"{{SemGCN joint: index in your keypoints}}")
        return FORMATS[fmt]
    if isinstance(fmt, Mapping):
        unknown = sorted(set(fmt) - set(H36M_JOINT_NAMES))
        if unknown:
            raise ValueError(f"keypoint mapping: unknown SemGCN joints {unknown}; they are {list(H36M_JOINT_NAMES)}")
        if not all(isinstance(i, int) and i >= 0 for i in fmt.values()):
            raise ValueError("keypoint mapping: values must be non-negative joint indices")
        size = max(fmt.values()) + 1 if num_joints is None else num_joints
        if max(fmt.values()) >= size:
            raise ValueError(f"keypoint mapping: index {max(fmt.values())} but the keypoints have {size} joints")
        names = tuple(f"joint{i}" for i in range(size))
        rules = {t: f"joint{i}" for t, i in fmt.items()}
        for target, rule in _FALLBACK.items():
            rules.setdefault(target, rule)
        missing = sorted(set(H36M_JOINT_NAMES) - set(rules))
        if missing:
            raise ValueError(f"keypoint mapping: no source for {missing} (only Hip, Thorax and Spine can be derived)")
        return names, rules
    raise ValueError(f"format must be a name ({', '.join(FORMATS)}) or a mapping, got {type(fmt).__name__}")


def _apply(rule, get):
    """A rule's value: a joint name, ("mid", a, b) or ("ext", a, b, t) = a + t (b - a); a and b may be rules."""
    if isinstance(rule, str):
        return get(rule)
    a, b = _apply(rule[1], get), _apply(rule[2], get)
    return 0.5 * (a + b) if rule[0] == "mid" else a + rule[3] * (b - a)


def convert_keypoints(points: np.ndarray, fmt="coco17", valid: np.ndarray | None = None):
    """``(N, J, 2)`` keypoints in format ``fmt`` -> ``(N, 16, 2)`` SemGCN joints and ``(N, 16)`` filled mask.

    ``valid`` ``(N, J)`` marks usable source joints (default: the finite ones).
    A target joint whose rule needs an unusable joint is made by the fallback
    rules (pelvis from hips, thorax from shoulders, spine from both), else
    copied from its parent in the skeleton; ``filled`` marks them.
    """
    points = np.asarray(points, dtype=np.float64)
    names, rules = _format(fmt, points.shape[1] if points.ndim == 3 else None)
    if points.ndim != 3 or points.shape[1:] != (len(names), 2):
        raise ValueError(f"keypoints in format {fmt if isinstance(fmt, str) else 'mapping'} must have shape "
                         f"(N, {len(names)}, 2) or ({len(names)}, 2), got {points.shape[1:] if points.ndim == 3 else points.shape}")
    ok = np.isfinite(points).all(-1) if valid is None else (np.asarray(valid, bool) & np.isfinite(points).all(-1))
    points = np.where(ok[..., None], points, np.nan)   # an unusable joint is missing, whatever its coordinates
    src = {n: (points[:, i], ok[:, i]) for i, n in enumerate(names)}
    out, good = {}, {}

    def get(name):   # a source joint, or a target joint made already
        if name in out:
            return out[name]
        return src[name][0]

    def usable(rule):
        if isinstance(rule, str):
            return good[rule] if rule in good else src[rule][1]
        return usable(rule[1]) & usable(rule[2])

    order = sorted(H36M_JOINT_NAMES, key=lambda n: (not isinstance(rules[n], str), n in ("Spine", "Head")))
    for target in order:   # copies first, then mid-points; Spine and Head last (they use other targets)
        out[target], good[target] = _apply(rules[target], get), usable(rules[target])
    for target in ("Hip", "Thorax", "Spine"):   # a missing pelvis, thorax or spine is made from its neighbours
        fallback = _FALLBACK[target]
        if not good[target].all() and all(n in good for n in fallback[1:3]):
            alt, alt_ok = _apply(fallback, lambda n: out[n]), good[fallback[1]] & good[fallback[2]]
            out[target] = np.where(good[target][:, None], out[target], alt)
            good[target] = good[target] | alt_ok
    joints = np.stack([out[n] for n in H36M_JOINT_NAMES], axis=1)
    filled = ~np.stack([good[n] for n in H36M_JOINT_NAMES], axis=1)
    parents = H36M_SKELETON.parents
    for j in range(len(H36M_JOINT_NAMES)):   # parents come before children in the skeleton's order
        if parents[j] >= 0:   # a joint nothing could make takes its parent's place
            lost = ~np.isfinite(joints[:, j]).all(-1)
            joints[:, j] = np.where(lost[:, None], joints[:, parents[j]], joints[:, j])
    bad = ~np.isfinite(joints).all(-1)
    if bad.any():
        pose, joint = map(int, np.argwhere(bad)[0])
        raise ValueError(f"keypoints: pose {pose} has no usable {H36M_JOINT_NAMES[joint]} and nothing to make it from "
                         f"(a pelvis needs both hips)")
    return joints, filled


def reference_camera() -> dict:
    """The mean Human3.6M camera that the shipped networks were trained with: ``f``, ``c``, ``w``, ``h`` (pixels)."""
    from .data.camera import camera_intrinsics
    cams = [camera_intrinsics(i) for i in range(4)]
    return {"f": float(np.mean([c.focal_length for c in cams])), "c": np.mean([c.center for c in cams], axis=0),
            "w": float(np.mean([c.res_w for c in cams])), "h": float(np.mean([c.res_h for c in cams]))}


def to_network_input(joints_px: np.ndarray, image_size, intrinsics=None) -> np.ndarray:
    """Pixels ``(N, 16, 2)`` -> the network's input units, as seen by the reference camera (see the module doc).

    ``intrinsics``: ``(fx, fy, cx, cy)`` in pixels; default: focal length
    :data:`DEFAULT_FOCAL_FACTOR` times the longer side, principal point at the centre.
    """
    from .data.camera import normalize_screen_coordinates
    w, h = _image_size(image_size)
    if intrinsics is None:
        f = DEFAULT_FOCAL_FACTOR * max(w, h)
        fx, fy, cx, cy = f, f, w / 2.0, h / 2.0
    else:
        values = np.asarray(intrinsics, dtype=np.float64).ravel()
        if values.shape != (4,) or not np.isfinite(values).all() or values[0] <= 0 or values[1] <= 0:
            raise ValueError(f"intrinsics must be (fx, fy, cx, cy) with positive focal lengths, got {intrinsics!r}")
        fx, fy, cx, cy = values
    ref = reference_camera()
    rays = (joints_px - np.array([cx, cy])) / np.array([fx, fy])
    virtual = rays * ref["f"] + ref["c"]
    return normalize_screen_coordinates(virtual, ref["w"], ref["h"])


def _image_size(image_size) -> tuple[float, float]:
    try:
        w, h = (float(v) for v in image_size)
    except (TypeError, ValueError):
        raise ValueError(f"image_size must be (width, height) in pixels, got {image_size!r}") from None
    if not (np.isfinite([w, h]).all() and w > 0 and h > 0):
        raise ValueError(f"image_size must be two positive numbers, got {image_size!r}")
    return w, h


@dataclass
class LiftResult:
    """What :func:`lift` returns: 3D joints in the input's type (numpy or torch)."""

    joints3d: object            # (K, 3) or (N, K, 3), metres, camera coordinates, pelvis at the origin
    joint_names: tuple          # the K joints of ``joints3d``
    filled: object              # (K,) or (N, K) bool: joints made up because the input lacked them
    unit: str = "m"


class Lifter:
    """A shipped (or your own) network, ready to lift 2D keypoints: ``Lifter.from_pretrained().lift(...)``."""

    def __init__(self, model: torch.nn.Module, name: str = "", device="cpu", input_format: str = "h36m16"):
        self.model, self.name, self.device = model.to(device).eval(), name, torch.device(device)
        #: the keypoint format the network was trained on (``"h36m16"``: all 16 joints; ``"coco17"``: the
        #: joints COCO lacks were made by :func:`convert_keypoints` in its training data too)
        self.input_format = input_format

    @classmethod
    def from_pretrained(cls, name_or_path: str = DEFAULT_MODEL, device="cpu") -> "Lifter":
        """A shipped experiment's network by name (``python -m semgcn experiment --list``) or a checkpoint file."""
        from .experiments import EXPERIMENTS, load_shipped_model
        from .train import load_model, pick_device
        from .train import checkpoint_data_settings
        device = pick_device(device)
        if Path(str(name_or_path)).is_file():
            path = Path(name_or_path)
            model = load_model(path, device)
        elif name_or_path not in EXPERIMENTS:
            raise ValueError(f"{name_or_path!r} is neither a checkpoint file nor a shipped experiment "
                             f"(python -m semgcn experiment --list)")
        else:
            from .experiments import shipped_model_path
            path = shipped_model_path(name_or_path)
            model = load_shipped_model(name_or_path, device)
        fmt = checkpoint_data_settings(path).get("input_format", "h36m16")
        return cls(model, str(name_or_path), device, fmt if fmt in FORMATS else "h36m16")

    @torch.no_grad()
    def predict_normalised(self, inputs: torch.Tensor, flip: bool = False) -> torch.Tensor:
        """Network inputs ``(N, 16, 2)`` (reference camera, normalised) -> ``(N, 16, 3)`` root-relative metres."""
        from .data.augment import mirror_inputs, mirror_targets
        from .train import predict
        x = inputs.to(self.device, torch.float32)
        out = predict(self.model, x)
        if flip:
            centre = torch.tensor([2.0 * float(reference_camera()["c"][0]) / reference_camera()["w"] - 1.0],
                                  device=self.device)
            camera = torch.zeros(len(x), dtype=torch.long, device=self.device)
            out = 0.5 * (out + mirror_targets(predict(self.model, mirror_inputs(x, camera, centre))))
        return out - out[:, :1]

    def lift(self, keypoints, format="coco17", image_size=None, intrinsics=None, confidences=None,
             min_confidence: float = 0.2, flip: bool = True, bone_length: float | str | None = None) -> LiftResult:
        """Lift pixel keypoints ``(J, 2)`` or ``(N, J, 2)`` (numpy or torch) to 3D; see the module docstring.

        ``bone_length``: ``None`` (the network's own scale), ``"canonical"``
        (:func:`canonical_bone_length`) or a number in metres: each pose is
        rescaled so that its 15 bones add up to it.  ``image_size`` is
        required: the camera model depends on it.
        """
        if image_size is None:
            raise ValueError("image_size=(width, height) in pixels is required: the camera model depends on it")
        as_torch = isinstance(keypoints, torch.Tensor)
        points = keypoints.detach().cpu().numpy() if as_torch else np.asarray(keypoints, dtype=np.float64)
        single = points.ndim == 2
        if single:
            points = points[None]
        if points.ndim != 3 or points.shape[-1] != 2 or len(points) == 0:
            raise ValueError(f"keypoints must have shape (J, 2) or (N, J, 2) with N > 0, got {tuple(points.shape)}")
        valid = None
        if confidences is not None:
            conf = confidences.detach().cpu().numpy() if isinstance(confidences, torch.Tensor) else np.asarray(confidences)
            conf = conf[None] if single else conf
            if conf.shape != points.shape[:2]:
                raise ValueError(f"confidences must have shape {points.shape[1:2] if single else points.shape[:2]}, "
                                 f"got {conf.shape}")
            valid = np.nan_to_num(conf, nan=0.0) >= min_confidence
        if self.input_format != "h36m16" and format != self.input_format:
            warnings.warn(f"{self.name} was trained on {self.input_format} keypoints; for {format} keypoints "
                          f"{default_model(format)} is the better network", stacklevel=2)
        joints, filled = convert_keypoints(points, format, valid)
        inputs = torch.as_tensor(to_network_input(joints, image_size, intrinsics), dtype=torch.float32)
        out = self.predict_normalised(inputs, flip=flip)
        if bone_length is not None:
            from .metrics import calibrate_bone_length
            out = calibrate_bone_length(out, canonical_bone_length() if bone_length == "canonical"
                                        else float(bone_length))
        result = out.cpu()
        result = result if as_torch else result.numpy().astype(np.float64 if points.dtype == np.float64 else np.float32)
        if as_torch:
            result = result.to(keypoints.dtype if keypoints.is_floating_point() else torch.float32)
        filled_out = torch.as_tensor(filled) if as_torch else filled
        if single:
            result, filled_out = result[0], filled_out[0]
        return LiftResult(result, tuple(H36M_JOINT_NAMES), filled_out)

    __call__ = lift


@functools.lru_cache(maxsize=1)
def canonical_bone_length() -> float:
    """Total length (metres) of the 15 bones of the mean skeleton of the embedded synthetic training poses
    (their virtual subjects take their proportions from the Human3.6M training subjects; chapter 1)."""
    from .data import load_pose_data
    from .metrics import bone_vectors
    targets = load_pose_data("synthetic", num_train=2000, num_val=10, num_test=10).train.targets
    return float(torch.linalg.vector_norm(bone_vectors(targets), dim=-1).sum(-1).mean())


_LIFTERS: dict = {}


def lift(keypoints, format="coco17", image_size=None, intrinsics=None, confidences=None, model=None,
         device="cpu", flip: bool = True, min_confidence: float = 0.2, bone_length=None) -> LiftResult:
    """One call: 2D keypoints in pixels -> root-relative 3D joints in metres (see the module docstring).

    ``model``: a shipped experiment's name or a checkpoint path; by default
    :func:`default_model` of the format (the COCO lifter for ``"coco17"``,
    :data:`DEFAULT_MODEL` otherwise).  The network is loaded once per (model, device).
    """
    model = default_model(format) if model is None else model
    key = (str(model), str(device))
    if key not in _LIFTERS:
        _LIFTERS[key] = Lifter.from_pretrained(model, device)
    return _LIFTERS[key].lift(keypoints, format=format, image_size=image_size, intrinsics=intrinsics,
                              confidences=confidences, min_confidence=min_confidence, flip=flip,
                              bone_length=bone_length)


def fit_proportions(h36m=None, subjects=("S1", "S5", "S6", "S7", "S8")) -> dict:
    """Least-squares fit of :data:`PROPORTIONS` on Human3.6M 3D poses (the 32-joint skeleton)."""
    from .data.h36m import find_h36m, load_positions_3d
    positions = load_positions_3d(find_h36m(h36m))
    sums = {k: [0.0, 0.0] for k in PROPORTIONS}
    for subject in subjects:
        for a in positions[subject].values():
            a = a.astype(np.float64)
            hip, spine, thorax, nose, head = a[:, 0], a[:, 12], a[:, 13], a[:, 14], a[:, 15]
            shoulders = 0.5 * (a[:, 17] + a[:, 25])
            for key, (base, towards, target) in {"thorax_from_nose": (shoulders, nose, thorax),
                                                 "spine_from_pelvis": (hip, thorax, spine),
                                                 "head_from_nose": (thorax, nose, head)}.items():
                d = towards - base
                sums[key][0] += float(np.sum((target - base) * d))
                sums[key][1] += float(np.sum(d * d))
    return {k: num / den for k, (num, den) in sums.items()}


# ----------------------------------------------------------------------------- accuracy per input format

#: How each format's joints come from Human3.6M's 32 joints when a detector's output is simulated from
#: ground truth (index into the 32, or None: the format has the joint but Human3.6M does not, reported missing).
_FROM_H36M32 = {
    "h36m32": list(range(32)),
    "h36m17": [0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27],
    "h36m16": [0, 1, 2, 3, 6, 7, 8, 12, 13, 15, 17, 18, 19, 25, 26, 27],
    # COCO: the nose is Human3.6M's "Nose" joint; eyes and ears have no Human3.6M counterpart.
    "coco17": [14, None, None, None, None, 17, 25, 18, 26, 19, 27, 6, 1, 7, 2, 8, 3],
    # MPII: upper neck taken as Human3.6M's "Nose" (the top of the neck), head top as "Head".
    "mpii16": [3, 2, 1, 6, 7, 8, 0, 13, 14, 15, 27, 26, 25, 17, 18, 19],
}


def simulate_detections(pixels32: np.ndarray, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """``(N, 32, 2)`` Human3.6M pixels -> ``(N, J, 2)`` keypoints in ``fmt`` and ``(N, J)`` confidences
    (0 for joints Human3.6M cannot provide, e.g. COCO's eyes and ears)."""
    index = _FROM_H36M32[fmt]
    out = np.full((len(pixels32), len(index), 2), np.nan)
    conf = np.zeros((len(pixels32), len(index)))
    for j, i in enumerate(index):
        if i is not None:
            out[:, j], conf[:, j] = pixels32[:, i], 1.0
    return out, conf


def format_accuracy(h36m=None, formats: Sequence[str] = ("h36m16", "h36m17", "h36m32", "coco17", "mpii16"),
                    model: str = DEFAULT_MODEL, test_stride: int = 10, flip: bool = True, device="cpu") -> dict:
    """Protocol #1 / #2 (mm, action-averaged) of :func:`lift` on Human3.6M's test subjects (S9, S11, every
    ``test_stride``-th frame, 4 cameras, ground-truth 2D) given as each format's pixels with each camera's
    true intrinsics; ``"pipeline"`` is the network on the training pipeline's own inputs for the same poses."""
    from .data.camera import load_cameras, normalize_screen_coordinates
    from .data.h36m import TEST_SUBJECTS, _camera_arrays, _views, canonical_action, find_h36m, load_positions_3d
    from .metrics import action_average, mpjpe, p_mpjpe, per_action_errors
    lifter = Lifter.from_pretrained(model, device)
    positions = load_positions_3d(find_h36m(h36m))
    cameras = load_cameras()
    keep = list(_FROM_H36M32["h36m16"])
    pix, targets, actions, cams = [], [], [], []
    for subject in TEST_SUBJECTS:
        arrays = _camera_arrays(cameras, subject)
        for seq, poses in sorted(positions[subject].items()):
            cam_xyz, uv = _views(poses[::test_stride], arrays, project=True)
            for c in range(len(cam_xyz)):
                t = cam_xyz[c][:, keep]
                targets.append(t - t[:, :1])
                pix.append(uv[c])
                actions += [canonical_action(seq)] * len(t)
                cams.append(np.full(len(t), c))
    pix, targets, cams = np.concatenate(pix), torch.as_tensor(np.concatenate(targets)), np.concatenate(cams)
    names = sorted(set(actions))
    action = torch.as_tensor([names.index(a) for a in actions])

    def scores(pred):
        e1, e2 = mpjpe(pred, targets, reduce=False), p_mpjpe(pred, targets, reduce=False)
        return {"mpjpe": action_average(per_action_errors(e1, action, names)),
                "p_mpjpe": action_average(per_action_errors(e2, action, names))}

    intr = [cameras[TEST_SUBJECTS[0]][c] for c in range(4)]
    out = {"poses": len(targets), "model": model, "flip": flip, "test_stride": test_stride}
    # The network on exactly the training pipeline's input (each camera's own normalisation).
    pipe = np.empty((len(pix), 16, 2))
    for c, cam in enumerate(intr):
        m = cams == c
        pipe[m] = normalize_screen_coordinates(pix[m][:, keep], cam.res_w, cam.res_h)
    out["pipeline"] = scores(lifter.predict_normalised(torch.as_tensor(pipe, dtype=torch.float32), flip=flip).cpu()
                             .double())
    def through_api(net, fmt):
        pred = np.empty((len(pix), 16, 3))
        for c, cam in enumerate(intr):
            m = cams == c
            kp, conf = simulate_detections(pix[m], fmt)
            res = net.lift(kp, fmt, image_size=(cam.res_w, cam.res_h), confidences=conf, flip=flip,
                           intrinsics=(*cam.focal_length, *cam.center))
            pred[m] = res.joints3d
        return scores(torch.as_tensor(pred))

    for fmt in formats:
        out[fmt] = through_api(lifter, fmt)
    # The lifters trained for one format's joints (FORMAT_MODELS), where shipped, on the same poses.
    out["dedicated"] = {}
    for fmt in formats:
        name = default_model(fmt)
        if name != DEFAULT_MODEL and name != model:
            out["dedicated"][fmt] = {"model": name, **through_api(Lifter.from_pretrained(name, device), fmt)}
    return out


# ----------------------------------------------------------------------------- files and export

def read_keypoints(path, num_joints: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Keypoints from a file: ``(N, J, 2)`` pixels and ``(N, J)`` confidences (or ``None``).

    * ``.json``: COCO style, a list of annotations or ``{"annotations": [...]}``, each with
      ``"keypoints": [x1, y1, v1, x2, ...]`` (``v = 0``: not labelled, treated as missing);
      or a plain nested list ``(N, J, 2|3)``;
    * ``.npy``: an array ``(J, 2|3)`` or ``(N, J, 2|3)`` (a third column is the confidence);
    * ``.csv``: one pose per row, ``x1, y1, x2, y2, ...`` or ``x1, y1, c1, ...`` (a header row is skipped).
    """
    import csv
    import json
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            raw = json.loads(path.read_text())
        except (ValueError, RecursionError) as err:
            raise ValueError(f"{path}: not valid JSON ({type(err).__name__})") from None
        if isinstance(raw, dict):
            raw = raw.get("annotations", raw.get("keypoints"))
        if isinstance(raw, list) and raw and isinstance(raw[0], dict):
            rows = [a.get("keypoints") for a in raw]
            if any(not isinstance(r, list) or len(r) != 3 * num_joints for r in rows):
                raise ValueError(f"{path}: every annotation needs 'keypoints' with {3 * num_joints} numbers "
                                 f"({num_joints} joints x (x, y, v))")
            arr = np.asarray(rows, dtype=np.float64).reshape(len(rows), num_joints, 3)
            arr[..., 2] = (arr[..., 2] > 0).astype(float)   # COCO visibility: 0 = not labelled
        else:
            try:
                arr = np.asarray(raw, dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"{path}: expected COCO annotations or a (N, J, 2|3) list of numbers") from None
    elif suffix == ".npy":
        arr = np.load(path, allow_pickle=False)
    elif suffix == ".csv":
        with open(path, newline="") as fh:
            rows = [r for r in csv.reader(fh) if r]
        if rows and not _is_number(rows[0][0]):
            rows = rows[1:]
        try:
            flat = np.asarray([[float(v) for v in r] for r in rows], dtype=np.float64)
        except ValueError:
            raise ValueError(f"{path}: every CSV value must be a number") from None
        if flat.ndim != 2 or flat.shape[1] not in (2 * num_joints, 3 * num_joints):
            raise ValueError(f"{path}: each row needs {2 * num_joints} or {3 * num_joints} numbers "
                             f"({num_joints} joints), got {flat.shape[1] if flat.ndim == 2 else 0}")
        arr = flat.reshape(len(flat), num_joints, -1)
    else:
        raise ValueError(f"{path}: unknown keypoint file type {suffix!r} (use .json, .npy or .csv)")
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[1] != num_joints or arr.shape[2] not in (2, 3) or len(arr) == 0:
        raise ValueError(f"{path}: keypoints must have shape (N, {num_joints}, 2 or 3), got {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{path}: keypoints must be numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    return arr[..., :2], (arr[..., 2] if arr.shape[2] == 3 else None)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def export_model(model: torch.nn.Module, onnx_path=None, torchscript_path=None) -> dict:
    """Write a network for other runtimes: ONNX (opset of the installed exporter, a dynamic batch axis:
    ``keypoints (N, 16, 2) -> joints3d (N, 16, 3)``) and/or TorchScript.  Returns the paths written."""
    model = model.float().eval().cpu()
    example = torch.zeros(2, 16, 2)
    written = {}
    if onnx_path is not None:
        try:
            import onnxscript  # noqa: F401  (the exporter's dependency)
        except ImportError:
            raise ModuleNotFoundError('ONNX export needs onnx and onnxscript: pip install "semgcn[export]"',
                                      name="onnxscript") from None
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(model, (example,), input_names=["keypoints"], output_names=["joints3d"],
                                        dynamic_shapes=({0: torch.export.Dim("poses", min=1, max=1 << 20)},),
                                        dynamo=True, verbose=False)
        tmp = Path(str(onnx_path) + ".tmp")
        program.save(str(tmp))
        tmp.replace(onnx_path)
        written["onnx"] = str(onnx_path)
    if torchscript_path is not None:
        scripted = torch.jit.trace(model, example, check_trace=False)
        tmp = Path(str(torchscript_path) + ".tmp")
        scripted.save(str(tmp))
        tmp.replace(torchscript_path)
        written["torchscript"] = str(torchscript_path)
    return written
