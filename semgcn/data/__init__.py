"""Data: camera model, Human3.6M, the synthetic pose generator (the embedded
default) and the prepared, device-resident :class:`PoseData`."""
from __future__ import annotations

import os

from .dataset import PoseData, PoseSplit

__all__ = ["PoseData", "PoseSplit", "load_pose_data", "default_source"]


def default_source(h36m=None) -> str:
    """``"h36m"`` when a Human3.6M path is given or ``SEMGCN_H36M`` is set, else ``"synthetic"``."""
    return "h36m" if h36m or os.environ.get("SEMGCN_H36M") else "synthetic"


def load_pose_data(source: str | None = None, h36m=None, device="cpu", **kwargs) -> PoseData:
    """Load a prepared dataset onto ``device``.

    ``source``: ``"synthetic"`` (the embedded default, no download),
    ``"h36m"`` (real Human3.6M from ``h36m`` or ``$SEMGCN_H36M``), or ``None``
    to pick Human3.6M when a path is available and synthetic otherwise.
    Extra keyword arguments go to :func:`semgcn.data.synthetic.synthetic_pose_data`
    or :func:`semgcn.data.h36m.h36m_pose_data`.
    """
    source = source or default_source(h36m)
    if source == "synthetic":
        from .synthetic import synthetic_pose_data
        return synthetic_pose_data(device=device, **kwargs)
    if source == "h36m":
        from .h36m import h36m_pose_data
        return h36m_pose_data(h36m, device=device, **kwargs)
    raise ValueError(f"unknown data source {source!r}: use 'synthetic' or 'h36m'")
