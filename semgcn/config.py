"""Training hyper-parameters (:class:`TrainConfig`), kept free of PyTorch so
that the command line builds its help and parses flags without importing it.
:mod:`semgcn.train` re-exports it."""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field

__all__ = ["TrainConfig"]

_INF = math.inf
#: (setting, (low, low included), (high, high included), None allowed): the range of every number.
_RANGES = [
    ("epochs", (1, True), (_INF, False), False),
    ("batch_size", (1, True), (_INF, False), False),
    ("eval_batch_size", (1, True), (_INF, False), True),
    ("max_steps_per_epoch", (1, True), (_INF, False), True),
    ("lr", (0, False), (_INF, False), False),
    ("lr_decay_steps", (1, True), (_INF, False), False),
    ("lr_gamma", (0, False), (1, True), False),
    ("plateau_factor", (0, False), (1, False), False),
    ("plateau_patience", (0, True), (_INF, False), False),
    ("max_grad_norm", (0, True), (_INF, False), True),     # 0 or None: no clipping
    ("bone_weight", (0, True), (_INF, False), False),
    ("l1_weight", (0, True), (1, True), False),
    ("warmup_epochs", (0, True), (_INF, False), False),
    ("anneal_epochs", (0, True), (_INF, False), False),
    ("average_epochs", (0, True), (_INF, False), False),
    ("average_every", (1, True), (_INF, False), False),
    ("seed", (0, True), (2 ** 63, False), False),
]
_INTEGERS = {"epochs", "batch_size", "eval_batch_size", "max_steps_per_epoch", "lr_decay_steps",
             "plateau_patience", "seed", "anneal_epochs",
             "average_epochs", "average_every"}


