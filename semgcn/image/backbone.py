r"""The 2D pose network: a torchvision ResNet with an integral-regression head
(Sun et al. 2018, "Integral Human Pose Regression"; the paper's Sec. 4 and
Sec. 5.1; chapter 9, *Image features*).

::

    image (B, 3, S, S) in [0, 1] -> ImageNet normalisation
    conv1 (stem, stride 2) -> maxpool -> layer1 (4) -> layer2 (8) -> layer3 (16) -> layer4 (32)
    deconvolution head: n x [ConvTranspose 4x4 stride 2 + BN + ReLU] -> 1x1 conv -> K heatmaps
    soft-argmax -> (B, K, 2) joints in crop pixels

The feature maps of ``conv1`` to ``conv4`` (the stem and ``layer1`` to
``layer3`` in torchvision's names; strides 2, 4, 8, 16) are returned too: the
perceptual features that :mod:`semgcn.image.pooling` pools at each joint.

``pretrained=True`` loads torchvision's ImageNet weights (downloaded once
into the torch hub cache; works offline once cached) and raises
:class:`PretrainedWeightsUnavailable` with instructions when they cannot be
had; ``pretrained="auto"`` warns and keeps the random initialisation
instead.  The default ``False`` never touches the network.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["ARCHITECTURES", "PoseResNet", "BackboneOutput", "PretrainedWeightsUnavailable", "soft_argmax",
           "integral_loss", "load_imagenet_weights"]

# name -> (block, blocks per stage, torchvision weights enum name)
ARCHITECTURES = {
    "resnet18": ("basic", (2, 2, 2, 2), "ResNet18_Weights"),
    "resnet34": ("basic", (3, 4, 6, 3), "ResNet34_Weights"),
    "resnet50": ("bottleneck", (3, 4, 6, 3), "ResNet50_Weights"),
}
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


class PretrainedWeightsUnavailable(RuntimeError):
    """torchvision's ImageNet weights could not be loaded (no internet and no cached copy)."""


