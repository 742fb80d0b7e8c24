r"""Synthetic Human3.6M-like poses: the embedded default data set (chapter 1).

Chapter 1, *Human pose as a graph*, explains everything in this module.  It
lets every chapter run without the licensed Human3.6M files: a small
kinematic body model on the 16-joint SemGCN skeleton
(:data:`semgcn.graph.H36M_SKELETON`) is posed by joint angles drawn from
parametric families that imitate the 15 Human3.6M actions, placed on the floor
of the Human3.6M capture volume, and filmed by the four real Human3.6M
cameras (:mod:`semgcn.data.camera`), exactly like the real data pipeline.

**Body model.**  Seven fixed virtual subjects ``V1``..``V7``
(:data:`VIRTUAL_SUBJECTS`; ``V1``-``V5`` train, ``V6``-``V7`` test) with
adult bone lengths in metres, left/right symmetric.  A pose is 25 angles
(:data:`ANGLE_NAMES`, radians), turned into joint positions by
:func:`forward_kinematics`:

* pelvis orientation :math:`R_0 = R_z(\text{yaw})\,R_x(-\text{pitch})\,R_y(\text{roll})`
  (body axes: x to the subject's right, y forward, z up; yaw 0 faces world +y);
* legs and arms: :math:`R = R_{parent}\,R_x(\text{flex})\,R_y(\mp\text{abd})\,R_z(\pm\text{rot})`,
  then a hinge (knee: :math:`R_x(-\text{knee})`, bends backwards only;
  elbow: :math:`R_x(\text{elbow})`, bends forwards only), limbs hang along
  :math:`-z` at rest;
* spine, chest (:math:`R_x(-\text{flex})R_y(\text{lat})R_z(\text{twist})`) and neck.

Anatomical ranges are :data:`JOINT_LIMITS` (degrees); every generated pose
respects them and :func:`pose_to_angles` (inverse kinematics) recovers the
angles of any 16-joint pose, real or synthetic.

**Actions.**  Each of the 15 Human3.6M actions (:data:`ACTIONS`) is a
parametric family mixing whole-body postures (standing with weight shifts,
a gait cycle, sitting on a chair, sitting or lying on the floor, bending,
squatting, lunging) with arm behaviours (pointing, gesturing, waving, a hand
at the ear or mouth via two-bone inverse kinematics, hands in front of the
face, arms crossed, hands on the hips ...), each with random variation.  The
mixture weights follow the share of sitting, floor and bent-over frames of
each real action.  Optionally (``style="prior"`` or ``"mixed"``) body angles
come from a small per-action Gaussian mixture fitted on the Human3.6M
training subjects (:func:`load_pose_prior`, :mod:`semgcn.data.fit_pose_prior`).

**World frame** (that of Human3.6M): metres, z up, floor at :math:`z = 0`,
subjects within about 1.5 m of the origin, cameras about 5 m away at
1.5 m height.  The lowest body part rests on the floor (ankles at the
subject's ankle height, or the pelvis when sitting on the floor).  Standing
subjects mostly face the two cameras on the -y side, walkers go round an
ellipse, as in the real recordings.

Main entry points: :func:`generate_poses` (world poses),
:func:`project_poses` (cameras, 2D inputs, root-relative targets),
:func:`synthetic_pose_data` (a ready :class:`~semgcn.data.dataset.PoseData`)
and :func:`depth_ambiguity_pair` (two different 3D poses with the same image).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ..graph import H36M_PARENTS
from .dataset import PoseData, PoseSplit

__all__ = [
    "ACTIONS", "VirtualSubject", "VIRTUAL_SUBJECTS", "TRAIN_SUBJECTS", "TEST_SUBJECTS",
    "ANGLE_NAMES", "JOINT_LIMITS", "forward_kinematics", "pose_to_angles", "joint_limit_violations",
    "bone_lengths", "generate_poses", "project_poses", "synthetic_pose_data", "depth_ambiguity_pair",
    "load_pose_prior", "STYLES", "DEFAULT_NUM_TRAIN", "DEFAULT_NUM_VAL", "DEFAULT_NUM_TEST", "POSE_PRIOR_FILE",
]

#: The 15 Human3.6M actions, in the usual table order; each is a parametric
#: family of poses in this generator (chapter 1).
ACTIONS = ("Directions", "Discussion", "Eating", "Greeting", "Phoning", "Photo", "Posing", "Purchases",
           "Sitting", "SittingDown", "Smoking", "Waiting", "WalkDog", "Walking", "WalkTogether")

#: Default split sizes (pairs) of :func:`synthetic_pose_data`: big enough for
#: a meaningful SemGCN training on a laptop CPU, small enough to generate in a
#: few seconds (chapter 1).
DEFAULT_NUM_TRAIN, DEFAULT_NUM_VAL, DEFAULT_NUM_TEST = 50_000, 5_000, 10_000


# --------------------------------------------------------------------------- virtual subjects
@dataclass(frozen=True)
class VirtualSubject:
    """Body measurements of one virtual subject (metres), explained in chapter 1.

    Attributes:
        name: ``"V1"``..``"V7"``.
        host: the Human3.6M subject whose four camera extrinsics film this one.
        hip_width: pelvis centre to each hip joint.   thigh, shin: leg bones.
        lower_spine: Hip to Spine.   upper_spine: Spine to Thorax.
        head: Thorax to Head.
        shoulder_width, shoulder_drop: each shoulder sits at
            ``(±shoulder_width, 0, -shoulder_drop)`` from the Thorax in the chest frame.
        upper_arm, forearm: arm bones.
        ankle_height: height of the ankle joint above the floor when standing.
    """

    name: str
    host: str
    hip_width: float
    thigh: float
    shin: float
    lower_spine: float
    upper_spine: float
    head: float
    shoulder_width: float
    shoulder_drop: float
    upper_arm: float
    forearm: float
    ankle_height: float

    def as_array(self) -> np.ndarray:
        """The 11 measurements from ``hip_width`` to ``ankle_height`` as a float64 array."""
        return np.array([getattr(self, f) for f in _BODY_FIELDS], dtype=np.float64)

    def bone_lengths(self) -> np.ndarray:
        """``(15,)`` bone lengths (metres) of bones ``(j, parent[j])`` for joints 1..15."""
        return bone_lengths(self.as_array()[None])[0]


_BODY_FIELDS = tuple(f.name for f in fields(VirtualSubject))[2:]
_B = {name: i for i, name in enumerate(_BODY_FIELDS)}

#: The seven virtual subjects (chapter 1): ordinary adult proportions
#: (statures from about 1.62 m to 1.85 m), different from each other and from
#: any real subject; ``host`` picks whose camera calibration films them.
VIRTUAL_SUBJECTS = (
    VirtualSubject("V1", "S1", 0.130, 0.450, 0.445, 0.240, 0.250, 0.180, 0.155, 0.055, 0.280, 0.250, 0.060),
    VirtualSubject("V2", "S5", 0.118, 0.420, 0.425, 0.220, 0.240, 0.165, 0.140, 0.050, 0.262, 0.238, 0.055),
    VirtualSubject("V3", "S6", 0.145, 0.485, 0.465, 0.262, 0.262, 0.192, 0.172, 0.060, 0.302, 0.262, 0.075),
    VirtualSubject("V4", "S7", 0.134, 0.440, 0.438, 0.228, 0.252, 0.172, 0.150, 0.058, 0.274, 0.246, 0.065),
    VirtualSubject("V5", "S8", 0.126, 0.462, 0.470, 0.250, 0.246, 0.186, 0.162, 0.052, 0.290, 0.254, 0.070),
    VirtualSubject("V6", "S9", 0.140, 0.458, 0.448, 0.246, 0.256, 0.196, 0.176, 0.056, 0.288, 0.250, 0.060),
    VirtualSubject("V7", "S11", 0.122, 0.432, 0.452, 0.236, 0.250, 0.168, 0.146, 0.054, 0.270, 0.244, 0.050),
)
#: Virtual subjects used for training/validation, and for testing (chapter 1).
TRAIN_SUBJECTS = ("V1", "V2", "V3", "V4", "V5")
TEST_SUBJECTS = ("V6", "V7")


def bone_lengths(body: np.ndarray) -> np.ndarray:
    """Bone lengths ``(..., 15)`` (metres) of joints 1..15 to their parents,
    from body measurement arrays ``(..., 11)`` ordered as the fields of
    :class:`VirtualSubject` (``hip_width`` .. ``ankle_height``).  Chapter 1."""
    b = np.asarray(body, dtype=np.float64)
    leg = [b[..., _B["hip_width"]], b[..., _B["thigh"]], b[..., _B["shin"]]]
    shoulder = np.hypot(b[..., _B["shoulder_width"]], b[..., _B["shoulder_drop"]])
    arm = [shoulder, b[..., _B["upper_arm"]], b[..., _B["forearm"]]]
    trunk = [b[..., _B["lower_spine"]], b[..., _B["upper_spine"]], b[..., _B["head"]]]
    return np.stack(leg + leg + trunk + arm + arm, axis=-1)


# --------------------------------------------------------------------------- angles
_LIMB_ANGLES = lambda side, part, hinge: (f"{side}_{part}_flex", f"{side}_{part}_abd", f"{side}_{part}_rot",
                                         f"{side}_{hinge}")
#: The 25 pose angles (radians) of the body model, in array order (chapter 1).
ANGLE_NAMES = ("yaw", "pitch", "roll", "lumbar_lat", "chest_flex", "chest_lat", "chest_twist",
               "neck_flex", "neck_lat",
               *_LIMB_ANGLES("r", "hip", "knee"), *_LIMB_ANGLES("l", "hip", "knee"),
               *_LIMB_ANGLES("r", "shoulder", "elbow"), *_LIMB_ANGLES("l", "shoulder", "elbow"))
_A = {name: i for i, name in enumerate(ANGLE_NAMES)}

_LIMITS_ONE_SIDE = {
    "hip_flex": (-35.0, 145.0), "hip_abd": (-35.0, 80.0), "hip_rot": (-70.0, 60.0), "knee": (0.0, 160.0),
    "shoulder_flex": (-80.0, 200.0), "shoulder_abd": (-60.0, 90.0), "shoulder_rot": (-90.0, 120.0),
    "elbow": (0.0, 160.0),
}
#: Anatomical ranges in **degrees** for every angle but ``yaw`` (chapter 1).
#: Flexion is forwards (hip, shoulder, trunk, neck), the knee bends backwards
#: and the elbow forwards only (never hyperextended), ``abd`` is abduction
#: (away from the body's midline), ``rot`` internal rotation.
JOINT_LIMITS = {
    "pitch": (-95.0, 95.0), "roll": (-35.0, 35.0), "lumbar_lat": (-20.0, 20.0),
    "chest_flex": (-30.0, 70.0), "chest_lat": (-35.0, 35.0), "chest_twist": (-50.0, 50.0),
    "neck_flex": (-45.0, 65.0), "neck_lat": (-40.0, 40.0),
    **{f"{side}_{k}": v for side in "rl" for k, v in _LIMITS_ONE_SIDE.items()},
}
_LO = np.radians([JOINT_LIMITS.get(n, (-np.inf, np.inf))[0] for n in ANGLE_NAMES])
_HI = np.radians([JOINT_LIMITS.get(n, (-np.inf, np.inf))[1] for n in ANGLE_NAMES])


def joint_limit_violations(angles: np.ndarray, tolerance_deg: float = 0.0) -> np.ndarray:
    """Boolean ``(..., 25)``: which angles (radians, :data:`ANGLE_NAMES` order)
    lie outside :data:`JOINT_LIMITS` by more than ``tolerance_deg``.  Chapter 1."""
    a = np.asarray(angles, dtype=np.float64)
    tol = math.radians(tolerance_deg)
    return (a < _LO - tol) | (a > _HI + tol)


# --------------------------------------------------------------------------- rotations (batched)
def _rot(axis: int, a: np.ndarray) -> np.ndarray:
    """Rotation matrices ``(n, 3, 3)`` about coordinate ``axis`` by angles ``a`` (radians)."""
    c, s = np.cos(a), np.sin(a)
    R = np.zeros(np.shape(a) + (3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    R[..., axis, axis] = 1.0
    R[..., i, i], R[..., i, j], R[..., j, i], R[..., j, j] = c, -s, s, c
    return R


def _chain(*mats: np.ndarray) -> np.ndarray:
    out = mats[0]
    for m in mats[1:]:
        out = out @ m
    return out


def _apply(R: np.ndarray, v) -> np.ndarray:
    return np.einsum("nij,nj->ni", R, np.broadcast_to(np.asarray(v, dtype=np.float64), R.shape[:-1]))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


_SIDES = (("r", 1.0, (1, 2, 3), (13, 14, 15)), ("l", -1.0, (4, 5, 6), (10, 11, 12)))


def _limb_rotation(R_parent, flex, abd, rot, s):
    return _chain(R_parent, _rot(0, flex), _rot(1, -s * abd), _rot(2, s * rot))


def forward_kinematics(angles: np.ndarray, body: np.ndarray, return_frames: bool = False):
    """Joint positions from joint angles (the body model of chapter 1).

    Args:
        angles: ``(n, 25)`` radians in :data:`ANGLE_NAMES` order.
        body: ``(n, 11)`` or ``(11,)`` body measurements in metres
            (:meth:`VirtualSubject.as_array`).
        return_frames: also return ``{"pelvis", "chest", "neck"}`` rotation
            matrices ``(n, 3, 3)`` (columns: right, forward, up axes).

    Returns:
        ``(n, 16, 3)`` float64 positions in metres, Hip (joint 0) at the origin,
        z up (not yet placed on the floor, see :func:`generate_poses`).
    """
    ang = np.asarray(angles, dtype=np.float64)
    n = ang.shape[0]
    b = np.broadcast_to(np.asarray(body, dtype=np.float64), (n, len(_BODY_FIELDS)))
    a = {name: ang[:, i] for name, i in _A.items()}
    m = {name: b[:, i:i + 1] for name, i in _B.items()}
    P = np.zeros((n, 16, 3))
    R0 = _chain(_rot(2, a["yaw"]), _rot(0, -a["pitch"]), _rot(1, a["roll"]))
    for side, s, (hip, knee, foot), _ in _SIDES:
        P[:, hip] = s * m["hip_width"] * R0[:, :, 0]
        Rt = _limb_rotation(R0, a[f"{side}_hip_flex"], a[f"{side}_hip_abd"], a[f"{side}_hip_rot"], s)
        P[:, knee] = P[:, hip] - m["thigh"] * Rt[:, :, 2]
        Rs = Rt @ _rot(0, -a[f"{side}_knee"])
        P[:, foot] = P[:, knee] - m["shin"] * Rs[:, :, 2]
    P[:, 7] = m["lower_spine"] * (R0 @ _rot(1, a["lumbar_lat"]))[:, :, 2]
    Rc = _chain(R0, _rot(0, -a["chest_flex"]), _rot(1, a["chest_lat"]), _rot(2, a["chest_twist"]))
    P[:, 8] = P[:, 7] + m["upper_spine"] * Rc[:, :, 2]
    Rn = _chain(Rc, _rot(0, -a["neck_flex"]), _rot(1, a["neck_lat"]))
    P[:, 9] = P[:, 8] + m["head"] * Rn[:, :, 2]
    for side, s, _, (shoulder, elbow, wrist) in _SIDES:
        P[:, shoulder] = P[:, 8] + s * m["shoulder_width"] * Rc[:, :, 0] - m["shoulder_drop"] * Rc[:, :, 2]
        Ru = _limb_rotation(Rc, a[f"{side}_shoulder_flex"], a[f"{side}_shoulder_abd"], a[f"{side}_shoulder_rot"], s)
        P[:, elbow] = P[:, shoulder] - m["upper_arm"] * Ru[:, :, 2]
        Rf = Ru @ _rot(0, a[f"{side}_elbow"])
        P[:, wrist] = P[:, elbow] - m["forearm"] * Rf[:, :, 2]
    if return_frames:
        return P, {"pelvis": R0, "chest": Rc, "neck": Rn}
    return P


def _frame(x_dir: np.ndarray, z_dir: np.ndarray) -> np.ndarray:
    """Rotation matrices whose x column is ``x_dir`` and whose z column is ``z_dir``
    made orthogonal to it."""
    x = _unit(x_dir)
    z = _unit(z_dir - (z_dir * x).sum(-1, keepdims=True) * x)
    return np.stack([x, np.cross(z, x), z], axis=-1)


def _limb_ik(upper: np.ndarray, lower: np.ndarray, s: float, hinge_sign: float):
    """Limb angles from unit bone directions given in the parent's frame."""
    abd = np.arcsin(np.clip(s * upper[:, 0], -1.0, 1.0))
    flex = np.arctan2(upper[:, 1], -upper[:, 2])
    M = _rot(0, flex) @ _rot(1, -s * abd)
    v = np.einsum("nji,nj->ni", M, lower)  # M^T lower
    bend = np.arccos(np.clip(-v[:, 2], -1.0, 1.0))
    if hinge_sign > 0:   # elbow: forearm swings forwards
        rot = s * np.arctan2(-v[:, 0], v[:, 1])
    else:                # knee: shin swings backwards
        rot = s * np.arctan2(v[:, 0], -v[:, 1])
    return flex, abd, rot, bend


