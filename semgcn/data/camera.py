r"""Human3.6M camera model: world <-> camera coordinates and projection to pixels.

Explained in chapter 1, *Human pose as a graph*.

Every function here is batched and works on torch tensors (CPU or CUDA) and on
numpy arrays, with one implementation of the maths.  The result has the type of
the *data* argument (``v``, ``X``, ``u``): numpy in, numpy out (computed by
numpy); tensor in, tensor on the same device out (computed by torch).  The
dtype of a floating-point data argument is kept (float32 stays float32,
float64 stays float64); parameters (quaternions, translations, intrinsics) are
cast to it.  Leading dimensions broadcast as in numpy, so one camera can be
applied to ``(T, K, 3)`` poses, or four cameras shaped ``(4, 1, 1, 4)`` to the
same poses at once to give ``(4, T, K, 3)``.

Conventions (those of the public Human3.6M release, see
``h36m_cameras.json``):

* A quaternion is ``(w, x, y, z)``, unit norm.  A camera's ``orientation`` R
  is the camera-to-world rotation and its ``translation`` t the camera centre
  in world coordinates.  The json stores t in millimetres;
  :func:`load_cameras` converts it to **metres**, the unit of the poses.
* World to camera: :math:`X_{cam} = R^{-1}(X_{world} - t)`.
* Projection (the Human3.6M distortion model), in *normalised* units where
  the image width spans ``[-1, 1]``: with :math:`f_n = 2f/w`,
  :math:`c_n = 2c/w - (1, h/w)`,

  .. math::

     x = \mathrm{clip}(X/Z, -1, 1),\quad y = \mathrm{clip}(Y/Z, -1, 1),\quad r^2 = x^2 + y^2

     \rho = 1 + k_1 r^2 + k_2 r^4 + k_3 r^6,\qquad \tau = p_1 x + p_2 y

     (x', y') = (x, y)(\rho + \tau) + (p_1, p_2) r^2,\qquad u_n = f_n (x', y') + c_n

  and back to pixels :math:`u = (u_n + (1, h/w))\, w / 2`.  (Note the
  tangential term is Human3.6M's own simplification, not the textbook Brown
  model; it is what the literature's ground-truth 2D file uses.)

Intrinsics as an array are 11 numbers, in pixels:
``[fx, fy, cx, cy, k1, k2, k3, p1, p2, res_w, res_h]`` (see
:meth:`Camera.intrinsics`).
"""
from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np
import torch

__all__ = [
    "Camera", "DEFAULT_CAMERA_FILE", "NUM_CAMERAS", "load_cameras", "camera_intrinsics", "camera_extrinsics",
    "qrot", "qinverse", "world_to_camera", "camera_to_world", "project_to_2d", "project_pinhole",
    "normalize_screen_coordinates", "image_coordinates",
]

Array = Union[np.ndarray, torch.Tensor]

#: The camera file shipped with the package (public Human3.6M calibration).
DEFAULT_CAMERA_FILE = Path(__file__).with_name("h36m_cameras.json")
#: Human3.6M has four synchronised cameras; every per-camera list uses this order.
NUM_CAMERAS = 4


# --------------------------------------------------------------------------- helpers
# The maths below is written once with operators that numpy and torch share;
# these helpers cover the few calls that differ.  numpy data is computed by
# numpy (single-threaded, fastest for data preparation on a busy CPU), torch
# data by torch (any device, autograd-friendly).
def _data(x, name: str) -> Array:
    """The data argument as a floating numpy array or torch tensor."""
    if isinstance(x, torch.Tensor):
        return x if x.is_floating_point() else x.to(torch.get_default_dtype())
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a numpy array or a torch tensor, got {type(x).__name__}") from err
    if a.dtype == object:
        raise ValueError(f"{name} must be a numeric numpy array or torch tensor, got an object array")
    return a if np.issubdtype(a.dtype, np.floating) else a.astype(np.float64)