@dataclass
class TrainConfig:
    """Hyper-parameters of one run.

    The defaults are the official code's recipe: Adam, learning rate 1e-3,
    batch 64, gradient clipping at norm 1, exponential decay x0.96 every 100k
    steps, 30 epochs.  The paper (Sec. 5.1) instead halves the rate when the
    validation error stops improving (``lr_schedule="plateau"``); the named
    experiments of :mod:`semgcn.experiments` use that schedule, each with its
    own number of epochs.  ``lr_schedule="cosine"`` lowers the rate from
    ``lr`` to zero along half a cosine over all ``epochs`` (the fast recipe,
    ``h36m-*-fast`` and ``h36m-*-1h`` experiments); it depends on the number of epochs, so a
    cosine run cannot be resumed with another one.  ``warmup_epochs`` (cosine
    only) first raises the rate linearly from ``lr / warm-up steps`` to ``lr``
    over that many epochs, then the cosine runs over the remaining steps.

    ``anneal_epochs`` (``lr_schedule="step"`` or ``"none"``) lets the rate of
    the last that many epochs fall linearly from the schedule's rate to zero
    (step by step, reaching ``rate / annealing steps`` on the last step); the
    epochs before are unchanged, so a run that has not reached its annealing
    can be resumed with other ``epochs`` and ``anneal_epochs`` (e.g. a 6-epoch
    run continued by one annealed epoch equals a 7-epoch run with
    ``anneal_epochs=1`` from the start).

    ``average_epochs`` keeps a running mean of the weights (parameters and
    batch-norm statistics) over the last that many epochs, sampled every
    ``average_every`` optimizer steps (stochastic weight averaging, Izmailov
    et al. 2018); from the first averaging epoch on, validation, the test
    monitor and ``best.pt`` use the mean, while training continues from the
    current weights.  Like the annealing it leaves the epochs before alone,
    so a run that has not begun averaging can be continued by one that
    averages.

    ``monitor_test`` also scores the test split after every epoch, into the
    history's ``test_mpjpe`` and ``test_p_mpjpe``; the run still selects its
    epoch on the validation split.  The record then says, as
    ``test_selected_on_test``, what picking the epoch on the test subjects
    would have scored: the protocol of the official SemGCN code and of the
    modulated GCN's released checkpoint, reported for comparison only.
    """

    model: str = "semgcn"
    model_kwargs: dict = field(default_factory=dict)
    epochs: int = 30
    batch_size: int = 64
    lr: float = 1e-3
    lr_schedule: str = "step"          # "step" (official), "plateau" (paper), "cosine" (fast recipe), "none"
    warmup_epochs: float = 0.0         # cosine only: linear warm-up over this many epochs (may be fractional)
    anneal_epochs: int = 0             # step/none: the last N epochs' rate falls linearly to zero
    average_epochs: int = 0            # evaluate the mean of the weights over the last N epochs (SWA)
    average_every: int = 100           # with average_epochs: add the weights to the mean every this many steps
    lr_decay_steps: int = 100_000
    lr_gamma: float = 0.96
    plateau_factor: float = 0.5
    plateau_patience: int = 2
    max_grad_norm: float | None = 1.0
    bone_weight: float = 0.0           # Eq. 7 bone term (Configuration #1 uses joints only)
    l1_weight: float = 0.0             # (1-w) MSE + w L1 joint loss (the modulated GCN's, w = 0.1)
    augment_flip: bool = False         # mirror a random half of every batch (semgcn.data.augment)
    flip_test: bool = False            # validate/test on the mean of the plain and the mirrored prediction
    monitor_test: bool = False         # also score the test split after every epoch (never used for selection)
    seed: int = 0
    device: str = "auto"
    amp: bool = False                  # bfloat16 autocast, CUDA only
    compile: bool = False              # torch.compile the model
    eval_batch_size: int | None = None  # None: automatic (see default_eval_batch_size)
    max_steps_per_epoch: int | None = None  # for quick smoke runs
    init_from: str | None = None       # fine-tune: a shipped experiment's name or a checkpoint path

    def __post_init__(self):
        """Every value is checked here, so a bad one fails before any work, naming its setting."""
        if self.lr_schedule not in ("step", "plateau", "cosine", "none"):
            raise ValueError(f"lr_schedule must be 'step', 'plateau', 'cosine' or 'none', got {self.lr_schedule!r}")
        if not isinstance(self.model_kwargs, dict) or not all(isinstance(k, str) for k in self.model_kwargs):
            raise ValueError(f"model_kwargs must be a dict with string keys, got {self.model_kwargs!r}")
        for name, low, high, optional in _RANGES:
            value = getattr(self, name)
            if value is None and optional:
                continue
            kind = int if name in _INTEGERS else float
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and value != int(value)):
                raise ValueError(f"{name} must be {'an integer' if kind is int else 'a number'}, got {value!r}")
            above = value >= low[0] if low[1] else value > low[0]
            below = value <= high[0] if high[1] else value < high[0]
            if not (math.isfinite(value) and above and below):
                raise ValueError(f"{name} must be in {'[' if low[1] else '('}{low[0]:g}, {high[0]:g}"
                                 f"{']' if high[1] else ')'}, got {value!r}")
        # after the range checks: both values are numbers in range here
        if self.warmup_epochs and self.lr_schedule != "cosine":
            raise ValueError(f"warmup_epochs applies to lr_schedule='cosine' only, got lr_schedule="
                             f"{self.lr_schedule!r} with warmup_epochs={self.warmup_epochs!r}")
        if self.warmup_epochs and self.warmup_epochs >= self.epochs:
            raise ValueError(f"warmup_epochs must be below epochs ({self.epochs}), got {self.warmup_epochs!r}")
        if self.anneal_epochs and self.lr_schedule not in ("step", "none"):
            raise ValueError(f"anneal_epochs applies to lr_schedule='step' or 'none' only, got lr_schedule="
                             f"{self.lr_schedule!r} with anneal_epochs={self.anneal_epochs!r}")
        if self.anneal_epochs > self.epochs:
            raise ValueError(f"anneal_epochs must be at most epochs ({self.epochs}), got {self.anneal_epochs!r}")
        if self.average_epochs > self.epochs:
            raise ValueError(f"average_epochs must be at most epochs ({self.epochs}), got {self.average_epochs!r}")
        if self.init_from is not None and (not isinstance(self.init_from, str) or not self.init_from.strip()):
            raise ValueError(f"init_from must be an experiment name or a checkpoint path, got {self.init_from!r}")
        for name in ("amp", "compile", "augment_flip", "flip_test", "monitor_test"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false, got {getattr(self, name)!r}")

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
