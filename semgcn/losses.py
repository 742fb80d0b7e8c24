"""Training losses (the paper's Eq. 7; chapter 6).

Poses are ``(..., K, 3)`` tensors.  Bones are the vectors from each joint's
parent to the joint, one per non-root joint of the kinematic tree.
"""
from __future__ import annotations

from typing import Sequence

import torch

from .graph import H36M_PARENTS

__all__ = ["bone_vectors", "joint_loss", "bone_loss", "pose_loss"]


def _check_pair(pred: torch.Tensor, target: torch.Tensor, name: str) -> None:
    if pred.shape != target.shape:
        raise ValueError(f"{name}: prediction {tuple(pred.shape)} and target {tuple(target.shape)} differ in shape")
    if pred.dim() < 2 or pred.shape[-1] not in (2, 3):
        raise ValueError(f"{name}: poses must be (..., K, 2 or 3), got {tuple(pred.shape)}")


def bone_vectors(pose: torch.Tensor, parents: Sequence[int] = H36M_PARENTS) -> torch.Tensor:
    """Bone vectors ``pose[child] - pose[parent]``: ``(..., K, D) -> (..., K-1, D)``."""
    if pose.shape[-2] != len(parents):
        raise ValueError(f"bone_vectors: pose has {pose.shape[-2]} joints but parents lists {len(parents)}")
    child = [j for j, p in enumerate(parents) if p >= 0]
    parent = [p for p in parents if p >= 0]
    return pose[..., child, :] - pose[..., parent, :]


def joint_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared joint-position error (the first term of Eq. 7, averaged
    over joints, coordinates and poses as in the official code's MSE)."""
    _check_pair(pred, target, "joint_loss")
    return torch.mean((pred - target) ** 2)


def bone_loss(pred: torch.Tensor, target: torch.Tensor, parents: Sequence[int] = H36M_PARENTS) -> torch.Tensor:
    """Mean squared bone-vector error (the second term of Eq. 7)."""
    _check_pair(pred, target, "bone_loss")
    return torch.mean((bone_vectors(pred, parents) - bone_vectors(target, parents)) ** 2)


def pose_loss(pred: torch.Tensor, target: torch.Tensor, bone_weight: float = 0.0,
              parents: Sequence[int] = H36M_PARENTS, l1_weight: float = 0.0) -> torch.Tensor:
    r"""Eq. 7: :math:`\sum_i \|\tilde J_i - J_i\|^2 + \lambda \sum_i \|\tilde B_i - B_i\|^2`
    (as means).  Configuration #1 of the paper uses the joint term only
    (``bone_weight=0``); the image-feature model (Configuration #2) uses both.

    ``l1_weight`` :math:`=w` replaces the joint term by
    :math:`(1-w)\,\mathrm{MSE} + w\,\mathrm{L1}`, the mean squared and the
    mean absolute coordinate error: the modulated GCN's loss (Zou & Tang,
    ICCV 2021, trained with :math:`w = 0.1`)."""
    if not 0.0 <= l1_weight <= 1.0:
        raise ValueError(f"pose_loss: l1_weight must be in [0, 1], got {l1_weight!r}")
    loss = joint_loss(pred, target)
    if l1_weight:
        loss = (1.0 - l1_weight) * loss + l1_weight * torch.mean(torch.abs(pred - target))
    if bone_weight:
        loss = loss + bone_weight * bone_loss(pred, target, parents)
    return loss
