"""The paper's experiments by name: load shipped results or rerun them
(chapters 7 and 8, and the reproducibility page).

Each experiment fixes a model, a data set (source, 2D keypoints, strides) and a
training configuration.  ``run_experiment(name)`` trains it with
:func:`semgcn.train.train` in ``runs/<name>`` (resumable); with ``ship=True``
(``--ship`` on the command line) a complete run whose recipe is exactly the
registered one also copies its JSON record and a float16 checkpoint into the
repository's ``results/<name>/``.  ``load_result(name)`` reads what was
shipped, so the book shows real numbers without retraining.

Where the shipped results are found (:func:`find_results_dir`), in this order:

1. ``$SEMGCN_RESULTS``, when set (a folder laid out like ``results/``);
2. the repository's ``results/`` folder, when the package is imported from a
   checkout (``pip install -e .``, or ``python`` started in the repository);
3. the copy inside the installed package (``semgcn/_results``), which every
   wheel carries: ``setup.py`` copies ``results/`` into it at build time, so
   ``pip install semgcn @ git+URL`` on Colab gets the same records and weights.

Package data was chosen over a download at first use because the results are
small (about 17 MB), are versioned with the code that produced them, and then
work offline and on a notebook opened alone.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .config import TrainConfig

__all__ = ["Experiment", "EXPERIMENTS", "RESULTS_DIR", "run_experiment", "load_result", "result_path",
           "list_experiments", "PAPER", "find_results_dir", "checkout_results_dir", "shipped_model_path", "seed_records",
           "seed_runs", "split_seed_name", "load_shipped_model"]

_PACKAGE = Path(__file__).resolve().parent


def checkout_results_dir() -> Path | None:
    """The repository's ``results/`` when this package is imported from a checkout, else ``None``."""
    root = _PACKAGE.parent
    if (root / "pyproject.toml").is_file() and (root / "results").is_dir():
        return root / "results"
    return None


def find_results_dir() -> Path:
    """The folder of shipped results (see the module docstring for the lookup order).

    Raises ``FileNotFoundError`` when ``$SEMGCN_RESULTS`` names a missing folder.
    When no copy exists at all it returns the installed package's (empty) place,
    so that :func:`load_result` reports what is missing.
    """
    env = os.environ.get("SEMGCN_RESULTS")
    if env:
        path = Path(env).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(f"$SEMGCN_RESULTS={env} is not a folder")
        return path
    return checkout_results_dir() or _PACKAGE / "_results"


#: Where shipped results are read from (:func:`find_results_dir` at import time).
RESULTS_DIR = find_results_dir()

#: Published numbers (Protocol #1, mm) used for side-by-side tables: the paper
#: (Tables 1 and 3) and the official code's README on the same pipeline as ours.
PAPER = {
    "resgcn": {"paper": 94.4, "params_paper": "0.14M"},
    "semgcn-no-semgconv": {"paper": 65.9, "params_paper": "0.30M"},
    "semgcn-no-nonlocal": {"paper": 52.5, "official_code": 42.14, "params_paper": "0.27M"},
    "semgcn": {"paper": 43.8, "paper_hg": 61.1, "official_code": 40.78, "params_paper": "0.43M",
               # the official README's "SH (fine-tuned)" row (github.com/garyzhao/SemGCN, README.md)
               "official_code_hg": 61.24,
               # Table 3, "Ours w/ PG [13]": refined by pose grammar, ground-truth 2D (HG detections)
               "paper_pg": 42.5, "paper_hg_pg": 59.8,
               # Sec. 5.4: "the runtime of SemGCN reduces 10% compared with [34] (FC), which is around
               # 1.8ms for a forward pass on a Titan Xp GPU"
               "forward_ms_paper": 1.8, "runtime_saving_vs_fc_paper": 0.10},
    "gat": {"paper": 82.9, "params_paper": "0.16M"},
    "stgcn": {"paper": 57.4, "params_paper": "0.27M"},
    "fc": {"paper": 45.5, "paper_hg": 62.9, "official_code": 44.40, "params_paper": "4.29M",
           "official_code_hg": 63.48,              # the official README's "SH (fine-tuned)" row
           "paper_pg": 43.3, "paper_hg_pg": 60.4},  # Table 3, "FC [34] w/ PG [13]"
}


