"""Human3.6M: reading the community files, ground-truth 2D, the protocol splits.

Explained in chapter 1, *Human pose as a graph* (camera model, 16-joint
skeleton) and chapter 7 (the full-data experiments).

Human3.6M is licensed for non-commercial research and may not be
redistributed, so the package never ships it: point :func:`find_h36m` at a
directory holding the files (argument ``path`` or environment variable
``SEMGCN_H36M``).  The on-disk layout is the community standard
("VideoPose3D" ``.npz`` files):

``data_3d_h36m.npz``
    key ``positions_3d``: ``dict[subject][sequence] -> float32 (T, 32, 3)``,
    world coordinates in metres, 50 fps, the 32 raw Human3.6M joints.
``data_2d_h36m_<name>.npz``
    key ``positions_2d``: ``dict[subject][sequence] -> list of 4 float32 (T, J, 2)``
    pixel arrays (one per camera, in the order of ``h36m_cameras.json``), key
    ``metadata``: ``{'num_joints': J, 'keypoints_symmetry': [left, right]}``.
    ``<name>`` is ``gt`` for the ground-truth projection (written by
    :func:`prepare_gt_2d`) or a detector, e.g. ``sh_pt_mpii`` (Stacked
    Hourglass pre-trained on MPII) or ``cpn_ft_h36m_dbb``.

The raw per-subject archive (``<root>/S*/MyPoses/3D_positions/<Sequence>.h5``)
is read by :func:`load_h36m_archive`.  Every file goes through
:func:`semgcn.data.safe_load.load_npz`, which refuses pickles that would run code.

The protocol: train on S1, S5, S6, S7, S8, test on S9, S11; a sequence's
action is the first word of its name (``"Walking 1" -> "Walking"``); inputs
are 16 2D joints in normalised screen coordinates; targets are the 16 3D
joints in camera coordinates (metres), relative to the hip.  Each frame is
seen by 4 cameras, so each frame gives 4 poses.
"""
from __future__ import annotations

import os
import re
import time
import warnings
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch

from ..graph import H36M_JOINT_NAMES, H36M_KEEP_32, H36M_LEFT, H36M_RIGHT
from .camera import Camera, NUM_CAMERAS, load_cameras, normalize_screen_coordinates, project_to_2d, world_to_camera
from .dataset import PoseData, PoseSplit
from .safe_load import MissingKeyError, load_npz

__all__ = [
    "TRAIN_SUBJECTS", "TEST_SUBJECTS", "SUBJECTS", "ACTIONS", "ENV_VAR", "FILE_3D", "VAL_EVERY",
    "H36M17_JOINT_NAMES", "H36M17_NOSE", "KEYPOINTS_SYMMETRY",
    "H36MFormatError", "find_h36m", "file_2d", "canonical_action", "canonical_sequence",
    "reduce_to_16", "load_positions_3d", "load_h36m_archive", "load_keypoints_2d", "compute_gt_2d",
    "prepare_gt_2d", "select_sequences", "split_validation", "h36m_pose_data",
]

TRAIN_SUBJECTS = ("S1", "S5", "S6", "S7", "S8")
TEST_SUBJECTS = ("S9", "S11")
SUBJECTS = TRAIN_SUBJECTS + TEST_SUBJECTS
#: The 15 actions, in the order of the literature's per-action tables.
ACTIONS = ("Directions", "Discussion", "Eating", "Greeting", "Phoning", "Photo", "Posing", "Purchases",
           "Sitting", "SittingDown", "Smoking", "Waiting", "WalkDog", "Walking", "WalkTogether")
# Spellings found in the raw release and its re-packagings ("TakingPhoto 1.h5", "WalkingDog.h5").
_ACTION_ALIASES = {**{a.lower(): a for a in ACTIONS}, "takingphoto": "Photo", "walkingdog": "WalkDog",
                   "walkingtogether": "WalkTogether"}
ENV_VAR = "SEMGCN_H36M"
FILE_3D = "data_3d_h36m.npz"
#: With ``val='sequences'``, every ``VAL_EVERY``-th training sequence (sorted) is held out.
VAL_EVERY = 10
#: The 17-joint order of CPN-style files (VideoPose3D); SemGCN's 16 joints drop the nose.
H36M17_JOINT_NAMES = ("Hip", "RHip", "RKnee", "RFoot", "LHip", "LKnee", "LFoot", "Spine", "Thorax", "Nose",
                      "Head", "LShoulder", "LElbow", "LWrist", "RShoulder", "RElbow", "RWrist")
H36M17_NOSE = 9
#: ``metadata['keypoints_symmetry']`` of a well-ordered file, by number of joints.
KEYPOINTS_SYMMETRY = {
    16: [list(H36M_LEFT), list(H36M_RIGHT)],
    17: [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]],
}
_KEEP_17 = tuple(j for j in range(17) if j != H36M17_NOSE)
# S11 "Directions" has a corrupted video in the original release; the standard files drop it.
_CORRUPTED = {("S11", "Directions")}


class H36MFormatError(ValueError):
    """A Human3.6M file does not have the expected layout (the message names file, key and shape)."""


