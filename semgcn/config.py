"""Training hyper-parameters (:class:`TrainConfig`), kept free of PyTorch so
that the command line builds its help and parses flags without importing it.
:mod:`semgcn.train` re-exports it."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

__all__ = ["TrainConfig"]


@dataclass
class TrainConfig:
    """Hyper-parameters of one run.

    The defaults are the official code's recipe: Adam, learning rate 1e-3,
    batch 64, gradient clipping at norm 1, exponential decay x0.96 every 100k
    steps, 30 epochs.  The paper (Sec. 5.1) instead halves the rate when the
    validation error stops improving (``lr_schedule="plateau"``); the named
    experiments of :mod:`semgcn.experiments` use that schedule, each with its
    own number of epochs.
    """

    model: str = "semgcn"
    model_kwargs: dict = field(default_factory=dict)
    epochs: int = 30
    batch_size: int = 64
    lr: float = 1e-3
    lr_schedule: str = "step"          # "step" (official), "plateau" (paper), "none"
    lr_decay_steps: int = 100_000
    lr_gamma: float = 0.96
    plateau_factor: float = 0.5
    plateau_patience: int = 2
    max_grad_norm: float | None = 1.0
    bone_weight: float = 0.0           # Eq. 7 bone term (Configuration #1 uses joints only)
    augment_flip: bool = False         # mirror a random half of every batch (semgcn.data.augment)
    flip_test: bool = False            # validate/test on the mean of the plain and the mirrored prediction
    seed: int = 0
    device: str = "auto"
    amp: bool = False                  # bfloat16 autocast, CUDA only
    compile: bool = False              # torch.compile the model
    eval_batch_size: int | None = None  # None: automatic (see default_eval_batch_size)
    max_steps_per_epoch: int | None = None  # for quick smoke runs

    def __post_init__(self):
        if self.lr_schedule not in ("step", "plateau", "none"):
            raise ValueError(f"lr_schedule must be 'step', 'plateau' or 'none', got {self.lr_schedule!r}")
        for name in ("epochs", "batch_size", "eval_batch_size"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def cli_args(self) -> list:
        """Command-line flags of ``python -m semgcn train`` that reproduce this config."""
        default = TrainConfig()
        args = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value == getattr(default, f.name) or f.name in ("device", "model_kwargs"):
                continue
            flag = "--" + f.name.replace("_", "-")
            if isinstance(value, bool):
                args.append(flag if value else "--no-" + f.name.replace("_", "-"))
            else:
                args += [flag, str(value)]
        for key, value in self.model_kwargs.items():
            args += ["--model-arg", f"{key}={json.dumps(value)}"]
        return args