@dataclass(frozen=True)
class Experiment:
    """A named, reproducible training run."""

    name: str
    description: str
    model: str
    data: dict = field(default_factory=dict)     # keyword arguments of load_pose_data
    train: dict = field(default_factory=dict)    # TrainConfig overrides
    eval_data: dict | None = None                # evaluate on another data set too (synthetic realism)
    ship_weights: bool = True                    # False: ship the record only (repository size budget)
    continues: str | None = None                 # an experiment whose run (same seed) this one may continue

    def config(self, **overrides) -> TrainConfig:
        """The registered training configuration, with ``overrides``."""
        return TrainConfig(model=self.model, **{**self.train, **overrides})


_H36M_GT = dict(source="h36m", keypoints="gt", train_stride=5)
_H36M_SH = dict(source="h36m", keypoints="sh_pt_mpii", train_stride=5)
# Paper recipe (Sec. 5.1): Adam 1e-3, batch 64, halve the rate when validation saturates; 10 fps training data.
# 20 epochs over the 10 fps frames = 82k steps, fewer than the official code's (about 4 epochs' worth of
# its 50 fps steps); the plateau schedule never looks at the total, so a longer run continues this one exactly.
# Every registered recipe is the one its shipped record was trained with (tests/test_experiments.py checks),
# so `python -m semgcn experiment NAME` with no flags reproduces the shipped run.
_RECIPE = dict(epochs=20, batch_size=64, lr=1e-3, lr_schedule="plateau", plateau_patience=2)
_TABLE1 = {**_RECIPE, "epochs": 30}   # the four Table 1 rows were trained 30 epochs
_TABLE1_ROWS = ("semgcn", "semgcn-no-nonlocal", "resgcn", "semgcn-no-semgconv")
# Rows whose weights no chapter loads ship their records only, to keep the repository within 50 MB (their
# weights were shipped until the COCO lifter's were added; `experiment NAME --h36m PATH` retrains them).
_RECORD_ONLY = ("semgcn-no-semgconv", "semgcn-channelwise")
_FC_DECAY = {**_RECIPE, "epochs": 50, "augment_flip": True, "flip_test": True, "lr_schedule": "step",
             "lr_decay_steps": 2500, "lr_gamma": 0.96}

# The fast recipe (issue #18): the paper's optimiser, rate and batch, but the rate falls along a cosine to zero
# over 12 epochs instead of being halved when validation stalls (30 epochs, ~3.6 h of one CPU thread).
_FAST = dict(epochs=12, batch_size=64, lr=1e-3, lr_schedule="cosine")
# The one-hour recipe, the second try: the same with twice the peak rate (2e-3).  One of three SemGCN seeds
# meets the target with it (test <= 43.6 mm in under 60 CPU-minutes: 43.3, 44.9 and 48.0 mm); every row of
# the leaderboard's seed table uses it.
_HOUR = {**_FAST, "lr": 2e-3}
_SEED_ROWS = ("semgcn", "semgcn-no-nonlocal", "resgcn", "semgcn-no-semgconv", "stgcn", "fc")
# The modulated GCN's loss (0.9 MSE + 0.1 L1) and its layer as the package first had it: adjacency D^-1 A with
# self-loops and the per-joint modulation M started at random (Xavier), as in the first version of the authors'
# repository.  Their released ground-truth code and checkpoint (38.25 mm) start M at ones and give each joint
# weight 1 beside its neighbours' 1/d; the layer's defaults are those since 2026-12-07, and the runs registered
# before keep the settings they were trained with.
_MGCN = {"l1_weight": 0.1}
_MGCN_FIRST = {**_MGCN, "model_kwargs": {"conv_kwargs": {"normalization": "row", "modulation_init": "xavier"}}}
# The modulated GCN authors' recipe up to the epoch of their released checkpoint: Adam 1e-3 shrinking x0.96
# every 100k steps, batch 64, their loss; 6 epochs (over every 50 fps frame: train_stride 1 in the data).
_AUTHORS_RECIPE = {"epochs": 6, "batch_size": 64, "lr": 1e-3, "lr_schedule": "step", **_MGCN, "monitor_test": True}

