r"""The image-feature framework of the paper (Sec. 4, Fig. 3, Configuration #2;
chapter 9, *Image features*).

::

    crop (B, 3, S, S) --PoseResNet--> heatmaps -> soft-argmax -> 2D joints (B, K, 2) crop pixels
                           |                                        |
                           +-- conv1..conv4 --RoIAlign at joints---> features (B, K, F)
                                                                    |
    2D joints -> image pixels (crop box) -> normalised screen coordinates (B, K, 2)
    [2D || BatchNorm(features)] (B, K, 2 + F) --SemGCN, channel-wise SemGConv (Eq. 3)--> 3D (B, K, 3)

The 2D input of SemGCN is in the units of every other chapter (normalised
screen coordinates of the full image, :func:`~semgcn.data.camera.normalize_screen_coordinates`),
so the 2D-only model (``use_features=False``, the paper's Eq. 5) is exactly
the lifting network of chapters 3-9, fed with the backbone's 2D predictions.
Without crop boxes (a user's own crops of unknown position) the crop itself
is normalised to ``[-1, 1]`` instead.

Real images: crop each person with :func:`~semgcn.image.render.crop_images`
around a box (e.g. :func:`~semgcn.image.render.crop_boxes` of a detector's
joints) and pass the crops, the boxes and the image sizes to
:meth:`ImageSemGCN.forward`; nothing else depends on the images being
rendered.
"""
from __future__ import annotations

import torch
from torch import nn

from ..data.camera import normalize_screen_coordinates
from ..graph import H36M_SKELETON, Skeleton
from ..models import SemGCN
from .backbone import PoseResNet
from .pooling import JointFeaturePooling
from .render import crop_to_image

__all__ = ["ImageSemGCN", "screen_inputs", "build_image_model"]


def screen_inputs(joints_crop: torch.Tensor, size: int, boxes: torch.Tensor | None = None,
                  image_size: torch.Tensor | None = None) -> torch.Tensor:
    """SemGCN's 2D input from crop pixels ``(B, K, 2)``.

    With ``boxes`` ``(B, 4)`` and ``image_size`` ``(B, 2)`` (``res_w, res_h``):
    crop -> image pixels -> normalised screen coordinates (``u / w * 2 - [1, h / w]``),
    the units of :class:`~semgcn.data.PoseSplit` inputs.  Without them: ``u / S * 2 - 1``.
    """
    if boxes is None:
        return joints_crop / size * 2 - 1
    if image_size is None:
        raise ValueError("screen_inputs: boxes given without image_size (res_w, res_h)")
    image_size = torch.as_tensor(image_size, dtype=joints_crop.dtype, device=joints_crop.device)
    image_size = image_size.expand(joints_crop.shape[0], 2) if image_size.dim() == 1 else image_size
    u = crop_to_image(joints_crop, boxes.to(joints_crop.dtype), size)
    return normalize_screen_coordinates(u, image_size[:, None, :1], image_size[:, None, 1:])


