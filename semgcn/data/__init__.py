"""Data: camera model, Human3.6M, the synthetic pose generator (the embedded
default) and the prepared, device-resident :class:`PoseData`."""
from __future__ import annotations

import os

from .dataset import PoseData, PoseSplit

__all__ = ["PoseData", "PoseSplit", "load_pose_data", "default_source", "same_data_settings"]


def default_source(h36m=None) -> str:
    """``"h36m"`` when a Human3.6M path is given or ``SEMGCN_H36M`` is set, else ``"synthetic"``."""
    return "h36m" if h36m or os.environ.get("SEMGCN_H36M") else "synthetic"


def load_pose_data(source: str | None = None, h36m=None, device="cpu", **kwargs) -> PoseData:
    """Load a prepared dataset onto ``device``.

    ``source``: ``"synthetic"`` (the embedded default, no download),
    ``"h36m"`` (real Human3.6M from ``h36m`` or ``$SEMGCN_H36M``), or ``None``
    to pick Human3.6M when a path is available and synthetic otherwise.
    Extra keyword arguments go to :func:`semgcn.data.synthetic.synthetic_pose_data`
    or :func:`semgcn.data.h36m.h36m_pose_data`; ``meta["settings"]`` of the
    result records the source and those arguments.
    """
    source = source or default_source(h36m)
    if source == "synthetic":
        from .synthetic import synthetic_pose_data
        data = synthetic_pose_data(device=device, **kwargs)
    elif source == "h36m":
        from .h36m import h36m_pose_data
        data = h36m_pose_data(h36m, device=device, **kwargs)
    else:
        raise ValueError(f"unknown data source {source!r}: use 'synthetic' or 'h36m'")
    # The settings that rebuild this data set (not the machine's dataset path): training stores them with
    # its checkpoints, so that `evaluate` scores on the same data and `--resume` refuses different data.
    data.meta["settings"] = {"source": source, **{k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()}}
    return data


def _loader_defaults(source) -> dict:
    """The keyword defaults of ``source``'s loader (what an omitted setting means)."""
    import inspect
    if source == "synthetic":
        from .synthetic import synthetic_pose_data as fn
    elif source == "h36m":
        from .h36m import h36m_pose_data as fn
    else:
        return {}
    return {k: list(p.default) if isinstance(p.default, tuple) else p.default
            for k, p in inspect.signature(fn).parameters.items() if p.default is not inspect.Parameter.empty}


def same_data_settings(a: dict, b: dict) -> bool:
    """Whether two ``meta["settings"]`` rebuild the same data set: a setting one
    of them leaves out counts as the loader's default (``train`` records
    ``test_stride=1``; an experiment's settings may omit it)."""
    if a.get("source") != b.get("source"):
        return False
    defaults = _loader_defaults(a.get("source"))
    missing = object()
    for key in set(a) | set(b):
        va, vb = a.get(key, defaults.get(key, missing)), b.get(key, defaults.get(key, missing))
        if va != vb:
            return False
    return True