EXPERIMENTS = {e.name: e for e in [
    # Larger batches and rate, one epoch of patience: ~2 min an epoch on one CPU core, 10 epochs.
    Experiment("synthetic-semgcn", "SemGCN on the embedded synthetic poses (the default, no dataset needed)",
               "semgcn", dict(source="synthetic"),
               {**_RECIPE, "epochs": 10, "batch_size": 256, "lr": 2e-3, "plateau_patience": 1},
               eval_data=dict(source="h36m", keypoints="gt")),
    *[Experiment(f"h36m-{m}", f"Table 1/3 row {m}, Human3.6M, ground-truth 2D", m, _H36M_GT,
                 _TABLE1 if m in _TABLE1_ROWS else _RECIPE, ship_weights=m not in _RECORD_ONLY)
      for m in ("semgcn", "semgcn-no-nonlocal", "resgcn", "semgcn-no-semgconv", "fc", "stgcn", "gat",
                "semgcn-channelwise")],
    # Table 1's ResGCN row trained longer: the paper trains 200 epochs (Sec. 5.1, Fig. 4), the rows above 20-30;
    # ResGCN is the cheapest model and the one furthest from its published error, so it shows what length buys.
    # Its weights were shipped until the repository reached its 50 MB budget; no chapter loads them, so
    # the record alone is shipped now (the weights remain in the history, commit 64a39cb and before).
    Experiment("h36m-resgcn-long", "Table 1 row resgcn trained for 100 epochs (the paper: 200), Human3.6M, "
               "ground-truth 2D", "resgcn", _H36M_GT, {**_RECIPE, "epochs": 100}, ship_weights=False),
    # Beyond the paper: flip augmentation (a random half of every batch mirrored, semgcn.data.augment) and
    # test-time flipping, as many later lifting networks train; 30 epochs like the Table 1 rows (the FC row of
    # Table 3 has 20, so the FC pair also differs in length).
    *[Experiment(f"h36m-{m}-flip", f"beyond the paper: {m} with flip augmentation and test-time "
                 "flipping, Human3.6M, ground-truth 2D", m, _H36M_GT,
                 {**_RECIPE, "epochs": 30, "augment_flip": True, "flip_test": True}, ship_weights=m != "fc")
      for m in ("semgcn-no-nonlocal", "semgcn", "fc")],
    # Beyond the paper, for the FC target: the flip recipe with the official code's exponential decay (x0.96)
    # applied every 2,500 steps instead of every 100k, so that the rate falls ~30x within our 50 epochs (205k
    # steps, 1/20 of the official FC recipe's) instead of staying near 1e-3 (the plateau rule rarely fires for FC).
    Experiment("h36m-fc-flip-decay", "beyond the paper: fc with flip augmentation, test-time flipping and a "
               "compressed exponential learning-rate decay, Human3.6M, ground-truth 2D", "fc", _H36M_GT,
               _FC_DECAY, ship_weights=False),
    # The same with Martinez et al.'s z-scored inputs and outputs (LinearBaseline(standardize=True)).
    Experiment("h36m-fc-flip-decay-zscore", "beyond the paper: h36m-fc-flip-decay with Martinez et al.'s z-scored "
               "inputs and outputs, Human3.6M, ground-truth 2D", "fc", _H36M_GT,
               {**_FC_DECAY, "model_kwargs": {"standardize": True}}, ship_weights=False),
    # Beyond the paper, for lifting a detector's keypoints (semgcn.lift): the ground-truth 2D given as COCO-17
    # keypoints (no pelvis, spine, thorax or head top; they are made from the hips, shoulders and nose as
    # semgcn.lifting.convert_keypoints makes them) and the flip-trained SemGCN fine-tuned on them, 6 epochs at
    # the rate the flip run ended with.
    Experiment("h36m-semgcn-coco17", "beyond the paper: a COCO-17 keypoint lifter, h36m-semgcn-flip fine-tuned "
               "on Human3.6M ground-truth 2D given as COCO keypoints", "semgcn",
               {**_H36M_GT, "input_format": "coco17"},
               {**_RECIPE, "epochs": 6, "lr": 2.5e-4, "plateau_patience": 1, "augment_flip": True,
                "flip_test": True, "init_from": "h36m-semgcn-flip"}),
    # The fast recipe's first try, for a budget of one CPU-hour (time to accuracy: the engineering notes).
    Experiment("h36m-semgcn-fast", "semgcn with the fast recipe's first try (cosine schedule from 1e-3, "
               "12 epochs), Human3.6M, ground-truth 2D", "semgcn", _H36M_GT, _FAST, ship_weights=False),
    # The one-hour recipe (cosine from 2e-3, 12 epochs), one per Table 1 row and the ST-GCN-style and FC rows
    # of Table 3: the seeds of the leaderboard (--seed N).
    *[Experiment(f"h36m-{m}-1h", f"{m} with the one-hour recipe (cosine schedule from 2e-3, 12 epochs), "
                 "Human3.6M, ground-truth 2D", m, _H36M_GT, _HOUR, ship_weights=False)
      for m in _SEED_ROWS],
    # Zou & Tang's modulated GCN (ICCV 2021) with the fast recipe and their loss, 0.9 MSE + 0.1 L1 (their own
    # recipe: 100 epochs over the 50 fps frames with model selection on the test subjects).
    Experiment("h36m-modulated-gcn-fast", "modulated-gcn (Zou & Tang, ICCV 2021) with the fast recipe and its "
               "MSE + L1 loss, Human3.6M, ground-truth 2D", "modulated-gcn", _H36M_GT, {**_FAST, **_MGCN_FIRST},
               ship_weights=False),
    # The same network and loss with the one-hour recipe (the seeds of issue #18's target: <= 38.3 mm), and
    # with flip augmentation and test-time flipping.
    Experiment("h36m-modulated-gcn-1h", "modulated-gcn (Zou & Tang, ICCV 2021) with the one-hour recipe and its "
               "MSE + L1 loss, Human3.6M, ground-truth 2D", "modulated-gcn", _H36M_GT, {**_HOUR, **_MGCN_FIRST},
               ship_weights=False),
    Experiment("h36m-modulated-gcn-flip-1h", "modulated-gcn with the one-hour recipe, its MSE + L1 loss, flip "
               "augmentation and test-time flipping, Human3.6M, ground-truth 2D", "modulated-gcn", _H36M_GT,
               {**_HOUR, **_MGCN_FIRST, "augment_flip": True, "flip_test": True}, ship_weights=False),
    # The same network and loss trained 2.5 times as long (30 epochs, the cosine stretched over them): whether
    # length closes the gap between the one-hour recipe and the authors' 38.25 mm (their README: 50 epochs over
    # every 50 fps frame, selected on the test subjects; the released checkpoint is from epoch 6, step 146,232,
    # about as many steps as this run).  It does not:
    # validation 24.4 mm (the one-hour seeds: 26.5-27.0), test 40.6 mm (theirs: 39.7-40.9).
    Experiment("h36m-modulated-gcn-long", "modulated-gcn with its MSE + L1 loss and the one-hour recipe's "
               "cosine schedule stretched over 30 epochs, Human3.6M, ground-truth 2D", "modulated-gcn", _H36M_GT,
               {**_HOUR, "epochs": 30, **_MGCN_FIRST}, ship_weights=False),
    # The one-hour run of seed 0 again, scoring the test split after every epoch (monitor_test): the epoch is
    # still chosen on validation, and the record adds what choosing it on the test subjects would have scored,
    # the protocol of the authors' released checkpoint (38.25 mm).
    Experiment("h36m-modulated-gcn-1h-monitor", "modulated-gcn with the one-hour recipe and its MSE + L1 loss, "
               "the test split scored after every epoch (selection on validation), Human3.6M, ground-truth 2D",
               "modulated-gcn", _H36M_GT, {**_HOUR, **_MGCN_FIRST, "monitor_test": True}, ship_weights=False),
    # The modulated GCN with its authors' schedule (Adam 1e-3, x0.96 every 100k steps: all but constant over
    # these 12 epochs), the test split scored after every epoch: how far the test error moves from epoch to
    # epoch at a rate that does not fall, and what their script's choice on the test subjects gains from it.
    Experiment("h36m-modulated-gcn-step-monitor", "modulated-gcn with its MSE + L1 loss and its authors' step "
               "schedule for 12 epochs, the test split scored after every epoch (selection on validation), "
               "Human3.6M, ground-truth 2D", "modulated-gcn", _H36M_GT,
               {"epochs": 12, "batch_size": 64, "lr": 1e-3, "lr_schedule": "step", **_MGCN_FIRST,
                "monitor_test": True}, ship_weights=False),
    # The same number of optimizer steps as h36m-modulated-gcn-long (30 epochs over every 5th frame), spent on
    # every 50 fps training frame instead (6 epochs): whether the authors' 5x data volume, not length, is what
    # the one-hour recipe lacks.
    Experiment("h36m-modulated-gcn-allframes", "modulated-gcn with its MSE + L1 loss and the one-hour recipe's "
               "cosine schedule over 6 epochs of every 50 fps training frame, Human3.6M, ground-truth 2D",
               "modulated-gcn", {**_H36M_GT, "train_stride": 1}, {**_HOUR, "epochs": 6, **_MGCN_FIRST},
               ship_weights=False),
    Experiment("h36m-semgcn-flip-1h", "semgcn with the one-hour recipe, flip augmentation and test-time "
               "flipping, Human3.6M, ground-truth 2D", "semgcn", _H36M_GT,
               {**_HOUR, "augment_flip": True, "flip_test": True}, ship_weights=False),
    # The one-hour recipe with one epoch of linear warm-up before the cosine: two of three SemGCN seeds of
    # h36m-semgcn-1h lost their first epochs at the full rate (validation stuck near 95 mm, or rising again).
    # With it, all three seeds meet the one-hour target: 41.7, 42.6 and 43.2 mm in 51-53 CPU-minutes.
    Experiment("h36m-semgcn-warmup-1h", "semgcn with the one-hour recipe after one epoch of linear warm-up, "
               "Human3.6M, ground-truth 2D", "semgcn", _H36M_GT, {**_HOUR, "warmup_epochs": 1.0},
               ship_weights=False),
    # The modulated GCN with the same warm-up epoch: its one-hour runs also lose their first epochs (validation
    # 145-171 mm after the first, rising again after the third or fourth), as SemGCN's did.  It does not help
    # here: seed 0 still jumps (267 mm after epoch 2) and ends at 40.0 mm, like the seeds without it.
    Experiment("h36m-modulated-gcn-warmup-1h", "modulated-gcn with its MSE + L1 loss and the one-hour recipe "
               "after one epoch of linear warm-up, Human3.6M, ground-truth 2D", "modulated-gcn", _H36M_GT,
               {**_HOUR, "warmup_epochs": 1.0, **_MGCN_FIRST}, ship_weights=False),
    # The modulated GCN as the authors released it (M from ones, each joint's own weight 1; the released
    # checkpoint scores 38.03 mm on this package's pipeline): the one-hour recipe (seeds: --seed N), and the
    # authors' own recipe up to the epoch of their released checkpoint (6 epochs over every 50 fps frame, Adam
    # 1e-3 with x0.96 every 100k steps), the test split scored after every epoch as their script does.
    Experiment("h36m-modulated-gcn-released-1h", "modulated-gcn as released by its authors (modulation from "
               "ones, unit self-weight) with the one-hour recipe and its MSE + L1 loss, Human3.6M, "
               "ground-truth 2D", "modulated-gcn", _H36M_GT, {**_HOUR, **_MGCN}, ship_weights=False),
    Experiment("h36m-modulated-gcn-released-authors", "modulated-gcn as released by its authors with their "
               "recipe up to their checkpoint's epoch (6 epochs over every 50 fps frame, Adam 1e-3, x0.96 every "
               "100k steps), the test split scored after every epoch (selection on validation), Human3.6M, "
               "ground-truth 2D", "modulated-gcn", {**_H36M_GT, "train_stride": 1},
               _AUTHORS_RECIPE, ship_weights=False),
    # The authors' recipe keeps the rate near 1e-3, so the test error still moves 1-3 mm between its last
    # epochs; a seventh epoch whose rate falls linearly to zero settles it.  Its first six epochs are exactly
    # h36m-modulated-gcn-released-authors (same seed), whose checkpoint it continues when present.
    Experiment("h36m-modulated-gcn-released-authors-anneal", "modulated-gcn as released with its authors' "
               "recipe for 6 epochs over every 50 fps frame, then a seventh epoch whose rate falls linearly to "
               "zero, the test split scored after every epoch (selection on validation), Human3.6M, "
               "ground-truth 2D", "modulated-gcn", {**_H36M_GT, "train_stride": 1},
               {**_AUTHORS_RECIPE, "epochs": 7, "anneal_epochs": 1}, ship_weights=False,
               continues="h36m-modulated-gcn-released-authors"),
    # The same six epochs continued by a seventh at the schedule's rate whose weights are averaged (sampled
    # every 100 steps; stochastic weight averaging): chosen after the mean of seed 0's sixth-epoch and
    # annealed seventh-epoch weights scored 38.3 mm on the test subjects, better than either (38.5, 39.4),
    # so seed 0 informed the choice and seeds 1 and 2 test it.
    Experiment("h36m-modulated-gcn-released-authors-average", "modulated-gcn as released with its authors' "
               "recipe for 6 epochs over every 50 fps frame, then a seventh epoch whose weights are averaged "
               "(every 100 steps) and evaluated as their mean, the test split scored after every epoch "
               "(selection on validation), Human3.6M, ground-truth 2D", "modulated-gcn",
               {**_H36M_GT, "train_stride": 1}, {**_AUTHORS_RECIPE, "epochs": 7, "average_epochs": 1},
               ship_weights=False, continues="h36m-modulated-gcn-released-authors"),
    Experiment("h36m-modulated-gcn-released-authors-flip", "modulated-gcn as released with its authors' recipe "
               "for 6 epochs over every 50 fps frame, plus flip augmentation and test-time flipping (which their "
               "code does not use), the test split scored after every epoch (selection on validation), "
               "Human3.6M, ground-truth 2D", "modulated-gcn", {**_H36M_GT, "train_stride": 1},
               {**_AUTHORS_RECIPE, "augment_flip": True, "flip_test": True}, ship_weights=False),
    Experiment("h36m-modulated-gcn-released-authors-flip-anneal", "h36m-modulated-gcn-released-authors-flip "
               "continued by a seventh epoch whose rate falls linearly to zero, Human3.6M, ground-truth 2D",
               "modulated-gcn", {**_H36M_GT, "train_stride": 1},
               {**_AUTHORS_RECIPE, "augment_flip": True, "flip_test": True, "epochs": 7, "anneal_epochs": 1},
               ship_weights=False, continues="h36m-modulated-gcn-released-authors-flip"),
    Experiment("h36m-modulated-gcn-released-authors-flip-average", "h36m-modulated-gcn-released-authors-flip "
               "continued by a seventh epoch whose weights are averaged (every 100 steps), Human3.6M, "
               "ground-truth 2D", "modulated-gcn", {**_H36M_GT, "train_stride": 1},
               {**_AUTHORS_RECIPE, "augment_flip": True, "flip_test": True, "epochs": 7, "average_epochs": 1},
               ship_weights=False, continues="h36m-modulated-gcn-released-authors-flip"),
    # The FC network's float16 weights are 8.6 MB: one copy (h36m-fc, used by chapter 10) fits the
    # repository's 50 MB budget, a second does not, so h36m-sh-fc and h36m-fc-flip ship their records only.
    *[Experiment(f"h36m-sh-{m}", f"Table 3 row {m}, Human3.6M, Stacked Hourglass (MPII-pretrained) detections",
                 m, _H36M_SH, _RECIPE, ship_weights=m != "fc") for m in ("semgcn", "fc")],
]}


