"""Layers: graph convolutions (Eq. 1-3 and the Table 3 baselines), non-local
blocks (Eq. 4) and the CNN-kernel approximations of Fig. 1."""
from .graph_conv import GraphConv, SemGraphConv, EdgeMaskGraphConv, AttentionGraphConv, ModulatedGraphConv, GRAPH_CONVS, \
    modulated_adjacency
from .nonlocal_block import GraphNonLocal, PAIRWISE_FUNCTIONS
from .grid import GridGraphConv, GRID_MODES

__all__ = ["GraphConv", "SemGraphConv", "EdgeMaskGraphConv", "AttentionGraphConv", "ModulatedGraphConv", "GRAPH_CONVS",
           "modulated_adjacency",
           "GraphNonLocal", "PAIRWISE_FUNCTIONS", "GridGraphConv", "GRID_MODES"]
