"""Prepared pose datasets as device-resident tensors (chapters 1 and 6).

Every data source (Human3.6M, the synthetic generator) ends up as a
:class:`PoseData`: three :class:`PoseSplit` objects (train / validation / test)
whose tensors all live on the training device.  Batches are index gathers into
these tensors (see :func:`semgcn.train.epoch_batches`), never per-sample Python.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch

__all__ = ["PoseSplit", "PoseData"]


@dataclass
class PoseSplit:
    """One split of a prepared dataset.

    Attributes:
        inputs: ``(N, K, 2)`` float32 2D joints in normalised screen coordinates
            (``u / res_w * 2 - [1, res_h / res_w]``).
        targets: ``(N, K, 3)`` float32 root-relative 3D joints in camera
            coordinates, metres (joint 0 is exactly zero).
        action: ``(N,)`` long, index into ``action_names`` (the action is the
            first word of the sequence name, e.g. ``"Walking 1" -> "Walking"``).
        subject: ``(N,)`` long, index into ``subject_names``.
        camera: ``(N,)`` long, camera index 0..3.
    """

    inputs: torch.Tensor
    targets: torch.Tensor
    action: torch.Tensor
    subject: torch.Tensor
    camera: torch.Tensor
    action_names: list = field(default_factory=list)
    subject_names: list = field(default_factory=list)

    def __post_init__(self):
        n = self.inputs.shape[0]
        if self.inputs.dim() != 3 or self.inputs.shape[-1] != 2:
            raise ValueError(f"PoseSplit.inputs must be (N, K, 2), got {tuple(self.inputs.shape)}")
        if self.targets.shape[:2] != self.inputs.shape[:2] or self.targets.shape[-1] != 3:
            raise ValueError(f"PoseSplit.targets must be (N, K, 3) matching inputs {tuple(self.inputs.shape)}, "
                             f"got {tuple(self.targets.shape)}")
        for name in ("action", "subject", "camera"):
            t = getattr(self, name)
            if t.shape != (n,):
                raise ValueError(f"PoseSplit.{name} must have shape ({n},), got {tuple(t.shape)}")

    def __len__(self) -> int:
        return self.inputs.shape[0]

    @property
    def num_joints(self) -> int:
        return self.inputs.shape[1]

    @property
    def device(self) -> torch.device:
        return self.inputs.device

    def to(self, device) -> "PoseSplit":
        return replace(self, **{k: getattr(self, k).to(device) for k in ("inputs", "targets", "action", "subject", "camera")})

    def subset(self, index) -> "PoseSplit":
        """Rows selected by a boolean mask or an index tensor."""
        return replace(self, **{k: getattr(self, k)[index] for k in ("inputs", "targets", "action", "subject", "camera")})

    def by_action(self) -> dict:
        """``{action_name: PoseSplit}`` for the per-action tables."""
        return {name: self.subset(self.action == i) for i, name in enumerate(self.action_names)
                if bool((self.action == i).any())}


@dataclass
class PoseData:
    """Train / validation / test splits plus a human-readable description of
    where the data came from (recorded in every run's JSON)."""

    train: PoseSplit
    val: PoseSplit
    test: PoseSplit
    source: str = ""
    meta: dict = field(default_factory=dict)

    def to(self, device) -> "PoseData":
        return replace(self, train=self.train.to(device), val=self.val.to(device), test=self.test.to(device))

    def only_actions(self, actions) -> "PoseData":
        """Keep only the poses of the named actions in every split."""
        names = self.train.action_names
        unknown = [a for a in actions if a not in names]
        if unknown:
            raise ValueError(f"unknown actions {unknown}; this data set has {names}")
        keep = torch.tensor([names.index(a) for a in actions])

        def sub(split):
            return split.subset(torch.isin(split.action, keep.to(split.action.device)))

        settings = {**self.meta.get("settings", {}), "actions": list(actions)}
        return replace(self, train=sub(self.train), val=sub(self.val), test=sub(self.test),
                       source=f"{self.source}, actions {','.join(actions)}", meta={**self.meta, "settings": settings})

    def summary(self) -> str:
        return (f"{self.source}: train {len(self.train):,} / val {len(self.val):,} / test {len(self.test):,} poses, "
                f"{self.train.num_joints} joints")