def list_experiments() -> list:
    return list(EXPERIMENTS)


def _get(name: str) -> Experiment:
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; choose one of {list_experiments()}")
    return EXPERIMENTS[name]


def result_path(name: str, results_dir: str | Path | None = None) -> Path:
    """The folder of experiment ``name``'s shipped result (it may not exist)."""
    return Path(results_dir or RESULTS_DIR) / name


def _command(name: str) -> str:
    """``python -m semgcn experiment NAME``, with ``--h36m PATH`` for a registered Human3.6M experiment."""
    exp = EXPERIMENTS.get(name)
    return f"python -m semgcn experiment {name}" + (" --h36m PATH" if exp and exp.data.get("source") == "h36m" else "")


def _missing(name: str, what: str, folder: Path) -> FileNotFoundError:
    if not folder.parent.is_dir():
        where = (f"this installation has no shipped results ({folder.parent} does not exist); install semgcn from "
                 f"the repository (its wheel carries them) or set SEMGCN_RESULTS to a checkout's results/ folder")
    else:
        where = f"{folder} has no {what}"
    return FileNotFoundError(f"no shipped {what} for {name!r}: {where}; to train it yourself: `{_command(name)}`")


def load_result(name: str, results_dir: str | Path | None = None) -> dict:
    """The shipped JSON record of experiment ``name`` (a clear one-line error,
    saying where it looked and which command produces it, when it is missing)."""
    folder = result_path(name, results_dir)
    if not (folder / "record.json").is_file():
        raise _missing(name, "record", folder)
    with open(folder / "record.json") as f:
        return json.load(f)


