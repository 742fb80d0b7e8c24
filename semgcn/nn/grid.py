"""From CNN kernels to graph kernels: the four operators of the paper's Fig. 1
as layers on image tensors ``(B, C, H, W)`` (chapter 3).

An image is a grid graph whose nodes are pixels joined to their 8
neighbours.  A 3x3 convolution learns a different matrix ``W_p`` for each of
the 9 kernel positions ``p``; the graph operators replace these by:

==========  ====================================================  ==============
mode        kernel at position p                                   Fig. 1
==========  ====================================================  ==============
``conv``    ``W_p`` (a real 3x3 convolution)                      (a)
``shared``  ``Ã_ij W`` (vanilla GCN on the grid, symmetric norm)  (b)
``scalar``  ``softmax_p(a)_p W`` (one learnable scalar a_p)       (c), Eq. 2
``vector``  ``diag(softmax_p(a_p)) W`` (a learnable vector a_p)   (d), Eq. 3
==========  ====================================================  ==============

For ``scalar`` and ``vector`` the weights are normalised with a softmax over
the positions that exist at each pixel (border pixels have fewer neighbours),
exactly as SemGraphConv normalises over each node's neighbours.
"""
from __future__ import annotations

import math

import torch
from torch import nn
import torch.nn.functional as F

from ..graph import grid_adjacency, normalize_adjacency

__all__ = ["GridGraphConv", "GRID_MODES"]

GRID_MODES = ("conv", "shared", "scalar", "vector")


class GridGraphConv(nn.Module):
    """One of the four kernel operators of Fig. 1 on ``(B, C_in, H, W)`` images.

    Shapes: ``(B, C_in, H, W) -> (B, C_out, H, W)`` (3x3 neighbourhood, zero
    padding for ``conv``, missing neighbours for the graph modes).
    ``shared`` needs ``height`` and ``width`` (it builds the normalised grid
    adjacency, ``(HW, HW)``).  Explained in chapter 3.
    """

    def __init__(self, in_channels: int, out_channels: int, mode: str = "vector", bias: bool = True,
                 height: int | None = None, width: int | None = None):
        super().__init__()
        if mode not in GRID_MODES:
            raise ValueError(f"unknown grid operator {mode!r}; choose one of {GRID_MODES}")
        self.in_channels, self.out_channels, self.mode = in_channels, out_channels, mode
        if mode == "conv":
            self.weight = nn.Parameter(torch.empty(out_channels, in_channels, 3, 3))
        else:
            self.weight = nn.Parameter(torch.empty(out_channels, in_channels))
        if mode == "shared":
            if height is None or width is None:
                raise ValueError("GridGraphConv(mode='shared') needs the grid size: height=..., width=...")
            self.size = (height, width)
            self.register_buffer("adj", normalize_adjacency(grid_adjacency(height, width), "symmetric"))
        if mode == "scalar":
            self.position_logits = nn.Parameter(torch.zeros(9))
        elif mode == "vector":
            self.position_logits = nn.Parameter(torch.zeros(out_channels, 9))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        fan_in = self.in_channels * (9 if self.mode == "conv" else 1)
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            nn.init.uniform_(self.bias, -1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in))
        if hasattr(self, "position_logits"):
            nn.init.zeros_(self.position_logits)

    def position_weights(self, height: int, width: int) -> torch.Tensor:
        """Per-pixel softmax weights of the 9 kernel positions: ``(C, 9, H*W)``
        (``C`` = 1 for ``scalar``) with zeros at missing border neighbours."""
        exists = F.unfold(self.weight.new_ones(1, 1, height, width), 3, padding=1)[0]  # (9, HW)
        logits = self.position_logits.view(-1, 9, 1).expand(-1, 9, height * width)
        return torch.softmax(logits.masked_fill(exists == 0, float("-inf")), dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"GridGraphConv expects (B, {self.in_channels}, H, W), got {tuple(x.shape)}")
        b, _, h, w = x.shape
        if self.mode == "conv":
            return F.conv2d(x, self.weight, self.bias, padding=1)
        if self.mode == "shared":
            if (h, w) != self.size:
                raise ValueError(f"GridGraphConv(mode='shared') was built for {self.size}, got {(h, w)}")
            y = torch.einsum("oc,bcn->bon", self.weight, x.flatten(2)) @ self.adj.t()
        else:
            # Transform first (shared W), then mix the 9 neighbours with the position weights.
            t = torch.einsum("oc,bchw->bohw", self.weight, x)
            patches = F.unfold(t, 3, padding=1).view(b, self.out_channels, 9, h * w)
            y = (patches * self.position_weights(h, w)).sum(2)
        y = y.view(b, self.out_channels, h, w)
        return y + self.bias.view(1, -1, 1, 1) if self.bias is not None else y

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, mode={self.mode}"
