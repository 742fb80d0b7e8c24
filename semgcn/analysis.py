"""Left-right analysis of trained networks (chapter 7, *Why is ResGCN so much worse?*).

Swapping the labels of every left joint with its right twin is a symmetry of
the skeleton graph.  A network built only from vanilla graph convolutions (or
from attention computed with weights shared by all joints) is *equivariant*
to that swap: ``F(P x) = P F(x)`` whatever its weights, so it cannot read the
labels, and a person seen from the front looks to it like the depth-mirrored
person seen from the back.  Two measurements make that visible on trained
networks:

* :func:`swap_gap`: ``max |F(P x) - P F(x)|`` over some inputs, in mm
  (rounding level for an equivariant network);
* :func:`depth_order`: for limb joints clearly in front of or behind the hip
  (more than ``min_depth`` metres), the percentage whose predicted depth is
  on the correct side of the hip (50% is a coin toss).

:func:`left_right_rows` runs both on the shipped Human3.6M networks and
:func:`run_left_right` writes them, with their provenance, to a JSON file so
that the book can show them where the data is absent
(``python -m semgcn left-right --h36m PATH``).  The same rows carry
:func:`mirror_errors`, the error on mirrored test poses used in chapter 11.
"""
from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Mapping, Sequence

import torch

from .graph import H36M_SKELETON

__all__ = ["LIMB_JOINTS", "DEFAULT_OUT", "swap_gap", "depth_order", "left_right_rows", "left_right_markdown",
           "mirror_errors", "mirror_markdown", "run_left_right", "load_left_right"]

#: Knees, feet, elbows and wrists: the joints whose depth order the test checks.
LIMB_JOINTS = ("RKnee", "RFoot", "LKnee", "LFoot", "LElbow", "LWrist", "RElbow", "RWrist")
#: Where :func:`run_left_right` writes by default (inside ``results/``).
DEFAULT_OUT = Path("analysis") / "left-right-h36m.json"


def _flip(skeleton=H36M_SKELETON) -> torch.Tensor:
    return torch.tensor(skeleton.flip_permutation())


@torch.no_grad()
def swap_gap(model: torch.nn.Module, inputs: torch.Tensor, skeleton=H36M_SKELETON) -> float:
    """``max |F(P x) - P F(x)|`` in mm over ``inputs`` (``(N, K, 2)``, eval mode)."""
    p = _flip(skeleton).to(inputs.device)
    was_training = model.training
    model.eval()
    try:
        return float((model(inputs[:, p]) - model(inputs)[:, p]).abs().max()) * 1000
    finally:
        model.train(was_training)


def depth_order(pred: torch.Tensor, targets: torch.Tensor, skeleton=H36M_SKELETON, joints=LIMB_JOINTS,
                min_depth: float = 0.10) -> tuple:
    """``(percent right, number of joints tested)``: among ``joints`` whose true
    depth differs from the hip's (joint 0) by more than ``min_depth`` metres,
    how many have a predicted depth on the same side of the hip."""
    if pred.shape != targets.shape or pred.dim() != 3 or pred.shape[-1] != 3:
        raise ValueError(f"pred and targets must both be (N, K, 3), got {tuple(pred.shape)} and {tuple(targets.shape)}")
    idx = [skeleton.names.index(n) for n in joints]
    true = targets[:, idx, 2] - targets[:, :1, 2]
    guess = pred[:, idx, 2] - pred[:, :1, 2]
    clear = true.abs() > min_depth
    if not bool(clear.any()):
        raise ValueError(f"no joint is more than {min_depth} m from the hip in depth")
    return 100 * float((guess * true > 0)[clear].float().mean()), int(clear.sum())


def _conv_of(model_name: str) -> str:
    from .models import NAMED_CONFIGS
    cfg = NAMED_CONFIGS.get(model_name)
    return "none (fully connected)" if cfg is None else cfg["conv"]


def left_right_rows(names: Sequence[str], data, results_dir=None, device="cpu", swap_inputs: int = 1000) -> list:
    """One dict per experiment of ``names`` whose weights are shipped
    (``results/NAME/model.pt``): ``name``, ``model``, ``method``, ``conv``,
    ``depth_order`` (%), ``joints_tested``, ``swap_gap_mm`` (on the first
    ``swap_inputs`` test inputs) and the shipped test ``mpjpe``.  ``data`` is a
    :class:`~semgcn.data.PoseData` (only its test split is used)."""
    from .experiments import EXPERIMENTS, load_result, result_path
    from .models import DISPLAY_NAMES
    from .train import load_model, predict
    rows = []
    test = data.test.to(device)
    inputs = test.inputs
    for name in names:
        weights = result_path(name, results_dir) / "model.pt"
        if not weights.is_file():
            continue
        model_name = EXPERIMENTS[name].model
        net = load_model(weights, device=device).float()
        right, tested = depth_order(predict(net, inputs).cpu(), data.test.targets.cpu())
        record = load_result(name, results_dir)
        flips = bool(record.get("config", {}).get("augment_flip"))
        method = DISPLAY_NAMES.get(model_name, model_name) + (" + flip augmentation" if flips else "")
        rows.append({"name": name, "model": model_name, "method": method,
                     "conv": _conv_of(model_name), "depth_order": round(right, 2), "joints_tested": tested,
                     "swap_gap_mm": swap_gap(net, inputs[:swap_inputs]),
                     "mpjpe": record["test"]["mpjpe"], "flip_trained": flips,
                     **mirror_errors(net, test)})
    return rows


