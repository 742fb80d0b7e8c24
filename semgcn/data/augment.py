"""Mirror augmentation: the same pose seen in a horizontally flipped image
(chapter 7's left-right tests; used by :func:`semgcn.train.train` when
``augment_flip`` or ``flip_test`` is on).

Flipping an image about the vertical line through the camera's principal
point is, for a pinhole camera, the same picture as the mirror image of the
3D scene in the camera's ``x = 0`` plane.  So a training pair ``(2D, 3D)``
gives a second, equally valid pair: negate the 2D ``x`` about the principal
point, negate the 3D ``x``, and swap the left and right joints (a left knee
seen in a mirror is a right knee).  The principal points of the four
Human3.6M cameras sit 9-20 px right of the image centre, so mirroring about
the centre (as many codebases do) would shift every flipped pose by that
much; here each pose is mirrored about its own camera's principal point.
Lens distortion is ignored (a sub-pixel effect away from the image border).
"""
from __future__ import annotations

import torch

from ..graph import H36M_SKELETON, Skeleton
from .camera import camera_intrinsics

__all__ = ["principal_points_x", "mirror_inputs", "mirror_targets", "mirror_pairs", "mirror_split"]


def principal_points_x(num_cameras: int = 4, device="cpu", camera_file=None) -> torch.Tensor:
    """``(num_cameras,)`` principal-point ``x`` of each camera in the network's
    normalised screen units (``2 c_x / w - 1``; 0 is the image centre)."""
    xs = []
    for i in range(num_cameras):
        cam = camera_intrinsics(i, camera_file)
        xs.append(2.0 * cam.center[0] / cam.res_w - 1.0)
    return torch.tensor(xs, dtype=torch.float32, device=device)


def _check(camera: torch.Tensor, centres: torch.Tensor, n: int) -> None:
    if camera.shape != (n,):
        raise ValueError(f"mirror: camera must have shape ({n},) (one index per pose), got {tuple(camera.shape)}")
    if n and (int(camera.min()) < 0 or int(camera.max()) >= len(centres)):
        raise ValueError(f"mirror: camera indices must be in 0..{len(centres) - 1}, "
                         f"got {int(camera.min())}..{int(camera.max())}")


def mirror_inputs(inputs: torch.Tensor, camera: torch.Tensor, centres: torch.Tensor,
                  skeleton: Skeleton = H36M_SKELETON) -> torch.Tensor:
    """2D joints ``(N, K, 2)`` (normalised screen units) as seen in the flipped
    image: ``x -> 2 c_x - x`` about each pose's principal point, left and right
    joints swapped.  ``camera`` ``(N,)`` indexes ``centres`` (from
    :func:`principal_points_x`)."""
    _check(camera, centres, inputs.shape[0])
    perm = torch.tensor(skeleton.flip_permutation(), device=inputs.device)
    out = inputs[:, perm].clone()
    out[..., 0] = 2.0 * centres[camera][:, None] - out[..., 0]
    return out


def mirror_targets(targets: torch.Tensor, skeleton: Skeleton = H36M_SKELETON) -> torch.Tensor:
    """3D joints ``(N, K, 3)`` in camera coordinates, mirrored in the camera's
    ``x = 0`` plane with left and right swapped.  Its own inverse, so it also
    maps a prediction made on mirrored inputs back to the original image."""
    perm = torch.tensor(skeleton.flip_permutation(), device=targets.device)
    out = targets[:, perm].clone()
    out[..., 0] = -out[..., 0]
    return out


def mirror_pairs(inputs: torch.Tensor, targets: torch.Tensor, camera: torch.Tensor, centres: torch.Tensor,
                 which: torch.Tensor, skeleton: Skeleton = H36M_SKELETON) -> tuple[torch.Tensor, torch.Tensor]:
    """Mirror the training pairs selected by the boolean mask ``which`` ``(N,)``
    and keep the others: one batch of flip augmentation."""
    if which.shape != (inputs.shape[0],):
        raise ValueError(f"mirror_pairs: which must have shape ({inputs.shape[0]},), got {tuple(which.shape)}")
    x = torch.where(which[:, None, None], mirror_inputs(inputs, camera, centres, skeleton), inputs)
    y = torch.where(which[:, None, None], mirror_targets(targets, skeleton), targets)
    return x, y


def mirror_split(split, skeleton: Skeleton = H36M_SKELETON):
    """A :class:`~semgcn.data.PoseSplit` of the mirror images of ``split``'s
    poses (inputs and targets mirrored, labels kept): the test set a network
    would see if every video were flipped."""
    from dataclasses import replace
    centres = principal_points_x(device=split.inputs.device)
    return replace(split, inputs=mirror_inputs(split.inputs, split.camera, centres, skeleton),
                   targets=mirror_targets(split.targets, skeleton))
