"""Graph convolutions on a fixed skeleton graph (chapters 2 and 4).

All layers take node features ``x`` of shape ``(B, K, C_in)`` (batch, nodes,
channels) and return ``(B, K, C_out)``.  The graph is a ``(K, K)`` adjacency
matrix with self-loops, stored as a buffer so that ``state_dict`` and
``.to(device)`` carry it.  The paper writes features as columns (``W X A``);
with rows as nodes the same operation reads ``A X W``.
"""
from __future__ import annotations

import math

import torch
from torch import nn
import torch.nn.functional as F

from ..graph import check_adjacency, normalize_adjacency

__all__ = ["GraphConv", "SemGraphConv", "EdgeMaskGraphConv", "AttentionGraphConv", "ModulatedGraphConv",
           "modulated_adjacency", "GRAPH_CONVS"]


def _check_input(x: torch.Tensor, num_nodes: int, in_features: int, layer: str) -> None:
    if x.dim() != 3 or x.shape[1] != num_nodes or x.shape[2] != in_features:
        raise ValueError(f"{layer} expects input of shape (B, {num_nodes}, {in_features}), got {tuple(x.shape)}")


def _init_bias(bias: nn.Parameter | None, fan: int) -> None:
    if bias is not None:
        bound = 1.0 / math.sqrt(fan)
        nn.init.uniform_(bias, -bound, bound)


class GraphConv(nn.Module):
    r"""Vanilla graph convolution (Kipf & Welling; the paper's Eq. 1, ResGCN).

    .. math::  X^{(l+1)} = \tilde A\, X^{(l)} W + b,\qquad
               \tilde A = D^{-1/2} A D^{-1/2}

    One weight matrix ``W`` (``C_in x C_out``) is shared by every node and
    every neighbour: the limitation that semantic graph convolutions remove.
    The non-linearity of Eq. 1 is applied by the surrounding block.

    Shapes: ``(B, K, C_in) -> (B, K, C_out)``.  Explained in chapter 2.
    """

    def __init__(self, in_features: int, out_features: int, adj: torch.Tensor, bias: bool = True,
                 normalization: str = "symmetric"):
        super().__init__()
        adj = check_adjacency(adj)
        self.in_features, self.out_features, self.num_nodes = in_features, out_features, adj.shape[0]
        self.register_buffer("adj", normalize_adjacency(adj, normalization))
        self.weight = nn.Parameter(torch.empty(in_features, out_features))
        self.bias = nn.Parameter(torch.empty(out_features)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.weight, gain=math.sqrt(2.0))
        _init_bias(self.bias, self.out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.num_nodes, self.in_features, type(self).__name__)
        # Aggregate, then transform: (A x) W = A (x W), and the GEMM last takes the bias for free.
        b = x.shape[0]
        z = torch.bmm(self.adj.expand(b, -1, -1), x).view(b * self.num_nodes, self.in_features)
        out = torch.addmm(self.bias, z, self.weight) if self.bias is not None else z @ self.weight
        return out.view(b, self.num_nodes, self.out_features)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, nodes={self.num_nodes}"