def split_seed_name(name: str) -> tuple:
    """``(experiment, seed)`` of a shipped run's folder name: ``"h36m-x-seed2"``
    gives ``("h36m-x", 2)`` when ``h36m-x`` is a registered experiment (another
    seed of it, run with ``--seed 2``); any other name gives ``(name, None)``."""
    base, sep, seed = name.rpartition("-seed")
    if sep and seed.isdigit() and base in EXPERIMENTS:
        return base, int(seed)
    return name, None


def seed_runs(name: str, results_dir: str | Path | None = None) -> list:
    """``(folder name, record)`` of every shipped seed of experiment ``name``:
    ``NAME`` and ``NAME-seedN``, in the order of the seed (only complete runs
    with a test score; an empty list when none is shipped)."""
    _get(name)
    root = Path(results_dir or RESULTS_DIR)
    folders = [root / name] + sorted(root.glob(f"{name}-seed*"), key=lambda p: p.name)
    out = []
    for folder in folders:
        if folder.name != name and split_seed_name(folder.name)[0] != name:
            continue
        try:
            record = load_result(folder.name, root)
        except FileNotFoundError:
            continue
        if record.get("complete") and record.get("test"):
            out.append((folder.name, record))
    return sorted(out, key=lambda item: item[1]["config"]["seed"])