def pose_to_angles(poses: np.ndarray) -> np.ndarray:
    """Inverse kinematics: the 25 angles (radians) of 16-joint poses (chapter 1).

    ``poses`` is ``(n, 16, 3)`` in a z-up frame (metres; any 16-joint
    Human3.6M-ordered pose, real or synthetic).  Returns ``(n, 25)`` angles
    in :data:`ANGLE_NAMES` order such that :func:`forward_kinematics` with
    the pose's own bone lengths gives back the pose (exactly for poses of
    this body model; real poses lose what the model cannot express, e.g. a
    varying Thorax-Head distance).  Twist angles of a straight limb are
    undefined and come out arbitrary.  Shoulder flexion is reported in
    ``[-90, 270)`` degrees so that arms raised overhead stay continuous.
    """
    P = np.asarray(poses, dtype=np.float64)
    n = P.shape[0]
    out = np.zeros((n, len(ANGLE_NAMES)))
    R0 = _frame(P[:, 1] - P[:, 4], P[:, 7] - P[:, 0])
    out[:, _A["pitch"]] = -np.arcsin(np.clip(R0[:, 2, 1], -1.0, 1.0))
    out[:, _A["roll"]] = np.arctan2(-R0[:, 2, 0], R0[:, 2, 2])
    M = _rot(0, -out[:, _A["pitch"]]) @ _rot(1, out[:, _A["roll"]])
    Rz = R0 @ np.swapaxes(M, 1, 2)
    out[:, _A["yaw"]] = np.arctan2(Rz[:, 1, 0], Rz[:, 0, 0])
    to_local = lambda R, v: np.einsum("nji,nj->ni", R, v)  # R^T v
    sp = to_local(R0, P[:, 7] - P[:, 0])
    out[:, _A["lumbar_lat"]] = np.arctan2(sp[:, 0], sp[:, 2])
    Rc = _frame(P[:, 13] - P[:, 10], P[:, 8] - P[:, 7])
    E = np.swapaxes(R0, 1, 2) @ Rc
    out[:, _A["chest_lat"]] = np.arcsin(np.clip(E[:, 0, 2], -1.0, 1.0))
    out[:, _A["chest_flex"]] = -np.arctan2(-E[:, 1, 2], E[:, 2, 2])
    out[:, _A["chest_twist"]] = np.arctan2(-E[:, 0, 1], E[:, 0, 0])
    h = _unit(to_local(Rc, P[:, 9] - P[:, 8]))
    out[:, _A["neck_lat"]] = np.arcsin(np.clip(h[:, 0], -1.0, 1.0))
    out[:, _A["neck_flex"]] = -np.arctan2(-h[:, 1], h[:, 2])
    for side, s, (hip, knee, foot), (shoulder, elbow, wrist) in _SIDES:
        f, ab, r, k = _limb_ik(_unit(to_local(R0, P[:, knee] - P[:, hip])),
                               _unit(to_local(R0, P[:, foot] - P[:, knee])), s, -1.0)
        out[:, [_A[f"{side}_hip_flex"], _A[f"{side}_hip_abd"], _A[f"{side}_hip_rot"], _A[f"{side}_knee"]]] = \
            np.stack([f, ab, r, k], 1)
        f, ab, r, e = _limb_ik(_unit(to_local(Rc, P[:, elbow] - P[:, shoulder])),
                               _unit(to_local(Rc, P[:, wrist] - P[:, elbow])), s, 1.0)
        f = np.where(f < -np.pi / 2, f + 2 * np.pi, f)
        out[:, [_A[f"{side}_shoulder_flex"], _A[f"{side}_shoulder_abd"], _A[f"{side}_shoulder_rot"],
                _A[f"{side}_elbow"]]] = np.stack([f, ab, r, e], 1)
    return out