class _TwoTransformGraphConv(nn.Module):
    """Shared machinery of graph convolutions with a learnable ``(K, K)`` edge
    weighting and separate transforms for the node itself (``W[0]``) and for
    its neighbours (``W[1]``), the form of the official SemGCN code.

    Subclasses implement :meth:`edge_weights`, returning ``(K, K)`` or, for
    channel-wise weights, ``(C_out, K, K)``.
    """

    def __init__(self, in_features: int, out_features: int, adj: torch.Tensor, bias: bool = True):
        super().__init__()
        adj = check_adjacency(adj)
        self.in_features, self.out_features, self.num_nodes = in_features, out_features, adj.shape[0]
        self.register_buffer("mask", adj > 0)
        rows, cols = self.mask.nonzero(as_tuple=True)
        self.register_buffer("edge_rows", rows)
        self.register_buffer("edge_cols", cols)
        self.register_buffer("eye", torch.eye(self.num_nodes))
        self.weight = nn.Parameter(torch.empty(2, in_features, out_features))
        self.bias = nn.Parameter(torch.empty(out_features)) if bias else None

    @property
    def num_edges(self) -> int:
        """Number of non-zeros of A (self-loops included)."""
        return self.edge_rows.numel()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.weight, gain=math.sqrt(2.0))
        _init_bias(self.bias, self.out_features)

    def edge_weights(self) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def _scatter(self, values: torch.Tensor, fill: float) -> torch.Tensor:
        """Put per-edge ``values`` (``(..., E)``) into ``(..., K, K)`` matrices filled with ``fill``."""
        k = self.num_nodes
        dense = values.new_full(values.shape[:-1] + (k, k), fill)
        dense[..., self.edge_rows, self.edge_cols] = values
        return dense

    def mixing_matrix(self, a: torch.Tensor) -> torch.Tensor:
        """The ``(2K, K)`` matrix that gathers, for every node ``i``, its
        weighted neighbours (row ``2i``: ``a_ij`` for ``j != i``) and itself
        (row ``2i + 1``: ``a_ii`` at column ``i``), from ``(K, K)`` edge weights ``a``."""
        return torch.stack((a * (1 - self.eye), a * self.eye), dim=1).reshape(2 * self.num_nodes, self.num_nodes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.num_nodes, self.in_features, type(self).__name__)
        a = self.edge_weights()
        if a.dim() == 2:
            # Aggregate first, then transform, as two large operations instead of five:
            #   z[b, 2i]   = sum_{j != i} a_ij x[b, j]     (neighbours, to be transformed by W[1])
            #   z[b, 2i+1] = a_ii x[b, i]                  (the node itself, by W[0])
            # One batched product with the interleaved (2K, K) mixing matrix writes z as
            # (B, 2K, C_in), which is (B*K, 2 C_in) in memory: [neighbours | self] for every node,
            # so a single GEMM with the stacked (2 C_in, C_out) weight, bias fused, finishes the layer.
            b = x.shape[0]
            z = torch.bmm(self.mixing_matrix(a).expand(b, -1, -1), x).view(b * self.num_nodes, 2 * self.in_features)
            w = torch.cat((self.weight[1], self.weight[0]), dim=0)
            out = torch.addmm(self.bias, z, w) if self.bias is not None else z @ w
            return out.view(b, self.num_nodes, self.out_features)
        # channel-wise: a is (C_out, K, K); transform first (one GEMM for both transforms).
        h_self, h_nb = (x @ torch.cat((self.weight[0], self.weight[1]), dim=1)).split(self.out_features, dim=-1)
        out = torch.einsum("dij,bjd->bid", a * (1 - self.eye), h_nb) + torch.diagonal(a, dim1=1, dim2=2).t() * h_self
        return out + self.bias if self.bias is not None else out

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, nodes={self.num_nodes}, edges={self.num_edges}"


class SemGraphConv(_TwoTransformGraphConv):
    r"""Semantic graph convolution (the paper's Eq. 2; channel-wise Eq. 3).

    .. math::
        X^{(l+1)}_i = \sum_{j \in \mathcal N(i)} \rho_i(M \odot A)_{ij}\,
                      X^{(l)}_j\, W_{[i=j]} + b,
        \qquad \rho_i(M \odot A)_{ij} = \frac{\exp m_{ij}}{\sum_{k\in\mathcal N(i)} \exp m_{ik}}

    ``M`` holds one learnable weight per edge of ``A`` (self-loops included);
    the softmax runs over each node's neighbours only, so non-neighbours get
    exactly zero weight (their logits are ``-inf``, not a large negative
    number).  As in the paper's appendix and the official code, the node
    itself is transformed by ``W[0]`` and its neighbours by ``W[1]``.

    With ``channelwise=True`` (Eq. 3) there is one set of edge weights per
    output channel ``d``: ``M`` has shape ``(C_out, E)`` and channel ``d`` of
    the output mixes neighbours with ``rho_i(M_d ⊙ A)``.

    All edge weights start equal, so the softmax starts as the row-normalised
    adjacency :math:`D^{-1}A`: with ``W[0] == W[1]`` the layer is then exactly
    a row-normalised graph convolution.

    Shapes: ``(B, K, C_in) -> (B, K, C_out)``.  Explained in chapter 4.
    """

    def __init__(self, in_features: int, out_features: int, adj: torch.Tensor, bias: bool = True,
                 channelwise: bool = False):
        super().__init__(in_features, out_features, adj, bias)
        self.channelwise = channelwise
        shape = (out_features, self.num_edges) if channelwise else (self.num_edges,)
        self.edge_logits = nn.Parameter(torch.empty(shape))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        nn.init.constant_(self.edge_logits, 1.0)

    def edge_weights(self) -> torch.Tensor:
        """The softmax-normalised edge weights ``rho_i(M ⊙ A)``: ``(K, K)``,
        or ``(C_out, K, K)`` when channel-wise.  Rows sum to one."""
        return torch.softmax(self._scatter(self.edge_logits, float("-inf")), dim=-1)

    def extra_repr(self) -> str:
        return super().extra_repr() + (", channelwise=True" if self.channelwise else "")


