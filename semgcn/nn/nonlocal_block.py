"""Non-local layers over the nodes of a graph (the paper's Eq. 4, chapter 5)."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
import torch.nn.functional as F

__all__ = ["GraphNonLocal", "PAIRWISE_FUNCTIONS"]

PAIRWISE_FUNCTIONS = ("concatenation", "embedded_gaussian", "dot_product")


class _NodeGather(torch.autograd.Function):
    """``x[:, order]`` for a permutation ``order`` of the nodes, whose backward
    is the inverse gather (``index_select``'s own backward zero-fills and
    scatter-adds, which a permutation does not need)."""

    @staticmethod
    def forward(ctx, x, order, inverse):
        ctx.save_for_backward(inverse)
        return x.index_select(1, order)

    @staticmethod
    def backward(ctx, grad):
        inverse, = ctx.saved_tensors
        return grad.index_select(1, inverse), None, None


class _HalvesMax(torch.autograd.Function):
    """Elementwise max of the two halves of the node axis: ``(B, 2G, C) ->
    (B, G, C)``, i.e. max pooling of node pairs stored member-major.

    Written out for speed on CPUs: ``amax`` compares the input with the output
    again in its backward, ``max(dim)`` over an axis of length two is slow, and
    ``torch.maximum``'s backward uses boolean ``where`` / ``masked_fill``, which
    ran an order of magnitude slower than float arithmetic on the CPUs we
    measured.  Here the choice is kept as a float mask and the backward is a
    multiply, a subtract and one concatenation.  Ties go to the first member
    (``amax`` would split the gradient; ties have probability zero for
    real-valued features)."""

    @staticmethod
    def forward(ctx, h):
        first, second = h.chunk(2, dim=1)
        ctx.save_for_backward(torch.ge(first, second).to(h.dtype))
        return torch.maximum(first, second)

    @staticmethod
    def backward(ctx, grad):
        first_wins, = ctx.saved_tensors
        to_first = grad * first_wins
        return torch.cat((to_first, grad - to_first), dim=1)


class GraphNonLocal(nn.Module):
    r"""Non-local block over graph nodes (Wang et al. 2018; the paper's Eq. 4).

    .. math::
        x'_i = x_i + W_x \frac{1}{\mathcal C(x)} \sum_{j} f(x_i, x_j)\, g(x_j)

    Every node attends to every other node, whatever the graph says: the
    "global" half of SemGCN's local/global message passing.  ``theta``,
    ``phi`` and ``g`` are per-node linear maps to ``inter_channels``; ``W_x``
    maps back and is followed by batch norm whose scale and shift start at
    zero, so the block starts as the identity (``x' = x``).

    Pairwise functions ``f``:

    * ``"concatenation"`` (the official SemGCN choice):
      :math:`f = \mathrm{ReLU}(w^\top[\theta(x_i); \phi(x_j)])`, normalised by
      the number of positions ``N``.  Because ``w`` is linear, this equals
      ``ReLU(w_θ·θ_i + w_φ·φ_j)``, computed here as an outer sum instead of
      materialising the ``(B, 2C, K, N)`` concatenation.
    * ``"embedded_gaussian"``: :math:`f = \mathrm{softmax}_j(\theta_i^\top \phi_j)`.
    * ``"dot_product"``: :math:`f = \theta_i^\top \phi_j / N`.

    ``groups`` (e.g. :data:`semgcn.graph.H36M_NONLOCAL_GROUPS`): ``phi`` and
    ``g`` are max-pooled over the joints of each group (all groups the same
    size), as the official code pools pairs of joints: 16 queries attend to 8
    keys.  For pairs, ``x`` is gathered member-major once (the official code
    re-orders the nodes likewise), so that the two members of every pair are
    the two halves of the node axis and pooling is one elementwise maximum;
    ``phi`` and ``g`` share one matrix product.  Other group sizes gather
    the members of ``phi(x)`` and ``g(x)`` and take their maximum.

    Shapes: ``(B, K, C) -> (B, K, C)``.  Explained in chapter 5.
    """

    def __init__(self, channels: int, inter_channels: int | None = None, pairwise: str = "concatenation",
                 groups: Sequence[Sequence[int]] | None = None, num_nodes: int | None = None):
        super().__init__()
        if pairwise not in PAIRWISE_FUNCTIONS:
            raise ValueError(f"unknown pairwise function {pairwise!r}; choose one of {PAIRWISE_FUNCTIONS}")
        self.channels = channels
        self.inter_channels = inter_channels or max(channels // 2, 1)
        self.pairwise = pairwise
        if groups:
            sizes = {len(g) for g in groups}
            if len(sizes) != 1:
                raise ValueError(f"non-local groups must all have the same size, got sizes {sorted(sizes)}")
            order = [j for g in groups for j in g]
            if sorted(order) != list(range(len(order))):
                raise ValueError(f"non-local groups must partition the nodes 0..{len(order) - 1}, got {groups}")
            if num_nodes is not None and len(order) != num_nodes:
                raise ValueError(f"non-local groups cover {len(order)} nodes but the graph has {num_nodes}")
            self.pool = sizes.pop()
            # (pool, G): member p of every group.
            self.register_buffer("group_index", torch.tensor([list(g) for g in groups]).t().contiguous())
            # Member-major node order (not saved in state_dict).  Pairs (the official pooling) permute x
            # with it once, so that the two members of every pair are the two halves of the node axis.
            order = self.group_index.reshape(-1)
            self.register_buffer("node_order", order, persistent=False)
            self.register_buffer("node_order_inverse", torch.argsort(order), persistent=False)
        else:
            self.pool = 1
            self.group_index = None
        self.num_nodes = sum(len(g) for g in groups) if groups else num_nodes
        c, ci = channels, self.inter_channels
        self.theta, self.phi, self.g = nn.Linear(c, ci), nn.Linear(c, ci), nn.Linear(c, ci)
        self.out = nn.Linear(ci, c)
        self.out_bn = nn.BatchNorm1d(c)
        self.concat_weight = nn.Parameter(torch.empty(2 * ci)) if pairwise == "concatenation" else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for lin in (self.theta, self.phi, self.g, self.out):
            lin.reset_parameters()
        self.out_bn.reset_parameters()
        nn.init.zeros_(self.out_bn.weight)  # start as the identity
        nn.init.zeros_(self.out_bn.bias)
        if self.concat_weight is not None:
            bound = 1.0 / (2 * self.inter_channels) ** 0.5
            nn.init.uniform_(self.concat_weight, -bound, bound)

    def _pooled(self, h: torch.Tensor) -> torch.Tensor:
        """Max over the members of each group: ``(B, K, C) -> (B, G, C)``."""
        if self.group_index is None:
            return h
        b, _, c = h.shape
        # One gather (member-major), then a max over the members.
        return h.index_select(1, self.node_order).view(b, self.pool, -1, c).amax(dim=1)

    def _project(self, x: torch.Tensor):
        """``theta(x)`` ``(B, K, C')`` and the pooled ``phi(x)``, ``g(x)`` ``(B, G, C')``;
        ``phi`` and ``g`` come from one GEMM with their weights stacked and are pooled together."""
        ci = self.inter_channels
        weight = torch.cat((self.phi.weight, self.g.weight))
        bias = torch.cat((self.phi.bias, self.g.bias))
        # The hand-written pair path pays off in the backward pass; tracing and exporting (TorchScript, ONNX)
        # cannot see into autograd Functions, so they, and plain inference, take the generic path (same values).
        if self.pool == 2 and torch.is_grad_enabled() and not torch.jit.is_tracing() and not torch.jit.is_scripting():
            xp = _NodeGather.apply(x, self.node_order, self.node_order_inverse)
            pooled = _HalvesMax.apply(F.linear(xp, weight, bias))
        else:
            pooled = self._pooled(F.linear(x, weight, bias))
        phi, g = pooled.split(ci, dim=-1)
        return self.theta(x), phi, g

    def _affinity(self, theta: torch.Tensor, phi: torch.Tensor) -> torch.Tensor:
        if self.pairwise == "concatenation":
            w_t, w_p = self.concat_weight[: self.inter_channels], self.concat_weight[self.inter_channels:]
            f = F.relu((theta @ w_t)[:, :, None] + (phi @ w_p)[:, None, :])
            return f / phi.shape[1]
        f = theta @ phi.transpose(1, 2)
        return torch.softmax(f, dim=-1) if self.pairwise == "embedded_gaussian" else f / phi.shape[1]

    def affinity(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised pairwise affinities ``f / C(x)``: ``(B, K, G)`` where the
        columns are the pooled groups (``G = K`` without groups)."""
        theta, phi, _ = self._project(x)
        return self._affinity(theta, phi)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[2] != self.channels or (self.num_nodes and x.shape[1] != self.num_nodes):
            raise ValueError(f"GraphNonLocal expects (B, {self.num_nodes or 'K'}, {self.channels}), got {tuple(x.shape)}")
        theta, phi, g = self._project(x)
        y = self._affinity(theta, phi) @ g  # (B, K, C')
        b, k, _ = y.shape
        return x + self.out_bn(self.out(y).reshape(b * k, -1)).view(b, k, -1)

    def extra_repr(self) -> str:
        return f"{self.channels}, inter={self.inter_channels}, pairwise={self.pairwise}, pool={self.pool}"
