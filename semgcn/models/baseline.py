"""The fully connected baseline of Martinez et al. (ICCV 2017), Table 3 (chapter 8)."""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["LinearBaseline", "MeanPose"]


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

    ``standardize=True`` adds Martinez et al.'s data normalisation inside the
    network: every input and output coordinate is z-scored with the mean and
    standard deviation of the training set (buffers set by
    :meth:`fit_standardization`, which :func:`semgcn.train.train` calls before
    the first step and which travel with the checkpoint).  The network still
    takes and returns poses in the data's units, so the loss and the metrics
    are unchanged; what changes is the scale the layers work in (a freshly
    initialised output layer predicts about one standard deviation instead of
    about a metre).

    Shapes: ``(B, K, 2) -> (B, K, 3)``.
    """

    def __init__(self, num_joints: int = 16, width: int = 1024, num_blocks: int = 2, dropout: float = 0.5,
                 in_features: int = 2, out_features: int = 3, root: int = 0, standardize: bool = False):
        super().__init__()
        self.num_joints, self.in_features, self.out_features, self.root = num_joints, in_features, out_features, root
        self.config = dict(model="fc", width=width, num_blocks=num_blocks, dropout=dropout, num_joints=num_joints)
        self.standardize = standardize
        if standardize:
            self.config["standardize"] = True
            n_in, n_out = num_joints * in_features, (num_joints - 1) * out_features
            for name, size, value in (("in_mean", n_in, 0.0), ("in_std", n_in, 1.0),
                                      ("out_mean", n_out, 0.0), ("out_std", n_out, 1.0)):
                self.register_buffer(name, torch.full((size,), value))
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

    @torch.no_grad()
    def fit_standardization(self, inputs: torch.Tensor, targets: torch.Tensor, min_std: float = 1e-4) -> None:
        """Set the z-scoring statistics from training poses ``inputs``
        ``(N, K, 2)`` and ``targets`` ``(N, K, 3)`` (the root, always zero in
        root-relative targets, is not predicted).  Standard deviations below
        ``min_std`` are clamped so that a constant coordinate cannot blow up."""
        if not self.standardize:
            raise RuntimeError("fit_standardization needs a LinearBaseline built with standardize=True")
        k, fi, fo = self.num_joints, self.in_features, self.out_features
        if inputs.dim() != 3 or inputs.shape[1:] != (k, fi) or targets.dim() != 3 or targets.shape[1:] != (k, fo) \
                or len(inputs) != len(targets) or len(inputs) < 2:
            raise ValueError(f"fit_standardization expects inputs (N, {k}, {fi}) and targets (N, {k}, {fo}) with "
                             f"the same N >= 2, got {tuple(inputs.shape)} and {tuple(targets.shape)}")
        x = inputs.flatten(1).double()
        y = targets.index_select(1, self.keep.to(targets.device)).flatten(1).double()
        for name, t in (("in", x), ("out", y)):
            getattr(self, f"{name}_mean").copy_(t.mean(0))
            getattr(self, f"{name}_std").copy_(t.std(0).clamp_min(min_std))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[1:] != (self.num_joints, self.in_features):
            raise ValueError(f"LinearBaseline expects (B, {self.num_joints}, {self.in_features}), got {tuple(x.shape)}")
        h = x.flatten(1)
        if self.standardize:
            h = (h - self.in_mean) / self.in_std
        y = self.net(h)
        if self.standardize:
            y = y * self.out_std + self.out_mean
        y = y.view(x.shape[0], self.num_joints - 1, self.out_features)
        out = y.new_zeros(x.shape[0], self.num_joints, self.out_features)
        return out.index_copy(1, self.keep, y)


class MeanPose(nn.Module):
    """The trivial baseline: always answer ``pose`` (the mean training pose,
    ``(K, 3)``), whatever the input.  A trained network that does not beat it
    on the same test split has learnt nothing useful (chapters 6-11 print it
    beside every live result).  Shapes: ``(B, K, 2) -> (B, K, 3)``."""

    def __init__(self, pose: torch.Tensor):
        super().__init__()
        self.register_buffer("pose", torch.as_tensor(pose, dtype=torch.float32).clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pose.to(x.device).expand(len(x), -1, -1)