def seed_records(name: str, results_dir: str | Path | None = None) -> list:
    """The shipped records of experiment ``name``, one per seed (:func:`seed_runs`)."""
    return [record for _, record in seed_runs(name, results_dir)]


def shipped_model_path(name: str, results_dir: str | Path | None = None) -> Path:
    """``model.pt`` of a shipped experiment (``FileNotFoundError`` when only its record, or nothing, is shipped)."""
    path = result_path(name, results_dir) / "model.pt"
    if not path.is_file():
        raise _missing(name, "weights", path.parent)
    return path


def load_shipped_model(name: str, device="cpu", results_dir: str | Path | None = None):
    """The network of a shipped experiment, ready for :func:`semgcn.train.predict`."""
    from .train import load_model
    return load_model(shipped_model_path(name, results_dir), device)


def _ship_target(results_dir) -> Path:
    """Where ``--ship`` writes: an explicit folder, else the checkout's ``results/``; never an installed package."""
    if results_dir is None:
        root = checkout_results_dir()
        if root is None:
            raise ValueError(f"--ship writes into a checkout's results/ folder, and this semgcn is installed at "
                             f"{_PACKAGE}; pass --results-dir DIR")
    else:
        root = Path(results_dir).resolve()
    if root == _PACKAGE or _PACKAGE in root.parents:
        raise ValueError(f"refusing to ship into the installed package ({root}); pass another --results-dir")
    return root