def mirror_errors(model: torch.nn.Module, split) -> dict:
    """Protocol #1 (mm, action-averaged) of ``model`` on ``split`` as filmed
    (``subset_mpjpe``), on its mirror images (``mirror_mpjpe``) and with the
    flip-averaged prediction (``flip_avg_mpjpe``): chapter 11's test of
    whether a network has learnt mirror symmetry (:mod:`semgcn.data.augment`)."""
    from .train import predict, predict_mirrored, score
    # Mirroring is an isometry that maps the root to itself, so the error of the mirrored-back prediction on
    # the original targets equals that of the mirror image's prediction on the mirrored targets.
    plain = predict(model, split.inputs)
    back = predict_mirrored(model, split.inputs, split.camera)
    return {"subset_mpjpe": score(plain, split)["mpjpe"], "mirror_mpjpe": score(back, split)["mpjpe"],
            "flip_avg_mpjpe": score(0.5 * (plain + back), split, flip=True)["mpjpe"]}


def mirror_markdown(rows: Sequence[Mapping]) -> str:
    """A table of the mirror columns of :func:`left_right_rows`."""
    rows = [r for r in rows if "mirror_mpjpe" in r]
    if not rows:
        return "No shipped network with mirror measurements."
    lines = ["| network (shipped, full size) | trained with flips | as filmed (mm) | mirror images (mm) | "
             "flip-averaged (mm) |", "|---|---|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['method']} (`{r['name']}`) | {'yes' if r['flip_trained'] else 'no'} | "
                     f"{r['subset_mpjpe']:.1f} | {r['mirror_mpjpe']:.1f} | {r['flip_avg_mpjpe']:.1f} |")
    return "\n".join(lines)


def left_right_markdown(rows: Sequence[Mapping]) -> str:
    """A table of :func:`left_right_rows` plus the mean depth-order score per kind of convolution."""
    if not rows:
        return "No shipped network to test."
    lines = ["| network (shipped, full size) | graph convolution | depth order right | max swap gap (mm) | "
             "test MPJPE (mm) |", "|---|---|---:|---:|---:|"]
    by_conv = {}
    for r in rows:
        by_conv.setdefault(r["conv"], []).append(r["depth_order"])
        lines.append(f"| {r['method']} | {r['conv']} | {r['depth_order']:.1f}% | {r['swap_gap_mm']:.1e} | "
                     f"{r['mpjpe']:.1f} |")
    means = ", ".join(f"{conv} {sum(v) / len(v):.1f}% ({len(v)} network{'s' * (len(v) > 1)})"
                      for conv, v in by_conv.items())
    return "\n".join(lines) + f"\n\nDepth order right, mean per kind of graph convolution: {means}."


def run_left_right(h36m=None, names: Sequence[str] | None = None, out=None, results_dir=None,
                   test_stride: int = 50, device="cpu") -> dict:
    """Run :func:`left_right_rows` on Human3.6M (test subjects S9/S11, every
    ``test_stride``-th frame, ground-truth 2D) for the shipped ground-truth-2D
    networks and write the rows with their provenance to ``out`` (default
    the checkout's ``results/analysis/left-right-h36m.json``; ``results_dir``
    when given), atomically.  Returns the dict.  Raises ``ValueError`` before
    any work when no network of ``names`` is shipped or there is nowhere to write."""
    from .data import load_pose_data
    from .experiments import EXPERIMENTS, RESULTS_DIR, checkout_results_dir, result_path
    from .train import _git_commit, atomic_write_json, hardware_description
    names = list(names or [n for n, e in EXPERIMENTS.items() if e.data.get("source") == "h36m"
                           and e.data.get("keypoints") == "gt"])
    shipped = [n for n in names if (result_path(n, results_dir) / "model.pt").is_file()]
    if not shipped:
        raise ValueError(f"no shipped weights for {', '.join(names)} in {Path(results_dir or RESULTS_DIR)}")
    if out is None:
        root = Path(results_dir) if results_dir else checkout_results_dir()
        if root is None:
            raise ValueError("this semgcn is not a checkout, so there is no results/ to write into: pass --out FILE")
        out = root / DEFAULT_OUT
    data = load_pose_data("h36m", h36m=h36m, keypoints="gt", train_stride=1000, val_stride=1000,
                          test_stride=test_stride)
    rows = left_right_rows(shipped, data, results_dir, device=device)
    result = {"rows": rows, "data": f"Human3.6M test subjects S9, S11, every {test_stride}th frame, 4 cameras, "
                                    f"ground-truth 2D: {len(data.test):,} poses",
              "joints": list(LIMB_JOINTS), "min_depth_m": 0.10,
              "command": "python -m semgcn left-right --h36m PATH" + (f" --test-stride {test_stride}"
                                                                    if test_stride != 50 else ""),
              "hardware": hardware_description(device), "git_commit": _git_commit(),
              "date": datetime.date.today().isoformat()}
    atomic_write_json(result, Path(out))
    return result


def load_left_right(path=None) -> dict | None:
    """The shipped result of :func:`run_left_right`, or ``None``."""
    from .experiments import RESULTS_DIR
    path = Path(path) if path else RESULTS_DIR / DEFAULT_OUT
    if not path.is_file():
        return None
    return json.loads(path.read_text())
