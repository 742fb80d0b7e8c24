"""Evaluation metrics: MPJPE (Protocol #1), P-MPJPE (Protocol #2), per-action
tables and the bone-length scale calibration of Sec. 5.2 (chapter 6).

Poses are ``(N, K, 3)`` tensors or arrays in metres; errors are returned in
millimetres.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from .graph import H36M_PARENTS
from .losses import bone_vectors

__all__ = ["mpjpe", "p_mpjpe", "procrustes_align", "per_action_errors", "action_average",
           "calibrate_bone_length", "format_action_table"]


def _as_tensor(x) -> torch.Tensor:
    return x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))


def _check(pred: torch.Tensor, target: torch.Tensor, name: str) -> None:
    if pred.shape != target.shape or pred.dim() < 2:
        raise ValueError(f"{name}: prediction {tuple(pred.shape)} and target {tuple(target.shape)} must be equal "
                         f"(..., K, D) shapes")


#: Millimetres per unit of the poses given to :func:`mpjpe` and :func:`p_mpjpe`.
UNITS = {"m": 1000.0, "mm": 1.0}
#: No human pose spans this many metres: larger coordinates with ``unit="m"`` mean the poses are not in metres.
_MAX_METRES = 20.0


def _unit_scale(unit: str, target: torch.Tensor, name: str) -> float:
    if unit not in UNITS:
        raise ValueError(f"{name}: unit must be one of {sorted(UNITS)}, got {unit!r}")
    if unit == "m" and target.numel():
        largest = float(target.detach().abs().max())
        if largest > _MAX_METRES:
            raise ValueError(f"{name}: coordinates reach {largest:.4g}, which is not metres for a human pose; "
                             f"pass unit='mm' for poses in millimetres")
    return UNITS[unit]


def mpjpe(pred, target, reduce: bool = True, unit: str = "m"):
    """Mean per-joint position error in **millimetres**: mean Euclidean
    distance over joints (and poses if ``reduce``).  ``unit`` is the unit of
    the given poses, ``"m"`` (the package's, default) or ``"mm"``; poses with
    coordinates beyond 20 given as metres are refused rather than silently
    multiplied by 1000.  Protocol #1 compares root-relative poses, so pass
    root-relative inputs.

    Returns a scalar tensor, or ``(N,)`` per-pose errors with ``reduce=False``.
    """
    pred, target = _as_tensor(pred), _as_tensor(target)
    _check(pred, target, "mpjpe")
    scale = _unit_scale(unit, target, "mpjpe")
    err = torch.linalg.vector_norm(pred - target, dim=-1).mean(-1) * scale
    return err.mean() if reduce else err


def procrustes_align(pred, target) -> torch.Tensor:
    """Align each predicted pose to its target with the best similarity
    transform (rotation, uniform scale, translation), batched.

    Solves :math:`\\min_{s,R,t} \\|s R X + t - Y\\|` per pose with an SVD of the
    centred cross-covariance; when the best orthogonal matrix is a reflection
    (``det < 0``) the last singular direction is flipped so ``R`` is a proper
    rotation.  Shapes: ``(N, K, D)`` -> ``(N, K, D)``; computed in float64.
    """
    pred, target = _as_tensor(pred), _as_tensor(target)
    _check(pred, target, "procrustes_align")
    x, y = pred.double(), target.double()
    mx, my = x.mean(-2, keepdim=True), y.mean(-2, keepdim=True)
    x0, y0 = x - mx, y - my
    nx = torch.linalg.vector_norm(x0, dim=(-2, -1), keepdim=True).clamp_min(1e-12)
    ny = torch.linalg.vector_norm(y0, dim=(-2, -1), keepdim=True).clamp_min(1e-12)
    x0, y0 = x0 / nx, y0 / ny
    u, s, vh = torch.linalg.svd(x0.transpose(-2, -1) @ y0)  # (N, D, D)
    d = torch.sign(torch.linalg.det(u @ vh))
    flip = torch.ones_like(s)
    flip[..., -1] = d
    rot = u @ torch.diag_embed(flip) @ vh  # maps row vectors: x0 @ rot ~ y0
    scale = (s * flip).sum(-1)[..., None, None] * ny / nx
    aligned = scale * ((x - mx) @ rot) + my
    return aligned.to(pred.dtype)


def p_mpjpe(pred, target, reduce: bool = True, unit: str = "m"):
    """Protocol #2 in millimetres: MPJPE after a similarity (Procrustes)
    alignment of each predicted pose to the ground truth; ``unit`` as in
    :func:`mpjpe`."""
    pred, target = _as_tensor(pred), _as_tensor(target)
    _unit_scale(unit, target, "p_mpjpe")
    return mpjpe(procrustes_align(pred, target), target, reduce=reduce, unit=unit)


def per_action_errors(errors, action, action_names: Sequence[str]) -> dict:
    """Mean of per-pose ``errors`` (``(N,)``) for each action index in
    ``action`` (``(N,)``): ``{action_name: mean error}``, actions in the
    order of ``action_names``; actions with no pose are left out."""
    errors, action = _as_tensor(errors).double(), _as_tensor(action).long()
    if errors.shape != action.shape:
        raise ValueError(f"per_action_errors: errors {tuple(errors.shape)} and action {tuple(action.shape)} differ")
    sums = torch.zeros(len(action_names), dtype=torch.float64, device=errors.device).index_add_(0, action, errors)
    counts = torch.bincount(action, minlength=len(action_names)).to(sums)
    return {name: float(sums[i] / counts[i]) for i, name in enumerate(action_names) if counts[i] > 0}


def action_average(table: dict) -> float:
    """The literature's average: the mean over actions of per-action means
    (not the mean over all poses)."""
    if not table:
        raise ValueError("action_average: empty table")
    return float(np.mean(list(table.values())))


def calibrate_bone_length(pred, reference_bone_sum, parents: Sequence[int] = H36M_PARENTS):
    """Sec. 5.2 scale calibration: rescale each root-relative predicted pose
    so that the sum of its bone lengths equals ``reference_bone_sum`` (a
    scalar or ``(N,)``: e.g. a canonical skeleton's total bone length).
    Shapes: ``(N, K, 3) -> (N, K, 3)``."""
    pred = _as_tensor(pred)
    total = torch.linalg.vector_norm(bone_vectors(pred, parents), dim=-1).sum(-1).clamp_min(1e-12)
    ref = torch.as_tensor(reference_bone_sum, dtype=pred.dtype, device=pred.device)
    return pred * (ref / total)[..., None, None]


def format_action_table(rows: dict, action_names: Sequence[str] | None = None, digits: int = 1) -> str:
    """Plain-text per-action table: ``rows`` maps a row label to a
    ``{action: error}`` dict; an ``Avg.`` column (mean over actions) is added."""
    if not rows:
        return ""
    names = list(action_names or next(iter(rows.values())).keys())
    width = max(7, *(len(n) + 1 for n in names))
    label_w = max(len(r) for r in rows) + 2
    lines = [" " * label_w + "".join(f"{n[:width - 1]:>{width}}" for n in names) + f"{'Avg.':>{width}}"]
    for label, table in rows.items():
        vals = [table.get(n, float("nan")) for n in names]
        avg = action_average({n: v for n, v in zip(names, vals) if n in table})
        lines.append(f"{label:<{label_w}}" + "".join(f"{v:>{width}.{digits}f}" for v in vals) + f"{avg:>{width}.{digits}f}")
    return "\n".join(lines)