def _param(p, like: Array) -> Array:
    """A parameter as the same kind of array as the data ``like``, with its dtype (and device)."""
    if isinstance(like, torch.Tensor):
        if isinstance(p, torch.Tensor):
            return p.to(dtype=like.dtype, device=like.device)
        return torch.as_tensor(np.asarray(p, dtype=np.float64), dtype=like.dtype, device=like.device)
    if isinstance(p, torch.Tensor):
        p = p.detach().cpu().numpy()
    return np.asarray(p, dtype=like.dtype)


def _stack(parts, like: Array) -> Array:
    return torch.stack(parts, dim=-1) if isinstance(like, torch.Tensor) else np.stack(parts, axis=-1)


def _clip(x: Array, lo: float, hi: float) -> Array:
    return x.clamp(lo, hi) if isinstance(x, torch.Tensor) else np.clip(x, lo, hi)


def _unbind(x: Array, n: int) -> list:
    return [x[..., i] for i in range(n)]


def _check_last(t: Array, size: int, name: str, what: str) -> None:
    if t.ndim == 0 or t.shape[-1] != size:
        raise ValueError(f"{name} must have shape (..., {size}) ({what}), got {tuple(t.shape)}")


def _check_broadcast(a: Array, b: Array, name_a: str, name_b: str) -> None:
    try:
        np.broadcast_shapes(tuple(a.shape[:-1]), tuple(b.shape[:-1]))
    except ValueError as err:
        raise ValueError(f"leading dimensions of {name_a} {tuple(a.shape)} and {name_b} {tuple(b.shape)} "
                         f"do not broadcast") from err


# --------------------------------------------------------------------------- cameras
@dataclass(frozen=True)
class Camera:
    """One calibrated Human3.6M camera (for one subject, when extrinsics are known).

    Attributes:
        id: the camera's serial number, e.g. ``"54138969"``.
        index: position 0..3 in every per-camera list of the dataset files.
        subject: the subject whose recording session these extrinsics belong
            to, or ``None`` for intrinsics only.
        center, focal_length: principal point and focal lengths ``(x, y)`` in pixels.
        radial_distortion: ``(k1, k2, k3)``.  tangential_distortion: ``(p1, p2)``.
        res_w, res_h: image size in pixels.
        azimuth: viewing direction in degrees (for plotting only).
        orientation: camera-to-world unit quaternion ``(w, x, y, z)``, or ``None``.
        translation: camera centre in world coordinates, **metres**, or ``None``.
    """

    id: str
    index: int
    center: tuple
    focal_length: tuple
    radial_distortion: tuple
    tangential_distortion: tuple
    res_w: int
    res_h: int
    azimuth: float = 0.0
    subject: str | None = None
    orientation: tuple | None = None
    translation: tuple | None = None

    def intrinsics(self) -> np.ndarray:
        """``(11,)`` float64 ``[fx, fy, cx, cy, k1, k2, k3, p1, p2, res_w, res_h]`` (pixels)."""
        return np.array([*self.focal_length, *self.center, *self.radial_distortion,
                         *self.tangential_distortion, self.res_w, self.res_h], dtype=np.float64)

    def _extrinsics(self) -> tuple[np.ndarray, np.ndarray]:
        if self.orientation is None or self.translation is None:
            raise ValueError(f"camera {self.id} has no extrinsics (load it with load_cameras() for a subject)")
        return np.asarray(self.orientation, np.float64), np.asarray(self.translation, np.float64)

    def world_to_camera(self, X: Array) -> Array:
        """``(..., 3)`` world points (metres) to this camera's coordinates."""
        R, t = self._extrinsics()
        return world_to_camera(X, R, t)

    def camera_to_world(self, X: Array) -> Array:
        """``(..., 3)`` camera coordinates back to world coordinates (metres)."""
        R, t = self._extrinsics()
        return camera_to_world(X, R, t)

    def project(self, X_cam: Array, distort: bool = True) -> Array:
        """``(..., 3)`` camera coordinates to ``(..., 2)`` pixels (see :func:`project_to_2d`)."""
        return project_to_2d(X_cam, self.intrinsics(), distort=distort)


def _bad(path, key: str, problem: str) -> ValueError:
    return ValueError(f"{path}: key {key!r} {problem}")