def _load_npz(path, keys, optional=()):
    """:func:`load_npz` of just the members a loader needs; a missing one is a format error."""
    try:
        return load_npz(path, keys=keys, optional=optional)
    except MissingKeyError as err:
        raise H36MFormatError(str(err)) from None


# --------------------------------------------------------------------------- names and paths
def find_h36m(path: str | os.PathLike | None = None) -> Path:
    """The directory holding ``data_3d_h36m.npz``.

    ``path`` (a directory, or the ``data_3d_h36m.npz`` file itself) wins over
    the environment variable ``SEMGCN_H36M``.  Raises ``FileNotFoundError``
    explaining how to provide the data when neither points at the files.
    """
    how = (f"Human3.6M is licensed and not shipped with semgcn: pass path='/dir/with/{FILE_3D}' "
           f"or set the environment variable {ENV_VAR}=/dir/with/{FILE_3D}")
    given = path if path is not None else os.environ.get(ENV_VAR)
    if not given:
        raise FileNotFoundError(f"no Human3.6M directory given. {how}")
    root = Path(given).expanduser()
    if root.is_file() and root.name == FILE_3D:
        root = root.parent
    if not (root / FILE_3D).is_file():
        origin = "path" if path is not None else ENV_VAR
        raise FileNotFoundError(f"{root} (from {origin}) holds no {FILE_3D}. {how}")
    return root


def file_2d(name: str) -> str:
    """File name of a 2D keypoint set: ``file_2d('sh_pt_mpii') == 'data_2d_h36m_sh_pt_mpii.npz'``."""
    return f"data_2d_h36m_{name}.npz"


def canonical_action(sequence: str) -> str:
    """The action of a sequence name: its first word, spelled as in :data:`ACTIONS`.

    >>> canonical_action("WalkingDog 1"), canonical_action("TakingPhoto"), canonical_action("Walking 2")
    ('WalkDog', 'Photo', 'Walking')
    """
    first = re.split(r"[\s_.]+", sequence.strip(), maxsplit=1)[0]
    try:
        return _ACTION_ALIASES[first.lower()]
    except KeyError:
        raise ValueError(f"unknown Human3.6M action {first!r} in sequence name {sequence!r}; "
                         f"known actions: {', '.join(ACTIONS)}") from None


def canonical_sequence(sequence: str) -> str:
    """A sequence name with its action spelled canonically: ``"TakingPhoto 1" -> "Photo 1"``."""
    parts = re.split(r"[\s_]+", sequence.strip(), maxsplit=1)
    return " ".join([canonical_action(sequence)] + parts[1:])


def _canonical_actions(actions) -> tuple | None:
    if actions is None:
        return None
    if isinstance(actions, str):
        actions = [actions]
    out = []
    for a in actions:
        try:
            out.append(_ACTION_ALIASES[str(a).lower()])
        except KeyError:
            raise ValueError(f"unknown action {a!r} in actions=; use any of {', '.join(ACTIONS)}") from None
    if not out:
        raise ValueError("actions= is empty; pass None for all 15 actions")
    return tuple(dict.fromkeys(out))


def _subject_key(subject: str) -> tuple:
    m = re.fullmatch(r"S(\d+)", subject)
    return (int(m.group(1)), subject) if m else (10 ** 9, subject)


def reduce_to_16(x):
    """Keep the 16 SemGCN joints (:data:`semgcn.graph.H36M_KEEP_32`) of ``(..., 32, C)`` poses.

    Works on numpy arrays and torch tensors; ``(..., 17, C)`` inputs in the
    H36M-17 order (see :data:`H36M17_JOINT_NAMES`) lose the nose instead.
    """
    joints = x.shape[-2] if x.ndim >= 2 else None
    if joints == 32:
        keep = H36M_KEEP_32
    elif joints == 17:
        keep = _KEEP_17
    else:
        raise ValueError(f"reduce_to_16: expected poses of shape (..., 32, C) or (..., 17, C), got {tuple(x.shape)}")
    return x[..., list(keep), :]


# --------------------------------------------------------------------------- 3D poses
def _check_subject(subject, source: str, key: str, known: Iterable[str]) -> None:
    known = sorted(known, key=_subject_key)
    if not isinstance(subject, str) or subject not in known:
        raise H36MFormatError(f"{source}: key {key!r} holds unknown subject {subject!r} "
                              f"(subjects with camera calibration: {', '.join(known)})")


def _subjects_in_order(obj: dict) -> list:
    return sorted(obj, key=lambda s: _subject_key(str(s)))


def _walk_sequences(obj: dict, source: str, name: str, known_subjects: Iterable[str]):
    """Yield ``(subject, sequence, key, value)`` of a ``dict[subject][sequence]``
    file entry, subjects in numeric order, after checking each subject is known
    and holds a dict (``key`` names the entry in error messages)."""
    known_subjects = list(known_subjects)
    for subject in _subjects_in_order(obj):
        _check_subject(subject, source, name, known_subjects)
        seqs = obj[subject]
        if not isinstance(seqs, dict):
            raise H36MFormatError(f"{source}: {name}[{subject!r}] must be a dict of sequences, "
                                  f"got {type(seqs).__name__}")
        for seq in sorted(seqs):
            yield subject, seq, f"{name}[{subject!r}][{seq!r}]", seqs[seq]


