"""The image-feature framework of the paper (Sec. 4, Fig. 3, Configuration #2):
chapter 9, *Image features* (``book/09_image_features.ipynb``).

* :mod:`~semgcn.image.render`: mannequin crops rendered from 3D poses
  (exact ray-capsule occlusion, shading, varied clothes and backgrounds);
* :mod:`~semgcn.image.data`: image data sets rendered on the fly on the
  training device (synthetic poses or real Human3.6M poses);
* :mod:`~semgcn.image.backbone`: ResNet-18/34/50 + deconvolution head +
  soft-argmax, the integral loss (Sun et al. 2018);
* :mod:`~semgcn.image.pooling`: RoIAlign of conv1..conv4 features in a box
  of the skeleton's mean bone length around every joint;
* :mod:`~semgcn.image.model`: backbone -> 2D joints + pooled features ->
  SemGCN with channel-wise SemGConv (Eq. 3);
* :mod:`~semgcn.image.train`: the three training stages of Sec. 5.1, the
  2D-only / image-feature / ground-truth-2D comparison, throughput.

Five lines (CPU-sized)::

    from semgcn.image import ImageTrainConfig, synthetic_image_data, train_image_model
    data = synthetic_image_data()                       # 512 / 128 / 256 poses, rendered on the fly
    records = train_image_model(ImageTrainConfig(), data, "runs/image-demo")
    print(records["finetune"]["test"]["mpjpe"])         # Protocol #1, mm

Command line: ``python -m semgcn.image --help``.  Needs torchvision
(``pip install "semgcn[image]"``).
"""
from .._extras import require

require("torchvision", feature="semgcn.image")

from .backbone import (ARCHITECTURES, BackboneOutput, PoseResNet, PretrainedWeightsUnavailable, integral_loss,
                       soft_argmax)
from .data import ImagePoseData, ImagePoseSplit, h36m_image_data, load_image_data, synthetic_image_data
from .model import ImageSemGCN, build_image_model, screen_inputs
from .pooling import JointFeaturePooling, joint_boxes, mean_bone_length
from .render import (BODY_PARTS, RenderOutput, crop_boxes, crop_images, crop_to_image, hash_uniform, image_to_crop,
                     render_poses)
from .train import (PRESETS, STAGES, ImageTrainConfig, benchmark_image_pipeline, compare_image_features, evaluate_2d,
                    evaluate_3d, export_image_model, load_image_model, ship_image_results, train_image_model, train_stage)

__all__ = [
    "ARCHITECTURES", "BackboneOutput", "PoseResNet", "PretrainedWeightsUnavailable", "integral_loss", "soft_argmax",
    "ImagePoseData", "ImagePoseSplit", "h36m_image_data", "load_image_data", "synthetic_image_data",
    "ImageSemGCN", "build_image_model", "screen_inputs", "JointFeaturePooling", "joint_boxes", "mean_bone_length",
    "BODY_PARTS", "RenderOutput", "crop_boxes", "crop_images", "crop_to_image", "hash_uniform", "image_to_crop",
    "render_poses", "PRESETS", "STAGES", "ImageTrainConfig", "benchmark_image_pipeline", "compare_image_features",
    "evaluate_2d", "evaluate_3d", "export_image_model", "load_image_model", "ship_image_results", "train_image_model",
    "train_stage",
]
