r"""Perceptual feature pooling (the paper's Sec. 4.2, Fig. 3; chapter 9, *Image features*).

For every 2D joint, a square box centred on the joint, whose side is the mean
bone length of the 2D skeleton (all joints of an image share it, "since all
joints in the input image share the same scale"), is pooled with
:func:`torchvision.ops.roi_align` from each of the conv1..conv4 feature maps
of the backbone; the pooled vectors are concatenated:

.. math:: \mathbf f_k = \big[\mathrm{RoIAlign}(C_1, \mathbf b_k) \,\|\,
          \dots \,\|\, \mathrm{RoIAlign}(C_4, \mathbf b_k)\big] \in \mathbb R^{\sum_l c_l},
          \qquad \mathbf b_k = \mathbf p_k \pm \tfrac{\bar\ell}{2},\quad
          \bar\ell = \tfrac{1}{|E|}\sum_{(i,j)\in E} \|\mathbf p_i - \mathbf p_j\|

Boxes are given in input (crop) pixels; ``spatial_scale = 1 / stride`` maps
them onto each level (``aligned=True``: the continuous pixel convention of
:mod:`semgcn.image.render`).  RoIAlign is differentiable with respect to the
feature maps (not the box positions), so gradients reach the backbone in the
end-to-end stage through the features and, through the soft-argmax, through
the 2D coordinates that SemGCN also receives.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..graph import H36M_PARENTS

__all__ = ["mean_bone_length", "joint_boxes", "JointFeaturePooling"]


def mean_bone_length(joints: torch.Tensor, parents: Sequence[int] = H36M_PARENTS) -> torch.Tensor:
    """Mean 2D bone length of each skeleton: ``(B, K, 2) -> (B,)`` (same units as ``joints``)."""
    child = [j for j, p in enumerate(parents) if p >= 0]
    parent = [p for p in parents if p >= 0]
    return (joints[:, child] - joints[:, parent]).norm(dim=-1).mean(dim=1)


def joint_boxes(joints: torch.Tensor, side: torch.Tensor) -> torch.Tensor:
    """RoIs for :func:`torchvision.ops.roi_align`: one square box per joint.

    ``joints`` ``(B, K, 2)`` pixels, ``side`` ``(B,)`` (or ``(B, K)``) box
    sides -> ``(B * K, 5)`` rows ``(batch index, x1, y1, x2, y2)``, box
    ``b * K + k`` centred on joint ``k`` of image ``b``.
    """
    b, k, _ = joints.shape
    side = side.to(joints.dtype)
    half = (side[:, None] if side.dim() == 1 else side)[..., None].expand(b, k, 1) / 2
    batch = torch.arange(b, device=joints.device, dtype=joints.dtype)[:, None, None].expand(b, k, 1)
    return torch.cat([batch, joints - half, joints + half], dim=-1).reshape(b * k, 5)


class JointFeaturePooling(nn.Module):
    r"""Pool multi-level CNN features at the 2D joints (Sec. 4.2).

    Args:
        strides: stride of each feature map in input pixels (conv1..conv4 of
            a ResNet: ``(2, 4, 8, 16)``).
        output_size: RoIAlign output grid per box (the grid is averaged, so the
            result is one vector per joint and level).
        sampling_ratio: bilinear samples per output cell and axis.
        min_side: smallest box side in input pixels (a degenerate 2D
            prediction early in training must not give empty boxes).
        parents: the skeleton whose mean bone length sets the box size.

    Shapes: ``features`` list of ``(B, C_l, H_l, W_l)``, ``joints`` ``(B, K, 2)``
    input pixels -> ``(B, K, sum_l C_l)``.  Boxes depend on ``joints`` only
    through detached values (RoIAlign has no gradient for box positions).
    Explained in chapter 9.
    """

    def __init__(self, strides: Sequence[int] = (2, 4, 8, 16), output_size: int = 1, sampling_ratio: int = 2,
                 min_side: float = 2.0, parents: Sequence[int] = H36M_PARENTS):
        super().__init__()
        self.strides, self.output_size, self.sampling_ratio = tuple(strides), output_size, sampling_ratio
        self.min_side, self.parents = min_side, tuple(parents)

    def boxes(self, joints: torch.Tensor) -> torch.Tensor:
        """The ``(B * K, 5)`` RoIs of :func:`joint_boxes`, side = mean bone length (detached)."""
        joints = joints.detach().float()
        side = mean_bone_length(joints, self.parents).clamp_min(self.min_side)
        return joint_boxes(joints, side)

    def forward(self, features: Sequence[torch.Tensor], joints: torch.Tensor) -> torch.Tensor:
        from torchvision.ops import roi_align

        if len(features) != len(self.strides):
            raise ValueError(f"JointFeaturePooling: {len(features)} feature maps for {len(self.strides)} strides")
        b, k, _ = joints.shape
        rois = self.boxes(joints)
        pooled = []
        for fmap, stride in zip(features, self.strides):
            out = roi_align(fmap.float(), rois, self.output_size, 1.0 / stride, self.sampling_ratio, aligned=True)
            pooled.append(out.mean(dim=(2, 3)).view(b, k, -1))
        return torch.cat(pooled, dim=-1)

    def extra_repr(self) -> str:
        return f"strides={self.strides}, output_size={self.output_size}, sampling_ratio={self.sampling_ratio}"
