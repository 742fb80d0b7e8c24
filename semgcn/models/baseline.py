"""The fully connected baseline of Martinez et al. (ICCV 2017), Table 3 (chapter 8)."""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["LinearBaseline"]


class _ResidualLinear(nn.Module):
    """Two (Linear, BatchNorm, ReLU, Dropout) stages with an identity skip."""

    def __init__(self, width: int, dropout: float):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(width, width), nn.BatchNorm1d(width), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(width, width), nn.BatchNorm1d(width), nn.ReLU(), nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.net(x)


class LinearBaseline(nn.Module):
    """"A simple yet effective baseline" (Martinez et al. 2017): the flattened
    2D pose goes through a 1024-unit linear layer, two residual blocks of two
    linear layers with batch norm, ReLU and dropout 0.5, and a linear layer to
    the 3D joints.

    As in the official SemGCN comparison, it predicts only the ``K - 1``
    non-root joints (the root of a root-relative pose is zero); the output is
    re-assembled to ``(B, K, 3)`` with a zero root so that it is a drop-in
    replacement for :class:`~semgcn.models.SemGCN`.  4,288,557 parameters for
    16 joints.

    Shapes: ``(B, K, 2) -> (B, K, 3)``.
    """

    def __init__(self, num_joints: int = 16, width: int = 1024, num_blocks: int = 2, dropout: float = 0.5,
                 in_features: int = 2, out_features: int = 3, root: int = 0):
        super().__init__()
        self.num_joints, self.in_features, self.out_features, self.root = num_joints, in_features, out_features, root
        self.config = dict(model="fc", width=width, num_blocks=num_blocks, dropout=dropout, num_joints=num_joints)
        self.net = nn.Sequential(
            nn.Linear(num_joints * in_features, width), nn.BatchNorm1d(width), nn.ReLU(), nn.Dropout(dropout),
            *[_ResidualLinear(width, dropout) for _ in range(num_blocks)],
            nn.Linear(width, (num_joints - 1) * out_features),
        )
        keep = [j for j in range(num_joints) if j != root]
        self.register_buffer("keep", torch.tensor(keep))
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.kaiming_normal_(m.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[1:] != (self.num_joints, self.in_features):
            raise ValueError(f"LinearBaseline expects (B, {self.num_joints}, {self.in_features}), got {tuple(x.shape)}")
        y = self.net(x.flatten(1)).view(x.shape[0], self.num_joints - 1, self.out_features)
        out = y.new_zeros(x.shape[0], self.num_joints, self.out_features)
        return out.index_copy(1, self.keep, y)