class EdgeMaskGraphConv(_TwoTransformGraphConv):
    r"""ST-GCN-style edge-importance mask (Yan et al. 2018; Table 3 baseline).

    .. math:: X^{(l+1)} = (M \odot \bar A)\, X^{(l)} W_{[i=j]} + b,\qquad \bar A = D^{-1} A

    One learnable mask ``M`` over the edges of ``A`` (initialised to 1, shared
    by all channels) multiplies the row-normalised adjacency; unlike
    :class:`SemGraphConv` there is no softmax, so rows need not sum to one.
    Self and neighbour transforms are kept separate so that the comparison
    with SemGraphConv changes only the normalisation (same parameter count).

    Shapes: ``(B, K, C_in) -> (B, K, C_out)``.  Explained in chapter 4.
    """

    def __init__(self, in_features: int, out_features: int, adj: torch.Tensor, bias: bool = True):
        super().__init__(in_features, out_features, adj, bias)
        self.register_buffer("adj_norm", normalize_adjacency(adj, "row"))
        self.edge_mask = nn.Parameter(torch.empty(self.num_edges))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        nn.init.constant_(self.edge_mask, 1.0)

    def edge_weights(self) -> torch.Tensor:
        return self._scatter(self.edge_mask, 0.0) * self.adj_norm