# --------------------------------------------------------------------------- the action repertoire
def _two_bone_ik(shoulder, target, l1, l2, pole):
    """Elbow-and-wrist directions that put the wrist on ``target`` (clamped to
    the arm's reach), the elbow on the side of ``pole``.  All ``(m, 3)``."""
    d = target - shoulder
    dist = np.linalg.norm(d, axis=-1, keepdims=True)
    dh = d / np.maximum(dist, 1e-9)
    dist = np.clip(dist, np.abs(l1 - l2) + 0.02, 0.985 * (l1 + l2))
    cos_a = np.clip((l1 ** 2 + dist ** 2 - l2 ** 2) / (2 * l1 * dist), -1.0, 1.0)
    nrm = _unit(pole - (pole * dh).sum(-1, keepdims=True) * dh)
    elbow = shoulder + l1 * (cos_a * dh + np.sqrt(1 - cos_a ** 2) * nrm)
    wrist = shoulder + dist * dh
    return _unit(elbow - shoulder), _unit(wrist - elbow)


#: Wrist targets of :meth:`_PoseSampler.reach`: ``where -> (base point, frame of
#: the offset, x range, y range, z range, frame of the elbow pole, pole)``.
#: Offsets are metres in that frame (x to the acting arm's side, y forward,
#: z up); the pole says where the elbow points.  Frames: pelvis, chest, neck
#: (head direction) or heading (gravity-aligned, facing forwards).
_REACH_TARGETS = {
    "mouth": ("thorax", "neck", (0.02, 0.06), (0.10, 0.16), (0.0, 0.05), "chest", (0.6, 0.1, -1)),
    "ear": ("thorax", "neck", (0.09, 0.14), (0.0, 0.06), (0.02, 0.08), "chest", (0.7, -0.1, -1)),
    "face": ("thorax", "neck", (0.03, 0.11), (0.17, 0.28), (0.03, 0.14), "chest", (0.6, -0.2, -1)),
    "head": ("thorax", "neck", (0.05, 0.12), (-0.08, 0.05), (0.15, 0.25), "chest", (1.0, 0.2, 0.2)),
    "chest": ("thorax", "chest", (-0.02, 0.15), (0.18, 0.35), (-0.35, -0.1), "chest", (0.5, -0.2, -1)),
    "crossed": ("thorax", "chest", (-0.16, -0.06), (0.10, 0.17), (-0.30, -0.16), "chest", (0.6, 0.2, -1)),
    "wave": ("shoulder", "chest", (0.12, 0.38), (0.0, 0.3), (0.1, 0.45), "chest", (0.8, -0.2, -1)),
    "hips": ("hip", "pelvis", (0.03, 0.08), (-0.04, 0.04), (0.08, 0.16), "chest", (1.0, -0.4, -0.2)),
    "pocket": ("hip", "pelvis", (0.03, 0.08), (0.02, 0.1), (-0.12, -0.02), "chest", (1.0, -0.3, -0.5)),
    "back": ("root", "pelvis", (-0.06, 0.08), (-0.2, -0.13), (-0.02, 0.15), "chest", (0.8, -0.5, -0.4)),
    "clasp": ("root", "pelvis", (0.0, 0.06), (0.12, 0.22), (-0.08, 0.12), "chest", (0.5, 0.0, -1)),
    "table": ("root", "heading", (0.02, 0.25), (0.2, 0.4), (0.15, 0.3), "heading", (0.8, -0.3, -1)),
    "lap": ("lap", "heading", (0.0, 0.0), (0.0, 0.05), (0.06, 0.15), "heading", (0.4, -0.3, -1)),
    "knee": ("knee", "heading", (-0.02, 0.04), (0.0, 0.06), (0.04, 0.1), "heading", (0.5, -0.3, -1)),
    "floor": ("hip", "heading", (0.12, 0.3), (-0.35, 0.15), (-0.07, -0.02), "heading", (0.6, -0.5, -0.5)),
}


