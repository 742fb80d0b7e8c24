"""Skeletons and adjacency matrices (chapters 1, 2 and 3).

The Human3.6M skeleton used by SemGCN has 16 joints.  A graph is described by
its ``parents`` list (a tree) or directly by an adjacency matrix ``A`` of shape
``(K, K)`` with ``A[i, j] = 1`` when joint ``j`` is a neighbour of joint ``i``.
Self-loops are included (``A[i, i] = 1``) as in Kipf & Welling and the paper's
Eq. 1.

Grid graphs (``grid_adjacency``) describe an ``H x W`` image as a graph whose
nodes are pixels and whose edges join each pixel to its 8 neighbours; they are
used in chapter 3 to compare graph kernels with a real 3x3 convolution.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import torch

__all__ = [
    "Skeleton", "H36M_SKELETON", "H36M_JOINT_NAMES", "H36M_PARENTS",
    "H36M_LEFT", "H36M_RIGHT", "H36M_NONLOCAL_GROUPS", "H36M_KEEP_32",
    "adjacency_from_parents", "adjacency_from_edges", "normalize_adjacency",
    "check_adjacency", "k_hop_adjacency", "grid_adjacency", "grid_offsets",
]

H36M_JOINT_NAMES = (
    "Hip", "RHip", "RKnee", "RFoot", "LHip", "LKnee", "LFoot", "Spine",
    "Thorax", "Head", "LShoulder", "LElbow", "LWrist", "RShoulder", "RElbow", "RWrist",
)
H36M_PARENTS = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 8, 10, 11, 8, 13, 14)
H36M_LEFT = (4, 5, 6, 10, 11, 12)
H36M_RIGHT = (1, 2, 3, 13, 14, 15)
# Pairs of joints pooled together by the non-local blocks (official SemGCN grouping).
H36M_NONLOCAL_GROUPS = ((2, 3), (5, 6), (1, 4), (0, 7), (8, 9), (14, 15), (11, 12), (10, 13))
# Indices of the 16 SemGCN joints among the 32 raw Human3.6M joints.
H36M_KEEP_32 = (0, 1, 2, 3, 6, 7, 8, 12, 13, 15, 17, 18, 19, 25, 26, 27)


@dataclass(frozen=True)
class Skeleton:
    """A kinematic tree: joint names, parent of each joint (-1 for the root),
    and the left/right joint indices (used for colours and flips)."""

    names: tuple
    parents: tuple
    left: tuple = ()
    right: tuple = ()
    groups: tuple = field(default=())

    def __post_init__(self):
        k = len(self.parents)
        if len(self.names) != k:
            raise ValueError(f"Skeleton: {len(self.names)} names but {k} parents")
        roots = [j for j, p in enumerate(self.parents) if p == -1]
        if len(roots) != 1:
            raise ValueError(f"Skeleton: expected exactly one root (parent -1), got {roots}")
        for j, p in enumerate(self.parents):
            if p != -1 and not 0 <= p < k:
                raise ValueError(f"Skeleton: parent {p} of joint {j} is out of range 0..{k - 1}")
        for j in range(k):  # every parent chain must reach the root (no cycles, no self-parent)
            p, steps = j, 0
            while p != -1 and steps <= k:
                p, steps = self.parents[p], steps + 1
            if p != -1:
                raise ValueError(f"Skeleton: joint {j} does not reach the root (the parents contain a cycle)")

    @property
    def num_joints(self) -> int:
        return len(self.parents)

    @property
    def root(self) -> int:
        return self.parents.index(-1)

    @property
    def bones(self) -> list:
        """(child, parent) pairs, one per non-root joint."""
        return [(j, p) for j, p in enumerate(self.parents) if p >= 0]

    def adjacency(self, self_loops: bool = True) -> torch.Tensor:
        return adjacency_from_parents(self.parents, self_loops=self_loops)

    def flip_permutation(self) -> list:
        """Joint permutation that swaps left and right."""
        perm = list(range(self.num_joints))
        for left, right in zip(self.left, self.right):
            perm[left], perm[right] = right, left
        return perm


H36M_SKELETON = Skeleton(H36M_JOINT_NAMES, H36M_PARENTS, H36M_LEFT, H36M_RIGHT, H36M_NONLOCAL_GROUPS)


def adjacency_from_edges(edges: Sequence, num_nodes: int, self_loops: bool = True) -> torch.Tensor:
    """Binary symmetric adjacency ``(num_nodes, num_nodes)`` from undirected edges."""
    adj = torch.zeros(num_nodes, num_nodes)
    for i, j in edges:
        if not (0 <= i < num_nodes and 0 <= j < num_nodes):
            raise ValueError(f"edge ({i}, {j}) is outside 0..{num_nodes - 1}")
        adj[i, j] = adj[j, i] = 1.0
    if self_loops:
        adj.fill_diagonal_(1.0)
    return adj


def adjacency_from_parents(parents: Sequence[int], self_loops: bool = True) -> torch.Tensor:
    """Binary adjacency of a kinematic tree: each joint is joined to its parent.

    >>> adjacency_from_parents([-1, 0, 1]).tolist()
    [[1.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]]
    """
    return adjacency_from_edges([(j, p) for j, p in enumerate(parents) if p >= 0], len(parents), self_loops)


def check_adjacency(adj: torch.Tensor, num_nodes: int | None = None, name: str = "adjacency") -> torch.Tensor:
    """Validate an adjacency matrix and return it as a float tensor.

    Raises ``ValueError`` naming the problem when ``adj`` is not a square 2D
    matrix, does not match ``num_nodes``, holds negative/non-finite values, or
    leaves a node without any neighbour (not even itself)."""
    adj = torch.as_tensor(adj, dtype=torch.float32)
    if adj.dim() != 2 or adj.shape[0] != adj.shape[1]:
        raise ValueError(f"{name} must be a square (K, K) matrix, got shape {tuple(adj.shape)}")
    if num_nodes is not None and adj.shape[0] != num_nodes:
        raise ValueError(f"{name} has {adj.shape[0]} nodes but the input has {num_nodes} joints")
    if not torch.isfinite(adj).all() or (adj < 0).any():
        raise ValueError(f"{name} must hold finite non-negative values")
    empty = (adj.sum(1) == 0).nonzero().flatten().tolist()
    if empty:
        raise ValueError(f"{name}: nodes {empty} have no neighbour (add self-loops)")
    return adj


def normalize_adjacency(adj: torch.Tensor, mode: str = "symmetric") -> torch.Tensor:
    """Normalise an adjacency matrix.

    ``"symmetric"``: :math:`D^{-1/2} A D^{-1/2}` (Kipf & Welling, the paper's
    :math:`\\tilde A` in Eq. 1); ``"row"``: :math:`D^{-1} A` (rows sum to 1, what
    a SemGraphConv starts as); ``"none"``: ``A`` unchanged.
    """
    adj = check_adjacency(adj)
    if mode == "none":
        return adj.clone()
    deg = adj.sum(1)
    if mode == "row":
        return adj / deg[:, None]
    if mode == "symmetric":
        d = deg.rsqrt()
        return d[:, None] * adj * d[None, :]
    raise ValueError(f"unknown normalisation {mode!r}: use 'symmetric', 'row' or 'none'")


def k_hop_adjacency(adj: torch.Tensor, k: int, self_loops: bool = True) -> torch.Tensor:
    """Binary matrix of nodes reachable in at most ``k`` hops (the receptive
    field of ``k`` stacked graph convolutions)."""
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    a = (check_adjacency(adj) > 0).float()
    a.fill_diagonal_(1.0)
    reach = torch.eye(a.shape[0])
    for _ in range(k):
        reach = ((reach @ a) > 0).float()
    if not self_loops:
        reach.fill_diagonal_(0.0)
    return reach


# The 9 positions of a 3x3 kernel as (dy, dx), row-major, centre = index 4.
_OFFSETS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]


def grid_offsets() -> list:
    """The 9 kernel positions ``(dy, dx)`` of a 3x3 neighbourhood, row-major."""
    return list(_OFFSETS)


def grid_adjacency(height: int, width: int, self_loops: bool = True, return_positions: bool = False):
    """Adjacency of an ``height x width`` pixel grid with 8-neighbourhoods.

    Node ``n = y * width + x``.  With ``return_positions=True`` also returns a
    ``(K, K)`` long tensor ``pos`` with ``pos[i, j]`` the index (0..8, see
    :func:`grid_offsets`) of neighbour ``j`` inside node ``i``'s 3x3 kernel and
    -1 for non-neighbours.  That lets a graph layer learn one weight per kernel
    position (Fig. 1c/d of the paper).
    """
    if height < 1 or width < 1:
        raise ValueError(f"grid size must be positive, got {height} x {width}")
    k = height * width
    pos = torch.full((k, k), -1, dtype=torch.long)
    for y in range(height):
        for x in range(width):
            i = y * width + x
            for p, (dy, dx) in enumerate(_OFFSETS):
                yy, xx = y + dy, x + dx
                if 0 <= yy < height and 0 <= xx < width and (self_loops or p != 4):
                    pos[i, yy * width + xx] = p
    adj = (pos >= 0).float()
    return (adj, pos) if return_positions else adj