def _recipe_changes(exp: Experiment, config: TrainConfig, data_overrides: dict | None) -> dict:
    """What differs from the registered recipe (the device and the inference chunk size change no result)."""
    registered = exp.config(device=config.device, eval_batch_size=config.eval_batch_size).to_dict()
    changes = {k: v for k, v in config.to_dict().items() if registered[k] != v}
    return {**changes, **{f"data.{k}": v for k, v in (data_overrides or {}).items() if exp.data.get(k) != v}}


def _continue_run(parent_dir: Path, run_dir: Path, config, progress) -> None:
    """Start ``run_dir`` from the checkpoint of ``parent_dir`` (an experiment this
    one continues) when ``run_dir`` has none and the parent's saved epochs are
    exactly this recipe's first epochs (:func:`semgcn.train.resume_conflicts`);
    otherwise leave ``run_dir`` alone, so that training starts from scratch (the
    same result, more time).  The copied state names its origin."""
    import sys
    from .train import atomic_save, load_checkpoint, resume_conflicts

    src = parent_dir / "checkpoint.pt"
    if (run_dir / "checkpoint.pt").exists() or not src.exists() or not (parent_dir / "best.pt").exists():
        return
    ckpt = load_checkpoint(src)
    done = ckpt["state"]["epoch"]
    conflicts = resume_conflicts(ckpt["config"], done, config)
    if conflicts or done > config.epochs:
        if progress:
            print(f"not continuing {parent_dir} (after epoch {done}; differs: {conflicts or 'epochs'}): "
                  f"training {run_dir} from the start", file=sys.stderr)
        return
    ckpt["state"]["continued_from"] = {"run": parent_dir.name, "epoch": done}
    atomic_save(load_checkpoint(parent_dir / "best.pt"), run_dir / "best.pt")
    atomic_save(ckpt, run_dir / "checkpoint.pt")   # last: its presence means both are there
    if progress:
        print(f"continuing {parent_dir} after epoch {done} in {run_dir}", file=sys.stderr)