class _PoseSampler:
    """Builds angle arrays (degrees while sampling) action by action.

    Every method works on an index array ``ix`` of the poses it shapes, fully
    vectorised; component choices are random masks, never per-pose Python.
    """

    def __init__(self, rng: np.random.Generator, body: np.ndarray):
        self.r = rng
        self.body = body
        n = body.shape[0]
        self.A = np.zeros((n, len(ANGLE_NAMES)))
        self.pos = np.zeros((n, 2))       # root x, y on the floor (metres)
        self.clear = np.zeros((n, 16))    # clearance of each joint above the floor
        self.clear[:] = 0.05
        self.clear[:, [3, 6]] = body[:, [_B["ankle_height"]]]
        self.clear[:, [0, 1, 4]] = 0.09
        self.clear[:, [12, 15]] = 0.04
        self.ccw = np.ones(n, dtype=bool)  # walkers: counter-clockwise round the capture area

    # ---- elementary setters
    def N(self, ix, name, mu, sd, lo=-np.inf, hi=np.inf):
        self.A[ix, _A[name]] = np.clip(self.r.normal(mu, sd, len(ix)), lo, hi)

    def U(self, ix, name, lo, hi):
        self.A[ix, _A[name]] = self.r.uniform(lo, hi, len(ix))

    def get(self, ix, name):
        return self.A[ix, _A[name]]

    def split(self, ix, weights):
        """Random partition of ``ix`` into components with the given weights."""
        w = np.asarray(weights, dtype=np.float64)
        k = self.r.choice(len(w), size=len(ix), p=w / w.sum())
        return [ix[k == i] for i in range(len(w))]

    def sides(self, ix, p_right=0.7):
        """Split ``ix`` into (poses whose right arm acts, poses whose left arm acts)."""
        right = self.r.random(len(ix)) < p_right
        return ix[right], ix[~right]

    # ---- trunk
    def trunk(self, ix, pitch=(-7, 5), chest=(12, 6), twist=6, neck=(7, 10)):
        self.N(ix, "pitch", *pitch)
        self.N(ix, "roll", -3.5, 3)
        self.N(ix, "lumbar_lat", 3, 4)
        self.N(ix, "chest_flex", *chest)
        self.N(ix, "chest_lat", 3, 6)
        self.N(ix, "chest_twist", 0, twist)
        self.N(ix, "neck_flex", *neck)
        self.N(ix, "neck_lat", 2, 9)

    # ---- legs
    def leg(self, ix, side, flex, abd, rot, knee):
        """Set one leg; ``flex``/``abd`` are the thigh's angles in the heading
        frame (gravity-aligned), converted here to angles relative to the
        pelvis, whose pitch and roll must already be set."""
        s = 1.0 if side == "r" else -1.0
        self.A[ix, _A[f"{side}_hip_flex"]] = flex + self.get(ix, "pitch")
        self.A[ix, _A[f"{side}_hip_abd"]] = abd + s * self.get(ix, "roll")
        self.A[ix, _A[f"{side}_hip_rot"]] = rot
        self.A[ix, _A[f"{side}_knee"]] = np.maximum(knee, 0.0)

    def stand(self, ix):
        """Upright stance: relaxed knees, sometimes weight on one leg or feet apart."""
        r, m = self.r, len(ix)
        for side in "rl":
            self.leg(ix, side, r.normal(2, 4, m), r.normal(0, 3, m), r.normal(3, 10, m),
                     np.maximum(r.normal(18, 7, m), 5))
        shift, wide, _ = self.split(ix, [0.3, 0.15, 0.55])
        for part, side, s in ((shift[: len(shift) // 2], "r", 1), (shift[len(shift) // 2:], "l", -1)):
            k = len(part)
            self.leg(part, side, r.normal(10, 5, k), r.normal(-2, 3, k), r.normal(5, 10, k), r.normal(32, 10, k))
            self.A[part, _A["roll"]] += s * r.uniform(2, 6, k)
        for side in "rl":
            self.A[wide, _A[f"{side}_hip_abd"]] += r.uniform(5, 14, len(wide))

    def walk(self, ix, speed=(0.7, 1.2)):
        """Gait cycle: phase ``φ`` of the right leg (0 = right heel strike), hip
        flexion ``~cos φ``, knee flexion with a stance bump and a swing peak,
        arms swinging against the legs, shoulders counter-rotating.  Walkers
        mostly go round counter-clockwise (as in Human3.6M) and lean into the
        turn, which puts their feet slightly to the outside of the pelvis."""
        r, m = self.r, len(ix)
        phi = r.uniform(0, 2 * np.pi, m)
        q = r.uniform(*speed, m)
        self.ccw[ix] = r.random(m) < 0.85
        lean = np.where(self.ccw[ix], 1.0, -1.0) * r.normal(4, 2, m)  # thighs towards the outside (deg)
        self.trunk(ix, pitch=(-5, 4), chest=(10, 5))
        bump = lambda ph, mu, sd: np.exp(-0.5 * (np.angle(np.exp(1j * (ph - 2 * np.pi * mu))) / (2 * np.pi * sd)) ** 2)
        for side, ph in (("r", phi), ("l", phi + np.pi)):
            flex = 6 + 24 * q * np.cos(ph + 0.3)
            knee = 12 + 16 * q * bump(ph, 0.12, 0.07) + 50 * q * bump(ph, 0.72, 0.09)
            self.leg(ix, side, flex + r.normal(0, 3, m), r.normal(0, 2.5, m) + (lean if side == "r" else -lean),
                     r.normal(3, 6, m), knee + r.normal(0, 4, m))
            arm_fwd = -np.cos(ph)  # the arm swings with the opposite leg
            self.arm(ix, side, 4 + 20 * q * arm_fwd + r.normal(0, 5, m), r.normal(20, 6, m), r.normal(25, 12, m),
                     30 + 14 * q * np.maximum(arm_fwd, 0) + r.normal(0, 10, m))
        self.A[ix, _A["chest_twist"]] += -5 * q * np.cos(phi)
        self.A[ix, _A["yaw"]] += 5 * q * np.cos(phi)
        self.A[ix, _A["roll"]] += 3 * q * np.sin(phi)

    def sit_chair(self, ix):
        """Seated on the (high) Human3.6M chair: thighs sloping slightly down,
        shins about vertical; variants with crossed legs, one leg stretched out,
        feet drawn back."""
        r, m = self.r, len(ix)
        self.trunk(ix, pitch=(-15, 10), chest=(24, 10), neck=(8, 12))
        for side in "rl":
            self.leg(ix, side, r.normal(72, 10, m), r.normal(4, 5, m), r.normal(0, 10, m), r.normal(80, 12, m))
        lean = self.split(ix, [0.25, 0.75])[0]
        k = len(lean)
        self.N(lean, "pitch", 15, 12)
        self.N(lean, "chest_flex", 28, 10)
        for side in "rl":
            self.leg(lean, side, r.normal(72, 10, k), r.normal(6, 5, k), r.normal(0, 10, k), r.normal(80, 12, k))
        cross, stretch, back, _ = self.split(ix, [0.15, 0.15, 0.15, 0.55])
        top = r.random(len(cross)) < 0.5
        for part, side in ((cross[top], "r"), (cross[~top], "l")):
            k = len(part)
            self.leg(part, side, r.normal(88, 8, k), r.normal(-18, 6, k), r.normal(-5, 10, k), r.normal(85, 12, k))
        for part, side in ((stretch[: len(stretch) // 2], "r"), (stretch[len(stretch) // 2:], "l")):
            k = len(part)
            self.leg(part, side, r.normal(70, 8, k), r.normal(6, 5, k), r.normal(0, 10, k), r.uniform(10, 50, k))
        k = len(back)
        for side in "rl":
            self.leg(back, side, r.normal(72, 8, k), r.normal(4, 5, k), r.normal(0, 10, k), r.uniform(95, 125, k))

    def floor_leg(self, ix, side, knee):
        """A leg whose ankle rests on the floor in front of a pelvis that sits
        on the floor: the thigh angle follows from the knee angle (law of
        cosines on the hip-knee-ankle triangle)."""
        r, m = self.r, len(ix)
        l1, l2 = self.body[ix, _B["thigh"]], self.body[ix, _B["shin"]]
        k = np.radians(knee)
        reach = np.sqrt(l1 ** 2 + l2 ** 2 + 2 * l1 * l2 * np.cos(k))
        beta = np.arccos(np.clip((l1 ** 2 + reach ** 2 - l2 ** 2) / (2 * l1 * reach), -1, 1))
        drop = np.arcsin(np.clip((0.09 - self.body[ix, _B["ankle_height"]]) / reach, -1, 1))
        flex = 90 + np.degrees(beta - drop)
        self.leg(ix, side, flex + r.normal(2, 3, m), r.normal(14, 7, m), r.normal(-20, 10, m), knee)

    def sit_floor(self, ix):
        """On the floor: knees up, cross-legged, legs stretched, kneeling,
        crouching, or lying on the back; the pelvis carries the weight."""
        r = self.r
        up, cross, stretch, kneel, crouch, lie = self.split(ix, [0.5, 0.15, 0.1, 0.05, 0.1, 0.1])
        for part, pitch, chest in ((up, (-22, 14), (25, 12)), (cross, (-10, 10), (25, 10)),
                                   (stretch, (-30, 12), (28, 12)), (kneel, (-4, 8), (12, 8)),
                                   (crouch, (20, 12), (25, 10)), (lie, (-80, 8), (10, 8))):
            self.trunk(part, pitch=pitch, chest=chest, neck=(15, 15))
        for side in "rl":
            self.floor_leg(up, side, r.uniform(85, 145, len(up)))
            self.floor_leg(stretch, side, r.uniform(0, 60, len(stretch)))
            k = len(cross)
            self.leg(cross, side, r.normal(95, 8, k), r.normal(45, 6, k), r.normal(-55, 8, k), r.normal(135, 8, k))
            k = len(kneel)
            self.leg(kneel, side, r.normal(4, 10, k), r.normal(4, 4, k), r.normal(0, 8, k), r.normal(115, 10, k))
            k = len(crouch)
            self.leg(crouch, side, r.normal(110, 12, k), r.normal(18, 8, k), r.normal(-10, 8, k), r.normal(135, 10, k))
            k = len(lie)
            self.leg(lie, side, r.normal(85, 10, k), r.normal(5, 5, k), r.normal(0, 10, k), np.abs(r.normal(15, 25, k)))
        self.clear[np.ix_(kneel, [2, 5])] = 0.05  # knees on the floor
        self.clear[np.ix_(np.concatenate([kneel, crouch]), [0, 1, 4])] = 0.0

    def crouch(self, ix):
        """Squatting or bending down (knees and hips flexed, trunk forward)."""
        r, m = self.r, len(ix)
        self.trunk(ix, pitch=(25, 12), chest=(25, 10), neck=(0, 15))
        for side in "rl":
            self.leg(ix, side, r.normal(80, 15, m), r.normal(12, 6, m), r.normal(-5, 8, m), r.normal(110, 20, m))

    def bend(self, ix):
        """Bending forward from the hips, knees slightly bent (picking something up)."""
        r, m = self.r, len(ix)
        self.trunk(ix, pitch=(45, 18), chest=(25, 12), neck=(-10, 15))
        for side in "rl":
            self.leg(ix, side, r.normal(12, 8, m), r.normal(4, 4, m), r.normal(3, 8, m), r.normal(25, 12, m))
        self.arms_hang(ix)

    def lunge(self, ix):
        """One leg forward and bent, the other back (posing, stepping)."""
        r, m = self.r, len(ix)
        front = r.random(m) < 0.5
        for part, a, b in ((ix[front], "r", "l"), (ix[~front], "l", "r")):
            k = len(part)
            self.leg(part, a, r.normal(35, 10, k), r.normal(6, 5, k), r.normal(0, 8, k), r.normal(50, 15, k))
            self.leg(part, b, r.normal(-12, 5, k), r.normal(4, 4, k), r.normal(5, 8, k), r.normal(12, 6, k))

    # ---- arms
    def arm(self, ix, side, flex, abd, rot, elbow):
        """Set one arm's angles (degrees, arrays or numbers)."""
        for name, v in (("shoulder_flex", flex), ("shoulder_abd", abd), ("shoulder_rot", rot), ("elbow", elbow)):
            self.A[ix, _A[f"{side}_{name}"]] = v
        self.A[ix, _A[f"{side}_elbow"]] = np.maximum(self.A[ix, _A[f"{side}_elbow"]], 0.0)

    def arms_hang(self, ix, sides="rl", p_bent=0.4):
        """Idle arms: hanging roughly vertically whatever the trunk lean, or
        (with probability ``p_bent``) the forearm held forwards at rest."""
        r, m = self.r, len(ix)
        lean = self.get(ix, "pitch") + self.get(ix, "chest_flex")
        for side in sides:
            bent = r.random(m) < p_bent
            self.arm(ix, side, -0.8 * lean + r.normal(10, 10, m), r.normal(27, 8, m), r.normal(28, 15, m),
                     np.where(bent, r.uniform(60, 115, m), np.abs(r.normal(38, 16, m))))

    def gesture(self, ix, side):
        """Talking hands: forearm forwards in front of the body."""
        r, m = self.r, len(ix)
        self.arm(ix, side, r.uniform(-5, 55, m), r.normal(25, 10, m), r.uniform(-30, 45, m), r.uniform(55, 135, m))

    def point(self, ix, side):
        """Arm raised and extended, pointing somewhere."""
        r, m = self.r, len(ix)
        self.arm(ix, side, r.uniform(35, 110, m), r.uniform(5, 65, m), r.normal(10, 20, m), r.uniform(0, 40, m))

    def raise_arm(self, ix, side):
        """Arm lifted high (overhead, V or T shape)."""
        r, m = self.r, len(ix)
        self.arm(ix, side, r.uniform(60, 180, m), r.uniform(10, 85, m), r.normal(0, 25, m), r.uniform(0, 45, m))

    def carry(self, ix, side):
        """Forearm horizontal in front, as when carrying or holding something."""
        r, m = self.r, len(ix)
        lean = self.get(ix, "pitch") + self.get(ix, "chest_flex")
        self.arm(ix, side, -0.5 * lean + r.normal(15, 10, m), r.normal(18, 8, m), r.normal(30, 15, m),
                 r.normal(95, 15, m))

    def reach(self, ix, side, where, jitter=0.03):
        """Put the wrist on a body-relative target with two-bone inverse
        kinematics (``where``: mouth, ear, face, chest, crossed, hips, back,
        pocket, clasp, lap, knee, table, head, wave, floor)."""
        if len(ix) == 0:
            return
        r, m = self.r, len(ix)
        s = 1.0 if side == "r" else -1.0
        ang = np.radians(self.A[ix])
        ang[:, _A["yaw"]] = 0.0
        P, F = forward_kinematics(ang, self.body[ix], return_frames=True)
        R0, Rc, Rn = F["pelvis"], F["chest"], F["neck"]
        b = {k: self.body[ix, i][:, None] for k, i in _B.items()}
        sh = P[:, 13 if side == "r" else 10]
        hip = P[:, 1 if side == "r" else 4]
        knee = P[:, 2 if side == "r" else 5]
        base_name, offset_frame, xr, yr, zr, pole_frame, pole = _REACH_TARGETS[where]
        frames = {"pelvis": R0, "chest": Rc, "neck": Rn, "heading": np.broadcast_to(np.eye(3), (m, 3, 3))}
        offset = np.stack([s * r.uniform(*xr, m), r.uniform(*yr, m), r.uniform(*zr, m)], -1)
        if base_name == "lap":  # on the thigh, between hip and knee
            base = hip + r.uniform(0.3, 0.55, (m, 1)) * (knee - hip)
        else:
            base = {"thorax": P[:, 8], "root": P[:, 0], "hip": hip, "knee": knee, "shoulder": sh}[base_name]
        target = base + _apply(frames[offset_frame], offset) + r.normal(0, jitter, (m, 3))
        pole = _apply(frames[pole_frame], np.array([s * pole[0], pole[1], pole[2]])) + r.normal(0, 0.25, (m, 3))
        up, lo = _two_bone_ik(sh, target, b["upper_arm"], b["forearm"], pole)
        to_chest = lambda v: np.einsum("nji,nj->ni", Rc, v)
        f, ab, rot, e = _limb_ik(to_chest(up), to_chest(lo), s, 1.0)
        f = np.where(f < -np.pi / 2, f + 2 * np.pi, f)
        self.arm(ix, side, *np.degrees([f, ab, rot, e]))

    # ---- fitted prior and placement on the floor
    def from_prior(self, ix, action: int, prior: dict):
        """Body angles drawn from the fitted per-action Gaussian mixture."""
        m = len(ix)
        w, mu, L = (prior[k][action].astype(np.float64) for k in ("weights", "means", "chol"))
        comp = self.r.choice(len(w), size=m, p=w / w.sum())
        x = mu[comp] + np.einsum("nij,nj->ni", L[comp], self.r.standard_normal((m, mu.shape[1])))
        self.A[ix, 1:] = np.degrees(x)
        self.place(ix, walking=ACTIONS[action] in _WALKING_ACTIONS)

    def place(self, ix, walking=False):
        """Root position on the floor and heading (yaw, degrees).  Standing
        subjects mostly face the two cameras on the -y side, as in Human3.6M;
        walkers follow an ellipse around the capture area."""
        r, m = self.r, len(ix)
        if walking:
            t = r.uniform(0, 2 * np.pi, m)
            ax, ay = r.uniform(0.6, 1.0, m), r.uniform(1.2, 1.7, m)
            self.pos[ix] = np.stack([0.15 + ax * np.cos(t), 0.5 + ay * np.sin(t)], 1) + r.normal(0, 0.12, (m, 2))
            direction = np.where(self.ccw[ix], 1.0, -1.0)
            hx, hy = -ax * np.sin(t) * direction, ay * np.cos(t) * direction
            self.A[ix, _A["yaw"]] += np.degrees(np.arctan2(-hx, hy)) + r.normal(0, 8, m)
        else:
            self.pos[ix, 0] = np.clip(r.normal(0.04, 0.45, m), -0.95, 1.4)
            self.pos[ix, 1] = np.clip(r.normal(0.29, 0.65, m), -1.25, 2.0)
            facing = r.random(m) < 0.45
            self.A[ix, _A["yaw"]] = np.where(facing, r.normal(180, 22, m), r.uniform(-180, 180, m))

    def arms(self, ix, weights: dict, hang_first: bool = True):
        """Arm behaviours mixed with ``weights`` (``{behaviour: weight}``);
        one-armed behaviours pick a side (mostly the right) and leave the
        other arm hanging (or swinging, for walkers)."""
        if len(ix) == 0:
            return
        if hang_first:
            self.arms_hang(ix)
        names = list(weights)
        for name, part in zip(names, self.split(ix, [weights[k] for k in names])):
            if len(part):
                _ARM_BEHAVIOURS[name](self, part)

    # ---- whole-body families
    def standing(self, ix):
        self.trunk(ix)
        self.stand(ix)
        self.place(ix)

    def walking(self, ix, speed=(0.7, 1.2)):
        self.walk(ix, speed)
        self.place(ix, walking=True)

    def seated(self, ix):
        self.sit_chair(ix)
        self.place(ix)

    def on_floor(self, ix):
        self.sit_floor(ix)
        self.place(ix)

    def squatting(self, ix):
        self.crouch(ix)
        self.place(ix)

    def bending(self, ix):
        self.bend(ix)
        self.place(ix)

    def lunging(self, ix):
        self.trunk(ix)
        self.lunge(ix)
        self.place(ix)

    def sitting_down(self, ix):
        """Half-way between standing and sitting: hips and knees partly flexed,
        trunk forward, hands often on the knees."""
        r, m = self.r, len(ix)
        self.trunk(ix, pitch=(20, 12), chest=(20, 10))
        t = r.uniform(0.3, 1.0, m)
        for side in "rl":
            self.leg(ix, side, 75 * t + r.normal(0, 8, m), r.normal(6, 5, m), r.normal(0, 8, m),
                     95 * t + r.normal(0, 10, m))
        self.place(ix)


def _one_arm(action, other=None, p_right=0.75):
    """Behaviour: ``action`` with one arm, optionally ``other`` with the other one."""
    def apply(S: _PoseSampler, ix):
        right, left = S.sides(ix, p_right)
        for part, side, opp in ((right, "r", "l"), (left, "l", "r")):
            action(S, part, side)
            if other is not None:
                other(S, part, opp)
    return apply


def _both(action):
    def apply(S: _PoseSampler, ix):
        for side in "rl":
            action(S, ix, side)
    return apply


_reach = lambda where: (lambda S, ix, side: S.reach(ix, side, where))
_gesture = lambda S, ix, side: S.gesture(ix, side)


def _handshake(S, ix, side):
    r, m = S.r, len(ix)
    S.arm(ix, side, r.uniform(20, 55, m), r.uniform(5, 25, m), r.normal(20, 15, m), r.uniform(20, 70, m))


def _hug(S, ix, side):
    r, m = S.r, len(ix)
    S.arm(ix, side, r.uniform(40, 95, m), r.uniform(20, 60, m), r.normal(30, 20, m), r.uniform(20, 80, m))


def _leash(S, ix, side):
    r, m = S.r, len(ix)
    S.arm(ix, side, r.uniform(10, 50, m), r.uniform(5, 30, m), r.normal(25, 15, m), r.uniform(30, 90, m))


def _reach_down(S, ix, side):
    r, m = S.r, len(ix)
    lean = S.get(ix, "pitch") + S.get(ix, "chest_flex")
    S.arm(ix, side, -0.6 * lean + r.uniform(0, 60, m), r.uniform(5, 30, m), r.normal(20, 15, m), r.uniform(0, 40, m))


def _hold_hand(S, ix, side):
    r, m = S.r, len(ix)
    S.arm(ix, side, r.normal(5, 8, m), r.uniform(15, 35, m), r.normal(20, 15, m), r.uniform(5, 35, m))


_ARM_BEHAVIOURS = {
    "hang": lambda S, ix: None,
    "swing": lambda S, ix: None,
    "swing_bent": lambda S, ix: S.A.__setitem__(
        (ix[:, None], [_A["r_elbow"], _A["l_elbow"]]), S.r.uniform(60, 110, (len(ix), 2))),
    "gesture1": _one_arm(_gesture),
    "gesture2": _both(_gesture),
    "point": _one_arm(lambda S, ix, side: S.point(ix, side)),
    "point_talk": _one_arm(lambda S, ix, side: S.point(ix, side), _gesture),
    "raise1": _one_arm(lambda S, ix, side: S.raise_arm(ix, side)),
    "raise2": _both(lambda S, ix, side: S.raise_arm(ix, side)),
    "wave": _one_arm(_reach("wave")),
    "handshake": _one_arm(_handshake, p_right=0.9),
    "hug": _both(_hug),
    "mouth1": _one_arm(_reach("mouth")),
    "mouth_crossed": _one_arm(_reach("mouth"), _reach("crossed"), p_right=0.8),
    "eat": _one_arm(_reach("mouth"), _reach("table")),
    "table2": _both(_reach("table")),
    "phone": _one_arm(_reach("ear")),
    "phone_pocket": _one_arm(_reach("ear"), _reach("pocket")),
    "phone_gesture": _one_arm(_reach("ear"), _gesture),
    "phone_hip": _one_arm(_reach("ear"), _reach("hips")),
    "phone_crossed": _one_arm(_reach("ear"), _reach("crossed")),
    "photo": _both(_reach("face")),
    "chest1": _one_arm(_reach("chest"), p_right=0.8),
    "chest_crossed": _one_arm(_reach("chest"), _reach("crossed"), p_right=0.8),
    "chest2": _both(_reach("chest")),
    "crossed": _both(_reach("crossed")),
    "hips": _both(_reach("hips")),
    "hip1": _one_arm(_reach("hips"), _gesture),
    "back": _both(_reach("back")),
    "pocket": _both(_reach("pocket")),
    "clasp": _both(_reach("clasp")),
    "lap": _both(_reach("lap")),
    "knee": _both(_reach("knee")),
    "chin": _one_arm(_reach("mouth"), _reach("lap")),
    "head2": _both(_reach("head")),
    "floor2": _both(_reach("floor")),
    "floor1": _one_arm(_reach("floor"), _reach("knee")),
    "carry1": _one_arm(lambda S, ix, side: S.carry(ix, side)),
    "carry2": _both(lambda S, ix, side: S.carry(ix, side)),
    "leash": _one_arm(_leash, p_right=0.6),
    "reach_down": _one_arm(_reach_down, _reach_down, p_right=0.6),
    "hold_hand": _one_arm(_hold_hand, p_right=0.5),
}


def _bodies(S: _PoseSampler, ix, weights: dict) -> dict:
    """Split ``ix`` over whole-body families; returns ``{family: indices}``."""
    names = list(weights)
    parts = dict(zip(names, S.split(ix, [weights[k] for k in names])))
    for name, part in parts.items():
        if len(part):
            getattr(S, name)(part)
    return parts


def _directions(S, ix):
    b = _bodies(S, ix, {"standing": 0.75, "walking": 0.25})
    S.arms_hang(b["standing"], p_bent=0.6)
    S.arms(b["standing"], {"point": 0.2, "point_talk": 0.1, "gesture1": 0.2, "gesture2": 0.2, "clasp": 0.15,
                           "hang": 0.05, "hip1": 0.1}, hang_first=False)
    S.arms(b["walking"], {"swing": 0.5, "point": 0.3, "gesture1": 0.2}, hang_first=False)


def _discussion(S, ix):
    b = _bodies(S, ix, {"standing": 0.85, "walking": 0.15})
    S.arms(b["standing"], {"gesture2": 0.25, "gesture1": 0.2, "crossed": 0.1, "hips": 0.05, "hip1": 0.05,
                           "clasp": 0.1, "pocket": 0.05, "hang": 0.2})
    S.arms(b["walking"], {"swing": 0.3, "gesture1": 0.4, "gesture2": 0.3}, hang_first=False)


def _eating(S, ix):
    b = _bodies(S, ix, {"seated": 0.6, "standing": 0.4})
    S.N(b["seated"], "pitch", 0, 8)
    S.N(b["seated"], "chest_flex", 10, 8)
    S.arms(b["seated"], {"eat": 0.35, "table2": 0.4, "chin": 0.1, "lap": 0.15})
    S.arms(b["standing"], {"mouth1": 0.35, "chest2": 0.3, "eat": 0.2, "chest1": 0.15})


def _greeting(S, ix):
    b = _bodies(S, ix, {"standing": 0.6, "walking": 0.3, "bending": 0.1})
    S.arms(np.concatenate([b["standing"], b["bending"]]),
           {"wave": 0.3, "handshake": 0.25, "hug": 0.2, "gesture2": 0.15, "hang": 0.1})
    S.arms(b["walking"], {"swing": 0.4, "wave": 0.35, "handshake": 0.25}, hang_first=False)


def _phoning(S, ix):
    b = _bodies(S, ix, {"standing": 0.37, "walking": 0.15, "seated": 0.48})
    mix = {"phone": 0.25, "phone_pocket": 0.15, "phone_gesture": 0.15, "phone_hip": 0.1, "phone_crossed": 0.1,
           "chest1": 0.15, "chest2": 0.1}
    S.arms(b["standing"], mix)
    S.arms(b["walking"], {"phone": 0.7, "chest1": 0.3}, hang_first=False)
    S.arms(b["seated"], {**mix, "phone_pocket": 0.0, "phone_hip": 0.0})


def _photo(S, ix):
    b = _bodies(S, ix, {"standing": 0.6, "squatting": 0.18, "bending": 0.1, "walking": 0.12})
    knees_bent = S.split(b["standing"], [0.6, 0.4])[0]
    for side in "rl":
        S.A[knees_bent, _A[f"{side}_knee"]] = np.maximum(S.r.normal(32, 12, len(knees_bent)), 5)
    S.arms(np.concatenate([b["standing"], b["squatting"], b["bending"]]), {"photo": 0.55, "chest2": 0.3, "hang": 0.15})
    S.arms(b["walking"], {"swing": 0.3, "chest2": 0.4, "photo": 0.3}, hang_first=False)


def _posing(S, ix):
    _bodies(S, ix, {"standing": 0.75, "lunging": 0.15, "squatting": 0.04, "seated": 0.04, "on_floor": 0.02})
    S.arms_hang(ix, p_bent=0.2)
    S.arms(ix, {"hips": 0.12, "hip1": 0.08, "raise2": 0.08, "raise1": 0.1, "head2": 0.07, "gesture2": 0.08,
                "point": 0.1, "crossed": 0.07, "clasp": 0.05, "hang": 0.25}, hang_first=False)


def _purchases(S, ix):
    b = _bodies(S, ix, {"walking": 0.4, "standing": 0.3, "bending": 0.3})
    S.arms(b["walking"], {"carry1": 0.35, "carry2": 0.2, "swing": 0.3, "chest2": 0.15}, hang_first=False)
    S.arms(b["standing"], {"chest2": 0.35, "carry2": 0.2, "gesture1": 0.2, "hang": 0.25})
    S.arms(b["bending"], {"reach_down": 0.7, "hang": 0.3})


def _sitting(S, ix):
    b = _bodies(S, ix, {"seated": 0.95, "standing": 0.05})
    S.arms(ix, {"lap": 0.25, "knee": 0.15, "crossed": 0.1, "table2": 0.1, "gesture1": 0.15,
                "chin": 0.1, "head2": 0.05, "phone": 0.05, "hang": 0.05})


def _sitting_down(S, ix):
    b = _bodies(S, ix, {"on_floor": 0.9, "sitting_down": 0.08, "standing": 0.02})
    S.arms(b["on_floor"], {"floor2": 0.25, "floor1": 0.15, "knee": 0.2, "lap": 0.15, "hang": 0.1, "crossed": 0.05,
                           "gesture1": 0.1})
    S.arms(b["sitting_down"], {"knee": 0.6, "floor1": 0.2, "hang": 0.2})
    S.arms(b["standing"], {"gesture1": 0.5, "hang": 0.5})


def _smoking(S, ix):
    b = _bodies(S, ix, {"standing": 0.47, "seated": 0.45, "walking": 0.08})
    mix = {"mouth1": 0.15, "mouth_crossed": 0.2, "chest1": 0.2, "chest_crossed": 0.2, "gesture1": 0.1,
           "hang": 0.15}
    S.arms(b["standing"], mix)
    S.arms(b["seated"], mix)
    S.arms(b["walking"], {"swing": 0.3, "chest1": 0.4, "mouth1": 0.3}, hang_first=False)


def _waiting(S, ix):
    _bodies(S, ix, {"standing": 0.93, "bending": 0.07})
    S.arms(ix, {"clasp": 0.2, "back": 0.15, "crossed": 0.15, "hips": 0.1, "pocket": 0.1, "hang": 0.15,
                "gesture1": 0.1, "head2": 0.05})


def _walk_dog(S, ix):
    walking, bending, squatting = S.split(ix, [0.65, 0.25, 0.1])
    S.walking(walking, speed=(0.5, 1.0))
    S.bending(bending)
    S.squatting(squatting)
    bending = np.concatenate([bending, squatting])
    S.arms(walking, {"leash": 0.6, "chest2": 0.2, "swing": 0.2}, hang_first=False)
    S.arms(bending, {"reach_down": 0.6, "leash": 0.4})


def _walking(S, ix):
    b = _bodies(S, ix, {"walking": 1.0})
    S.arms(b["walking"], {"swing": 0.6, "swing_bent": 0.2, "pocket": 0.05, "crossed": 0.05, "back": 0.05,
                          "gesture1": 0.05}, hang_first=False)


def _walk_together(S, ix):
    S.walking(ix, speed=(0.5, 0.95))
    S.arms(ix, {"swing": 0.3, "swing_bent": 0.15, "hold_hand": 0.3, "gesture1": 0.1, "pocket": 0.05,
                "back": 0.1}, hang_first=False)


_ACTION_FAMILIES = {
    "Directions": _directions, "Discussion": _discussion, "Eating": _eating, "Greeting": _greeting,
    "Phoning": _phoning, "Photo": _photo, "Posing": _posing, "Purchases": _purchases, "Sitting": _sitting,
    "SittingDown": _sitting_down, "Smoking": _smoking, "Waiting": _waiting, "WalkDog": _walk_dog,
    "Walking": _walking, "WalkTogether": _walk_together,
}


# --------------------------------------------------------------------------- optional fitted prior
#: Where :func:`load_pose_prior` looks by default (written by
#: ``python -m semgcn.data.fit_pose_prior``; chapter 1).
POSE_PRIOR_FILE = Path(__file__).with_name("pose_prior.npz")
#: Generator styles of :func:`generate_poses` (chapter 1): hand-made action
#: families, the fitted angle prior, or half of each.
STYLES = ("families", "prior", "mixed")
_WALKING_ACTIONS = ("Walking", "WalkDog", "WalkTogether")


@functools.lru_cache(maxsize=4)
def _read_prior(path: str):
    if not Path(path).exists():
        return None
    with np.load(path, allow_pickle=False) as z:
        prior = {k: z[k] for k in z.files}
    if list(prior["angle_names"]) != list(ANGLE_NAMES[1:]) or list(prior["actions"]) != list(ACTIONS):
        raise ValueError(f"{path}: pose prior was fitted for other angle or action names")
    return prior


def load_pose_prior(path=None):
    """The optional joint-angle prior (chapter 1), or ``None`` when the file is absent.

    One Gaussian mixture per action over the 24 body angles (all of
    :data:`ANGLE_NAMES` but ``yaw``, radians), fitted by
    :mod:`semgcn.data.fit_pose_prior` on the Human3.6M *training* subjects
    only.  Returns ``{"weights" (15, K), "means" (15, K, 24), "chol" (15, K, 24, 24),
    ...}``; no real pose is stored in it.
    """
    return _read_prior(str(Path(path) if path is not None else POSE_PRIOR_FILE))


# --------------------------------------------------------------------------- public generator
def _names_to_indices(names, known: Sequence[str], what: str) -> np.ndarray:
    if names is None:
        return np.arange(len(known))
    if isinstance(names, str):
        names = [names]
    out = []
    for name in names:
        if isinstance(name, (int, np.integer)) and 0 <= name < len(known):
            out.append(int(name))
        elif name in known:
            out.append(known.index(name))
        else:
            raise ValueError(f"unknown {what} {name!r}; known: {', '.join(known)}")
    if not out:
        raise ValueError(f"no {what} selected")
    return np.array(sorted(set(out)))


def _balanced(rng: np.random.Generator, choices: np.ndarray, n: int) -> np.ndarray:
    """``n`` labels cycling through ``choices`` (equal counts ±1), shuffled."""
    return rng.permutation(choices[np.arange(n) % len(choices)])


def generate_poses(n: int, seed=0, subjects=None, actions=None, style: str = "families") -> dict:
    """Generate ``n`` synthetic 3D poses in the Human3.6M world frame (chapter 1).

    Each pose gets a virtual subject (equal shares of ``subjects``, default
    all of :data:`VIRTUAL_SUBJECTS`) and an action (equal shares of
    ``actions``, default all 15 :data:`ACTIONS`); the action's parametric
    family draws joint angles (walking: a gait-cycle phase with arm swing;
    sitting: hips and knees flexed on a chair; phoning: a hand at the ear via
    two-bone inverse kinematics; ...), all clipped to :data:`JOINT_LIMITS`.
    The body is then turned (yaw, small tilts) and put on the floor of the
    capture volume: standing people mostly face the cameras on the -y side,
    walkers follow an ellipse around the origin.

    Args:
        n: number of poses.
        seed: anything :func:`numpy.random.default_rng` accepts; the same seed
            (and arguments) gives the same poses.
        subjects: names (``"V1"``..) or indices of virtual subjects, or ``None``.
        actions: action names or indices, or ``None`` for all 15.
        style: ``"families"`` (default: the hand-made parametric action
            families described above), ``"prior"`` (body angles drawn from
            the fitted per-action mixture of :func:`load_pose_prior`, same
            virtual bodies, headings and floor placement) or ``"mixed"``
            (each pose from either, with equal probability).

    Returns:
        dict of numpy arrays:
        ``positions_world`` ``(n, 16, 3)`` float64 metres (z up, floor z = 0);
        ``subject`` ``(n,)`` int64 index into ``subject_names`` (all 7 names);
        ``action`` ``(n,)`` int64 index into ``action_names`` (all 15);
        ``angles`` ``(n, 25)`` float64 radians (:data:`ANGLE_NAMES`, before
        the floor placement; ``yaw`` includes the heading);
        ``host`` ``(n,)`` str, the Human3.6M subject whose cameras film the pose;
        plus ``subject_names``, ``action_names``, ``angle_names`` (lists).

    100,000 poses take one to three seconds on a small CPU (vectorised numpy,
    no per-pose Python loop).
    """
    n = int(n)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; use one of {', '.join(STYLES)}")
    prior = load_pose_prior() if style != "families" else None
    if style != "families" and prior is None:
        raise ValueError(f"style {style!r} needs the fitted pose prior {POSE_PRIOR_FILE}; "
                         "create it with `python -m semgcn.data.fit_pose_prior --data DIR`")
    rng = np.random.default_rng(seed)
    subj_ids = _names_to_indices(subjects, [s.name for s in VIRTUAL_SUBJECTS], "virtual subject")
    act_ids = _names_to_indices(actions, list(ACTIONS), "action")
    subject = _balanced(rng, subj_ids, n)
    action = _balanced(rng, act_ids, n)
    body = np.stack([s.as_array() for s in VIRTUAL_SUBJECTS])[subject] if n else np.zeros((0, len(_BODY_FIELDS)))
    S = _PoseSampler(rng, body)
    use_prior = np.full(n, style == "prior") if style != "mixed" else rng.random(n) < 0.5
    for a in act_ids:
        ix = np.flatnonzero((action == a) & ~use_prior)
        if len(ix):
            _ACTION_FAMILIES[ACTIONS[a]](S, ix)
        ix = np.flatnonzero((action == a) & use_prior)
        if len(ix):
            S.from_prior(ix, int(a), prior)
    angles = np.radians(S.A)
    angles[:, 0] = np.angle(np.exp(1j * angles[:, 0]))  # yaw in (-pi, pi]
    angles[:, 1:] = np.clip(angles[:, 1:], _LO[1:], _HI[1:])
    P = forward_kinematics(angles, body)
    lift = (S.clear - P[..., 2]).max(axis=1)
    P[..., 0] += S.pos[:, None, 0]
    P[..., 1] += S.pos[:, None, 1]
    P[..., 2] += lift[:, None]
    return {
        "positions_world": P,
        "subject": subject.astype(np.int64),
        "action": action.astype(np.int64),
        "angles": angles,
        "host": np.array([s.host for s in VIRTUAL_SUBJECTS], dtype=object)[subject],
        "subject_names": [s.name for s in VIRTUAL_SUBJECTS],
        "action_names": list(ACTIONS),
        "angle_names": list(ANGLE_NAMES),
    }


def project_poses(positions_world: np.ndarray, host, camera, camera_file=None) -> dict:
    """Film world poses with the Human3.6M cameras, as the real pipeline does (chapter 1).

    Args:
        positions_world: ``(n, 16, 3)`` metres, Human3.6M world frame.
        host: a Human3.6M subject name (``"S1"``) or an ``(n,)`` array of them:
            whose calibrated extrinsics to use for each pose.
        camera: an int or ``(n,)`` int array, camera index 0..3 per pose.
        camera_file: camera json (default: the one shipped with the package).

    Returns:
        dict of numpy arrays with the dtype of ``positions_world``:
        ``positions_camera`` ``(n, 16, 3)`` metres (camera frame, z forward);
        ``pixels`` ``(n, 16, 2)`` with the Human3.6M distortion model;
        ``inputs`` ``(n, 16, 2)`` normalised screen coordinates
        (``u / res_w * 2 - [1, res_h / res_w]``);
        ``targets`` ``(n, 16, 3)`` root-relative camera coordinates (metres,
        joint 0 exactly zero).
    """
    from .camera import load_cameras, normalize_screen_coordinates, project_to_2d, world_to_camera

    P = np.asarray(positions_world)
    n = P.shape[0]
    cams = load_cameras(camera_file)
    hosts = np.broadcast_to(np.asarray(host, dtype=object), (n,))
    cam = np.broadcast_to(np.asarray(camera, dtype=np.int64), (n,))
    if n and (cam.min() < 0 or cam.max() > 3):
        raise ValueError("camera indices must be in 0..3")
    q, t, intr = np.zeros((n, 4)), np.zeros((n, 3)), np.zeros((n, 11))
    for h in set(hosts.tolist()):
        if h not in cams:
            raise ValueError(f"no camera extrinsics for host subject {h!r}; known: {sorted(cams)}")
        table_q = np.array([c.orientation for c in cams[h]])
        table_t = np.array([c.translation for c in cams[h]])
        table_i = np.stack([c.intrinsics() for c in cams[h]])
        m = hosts == h
        q[m], t[m], intr[m] = table_q[cam[m]], table_t[cam[m]], table_i[cam[m]]
    Xc = world_to_camera(P, q[:, None], t[:, None])
    px = project_to_2d(Xc, intr[:, None])
    inputs = normalize_screen_coordinates(px, intr[:, None, 9:10], intr[:, None, 10:11])
    return {"positions_camera": Xc, "pixels": px, "inputs": inputs, "targets": Xc - Xc[:, :1]}


def _synthetic_splits(num_train: int, num_val: int, num_test: int, seed, train_subjects, test_subjects,
                      style: str = "families") -> dict:
    """The numpy arrays behind :func:`synthetic_pose_data`: ``{"train", "val",
    "test"}`` each a dict of :func:`generate_poses` plus :func:`project_poses`
    outputs and ``camera``."""
    for k, v in (("num_train", num_train), ("num_val", num_val), ("num_test", num_test)):
        if int(v) < 0:
            raise ValueError(f"{k} must be >= 0, got {v}")
    num_train, num_val, num_test = int(num_train), int(num_val), int(num_test)
    train_seed, test_seed, cam_seed = np.random.SeedSequence(seed).spawn(3)
    trainval = generate_poses(num_train + num_val, seed=train_seed, subjects=train_subjects, style=style)
    test = generate_poses(num_test, seed=test_seed, subjects=test_subjects, style=style)
    cam_rng = np.random.default_rng(cam_seed)
    out = {}
    for name, poses, sl in (("train", trainval, slice(0, num_train)),
                            ("val", trainval, slice(num_train, num_train + num_val)),
                            ("test", test, slice(0, num_test))):
        part = {k: (v[sl] if isinstance(v, np.ndarray) else v) for k, v in poses.items()}
        part["camera"] = cam_rng.integers(0, 4, len(part["action"]))
        part.update(project_poses(part["positions_world"], part["host"], part["camera"]))
        out[name] = part
    return out


def _to_split(part: dict, device) -> PoseSplit:
    targets = part["targets"].astype(np.float32)
    targets[:, 0] = 0.0
    as_long = lambda a: torch.as_tensor(np.asarray(a, dtype=np.int64), device=device)
    return PoseSplit(inputs=torch.as_tensor(part["inputs"].astype(np.float32), device=device),
                     targets=torch.as_tensor(targets, device=device),
                     action=as_long(part["action"]), subject=as_long(part["subject"]), camera=as_long(part["camera"]),
                     action_names=list(part["action_names"]), subject_names=list(part["subject_names"]))


def synthetic_pose_data(num_train: int = DEFAULT_NUM_TRAIN, num_val: int = DEFAULT_NUM_VAL,
                        num_test: int = DEFAULT_NUM_TEST, seed: int = 0, device="cpu",
                        train_subjects: Sequence[str] = TRAIN_SUBJECTS,
                        test_subjects: Sequence[str] = TEST_SUBJECTS, style: str = "mixed") -> PoseData:
    """The embedded default data set: synthetic 2D-3D pairs (chapter 1).

    Train and validation poses come from the train virtual subjects
    (``V1``-``V5``; different random poses, hence disjoint), test poses from
    the test subjects (``V6``, ``V7``).  Every pose is filmed by one of the
    four cameras of its host Human3.6M subject, chosen at random, so
    ``num_train`` is also the number of training pairs.  Actions are in equal
    shares.  Defaults (50,000 / 5,000 / 10,000) give a meaningful SemGCN
    training run on a CPU in a notebook and take a few seconds to build.
    ``style`` is that of :func:`generate_poses`; the default ``"mixed"``
    (half hand-made action families, half the fitted angle prior) transfers
    best to real Human3.6M test subjects (see chapter 1); ``"families"``
    needs no prior file.

    Returns:
        :class:`~semgcn.data.dataset.PoseData` whose splits hold ``inputs``
        ``(N, 16, 2)`` float32 normalised screen coordinates, ``targets``
        ``(N, 16, 3)`` float32 root-relative camera coordinates in metres,
        ``action``/``subject``/``camera`` int64, on ``device``; ``source``
        says ``"synthetic poses (seed S, ...)"`` and ``meta`` records the
        settings.
    """
    sizes = {"num_train": num_train, "num_val": num_val, "num_test": num_test}
    splits = _synthetic_splits(seed=seed, train_subjects=train_subjects, test_subjects=test_subjects, style=style,
                               **sizes)
    train_split, val_split, test_split = (_to_split(splits[k], device) for k in ("train", "val", "test"))
    source = (f"synthetic poses (seed {seed}, style {style}, train/val subjects {','.join(train_subjects)}, "
              f"test subjects {','.join(test_subjects)}, {len(ACTIONS)} actions, one random camera per pose)")
    meta = {"generator": "semgcn.data.synthetic", "seed": seed, "style": style,
            **{k: int(v) for k, v in sizes.items()},
            "train_subjects": list(train_subjects), "test_subjects": list(test_subjects)}
    return PoseData(train=train_split, val=val_split, test=test_split, source=source, meta=meta)


def depth_ambiguity_pair(pose, camera=None, flip: Sequence[int] = (2, 3, 5, 6, 11, 12, 14, 15),
                         parents: Sequence[int] = H36M_PARENTS):
    """Two different 3D poses that one camera sees (almost) identically (chapter 1).

    Each joint lies somewhere on the camera ray through its image point.
    Walking down the kinematic tree, every joint ``j`` in ``flip`` is moved
    to the *other* intersection of its ray with the sphere of radius
    ``|bone|`` around its (possibly moved) parent: the bone is reflected in
    depth, the classic ambiguity of lifting 2D to 3D.  Other joints keep the
    intersection on their original side.  Bone lengths are preserved
    exactly; the image is unchanged except where a ray misses a sphere (then
    the nearest point on the sphere is taken and the image moves slightly).
    Because the Human3.6M distortion depends on ``X/Z, Y/Z`` only, equal rays
    mean equal distorted pixels too.

    Args:
        pose: ``(16, 3)`` or ``(n, 16, 3)`` metres: world coordinates when
            ``camera`` (a :class:`~semgcn.data.camera.Camera` with extrinsics)
            is given, otherwise camera coordinates (``Z > 0``).
        camera: the camera, or ``None``.
        flip: joints whose bone to their parent is reflected (default: knees,
            ankles, elbows, wrists).
        parents: parent of every joint (default: the Human3.6M skeleton).

    Returns:
        ``(original, alternative)``, both in camera coordinates, same shape as ``pose``.
    """
    P = np.asarray(pose, dtype=np.float64)
    single = P.ndim == 2
    if single:
        P = P[None]
    if camera is not None:
        P = np.asarray(camera.world_to_camera(P), dtype=np.float64)
    if (P[..., 2] <= 0).any():
        raise ValueError("all joints must be in front of the camera (Z > 0)")
    flip = set(int(j) for j in flip)
    Q = P.copy()
    for j, p in enumerate(parents):
        if p < 0:
            continue
        ray = _unit(P[:, j])
        length = np.linalg.norm(P[:, j] - P[:, p], axis=-1)
        b = (ray * Q[:, p]).sum(-1)
        c = (Q[:, p] ** 2).sum(-1) - length ** 2
        disc = b ** 2 - c
        side = np.sign((ray * (P[:, j] - P[:, p])).sum(-1))  # original side along the ray
        side = np.where(side == 0, 1.0, side) * (-1.0 if j in flip else 1.0)
        lam = b + side * np.sqrt(np.maximum(disc, 0.0))
        point = lam[:, None] * ray
        # a ray that misses the sphere: nearest point of the sphere instead
        point = np.where((disc < 0)[:, None], Q[:, p] + length[:, None] * _unit(point - Q[:, p]), point)
        Q[:, j] = point
    return (P[0], Q[0]) if single else (P, Q)