class AttentionGraphConv(nn.Module):
    r"""GAT / aGCN-style attention graph convolution (Velickovic et al. 2018;
    Yang et al. 2018; Table 3 baseline).

    .. math::
        h_i = x_i W,\quad e_{ij} = \mathrm{LeakyReLU}(a_s^\top h_i + a_n^\top h_j),\quad
        \alpha_{ij} = \mathrm{softmax}_{j \in \mathcal N(i)}(e_{ij}),\quad
        x'_i = \sum_{j\in\mathcal N(i)} \alpha_{ij} h_j + b

    The edge weights depend on the input (one set per pose), in contrast to
    SemGraphConv's input-independent priors.  With ``heads > 1`` the output
    channels are split into heads that attend independently.

    Shapes: ``(B, K, C_in) -> (B, K, C_out)``.  Explained in chapter 4.
    """

    def __init__(self, in_features: int, out_features: int, adj: torch.Tensor, bias: bool = True,
                 heads: int = 1, negative_slope: float = 0.2):
        super().__init__()
        adj = check_adjacency(adj)
        if out_features % heads:
            raise ValueError(f"out_features={out_features} is not divisible by heads={heads}")
        self.in_features, self.out_features, self.num_nodes = in_features, out_features, adj.shape[0]
        self.heads, self.negative_slope = heads, negative_slope
        self.register_buffer("mask", adj > 0)
        self.weight = nn.Parameter(torch.empty(in_features, out_features))
        self.att_self = nn.Parameter(torch.empty(heads, out_features // heads))
        self.att_nb = nn.Parameter(torch.empty(heads, out_features // heads))
        self.bias = nn.Parameter(torch.empty(out_features)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.weight, gain=math.sqrt(2.0))
        nn.init.xavier_uniform_(self.att_self)
        nn.init.xavier_uniform_(self.att_nb)
        _init_bias(self.bias, self.out_features)

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        """Edge weights for each input pose: ``(B, heads, K, K)``, rows sum to one."""
        return self._attention(self._transform(x))

    def _transform(self, x: torch.Tensor) -> torch.Tensor:
        b, k, _ = x.shape
        return (x @ self.weight).view(b, k, self.heads, -1)

    def _attention(self, h: torch.Tensor) -> torch.Tensor:
        s = (h * self.att_self).sum(-1).transpose(1, 2)  # (B, H, K)
        n = (h * self.att_nb).sum(-1).transpose(1, 2)
        e = F.leaky_relu(s[..., :, None] + n[..., None, :], self.negative_slope)
        return torch.softmax(e.masked_fill(~self.mask, float("-inf")), dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.num_nodes, self.in_features, type(self).__name__)
        h = self._transform(x)
        alpha = self._attention(h)
        out = torch.matmul(alpha, h.transpose(1, 2)).transpose(1, 2).reshape(x.shape[0], self.num_nodes, -1)
        return out + self.bias if self.bias is not None else out

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, nodes={self.num_nodes}, heads={self.heads}"


def modulated_adjacency(adj: torch.Tensor, normalization: str = "neighbours") -> torch.Tensor:
    """The normalised adjacency :math:`\\bar A` a :class:`ModulatedGraphConv` starts from.

    ``"neighbours"``: off the diagonal, each row's neighbours divided by their
    number (self-loops not counted; a joint without neighbours keeps zeros),
    and 1 on the diagonal: the authors' released code.  ``"row"``:
    :math:`D^{-1}A` of the adjacency with self-loops.
    """
    adj = check_adjacency(adj)
    if normalization == "row":
        return normalize_adjacency(adj, "row")
    if normalization != "neighbours":
        raise ValueError(f"modulated_adjacency: normalization must be 'neighbours' or 'row', got {normalization!r}")
    eye = torch.eye(adj.shape[0], dtype=adj.dtype)
    nb = adj * (1 - eye)
    deg = nb.sum(1, keepdim=True)
    return torch.where(deg > 0, nb / deg.clamp_min(1e-12), torch.zeros_like(nb)) + eye


class ModulatedGraphConv(nn.Module):
    r"""Graph convolution with weight and affinity modulation (the modulated GCN of
    Zou & Tang, ICCV 2021; chapter 11).

    .. math::
        X^{(l+1)} = \operatorname{diag}(\hat A)\,\big(M \odot X^{(l)} W_0\big)
                  + \big(\hat A \odot (1 - I)\big)\,\big(M \odot X^{(l)} W_1\big) + b,
        \qquad \hat A = \tfrac12\big((\bar A + Q) + (\bar A + Q)^\top\big)

    * ``W_0``, ``W_1`` (``C_in x C_out``): one transform for the node itself and
      one for its neighbours, shared by every node (as in :class:`SemGraphConv`).
    * **Weight modulation** ``M`` (``K x C_out``): a learnable vector per node
      that scales that node's transformed features channel by channel before
      they are mixed (row ``j`` of ``M ⊙ X W`` is ``m_j ⊙ x_j W``), so that
      nodes transform their features differently at the cost of ``K C_out``
      weights instead of ``K`` full matrices.
    * **Affinity modulation** ``Q`` (``K x K``, dense): a learnable matrix added
      to the normalised adjacency :math:`\bar A` and symmetrised; unlike
      SemGConv's weights it is not masked by the skeleton, so it can connect
      joints that are not neighbours (e.g. the two wrists).  No softmax: rows
      need not sum to one, and weights may be negative.

    ``normalization`` chooses :math:`\bar A`:

    * ``"neighbours"`` (default, the authors' released ground-truth code and
      its 38.25 mm checkpoint): each joint's neighbours share weight 1
      (:math:`1/d_i` each, self-loops left out of the degree) and the joint
      itself has weight 1;
    * ``"row"``: :math:`D^{-1}A` with self-loops, every entry of row ``i``
      equal to :math:`1/(d_i + 1)` (what this package used before it was
      checked against the released checkpoint; the leaderboard's first
      modulated-GCN runs were trained with it).

    ``modulation_init``: ``"ones"`` (default, the released code: every joint
    first passes its features on unscaled) or ``"xavier"`` (Xavier-uniform,
    gain 1.414, as in the first version of the authors' repository).  ``W``
    is Xavier-uniform (gain 1.414) and ``Q`` the constant ``1e-6`` in both.
    ``weight_modulation=False`` fixes ``M = 1``; ``affinity_modulation=False``
    fixes ``Q = 0``.

    Shapes: ``(B, K, C_in) -> (B, K, C_out)``.
    """

    NORMALIZATIONS = ("neighbours", "row")
    MODULATION_INITS = ("ones", "xavier")

    def __init__(self, in_features: int, out_features: int, adj: torch.Tensor, bias: bool = True,
                 weight_modulation: bool = True, affinity_modulation: bool = True,
                 normalization: str = "neighbours", modulation_init: str = "ones"):
        super().__init__()
        if normalization not in self.NORMALIZATIONS:
            raise ValueError(f"ModulatedGraphConv: normalization must be one of {self.NORMALIZATIONS}, "
                             f"got {normalization!r}")
        if modulation_init not in self.MODULATION_INITS:
            raise ValueError(f"ModulatedGraphConv: modulation_init must be one of {self.MODULATION_INITS}, "
                             f"got {modulation_init!r}")
        adj = check_adjacency(adj)
        self.in_features, self.out_features, self.num_nodes = in_features, out_features, adj.shape[0]
        self.normalization, self.modulation_init = normalization, modulation_init
        self.register_buffer("adj_norm", modulated_adjacency(adj, normalization))
        self.register_buffer("eye", torch.eye(self.num_nodes))
        self.weight = nn.Parameter(torch.empty(2, in_features, out_features))
        self.modulation = nn.Parameter(torch.empty(self.num_nodes, out_features)) if weight_modulation else None
        self.affinity_offset = nn.Parameter(torch.empty(self.num_nodes, self.num_nodes)) if affinity_modulation \
            else None
        self.bias = nn.Parameter(torch.empty(out_features)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.weight, gain=1.414)
        if self.modulation is not None:
            if self.modulation_init == "ones":
                nn.init.ones_(self.modulation)
            else:
                nn.init.xavier_uniform_(self.modulation, gain=1.414)
        if self.affinity_offset is not None:
            nn.init.constant_(self.affinity_offset, 1e-6)
        _init_bias(self.bias, self.out_features)

    def affinity(self) -> torch.Tensor:
        r"""The ``(K, K)`` matrix :math:`\hat A` the layer mixes nodes with (symmetric)."""
        a = self.adj_norm if self.affinity_offset is None else self.adj_norm + self.affinity_offset
        return 0.5 * (a + a.t())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.num_nodes, self.in_features, type(self).__name__)
        h_self, h_nb = (x @ torch.cat((self.weight[0], self.weight[1]), dim=1)).split(self.out_features, dim=-1)
        if self.modulation is not None:
            h_self, h_nb = self.modulation * h_self, self.modulation * h_nb
        a = self.affinity()
        out = torch.diagonal(a)[:, None] * h_self + torch.matmul(a * (1 - self.eye), h_nb)
        return out + self.bias if self.bias is not None else out

    def extra_repr(self) -> str:
        return (f"{self.in_features}, {self.out_features}, nodes={self.num_nodes}, "
                f"weight_modulation={self.modulation is not None}, "
                f"affinity_modulation={self.affinity_offset is not None}, "
                f"normalization={self.normalization!r}, modulation_init={self.modulation_init!r}")


#: Graph-convolution types selectable by name in the model builder.
GRAPH_CONVS = {
    "vanilla": GraphConv,
    "semantic": SemGraphConv,
    "channelwise": lambda i, o, adj, bias=True: SemGraphConv(i, o, adj, bias, channelwise=True),
    "mask": EdgeMaskGraphConv,
    "attention": AttentionGraphConv,
    "modulated": ModulatedGraphConv,
}