class ImageSemGCN(nn.Module):
    r"""Backbone + perceptual feature pooling + SemGCN (the paper's Fig. 3).

    Args:
        arch, width, stages, pretrained, deconv_layers, deconv_channels: the
            2D network, see :class:`~semgcn.image.backbone.PoseResNet`.
        use_features: concatenate pooled conv1..conv4 features to the 2D
            joints (Configuration #2); ``False`` gives the 2D-only model (Eq. 5).
        feature_norm: batch-normalise the pooled features (per channel, no
            affine) before concatenation, so that raw CNN activations and
            the ``[-1, 1]`` coordinates enter the first layer on one scale.
        hidden, num_blocks, nonlocal_blocks, dropout: SemGCN's shape
            (paper: 128, 4, with non-local blocks); ``conv`` defaults to the
            channel-wise SemGConv of Eq. 3 (Configuration #2).
        image_size: crop side ``S`` the model is trained on (recorded; any
            size divisible by 32 works).

    ``forward(images, boxes=None, image_size=None)`` returns a dict:
    ``joints_crop`` ``(B, K, 2)``, ``heatmaps``, ``inputs_2d`` ``(B, K, 2)``,
    ``features`` ``(B, K, F)`` (or ``None``), ``pose_3d`` ``(B, K, 3)`` metres,
    root-relative after subtracting joint 0.  Explained in chapter 9.
    """

    def __init__(self, arch: str = "resnet18", width: int = 64, stages: int = 4, pretrained: bool | str = False,
                 deconv_layers: int = 3, deconv_channels: int = 256, use_features: bool = True,
                 feature_norm: bool = True, hidden: int = 128, num_blocks: int = 4, nonlocal_blocks: bool = True,
                 dropout: float | None = None, conv: str = "channelwise", image_size: int = 64,
                 sampling_ratio: int = 2, skeleton: Skeleton = H36M_SKELETON):
        super().__init__()
        self.config = dict(arch=arch, width=width, stages=stages, deconv_layers=deconv_layers,
                           deconv_channels=deconv_channels, use_features=use_features, feature_norm=feature_norm,
                           hidden=hidden, num_blocks=num_blocks, nonlocal_blocks=nonlocal_blocks, dropout=dropout,
                           conv=conv, image_size=image_size, sampling_ratio=sampling_ratio)
        k = skeleton.num_joints
        self.image_size, self.use_features = image_size, use_features
        self.backbone = PoseResNet(arch, k, pretrained, width, stages, deconv_layers, deconv_channels)
        self.pool = JointFeaturePooling(self.backbone.feature_strides, sampling_ratio=sampling_ratio,
                                        parents=skeleton.parents)
        self.feature_dim = sum(self.backbone.feature_channels) if use_features else 0
        self.feature_norm = nn.BatchNorm1d(self.feature_dim, affine=False) if use_features and feature_norm else None
        self.gcn = SemGCN(skeleton.adjacency(), conv=conv, nonlocal_blocks=nonlocal_blocks, hidden=hidden,
                          num_blocks=num_blocks, dropout=dropout, in_features=2 + self.feature_dim, out_features=3,
                          skeleton=skeleton)

    def pool_features(self, feature_maps, joints_crop: torch.Tensor) -> torch.Tensor | None:
        """Pooled conv1..conv4 features ``(B, K, F)`` at ``joints_crop``, or ``None`` without features."""
        return self.pool(feature_maps, joints_crop) if self.use_features else None

    def lift(self, inputs_2d: torch.Tensor, features: torch.Tensor | None = None) -> torch.Tensor:
        """SemGCN on ``[2D || normalised features]``: ``(B, K, 2)``, ``(B, K, F)`` -> ``(B, K, 3)``."""
        x = inputs_2d.float()
        if self.use_features:
            if features is None:
                raise ValueError("this ImageSemGCN uses image features: pass the pooled features to lift()")
            f = features.float()
            if self.feature_norm is not None:
                b, k, c = f.shape
                f = self.feature_norm(f.reshape(b * k, c)).view(b, k, c)
            x = torch.cat([x, f], dim=-1)
        return self.gcn(x)

    def forward(self, images: torch.Tensor, boxes: torch.Tensor | None = None,
                image_size: torch.Tensor | None = None) -> dict:
        out = self.backbone(images)
        inputs_2d = screen_inputs(out.joints, images.shape[-1], boxes, image_size)
        features = self.pool_features(out.features, out.joints)
        pose = self.lift(inputs_2d, features)
        return {"joints_crop": out.joints, "heatmaps": out.heatmaps, "inputs_2d": inputs_2d, "features": features,
                "pose_3d": pose}


def build_image_model(**config) -> ImageSemGCN:
    """:class:`ImageSemGCN` from a config dict (``model.config`` of a saved run)."""
    return ImageSemGCN(**config)