def run_experiment(name: str, h36m=None, runs_dir: str | Path = "runs", results_dir: str | Path | None = None,
                   resume: bool = True, progress=True, device: str = "auto", ship: bool = False,
                   data_overrides: dict | None = None, overwrite: bool = False, seed: int | None = None,
                   **overrides) -> dict:
    """Train experiment ``name`` in ``runs_dir/name`` (resuming when possible)
    and return its record (also written to ``runs_dir/name/record.json``).

    ``seed``: another random seed of the same recipe (initialisation, batch
    order, dropout), trained in ``runs_dir/NAME-seedN`` and shipped, records
    only, as ``NAME-seedN`` (:func:`seed_records` collects them).

    ``resume=False, overwrite=True`` starts the run in ``runs_dir/name`` over.
    ``overrides`` change the training configuration (e.g. ``epochs=1``) and
    ``data_overrides`` the data set (e.g. ``num_train=2000`` for synthetic
    poses); both are recorded, so a shortened run never passes for the real one.

    ``ship=True`` also copies a complete run into ``results_dir/name`` (default:
    the checkout's ``results/``): its record and float16 weights (the record
    only for experiments with ``ship_weights=False``).  It refuses, before any
    training, a run whose recipe differs from the registered one and any
    folder inside an installed package.  Without it ``results/`` is never touched.
    """
    from .data import load_pose_data
    from .train import atomic_write_json, evaluate, export_weights, load_checkpoint, load_model, train

    exp = _get(name)
    registered_seed = exp.config().seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    other_seed = seed is not None and seed != registered_seed
    run_name = f"{name}-seed{seed}" if other_seed else name
    config = exp.config(device=device, **overrides, **({"seed": seed} if other_seed else {}))
    if ship:
        target = _ship_target(results_dir)
        changes = {k: v for k, v in _recipe_changes(exp, config, data_overrides).items()
                   if not (other_seed and k == "seed")}
        if changes:
            raise ValueError(f"refusing to ship {name}: its recipe differs from the registered one {changes}; "
                             f"run it without these overrides, or without --ship")
    data_kwargs = {**exp.data, **(data_overrides or {})}
    source = data_kwargs.pop("source")
    data = load_pose_data(source, h36m=h36m, device="cpu", **data_kwargs)
    run_dir = Path(runs_dir) / run_name
    command = _command(name) + (f" --seed {seed}" if other_seed else "")
    if "epochs" in overrides:
        command += f" --epochs {overrides['epochs']}"
    if exp.continues and resume and not overwrite:
        parent = exp.continues + (f"-seed{seed}" if other_seed else "")
        _continue_run(Path(runs_dir) / parent, run_dir, config, progress)
    record = train(config, data, run_dir, resume=resume, progress=progress, command=command, overwrite=overwrite)
    continued = (load_checkpoint(run_dir / "checkpoint.pt")["state"].get("continued_from")
                 if (run_dir / "checkpoint.pt").exists() else None)
    record["experiment"] = {"name": name, "description": exp.description, "data": exp.data,
                            "published": PAPER.get(exp.model, {}), "training_overrides": overrides,
                            "data_overrides": data_overrides or {},
                            "weights_shipped": exp.ship_weights and not other_seed, "seed": config.seed,
                            **({"continued_from": continued} if continued else {})}
    if exp.eval_data and record.get("complete"):
        kw = dict(exp.eval_data)
        try:
            other = load_pose_data(kw.pop("source"), h36m=h36m, **kw)
        except (FileNotFoundError, ValueError) as exc:  # e.g. no Human3.6M on this machine
            record["cross_eval"] = {"skipped": str(exc)}
        else:
            model = load_model(run_dir / "best.pt")
            record["cross_eval"] = {"source": other.source, "test": evaluate(model, other.test)}
    atomic_write_json(record, run_dir / "record.json")
    if ship and record.get("complete"):
        out = target / run_name
        out.mkdir(parents=True, exist_ok=True)
        if exp.ship_weights and not other_seed:
            best = load_checkpoint(run_dir / "best.pt")
            export_weights(load_model(run_dir / "best.pt"), out / "model.pt", half=True, meta=best["meta"])
        elif (out / "model.pt").exists():   # never leave weights that the record says are not shipped
            (out / "model.pt").unlink()
        shutil.copyfile(run_dir / "record.json", out / "record.json.tmp")
        (out / "record.json.tmp").replace(out / "record.json")
    return record