#: Largest coordinate accepted: Human3.6M's capture volume spans a few metres, its images 1000 pixels.
_MAX_WORLD_METRES = 100.0
_MAX_PIXELS = 100_000.0


def _finite_coordinates(arr: np.ndarray, where: str, limit: float, unit: str) -> np.ndarray:
    """``arr`` as float32 after checking it holds floating-point, finite coordinates within ``limit``."""
    if arr.dtype.kind != "f":
        raise H36MFormatError(f"{where} must hold floating-point coordinates, got dtype {arr.dtype}")
    arr = arr.astype(np.float32, copy=False)
    if not np.isfinite(arr).all():
        raise H36MFormatError(f"{where} of shape {arr.shape} holds NaN or infinite values")
    if arr.size and float(np.abs(arr).max()) > limit:
        raise H36MFormatError(f"{where} holds coordinates up to {float(np.abs(arr).max()):.3g} {unit}, beyond "
                              f"{limit:g} {unit}: not Human3.6M data in these units")
    return arr


def _validate_positions_3d(obj, source: str, known_subjects: Iterable[str]) -> dict:
    """Check a ``dict[subject][sequence] -> (T, 32, 3)`` structure; float32, canonical names."""
    if not isinstance(obj, dict) or not obj:
        raise H36MFormatError(f"{source}: key 'positions_3d' must hold a non-empty dict[subject][sequence] -> "
                              f"(T, 32, 3) array, got {type(obj).__name__}")
    out = {subject: {} for subject in _subjects_in_order(obj)}
    for subject, seq, key, arr in _walk_sequences(obj, source, "positions_3d", known_subjects):
        name = canonical_sequence(str(seq))
        if name in out[subject]:
            raise H36MFormatError(f"{source}: {key} duplicates sequence {name!r} after canonical naming")
        if not isinstance(arr, np.ndarray) or arr.ndim != 3 or arr.shape[1:] != (32, 3) or arr.shape[0] == 0:
            shape = getattr(arr, "shape", type(arr).__name__)
            raise H36MFormatError(f"{source}: {key} must be a (T, 32, 3) array with T > 0, got {shape}")
        out[subject][name] = _finite_coordinates(arr, f"{source}: {key}", _MAX_WORLD_METRES, "m")
    return out


def load_positions_3d(path: str | os.PathLike) -> dict[str, dict[str, np.ndarray]]:
    """Read and validate ``data_3d_h36m.npz`` (a file, or a directory holding it).

    Returns ``{subject: {sequence: float32 (T, 32, 3)}}`` in metres, world
    coordinates, with subjects sorted numerically and sequence names canonical.
    """
    path = Path(path)
    if path.is_dir():
        path = path / FILE_3D
    data = _load_npz(path, ["positions_3d"])
    return _validate_positions_3d(data["positions_3d"], str(path), load_cameras())


