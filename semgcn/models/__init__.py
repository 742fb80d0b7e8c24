"""Models: SemGCN and its ablations (one builder), the fully connected baseline."""
from .semgcn import SemGCN, GraphConvBlock, ResidualGraphBlock, NAMED_CONFIGS, DISPLAY_NAMES, build_model, list_models
from .baseline import LinearBaseline, MeanPose

__all__ = ["SemGCN", "GraphConvBlock", "ResidualGraphBlock", "NAMED_CONFIGS", "DISPLAY_NAMES", "build_model",
           "list_models", "LinearBaseline", "MeanPose", "count_parameters"]


def count_parameters(model) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