def soft_argmax(heatmaps: torch.Tensor, beta: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Integral regression (Sun et al. 2018): the expected position under a softmax.

    .. math:: \hat{\mathbf J}_k = \sum_{\mathbf p} \mathbf p\,
              \frac{\exp(\beta H_k(\mathbf p))}{\sum_{\mathbf q}\exp(\beta H_k(\mathbf q))}

    with pixel centres ``p = (x + 0.5, y + 0.5)``.  ``heatmaps`` ``(B, K, h, w)``
    -> ``(joints (B, K, 2)`` in heatmap pixels ``(x, y)``, ``probabilities
    (B, K, h, w))``.  Differentiable, computed in float32.
    """
    b, k, h, w = heatmaps.shape
    prob = torch.softmax(beta * heatmaps.float().reshape(b, k, h * w), dim=-1).reshape(b, k, h, w)
    xs = torch.arange(w, device=heatmaps.device, dtype=torch.float32) + 0.5
    ys = torch.arange(h, device=heatmaps.device, dtype=torch.float32) + 0.5
    x = (prob.sum(2) * xs).sum(-1)
    y = (prob.sum(3) * ys).sum(-1)
    return torch.stack([x, y], -1), prob


def integral_loss(pred: torch.Tensor, target: torch.Tensor, size: float) -> torch.Tensor:
    """The integral loss (Sun et al. 2018): mean L1 distance between soft-argmax
    joints and the ground truth, both ``(B, K, 2)`` crop pixels, divided by
    the crop size ``size`` (so it reads as a fraction of the crop)."""
    if pred.shape != target.shape:
        raise ValueError(f"integral_loss: prediction {tuple(pred.shape)} and target {tuple(target.shape)} differ")
    return (pred.float() - target.float()).abs().mean() / size


@dataclass
class BackboneOutput:
    """Output of :class:`PoseResNet`.

    Attributes:
        joints: ``(B, K, 2)`` soft-argmax joints in crop pixels.
        heatmaps: ``(B, K, h, w)`` logits (``h = S / heatmap_stride``).
        features: feature maps of conv1..conv4, ``[(B, C_i, S / s_i, S / s_i)]``
            with strides ``s_i`` = :attr:`PoseResNet.feature_strides`.
    """

    joints: torch.Tensor
    heatmaps: torch.Tensor
    features: list


def _download_state_dict(weights) -> dict:
    """torchvision's loader: the hub cache, else a download (tests replace this)."""
    return weights.get_state_dict(progress=False, check_hash=True)


def _imagenet_state_dict(arch: str) -> dict:
    import torchvision.models as tvm

    weights = getattr(tvm, ARCHITECTURES[arch][2]).IMAGENET1K_V1
    try:
        return _download_state_dict(weights)
    except Exception as exc:  # URLError, OSError, RuntimeError (hash), ...
        import torch.hub
        raise PretrainedWeightsUnavailable(
            f"could not load torchvision's ImageNet weights for {arch} ({type(exc).__name__}: {exc}). "
            f"Either connect to the internet, or download {weights.url} and put it in "
            f"{torch.hub.get_dir()}/checkpoints/, or use pretrained=False (random initialisation) "
            f"or pretrained='auto' (warn and continue).") from exc


def load_imagenet_weights(module: nn.Module, arch: str) -> None:
    """Copy torchvision's ImageNet weights of ``arch`` into a trunk with
    torchvision's module names (``conv1``, ``bn1``, ``layer1``...); the
    classifier (``fc``) and stages the trunk lacks are dropped.  Raises
    :class:`PretrainedWeightsUnavailable` when the weights cannot be had."""
    state = _imagenet_state_dict(arch)
    own = module.state_dict()
    trunk = [k for k in own if k.split(".")[0] in ("conv1", "bn1", "layer1", "layer2", "layer3", "layer4")]
    missing = [k for k in trunk if k not in state]
    bad = [k for k in trunk if k in state and state[k].shape != own[k].shape]
    if missing or bad:
        raise ValueError(f"ImageNet weights of {arch} do not fit this trunk (missing {missing[:3]}, "
                         f"shape mismatch {bad[:3]}); ImageNet weights need width=64")
    module.load_state_dict({k: state[k] for k in trunk}, strict=False)


class PoseResNet(nn.Module):
    r"""ResNet-18/34/50 trunk + deconvolution head + soft-argmax (Sun et al. 2018).

    Args:
        arch: ``"resnet18"``, ``"resnet34"`` or ``"resnet50"`` (torchvision's blocks).
        num_joints: ``K`` heatmaps (16 for the Human3.6M skeleton).
        pretrained: ``False`` (default, random init, never downloads),
            ``True`` (torchvision ImageNet weights or :class:`PretrainedWeightsUnavailable`),
            ``"auto"`` (ImageNet weights when available, else a warning).
        width: channels of the stem and ``layer1`` (torchvision: 64; the
            stages have ``width * (1, 2, 4, 8) * expansion`` channels).
            Smaller widths make CPU-sized models; ImageNet weights need 64.
        stages: 4 (full trunk, head on ``layer4``, stride 32) or 3
            (truncated after ``layer3``, stride 16).
        deconv_layers, deconv_channels: the head's up-sampling layers (Sun et
            al. / Xiao et al.: 3 x 256, heatmaps at stride 4).
        beta: soft-argmax temperature.

    Shapes: ``(B, 3, S, S)`` images in ``[0, 1]`` -> :class:`BackboneOutput`.
    Explained in chapter 9.
    """

    def __init__(self, arch: str = "resnet18", num_joints: int = 16, pretrained: bool | str = False, width: int = 64,
                 stages: int = 4, deconv_layers: int = 3, deconv_channels: int = 256, beta: float = 1.0):
        super().__init__()
        if arch not in ARCHITECTURES:
            raise ValueError(f"unknown backbone {arch!r}; choose one of {sorted(ARCHITECTURES)}")
        if stages not in (3, 4):
            raise ValueError(f"stages must be 3 or 4, got {stages}")
        if pretrained not in (False, True, "auto"):
            raise ValueError(f"pretrained must be False, True or 'auto', got {pretrained!r}")
        if pretrained and width != 64:
            raise ValueError(f"ImageNet weights exist for width 64 only, got width={width}")
        from torchvision.models.resnet import BasicBlock, Bottleneck, conv1x1

        kind, blocks, _ = ARCHITECTURES[arch]
        block = BasicBlock if kind == "basic" else Bottleneck
        self.config = dict(arch=arch, num_joints=num_joints, width=width, stages=stages,
                           deconv_layers=deconv_layers, deconv_channels=deconv_channels, beta=beta)
        self.num_joints, self.beta = num_joints, beta
        self.register_buffer("mean", torch.tensor(_IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        # torchvision's module names, so that its ImageNet state_dict loads as is
        self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes, channels = width, [width]
        for i in range(stages):
            planes, stride = width * 2 ** i, 1 if i == 0 else 2
            down = None
            if stride != 1 or inplanes != planes * block.expansion:
                down = nn.Sequential(conv1x1(inplanes, planes * block.expansion, stride),
                                     nn.BatchNorm2d(planes * block.expansion))
            layers = [block(inplanes, planes, stride, down)]
            inplanes = planes * block.expansion
            layers += [block(inplanes, planes) for _ in range(blocks[i] - 1)]
            setattr(self, f"layer{i + 1}", nn.Sequential(*layers))
            channels.append(inplanes)
        self.stages = stages
        #: channels of the conv1..conv4 feature maps (stem, layer1, layer2, layer3)
        self.feature_channels = tuple(channels[:4])
        #: their strides in input pixels
        self.feature_strides = (2, 4, 8, 16)
        head, c = [], inplanes
        for _ in range(deconv_layers):
            head += [nn.ConvTranspose2d(c, deconv_channels, 4, 2, 1, bias=False), nn.BatchNorm2d(deconv_channels),
                     nn.ReLU(inplace=True)]
            c = deconv_channels
        self.deconv = nn.Sequential(*head)
        self.final = nn.Conv2d(c, num_joints, 1)
        #: heatmap stride in input pixels
        self.heatmap_stride = 2 ** (stages + 1 - deconv_layers)
        self.reset_parameters()
        #: whether ImageNet weights were loaded
        self.pretrained_loaded = False
        if pretrained:
            try:
                load_imagenet_weights(self, arch)
                self.pretrained_loaded = True
            except PretrainedWeightsUnavailable as exc:
                if pretrained is True:
                    raise
                warnings.warn(f"{exc} Continuing with random initialisation.", stacklevel=2)

    def reset_parameters(self) -> None:
        """torchvision's initialisation for the trunk (He normal, fan-out; BN 1/0),
        N(0, 0.001) for the head (as in Xiao et al. / Sun et al.)."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.ConvTranspose2d):
                nn.init.normal_(m.weight, std=0.001)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        nn.init.normal_(self.final.weight, std=0.001)
        nn.init.zeros_(self.final.bias)

    def forward(self, images: torch.Tensor) -> BackboneOutput:
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f"PoseResNet expects images of shape (B, 3, S, S), got {tuple(images.shape)}")
        x = (images - self.mean.to(images.dtype)) / self.std.to(images.dtype)
        c1 = self.relu(self.bn1(self.conv1(x)))
        c2 = self.layer1(self.maxpool(c1))
        c3 = self.layer2(c2)
        c4 = self.layer3(c3)
        top = self.layer4(c4) if self.stages == 4 else c4
        heatmaps = self.final(self.deconv(top))
        joints, _ = soft_argmax(heatmaps, self.beta)
        stride_y = images.shape[-2] / heatmaps.shape[-2]
        stride_x = images.shape[-1] / heatmaps.shape[-1]
        joints = joints * joints.new_tensor([stride_x, stride_y])
        return BackboneOutput(joints=joints, heatmaps=heatmaps, features=[c1, c2, c3, c4])