@functools.lru_cache(maxsize=8)
def _read_camera_file(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            raw = json.load(fh)
    except FileNotFoundError as err:
        raise FileNotFoundError(f"camera file {path} not found") from err
    except (ValueError, RecursionError) as err:   # not JSON, not UTF-8, or nested beyond the parser
        raise ValueError(f"{path}: not a readable camera file ({type(err).__name__})") from None
    if not isinstance(raw, dict) or "intrinsics" not in raw or "extrinsics" not in raw:
        raise ValueError(f"{path}: expected a json object with keys 'intrinsics' and 'extrinsics'")
    intr = raw["intrinsics"]
    if not isinstance(raw["extrinsics"], dict):
        raise _bad(path, "extrinsics", "must be an object {subject: [camera x 4]}")
    if not isinstance(intr, list) or len(intr) != NUM_CAMERAS:
        raise _bad(path, "intrinsics", f"must be a list of {NUM_CAMERAS} cameras")
    base = []
    for i, c in enumerate(intr):
        try:
            cam = Camera(id=str(c["id"]), index=i, center=tuple(map(float, c["center"])),
                         focal_length=tuple(map(float, c["focal_length"])),
                         radial_distortion=tuple(map(float, c["radial_distortion"])),
                         tangential_distortion=tuple(map(float, c["tangential_distortion"])),
                         res_w=int(c["res_w"]), res_h=int(c["res_h"]), azimuth=float(c.get("azimuth", 0.0)))
        except (KeyError, TypeError, ValueError) as err:
            raise _bad(path, f"intrinsics[{i}]", f"is malformed ({err!r})") from err
        lengths = (len(cam.center), len(cam.focal_length), len(cam.radial_distortion), len(cam.tangential_distortion))
        if lengths != (2, 2, 3, 2):
            raise _bad(path, f"intrinsics[{i}]", "needs center[2], focal_length[2], radial_distortion[3], "
                                                 f"tangential_distortion[2]; got lengths {lengths}")
        numbers = (*cam.center, *cam.focal_length, *cam.radial_distortion, *cam.tangential_distortion, cam.azimuth)
        if not all(math.isfinite(v) for v in numbers):
            raise _bad(path, f"intrinsics[{i}]", "holds NaN or infinite values")
        if not (min(cam.focal_length) > 0 and cam.res_w > 0 and cam.res_h > 0):
            raise _bad(path, f"intrinsics[{i}]", f"needs positive focal lengths and image size, got focal_length "
                                                 f"{cam.focal_length}, res {cam.res_w}x{cam.res_h}")
        base.append(cam)
    out = {}
    for subject, cams in raw["extrinsics"].items():
        if not isinstance(cams, list) or len(cams) != NUM_CAMERAS:
            raise _bad(path, f"extrinsics[{subject!r}]", f"must be a list of {NUM_CAMERAS} cameras")
        if not all(isinstance(e, dict) and "orientation" in e and "translation" in e for e in cams):
            continue  # no calibration published for this subject (S2, S3, S4)
        out[subject] = []
        for i, (cam, e) in enumerate(zip(base, cams)):
            if "id" in e and str(e["id"]) != cam.id:
                raise _bad(path, f"extrinsics[{subject!r}][{i}]", f"is camera {e['id']} but intrinsics[{i}] is "
                                                                  f"camera {cam.id} (camera order differs)")
            try:
                q = tuple(map(float, e["orientation"]))
                t = tuple(float(v) / 1000.0 for v in e["translation"])  # millimetres -> metres
            except (TypeError, ValueError) as err:
                raise _bad(path, f"extrinsics[{subject!r}][{i}]", f"is malformed ({err!r})") from err
            if len(q) != 4 or len(t) != 3:
                raise _bad(path, f"extrinsics[{subject!r}][{i}]", "needs orientation[4] and translation[3]")
            if not all(math.isfinite(v) for v in (*q, *t)):
                raise _bad(path, f"extrinsics[{subject!r}][{i}]", "holds NaN or infinite values")
            if not 0.5 < math.sqrt(sum(v * v for v in q)) < 2.0:
                raise _bad(path, f"extrinsics[{subject!r}][{i}]", f"orientation {q} is not a unit quaternion")
            out[subject].append(Camera(**{**cam.__dict__, "subject": subject, "orientation": q, "translation": t}))
    return {"intrinsics": base, "extrinsics": out}


def load_cameras(path: str | Path | None = None) -> dict[str, list[Camera]]:
    """Read a Human3.6M camera file (default: the copy shipped with the package).

    Returns ``{subject: [Camera x 4]}`` in the camera order of the dataset
    files, with translations converted from millimetres to metres.  Subjects
    are those of the file that have extrinsics (the public file lists S2, S3
    and S4 without any: they are left out).
    """
    data = _read_camera_file(str(Path(path) if path is not None else DEFAULT_CAMERA_FILE))
    return {s: list(cams) for s, cams in data["extrinsics"].items()}


def camera_intrinsics(index: int, path: str | Path | None = None) -> Camera:
    """Camera ``index`` (0..3) without extrinsics; ``.intrinsics()`` gives the 11-vector."""
    cams = _read_camera_file(str(Path(path) if path is not None else DEFAULT_CAMERA_FILE))["intrinsics"]
    if not 0 <= index < len(cams):
        raise ValueError(f"camera index must be in 0..{len(cams) - 1}, got {index}")
    return cams[index]


def camera_extrinsics(subject: str, index: int, path: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(R, t)`` of camera ``index`` for ``subject``: ``(4,)`` quaternion and ``(3,)`` centre in metres."""
    cams = load_cameras(path)
    if subject not in cams:
        raise ValueError(f"no extrinsics for subject {subject!r}; known subjects: {sorted(cams)}")
    if not 0 <= index < NUM_CAMERAS:
        raise ValueError(f"camera index must be in 0..{NUM_CAMERAS - 1}, got {index}")
    return cams[subject][index]._extrinsics()


# --------------------------------------------------------------------------- rotations
def qinverse(q: Array) -> Array:
    """Inverse of unit quaternions ``(..., 4)`` ``(w, x, y, z)``: the conjugate ``(w, -x, -y, -z)``."""
    q = _data(q, "q")
    _check_last(q, 4, "q", "quaternions w, x, y, z")
    w, x, y, z = _unbind(q, 4)
    return _stack([w, -x, -y, -z], q)


def _rotate(q: Array, vx: Array, vy: Array, vz: Array, inverse: bool = False) -> tuple:
    """Rotate the components of vectors by unit quaternions, returning three arrays.

    Works component by component with the rotation matrix of ``q`` (a few
    small arrays) so that every large operation is a contiguous broadcast:
    several times faster than ``(..., 3)``-shaped arithmetic on CPU.
    ``q`` is normalised first: the json stores float32-rounded quaternions
    (norm 1 +- 1e-7), and an exact rotation makes :func:`camera_to_world`
    invert :func:`world_to_camera` to machine precision.
    """
    norm = (q * q).sum(-1) ** 0.5
    w, x, y, z = (c / norm for c in _unbind(q, 4))
    if inverse:
        x, y, z = -x, -y, -z
    # Rotation matrix of a unit quaternion; equal to q v q^-1.
    m00, m01, m02 = 1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)
    m10, m11, m12 = 2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)
    m20, m21, m22 = 2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)
    return (m00 * vx + m01 * vy + m02 * vz,
            m10 * vx + m11 * vy + m12 * vz,
            m20 * vx + m21 * vy + m22 * vz)


def qrot(q: Array, v: Array) -> Array:
    r"""Rotate vectors ``v`` ``(..., 3)`` by unit quaternions ``q`` ``(..., 4)`` ``(w, x, y, z)``.

    :math:`v' = q\,v\,q^{-1}`; with :math:`q = (w, \mathbf{u})` this is
    :math:`v' = v + 2w(\mathbf{u}\times v) + 2\,\mathbf{u}\times(\mathbf{u}\times v)`,
    computed through the equivalent rotation matrix (``q`` is normalised
    first, so a float32-rounded quaternion still rotates).  Leading dimensions
    broadcast; the result has the type, dtype and device of ``v``.
    """
    v = _data(v, "v")
    q = _param(q, v)
    _check_last(q, 4, "q", "quaternions w, x, y, z")
    _check_last(v, 3, "v", "3D vectors")
    _check_broadcast(q, v, "q", "v")
    return _stack(list(_rotate(q, *_unbind(v, 3))), v)


def _extrinsic_args(X, R, t) -> tuple:
    X = _data(X, "X")
    R, t = _param(R, X), _param(t, X)
    _check_last(X, 3, "X", "3D points")
    _check_last(R, 4, "R", "quaternions w, x, y, z")
    _check_last(t, 3, "t", "camera centres")
    _check_broadcast(X, R, "X", "R")
    _check_broadcast(X, t, "X", "t")
    return X, R, t


def world_to_camera(X: Array, R: Array, t: Array) -> Array:
    r"""World points to camera coordinates: :math:`X_{cam} = R^{-1}(X - t)`.

    Args:
        X: ``(..., 3)`` world coordinates (metres), e.g. ``(T, K, 3)``.
        R: ``(..., 4)`` camera-to-world unit quaternion ``(w, x, y, z)``.
        t: ``(..., 3)`` camera centre in world coordinates (metres).

    Leading dimensions broadcast (``R`` of shape ``(C, 1, 1, 4)`` and ``X`` of
    shape ``(T, K, 3)`` give ``(C, T, K, 3)``); returns ``(..., 3)`` with the type of ``X``.
    """
    X, R, t = _extrinsic_args(X, R, t)
    (x, y, z), (tx, ty, tz) = _unbind(X, 3), _unbind(t, 3)
    return _stack(list(_rotate(R, x - tx, y - ty, z - tz, inverse=True)), X)


def camera_to_world(X: Array, R: Array, t: Array) -> Array:
    r"""Inverse of :func:`world_to_camera`: :math:`X_{world} = R X_{cam} + t`.

    Shapes as in :func:`world_to_camera`; returns ``(..., 3)`` with the type of ``X``.
    """
    X, R, t = _extrinsic_args(X, R, t)
    x, y, z = _rotate(R, *_unbind(X, 3))
    tx, ty, tz = _unbind(t, 3)
    return _stack([x + tx, y + ty, z + tz], X)


# --------------------------------------------------------------------------- projection
def _intrinsics(intrinsics, like: Array) -> Array:
    if isinstance(intrinsics, Camera):
        intrinsics = intrinsics.intrinsics()
    elif isinstance(intrinsics, dict):  # one entry of the json's "intrinsics" list
        intrinsics = [*intrinsics["focal_length"], *intrinsics["center"], *intrinsics["radial_distortion"],
                      *intrinsics["tangential_distortion"], intrinsics["res_w"], intrinsics["res_h"]]
    p = _param(intrinsics, like)
    _check_last(p, 11, "intrinsics", "fx, fy, cx, cy, k1, k2, k3, p1, p2, res_w, res_h")
    return p


def project_to_2d(X_cam: Array, intrinsics, distort: bool = True) -> Array:
    r"""Project camera coordinates to pixels with the Human3.6M camera model.

    Args:
        X_cam: ``(..., 3)`` points in camera coordinates (metres, ``Z > 0``
            in front of the camera), e.g. ``(T, K, 3)``.
        intrinsics: a :class:`Camera`, one json ``intrinsics`` entry, or an
            ``(..., 11)`` array ``[fx, fy, cx, cy, k1, k2, k3, p1, p2, res_w, res_h]``
            (pixels) whose leading dimensions broadcast with those of ``X_cam``
            (e.g. ``(C, 1, 1, 11)`` for ``(C, T, K, 3)`` points seen by C cameras).
        distort: ``True`` (default) applies the model of the module docstring
            (clamp, radial ``k1..k3``, tangential ``p1, p2``); ``False`` is the
            plain pinhole :math:`u = f\,(X/Z, Y/Z) + c` (no clamp), for comparison.

    Returns:
        ``(..., 2)`` pixel coordinates ``(u, v)``, type/dtype/device of ``X_cam``.

    The computation runs in normalised units exactly as written in the module
    docstring (the literature's ground-truth 2D file was made this way);
    without distortion :math:`f_n, c_n` cancel back to :math:`u = f X/Z + c`.
    """
    X_cam = _data(X_cam, "X_cam")
    _check_last(X_cam, 3, "X_cam", "3D points in camera coordinates")
    p = _intrinsics(intrinsics, X_cam)
    _check_broadcast(X_cam, p, "X_cam", "intrinsics")
    fx, fy, cx, cy, k1, k2, k3, p1, p2, w, h = _unbind(p, 11)
    ratio = h / w
    X, Y, Z = _unbind(X_cam, 3)
    x, y = X / Z, Y / Z
    if distort:
        x, y = _clip(x, -1.0, 1.0), _clip(y, -1.0, 1.0)
        r2 = x * x + y * y
        r4 = r2 * r2
        radial = 1.0 + k1 * r2 + k2 * r4 + k3 * (r4 * r2)
        scale = radial + (p1 * x + p2 * y)  # radial + tangential
        x, y = x * scale + p1 * r2, y * scale + p2 * r2
    u_n = (fx / w * 2.0) * x + (cx / w * 2.0 - 1.0)  # f_n x' + c_n
    v_n = (fy / w * 2.0) * y + (cy / w * 2.0 - ratio)
    return _stack([(u_n + 1.0) * w / 2.0, (v_n + ratio) * w / 2.0], X_cam)


def project_pinhole(X_cam: Array, intrinsics) -> Array:
    """Undistorted pinhole projection ``u = f (X/Z, Y/Z) + c`` (see :func:`project_to_2d`)."""
    return project_to_2d(X_cam, intrinsics, distort=False)


def _screen_args(u, w, h) -> tuple:
    """Checked ``u (..., 2)`` and ``w``, ``h`` shaped to broadcast with ``u[..., 0]``."""
    u = _data(u, "u")
    _check_last(u, 2, "u", "2D points")
    out = []
    for name, val in (("w", w), ("h", h)):
        v = _param(val, u)
        if v.ndim > 0:
            if v.shape[-1] != 1:
                raise ValueError(f"{name} must be a number or have shape (..., 1) broadcasting to "
                                 f"u.shape[:-1] + (1,) = {tuple(u.shape[:-1]) + (1,)}, got {tuple(v.shape)}")
            v = v[..., 0]
        try:
            np.broadcast_shapes(tuple(v.shape), tuple(u.shape[:-1]))
        except ValueError as err:
            raise ValueError(f"{name} of shape {tuple(v.shape) + (1,)} does not broadcast to "
                             f"u.shape[:-1] + (1,) = {tuple(u.shape[:-1]) + (1,)}") from err
        out.append(v)
    return u, out[0], out[1]


def normalize_screen_coordinates(u: Array, w, h) -> Array:
    r"""Pixels to the network's input units: :math:`u_n = 2u/w - (1, h/w)`.

    ``u`` is ``(..., 2)``; ``w``, ``h`` (image width/height in pixels) are
    numbers or arrays of shape ``(..., 1)`` broadcastable to
    ``u.shape[:-1] + (1,)``.  The image width maps to ``[-1, 1]`` and the
    aspect ratio is kept.
    """
    u, w, h = _screen_args(u, w, h)
    a, b = _unbind(u, 2)
    return _stack([a / w * 2.0 - 1.0, b / w * 2.0 - h / w], u)


def image_coordinates(u_n: Array, w, h) -> Array:
    r"""Inverse of :func:`normalize_screen_coordinates`: :math:`u = (u_n + (1, h/w))\,w/2`."""
    u, w, h = _screen_args(u_n, w, h)
    a, b = _unbind(u, 2)
    return _stack([(a + 1.0) * w / 2.0, (b + h / w) * w / 2.0], u)
