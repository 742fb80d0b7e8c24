"""SemGCN, ResGCN and the ablation family (the paper's Fig. 2 and Table 1;
chapters 2, 5, 6 and 7).

One network shape covers every row of Table 1 and the graph-convolution
baselines of Table 3::

    input graph conv (2 -> 128) + BN + ReLU          [+ non-local]
    4 x residual block: 2 x (graph conv 128 + BN + ReLU), skip   [+ non-local]
    output graph conv (128 -> 3)

The switches are the graph-convolution type (``conv``), the non-local blocks
(``nonlocal_blocks``), width, depth and dropout.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..graph import H36M_SKELETON, Skeleton, check_adjacency
from ..nn import GRAPH_CONVS, GraphNonLocal

__all__ = ["GraphConvBlock", "ResidualGraphBlock", "SemGCN", "NAMED_CONFIGS", "build_model", "list_models"]


class GraphConvBlock(nn.Module):
    """Graph convolution, batch norm over channels, ReLU, optional dropout.
    Shapes: ``(B, K, C_in) -> (B, K, C_out)``."""

    def __init__(self, conv: nn.Module, out_features: int, dropout: float | None = None):
        super().__init__()
        self.conv = conv
        self.bn = nn.BatchNorm1d(out_features)
        self.dropout = nn.Dropout(dropout) if dropout else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        b, k, c = y.shape
        # Batch norm statistics over batch and nodes (same as BatchNorm1d on (B, C, K)).
        y = torch.relu(self.bn(y.reshape(b * k, c))).view(b, k, c)
        return self.dropout(y) if self.dropout is not None else y


class ResidualGraphBlock(nn.Module):
    """Two :class:`GraphConvBlock` with an identity skip (He et al. 2016):
    ``x + block2(block1(x))``.  Shapes: ``(B, K, C) -> (B, K, C)``."""

    def __init__(self, make_conv, channels: int, dropout: float | None = None):
        super().__init__()
        self.block1 = GraphConvBlock(make_conv(channels, channels), channels, dropout)
        self.block2 = GraphConvBlock(make_conv(channels, channels), channels, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block2(self.block1(x))


class SemGCN(nn.Module):
    r"""Semantic Graph Convolutional Network (Fig. 2) and its ablations.

    Args:
        adj: ``(K, K)`` adjacency with self-loops (default: the Human3.6M
            16-joint skeleton).
        conv: graph convolution type, one of ``"vanilla"`` (Eq. 1, ResGCN),
            ``"semantic"`` (Eq. 2), ``"channelwise"`` (Eq. 3), ``"mask"``
            (ST-GCN-style), ``"attention"`` (GAT/aGCN-style) and ``"modulated"``
            (weight and affinity modulation, Zou & Tang 2021).
        nonlocal_blocks: add a :class:`~semgcn.nn.GraphNonLocal` after the
            input layer and after every residual block.
        hidden: channels of the hidden layers (paper: 128).
        num_blocks: residual blocks (paper: 4).
        dropout: dropout probability after each ReLU (``None``: none).
        groups: joint groups pooled by the non-local blocks (default: the
            skeleton's, i.e. the official pairing for Human3.6M).
        pairwise: non-local pairwise function (``"concatenation"``,
            ``"embedded_gaussian"``, ``"dot_product"``).
        in_features / out_features: 2 and 3 for 2D-to-3D lifting; larger
            ``in_features`` when image features are concatenated (Sec. 4).
        conv_kwargs: extra keyword arguments of every graph convolution (e.g.
            ``{"modulation_init": "xavier"}`` for ``conv="modulated"``).

    Shapes: ``(B, K, in_features) -> (B, K, out_features)``.
    Parameter counts for 16 joints, width 128, 4 blocks: semantic with
    non-local 434,703; without 267,343; vanilla 135,171 (ResGCN) and
    302,531 with non-local.  Explained in chapter 6.
    """

    def __init__(self, adj: torch.Tensor | None = None, conv: str = "semantic", nonlocal_blocks: bool = True,
                 hidden: int = 128, num_blocks: int = 4, dropout: float | None = None,
                 groups: Sequence[Sequence[int]] | None = None, pairwise: str = "concatenation",
                 in_features: int = 2, out_features: int = 3, skeleton: Skeleton = H36M_SKELETON,
                 conv_kwargs: dict | None = None):
        super().__init__()
        if conv not in GRAPH_CONVS:
            raise ValueError(f"unknown graph convolution {conv!r}; choose one of {sorted(GRAPH_CONVS)}")
        if num_blocks < 0 or hidden < 1:
            raise ValueError(f"need hidden >= 1 and num_blocks >= 0, got hidden={hidden}, num_blocks={num_blocks}")
        adj = check_adjacency(skeleton.adjacency() if adj is None else adj)
        k = adj.shape[0]
        if groups is None and k == skeleton.num_joints:
            groups = skeleton.groups or None
        self.config = dict(conv=conv, nonlocal_blocks=nonlocal_blocks, hidden=hidden, num_blocks=num_blocks,
                           dropout=dropout, pairwise=pairwise, in_features=in_features,
                           out_features=out_features, num_joints=k)
        conv_kwargs = dict(conv_kwargs or {})
        if conv_kwargs:
            self.config["conv_kwargs"] = conv_kwargs
        self.num_joints, self.in_features, self.out_features = k, in_features, out_features

        def make_conv(i, o):
            return GRAPH_CONVS[conv](i, o, adj, **conv_kwargs)

        def make_nonlocal():
            return GraphNonLocal(hidden, hidden // 2, pairwise=pairwise, groups=groups, num_nodes=k)

        try:
            first = make_conv(in_features, hidden)
        except TypeError as e:
            raise ValueError(f"conv_kwargs {conv_kwargs!r} do not fit graph convolution {conv!r}: {e}") from None
        layers = [GraphConvBlock(first, hidden, dropout)]
        if nonlocal_blocks:
            layers.append(make_nonlocal())
        for _ in range(num_blocks):
            layers.append(ResidualGraphBlock(make_conv, hidden, dropout))
            if nonlocal_blocks:
                layers.append(make_nonlocal())
        self.body = nn.Sequential(*layers)
        self.head = make_conv(hidden, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[1:] != (self.num_joints, self.in_features):
            raise ValueError(f"SemGCN expects 2D poses of shape (B, {self.num_joints}, {self.in_features}), "
                             f"got {tuple(x.shape)}")
        return self.head(self.body(x))


#: Named configurations: the rows of Table 1 and Table 3.
NAMED_CONFIGS = {
    "resgcn": dict(conv="vanilla", nonlocal_blocks=False),
    "semgcn-no-semgconv": dict(conv="vanilla", nonlocal_blocks=True),
    "semgcn-no-nonlocal": dict(conv="semantic", nonlocal_blocks=False),
    "semgcn": dict(conv="semantic", nonlocal_blocks=True),
    "semgcn-channelwise": dict(conv="channelwise", nonlocal_blocks=True),
    "semgcn-channelwise-no-nonlocal": dict(conv="channelwise", nonlocal_blocks=False),
    "stgcn": dict(conv="mask", nonlocal_blocks=False),
    "gat": dict(conv="attention", nonlocal_blocks=False),
    # Zou & Tang (ICCV 2021): the same residual network with weight and affinity modulation, no non-local
    # blocks (287,923 parameters; they report 0.29M).
    "modulated-gcn": dict(conv="modulated", nonlocal_blocks=False),
    "fc": None,  # the fully connected baseline of Martinez et al. (semgcn.models.baseline)
}

#: Display names used in tables and plots.
DISPLAY_NAMES = {
    "resgcn": "ResGCN", "semgcn-no-semgconv": "Ours w/o SemGConv", "semgcn-no-nonlocal": "Ours w/o Non-Local",
    "semgcn": "SemGCN", "semgcn-channelwise": "SemGCN (channel-wise, Eq. 3)",
    "semgcn-channelwise-no-nonlocal": "SemGCN channel-wise w/o Non-Local",
    "stgcn": "ST-GCN-style mask", "gat": "GAT/aGCN-style attention", "fc": "FC (Martinez et al.)",
    "modulated-gcn": "Modulated GCN (Zou & Tang)",
}

_ALIASES = {"w/o semgconv": "semgcn-no-semgconv", "w/o non-local": "semgcn-no-nonlocal",
            "martinez": "fc", "st-gcn": "stgcn", "agcn": "gat"}


def list_models() -> list:
    """Names accepted by :func:`build_model`."""
    return list(NAMED_CONFIGS)


def build_model(name: str = "semgcn", **overrides) -> nn.Module:
    """Build a named configuration (Table 1 / Table 3), with keyword overrides.

    >>> sum(p.numel() for p in build_model("semgcn").parameters())
    434703
    """
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in NAMED_CONFIGS:
        raise ValueError(f"unknown model {name!r}; choose one of {list_models()}")
    if key == "fc":
        from .baseline import LinearBaseline
        return LinearBaseline(**overrides)
    return SemGCN(**{**NAMED_CONFIGS[key], **overrides})