def load_h36m_archive(root: str | os.PathLike, subjects: Sequence[str] | None = None,
                      drop_corrupted: bool = True) -> dict[str, dict[str, np.ndarray]]:
    """Read the per-subject HDF5 layout ``<root>/S*/MyPoses/3D_positions/<Sequence>.h5``.

    Each file holds a dataset ``3D_positions`` of shape ``(96, T)`` in
    millimetres.  The 96 rows are joint-major: rows ``3j, 3j+1, 3j+2`` are
    ``x, y, z`` of joint ``j`` (32 joints), so the array is reshaped to
    ``(32, 3, T)``, transposed to ``(T, 32, 3)`` and divided by 1000.

    Missing takes and missing subject folders are tolerated (only what exists
    is returned); files whose action is unknown are skipped with a warning;
    S11 ``Directions`` is dropped like in the standard files unless
    ``drop_corrupted=False``.  Returns the structure of :func:`load_positions_3d`.
    Needs ``h5py`` (``pip install h5py`` or ``pip install semgcn[h5]``).
    """
    try:
        import h5py
    except ImportError as err:
        raise ImportError("reading the Human3.6M HDF5 archive needs h5py: pip install h5py") from err
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such directory (expected <root>/S*/MyPoses/3D_positions/*.h5)")
    if subjects is None:
        subjects = sorted((p.name for p in root.iterdir() if re.fullmatch(r"S\d+", p.name)), key=_subject_key)
    raw: dict[str, dict[str, np.ndarray]] = {}
    for subject in subjects:
        folder = root / subject / "MyPoses" / "3D_positions"
        if not folder.is_dir():
            continue
        for f in sorted(folder.glob("*.h5")):
            try:
                name = canonical_sequence(f.stem)
            except ValueError as err:
                warnings.warn(f"{f}: skipped ({err})", stacklevel=2)
                continue
            if drop_corrupted and (subject, name) in _CORRUPTED:
                continue
            with h5py.File(f, "r") as h5:
                if "3D_positions" not in h5:
                    raise H36MFormatError(f"{f}: missing dataset '3D_positions' (found {sorted(h5.keys())})")
                a = np.asarray(h5["3D_positions"][()], dtype=np.float64)
            if a.ndim != 2 or a.shape[0] != 96 or a.shape[1] == 0:
                raise H36MFormatError(f"{f}: dataset '3D_positions' must have shape (96, T) "
                                      f"(32 joints x 3 coordinates, millimetres), got {a.shape}")
            if name in raw.setdefault(subject, {}):
                raise H36MFormatError(f"{f}: sequence {name!r} of {subject} appears twice in {folder}")
            raw[subject][name] = (a.reshape(32, 3, -1).transpose(2, 0, 1) / 1000.0).astype(np.float32)
    if not raw:
        raise FileNotFoundError(f"{root}: found no <subject>/MyPoses/3D_positions/*.h5 files")
    return _validate_positions_3d(raw, str(root), load_cameras())


# --------------------------------------------------------------------------- 2D keypoints
def _validate_keypoints(obj, source: str, known_subjects: Iterable[str]) -> tuple[dict, int]:
    if not isinstance(obj, dict) or not obj:
        raise H36MFormatError(f"{source}: key 'positions_2d' must hold a non-empty dict[subject][sequence] -> "
                              f"list of {NUM_CAMERAS} (T, J, 2) arrays, got {type(obj).__name__}")
    joints = None
    out = {subject: {} for subject in _subjects_in_order(obj)}
    for subject, seq, key, views in _walk_sequences(obj, source, "positions_2d", known_subjects):
        if not isinstance(views, (list, tuple)) or len(views) != NUM_CAMERAS:
            raise H36MFormatError(f"{source}: {key} must be a list of {NUM_CAMERAS} camera arrays, got "
                                  f"{type(views).__name__} of length {len(views) if hasattr(views, '__len__') else '?'}")
        arrays = []
        for c, arr in enumerate(views):
            if not isinstance(arr, np.ndarray) or arr.ndim != 3 or arr.shape[-1] != 2:
                raise H36MFormatError(f"{source}: {key}[{c}] must be a (T, J, 2) array, "
                                      f"got {getattr(arr, 'shape', type(arr).__name__)}")
            if joints is None:
                joints = arr.shape[1]
                if joints not in (16, 17, 32):
                    raise H36MFormatError(
                        f"{source}: {key}[{c}] has shape {arr.shape}: {joints} joints; expected 16 (SemGCN order), "
                        "17 (H36M-17 order with the nose at index 9) or 32 (raw Human3.6M)")
            elif arr.shape[1] != joints:
                raise H36MFormatError(f"{source}: {key}[{c}] has shape {arr.shape}, but other arrays have "
                                      f"{joints} joints")
            if arr.shape[0] != views[0].shape[0]:
                raise H36MFormatError(f"{source}: {key}[{c}] has {arr.shape[0]} frames, camera 0 has "
                                      f"{views[0].shape[0]}")
            arrays.append(_finite_coordinates(arr, f"{source}: {key}[{c}]", _MAX_PIXELS, "px"))
        out[subject][canonical_sequence(str(seq))] = arrays
    return out, joints


def load_keypoints_2d(path: str | os.PathLike, positions_3d: dict | None = None,
                      trim: bool = False) -> dict[str, dict[str, list[np.ndarray]]]:
    """Read a 2D keypoint file (ground truth or detections) as 16 SemGCN joints.

    Accepted joint sets: 16 joints in SemGCN order (``data_2d_h36m_sh_pt_mpii.npz``,
    :func:`prepare_gt_2d`'s output); 17 joints in the H36M-17 order
    ``Hip, RHip, RKnee, RFoot, LHip, LKnee, LFoot, Spine, Thorax, Nose, Head,
    LShoulder, LElbow, LWrist, RShoulder, RElbow, RWrist`` (CPN detections,
    VideoPose3D's ground truth), converted by dropping the nose (index 9);
    32 raw joints, reduced with :data:`~semgcn.graph.H36M_KEEP_32`.  When
    ``metadata['keypoints_symmetry']`` is present it must match that order.

    With ``positions_3d`` (from :func:`load_positions_3d`) every 3D sequence
    must have 2D keypoints with the same number of frames.  ``trim=True``
    accepts 2D sequences that are *longer* and cuts them to the 3D length
    (needed for some CPN files, whose videos run a few frames past the motion
    capture).  Extra 2D sequences are kept and ignored by the pipeline.

    Returns ``{subject: {sequence: [float32 (T, 16, 2) x 4 cameras]}}`` in pixels.
    Raises :class:`H36MFormatError` naming file, key and shape on any mismatch.
    """
    path = Path(path)
    data = _load_npz(path, ["positions_2d"], optional=["metadata"])
    source = str(path)
    kp, joints = _validate_keypoints(data["positions_2d"], source, load_cameras())
    meta = data.get("metadata")
    if meta is not None:
        if not isinstance(meta, dict):
            raise H36MFormatError(f"{source}: key 'metadata' must hold a dict, got {type(meta).__name__}")
        if "num_joints" in meta and (not isinstance(meta["num_joints"], (int, np.integer))
                                     or int(meta["num_joints"]) != joints):
            raise H36MFormatError(f"{source}: metadata['num_joints'] = {str(meta['num_joints'])[:40]!r} but the "
                                  f"arrays have {joints} joints")
        sym = meta.get("keypoints_symmetry")
        if sym is not None and joints in KEYPOINTS_SYMMETRY and not (
                isinstance(sym, (list, tuple)) and all(isinstance(side, (list, tuple, np.ndarray)) for side in sym)
                and [[int(j) for j in side] for side in sym] == KEYPOINTS_SYMMETRY[joints]):
            raise H36MFormatError(f"{source}: metadata['keypoints_symmetry'] = {str(sym)[:80]} does not match the expected "
                                  f"{joints}-joint order (left/right {KEYPOINTS_SYMMETRY[joints]})")
    if joints != 16:
        kp = {s: {q: [reduce_to_16(a) for a in v] for q, v in seqs.items()} for s, seqs in kp.items()}
    if positions_3d is not None:
        for subject, seqs in positions_3d.items():
            if subject not in kp:
                raise H36MFormatError(f"{source}: key 'positions_2d' has no subject {subject!r} "
                                      f"(it has {', '.join(kp)}); the 3D file has it")
            for seq, pos in seqs.items():
                if seq not in kp[subject]:
                    raise H36MFormatError(f"{source}: key positions_2d[{subject!r}] has no sequence {seq!r} "
                                          f"(present in the 3D file with {pos.shape[0]} frames)")
                n2, n3 = kp[subject][seq][0].shape[0], pos.shape[0]
                if n2 == n3:
                    continue
                key = f"positions_2d[{subject!r}][{seq!r}]"
                if n2 > n3 and trim:
                    kp[subject][seq] = [a[:n3] for a in kp[subject][seq]]
                    continue
                hint = " (pass trim=True to cut the longer 2D sequences)" if n2 > n3 else ""
                raise H36MFormatError(f"{source}: {key} has shape {kp[subject][seq][0].shape}: {n2} frames but the "
                                      f"3D sequence has {n3}{hint}")
    return kp


def _camera_arrays(cameras: dict[str, list[Camera]], subject: str) -> tuple[np.ndarray, ...]:
    """``R (4, 4)``, ``t (4, 3)`` (metres) and intrinsics ``(4, 11)`` of a subject, float64."""
    if subject not in cameras:
        raise ValueError(f"no camera calibration for subject {subject!r} (known: {', '.join(cameras)})")
    cams = cameras[subject]
    R = np.array([c.orientation for c in cams], dtype=np.float64)
    t = np.array([c.translation for c in cams], dtype=np.float64)
    return R, t, np.stack([c.intrinsics() for c in cams])


# Frames per batch when projecting: keeps the float64 temporaries in cache, which
# is several times faster than one batch per subject or one per sequence.
_CHUNK = 4096


def _views(X: np.ndarray, cameras: tuple[np.ndarray, ...], project: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """World poses ``(N, K, 3)`` seen by the 4 cameras of one subject, in float64.

    Returns camera coordinates ``(4, N, K, 3)`` and, with ``project``, pixels
    ``(4, N, K, 2)`` (distorted Human3.6M model), else ``None``.
    """
    R, t, intr = (a[:, None, None, :] for a in cameras)
    X = np.asarray(X, dtype=np.float64)
    n, k = X.shape[:2]
    cam = np.empty((NUM_CAMERAS, n, k, 3))
    uv = np.empty((NUM_CAMERAS, n, k, 2)) if project else None
    for i in range(0, n, _CHUNK):
        part = world_to_camera(X[i:i + _CHUNK], R, t)
        cam[:, i:i + _CHUNK] = part
        if project:
            uv[:, i:i + _CHUNK] = project_to_2d(part, intr)
    return cam, uv


def _by_subject(pairs) -> dict[str, list[str]]:
    """``(subject, sequence)`` pairs grouped by subject, keeping their order."""
    out: dict[str, list[str]] = {}
    for s, q in pairs:
        out.setdefault(s, []).append(q)
    return out


def compute_gt_2d(positions_3d: dict, cameras: dict[str, list[Camera]] | None = None,
                  progress: bool = False) -> dict[str, dict[str, list[np.ndarray]]]:
    """Ground-truth 2D: project every frame of every sequence into the 4 cameras.

    ``positions_3d`` is ``{subject: {sequence: (T, 32 or 16, 3)}}`` (world,
    metres).  Computed in float64 with the distorted Human3.6M model
    (:func:`~semgcn.data.camera.project_to_2d`), stored float32.  Returns
    ``{subject: {sequence: [float32 (T, 16, 2) pixels x 4]}}``.
    """
    cameras = cameras if cameras is not None else load_cameras()
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=sum(len(q) for q in positions_3d.values()), desc="ground-truth 2D", unit="seq")
    out: dict[str, dict[str, list[np.ndarray]]] = {}
    try:
        for subject, seqs in positions_3d.items():
            names = list(seqs)
            clips = [seqs[q] if seqs[q].shape[-2] == 16 else reduce_to_16(seqs[q]) for q in names]
            uv = _views(np.concatenate(clips), _camera_arrays(cameras, subject), project=True)[1].astype(np.float32)
            ends = np.cumsum([c.shape[0] for c in clips])
            out[subject] = {q: [uv[c, e - clip.shape[0]:e] for c in range(NUM_CAMERAS)]
                            for q, clip, e in zip(names, clips, ends)}
            if bar is not None:
                bar.update(len(names))
    finally:
        if bar is not None:
            bar.close()
    return out


def prepare_gt_2d(path_3d: str | os.PathLike, out_path: str | os.PathLike, progress: bool = True) -> Path:
    """Write the standard ground-truth 2D file ``data_2d_h36m_gt.npz``.

    Reads ``path_3d`` (``data_3d_h36m.npz`` or its directory), projects the 16
    joints of every frame into the 4 cameras (:func:`compute_gt_2d`) and
    writes ``positions_2d`` (``dict[subject][sequence] -> list of 4 float32
    (T, 16, 2)`` pixels) and ``metadata`` (``{'num_joints': 16,
    'keypoints_symmetry': [[4,5,6,10,11,12],[1,2,3,13,14,15]]}``) to
    ``out_path``.  The file is written to a temporary name and renamed, so a
    crash never leaves a half-written file.  Returns ``out_path``.
    """
    out_path = Path(out_path)
    positions = load_positions_3d(path_3d)
    kp = compute_gt_2d(positions, progress=progress)
    metadata = {"num_joints": 16, "keypoints_symmetry": [list(s) for s in KEYPOINTS_SYMMETRY[16]]}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:  # a file object: numpy would otherwise append ".npz" to the name
            np.savez_compressed(fh, positions_2d=kp, metadata=metadata)
        os.replace(tmp, out_path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out_path


# --------------------------------------------------------------------------- splits
def select_sequences(positions_3d: dict, subjects: Iterable[str], actions=None) -> list[tuple[str, str]]:
    """``(subject, sequence)`` pairs of ``subjects`` whose action is in ``actions`` (None: all), sorted.

    Subjects are sorted numerically (S1, S5, ..., S11), sequences by name.
    Raises ``ValueError`` when a subject is absent from the data.
    """
    actions = _canonical_actions(actions)
    out = []
    for subject in sorted(subjects, key=_subject_key):
        if subject not in positions_3d:
            raise ValueError(f"subject {subject!r} is not in the 3D data (it has {', '.join(positions_3d)})")
        if not positions_3d[subject]:
            raise ValueError(f"subject {subject!r} has no sequences in the 3D data")
        for seq in sorted(positions_3d[subject]):
            if actions is None or canonical_action(seq) in actions:
                out.append((subject, seq))
    return out


def split_validation(sequences: Sequence[tuple[str, str]], val="sequences",
                     every: int = VAL_EVERY) -> tuple[list, list]:
    """Split training ``(subject, sequence)`` pairs into (train, validation), whole sequences.

    ``val``:
      * ``"sequences"`` (default): every ``every``-th pair of the sorted list
        (indices 0, 10, 20, ...) is held out, about 10% of the training data,
        deterministic;
      * a subject or a list of subjects, e.g. ``("S8",)``: those subjects are
        held out (they must be training subjects);
      * ``None`` or ``"none"``: no validation split.

    Test subjects must never be passed here: the validation split is chosen
    among training data only, so model selection never sees S9/S11.
    """
    sequences = sorted(sequences, key=lambda p: (_subject_key(p[0]), p[1]))
    bad = [s for s, _ in sequences if s in TEST_SUBJECTS]
    if bad:
        raise ValueError(f"split_validation got sequences of test subjects {sorted(set(bad))}; "
                         "validation must come from the training subjects only")
    if val is None or val == "none":
        return list(sequences), []
    if val == "sequences":
        if every < 2:
            raise ValueError(f"every must be >= 2, got {every}")
        held = set(range(0, len(sequences), every))
        return ([p for i, p in enumerate(sequences) if i not in held],
                [p for i, p in enumerate(sequences) if i in held])
    subjects = (val,) if isinstance(val, str) else tuple(val)
    for s in subjects:
        if s in TEST_SUBJECTS:
            raise ValueError(f"val={val!r}: {s} is a test subject; the validation split never touches "
                             f"{', '.join(TEST_SUBJECTS)}")
        if s not in TRAIN_SUBJECTS:
            raise ValueError(f"val={val!r}: {s!r} is not a training subject ({', '.join(TRAIN_SUBJECTS)}); "
                             "use 'sequences', None or a tuple of training subjects")
    return [p for p in sequences if p[0] not in subjects], [p for p in sequences if p[0] in subjects]


def _empty_split() -> PoseSplit:
    z = torch.zeros(0, dtype=torch.long)
    return PoseSplit(torch.zeros(0, 16, 2), torch.zeros(0, 16, 3), z, z.clone(), z.clone(),
                     list(ACTIONS), list(SUBJECTS))


def _as_detected(uv32: np.ndarray, input_format: str) -> np.ndarray:
    """Ground-truth pixels ``(4, N, 32, 2)`` as a detector in ``input_format`` reports them, turned into the
    16 SemGCN joints by the lifting API's own conversion (:func:`semgcn.lifting.convert_keypoints`):
    ``(4, N, 16, 2)``.  A network trained on these inputs sees exactly what :func:`semgcn.lift` gives it."""
    from ..lifting import convert_keypoints, simulate_detections
    out = np.empty(uv32.shape[:2] + (16, 2))
    for c in range(len(uv32)):
        kp, conf = simulate_detections(uv32[c], input_format)
        out[c] = convert_keypoints(kp, input_format, valid=conf > 0)[0]
    return out


def _build_split(pairs, stride: int, positions_3d: dict, keypoints: dict | None,
                 cameras: dict, input_format: str = "h36m16") -> tuple[PoseSplit, list]:
    """One split; rows ordered by sequence, then camera, then frame."""
    if not pairs:
        return _empty_split(), []
    inputs, targets, action, subject, camera, table = [], [], [], [], [], []
    for s, seqs in _by_subject(pairs).items():
        cams = _camera_arrays(cameras, s)
        if input_format == "h36m16":
            clips = [reduce_to_16(positions_3d[s][q][::stride]) for q in seqs]
            # ground truth 2D is computed on the fly from the kept frames only
            cam_xyz, uv = _views(np.concatenate(clips), cams, project=keypoints is None)  # (4, N, 16, 3|2)
        else:   # all 32 joints projected (a detector format may use joints outside the 16, e.g. the nose)
            clips = [positions_3d[s][q][::stride] for q in seqs]
            cam_xyz, uv = _views(np.concatenate(clips), cams, project=True)
            cam_xyz, uv = reduce_to_16(cam_xyz), _as_detected(uv, input_format)
        lengths = [c.shape[0] for c in clips]
        if keypoints is not None and input_format == "h36m16":
            uv = np.stack([np.concatenate([keypoints[s][q][c][::stride] for q in seqs]) for c in range(NUM_CAMERAS)])
        size = cams[2][:, None, None, 9:11]  # (4, 1, 1, 2): res_w, res_h
        u_n = normalize_screen_coordinates(uv.astype(np.float64), size[..., :1], size[..., 1:])
        rel = cam_xyz - cam_xyz[:, :, :1]
        # (camera, frame) -> (sequence, camera, frame): one gather per array
        n_all, starts = sum(lengths), np.cumsum([0] + lengths[:-1])
        order = np.concatenate([c * n_all + o + np.arange(n) for o, n in zip(starts, lengths)
                                for c in range(NUM_CAMERAS)])
        inputs.append(torch.from_numpy(u_n.astype(np.float32).reshape(-1, 16, 2)[order]))
        targets.append(torch.from_numpy(rel.astype(np.float32).reshape(-1, 16, 3)[order]))
        action.append(torch.from_numpy(np.concatenate(
            [np.full(NUM_CAMERAS * n, ACTIONS.index(canonical_action(q))) for q, n in zip(seqs, lengths)])))
        subject.append(torch.full((NUM_CAMERAS * n_all,), SUBJECTS.index(s), dtype=torch.long))
        camera.append(torch.from_numpy(np.concatenate([np.repeat(np.arange(NUM_CAMERAS), n) for n in lengths])))
        table.extend((s, q, n) for q, n in zip(seqs, lengths))
    split = PoseSplit(inputs=torch.cat(inputs), targets=torch.cat(targets), action=torch.cat(action).long(),
                      subject=torch.cat(subject), camera=torch.cat(camera).long(),
                      action_names=list(ACTIONS), subject_names=list(SUBJECTS))
    return split, table


def _every(stride: int) -> str:
    if stride == 1:
        return "every frame"
    suffix = "th" if 10 <= stride % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(stride % 10, "th")
    return f"every {stride}{suffix} frame"


def h36m_pose_data(path: str | os.PathLike | None = None, keypoints: str = "gt", train_stride: int = 5,
                   test_stride: int = 1, val_stride: int = 5, actions=None, val="sequences",
                   device="cpu", trim_2d: bool = False, input_format: str = "h36m16") -> PoseData:
    """Human3.6M as a :class:`~semgcn.data.dataset.PoseData` (train / val / test).

    Args:
        path: directory with ``data_3d_h36m.npz`` (default: env ``SEMGCN_H36M``).
        keypoints: ``"gt"`` for ground-truth 2D (read from ``data_2d_h36m_gt.npz``
            when the directory has it, otherwise projected in memory from the 3D
            poses with the exact same camera model), or the name ``NAME`` of a
            ``data_2d_h36m_NAME.npz`` detection file, e.g. ``"sh_pt_mpii"``.
        train_stride, val_stride, test_stride: keep every n-th frame (the
            paper trains on every 5th frame, i.e. 10 fps; the standard test set
            uses every frame).
        actions: ``None`` (all 15) or action names to keep in every split.
        val: validation split, see :func:`split_validation` (``"sequences"``,
            a tuple of training subjects, or ``None``).
        device: where the returned tensors live.
        trim_2d: cut 2D sequences longer than their 3D sequence (CPN files).
        input_format: ``"h36m16"`` (the 16 SemGCN joints), or a keypoint format of
            :data:`semgcn.lifting.FORMATS` such as ``"coco17"``: the ground-truth 2D
            poses are given as that format's joints (joints it lacks are missing) and
            turned back into 16 joints by the lifting API's conversion, so that a
            network trained on them is a lifter for that format.  Ground-truth 2D only.

    Returns:
        ``PoseData`` whose splits hold ``inputs (N, 16, 2)`` normalised screen
        coordinates (per-camera ``res_w``/``res_h``), ``targets (N, 16, 3)``
        root-relative camera coordinates in metres, and action / subject /
        camera indices.  Rows are ordered by sequence, then camera, then frame;
        ``meta['sequences'][split]`` lists ``(subject, sequence, frames)`` so
        that sequence ``i`` occupies ``4 * frames`` consecutive rows.
    """
    start = time.perf_counter()
    for name, value in (("train_stride", train_stride), ("val_stride", val_stride), ("test_stride", test_stride)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    actions = _canonical_actions(actions)
    from ..lifting import FORMATS
    if input_format not in FORMATS:
        raise ValueError(f"input_format must be one of {', '.join(FORMATS)}, got {input_format!r}")
    if input_format != "h36m16" and keypoints != "gt":
        raise ValueError(f"input_format {input_format!r} simulates a detector from ground-truth 2D: it needs "
                         f"keypoints='gt', got {keypoints!r}")
    root = find_h36m(path)
    positions = load_positions_3d(root / FILE_3D)
    cameras = load_cameras()
    missing = [s for s in SUBJECTS if s not in positions]
    if missing:
        raise H36MFormatError(f"{root / FILE_3D}: key 'positions_3d' lacks subjects {missing} "
                              f"(the protocol needs {', '.join(SUBJECTS)})")
    frames_total = sum(p.shape[0] for seqs in positions.values() for p in seqs.values())
    positions = {s: positions[s] for s in SUBJECTS}  # the protocol's subjects only

    if keypoints == "gt":
        gt_file = root / file_2d("gt")
        kp = load_keypoints_2d(gt_file, positions) if gt_file.is_file() else None
        kp_desc = f"gt ({gt_file.name})" if kp is not None else "gt (projected from 3D)"
    else:
        kp_file = root / file_2d(keypoints)
        if not kp_file.is_file():
            have = sorted(p.name[len("data_2d_h36m_"):-4] for p in root.glob("data_2d_h36m_*.npz"))
            raise FileNotFoundError(f"{kp_file} not found; keypoint sets in {root}: {['gt'] + have}")
        kp = load_keypoints_2d(kp_file, positions, trim=trim_2d)
        kp_desc = keypoints

    train_pairs, val_pairs = split_validation(select_sequences(positions, TRAIN_SUBJECTS, actions), val)
    test_pairs = select_sequences(positions, TEST_SUBJECTS, actions)
    if not train_pairs or not test_pairs:
        raise ValueError(f"actions={actions} and val={val!r} leave {len(train_pairs)} training and "
                         f"{len(test_pairs)} test sequences; need at least one of each")
    train, train_table = _build_split(train_pairs, train_stride, positions, kp, cameras, input_format)
    val_split, val_table = _build_split(val_pairs, val_stride, positions, kp, cameras, input_format)
    test, test_table = _build_split(test_pairs, test_stride, positions, kp, cameras, input_format)

    if val is None or val == "none":
        val_desc = "no validation"
    elif val == "sequences":
        val_desc = f"val every {VAL_EVERY}th training sequence ({len(val_pairs)}) {_every(val_stride)}"
    else:
        val_desc = f"val {','.join(sorted({s for s, _ in val_pairs}, key=_subject_key))} {_every(val_stride)}"
    train_subjects = sorted({s for s, _ in train_pairs}, key=_subject_key)
    if input_format != "h36m16":
        kp_desc += f" as {input_format} keypoints"
    source = (f"Human3.6M ({root}), 2D: {kp_desc}, train {','.join(train_subjects)} {_every(train_stride)}, "
              f"{val_desc}, test {','.join(TEST_SUBJECTS)} {_every(test_stride)}")
    if actions is not None:
        source += f", actions {','.join(actions)}"
    meta = {
        "dataset": "h36m", "root": str(root), "keypoints": keypoints, "keypoints_source": kp_desc,
        "input_format": input_format,
        "joint_names": list(H36M_JOINT_NAMES), "num_cameras": NUM_CAMERAS,
        "strides": {"train": train_stride, "val": val_stride, "test": test_stride},
        "val": val if isinstance(val, (str, type(None))) else list(val),
        "actions": list(actions) if actions is not None else list(ACTIONS),
        "subjects": {"train": train_subjects,
                     "val": sorted({s for s, _ in val_pairs}, key=_subject_key),
                     "test": list(TEST_SUBJECTS)},
        "frames_3d_total": frames_total,
        "sequences": {"train": train_table, "val": val_table, "test": test_table},
        "poses": {"train": len(train), "val": len(val_split), "test": len(test)},
        "seconds_to_build": None,
    }
    data = PoseData(train=train, val=val_split, test=test, source=source, meta=meta).to(device)
    meta["seconds_to_build"] = round(time.perf_counter() - start, 3)
    return data
