"""One training engine for every model (chapters 2, 6 and 7).

``train(config, data, out_dir)`` trains a named model on a
:class:`~semgcn.data.PoseData` whose tensors already live on the training
device, and writes into ``out_dir``:

* ``checkpoint.pt``: everything needed to resume (model, optimiser, schedule,
  history), written atomically at the end of every epoch;
* ``best.pt``: the weights with the lowest validation MPJPE;
* ``record.json``: configuration, per-epoch curves, final Protocol #1/#2 per
  action, parameter count, hardware, versions, data source and the command
  that reproduces the run (also atomic).

Model selection uses the validation split only; the test split is evaluated
once, at the end, with the selected weights.  Training is deterministic on the
CPU: every epoch re-seeds its shuffling and dropout from ``(seed, epoch)``, so
a run killed at any point and resumed from its last checkpoint ends with
exactly the weights of an uninterrupted run.  Runs under ``torchrun`` use
DistributedDataParallel (gloo on CPU, NCCL on CUDA).
"""
from __future__ import annotations

import copy
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from .losses import pose_loss
from .metrics import action_average, mpjpe, p_mpjpe, per_action_errors
from .config import TrainConfig
from .data import same_data_settings
from .models import build_model, count_parameters

__all__ = ["TrainConfig", "train", "make_optimizer", "plateau_update", "evaluate", "evaluate_flip_and_plain", "score", "predict",
           "predict_mirrored", "default_eval_batch_size", "epoch_batches", "pick_device", "atomic_save",
           "atomic_write_json", "load_checkpoint", "load_model", "load_initial_weights", "checkpoint_data_settings", "prepare_run_dir", "RUN_FILES", "export_weights", "shippable_state",
           "TrainingDiverged", "hardware_description"]


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


# ----------------------------------------------------------------------------- utilities

def pick_device(device: str = "auto") -> torch.device:
    """``"auto"``: CUDA when present, else CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {device!r} requested but CUDA is not available")
    return dev


def hardware_description(device: torch.device | str = "cpu") -> str:
    device = torch.device(device)
    if device.type == "cuda":
        return f"GPU {torch.cuda.get_device_name(device)}"
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return f"CPU {cpu}, {torch.get_num_threads()} threads"


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent,
                             capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def atomic_save(obj, path: str | os.PathLike) -> None:
    """``torch.save`` to a temporary file in the same folder, then rename: a
    reader never sees a half-written file, even if the process is killed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_json(obj, path: str | os.PathLike) -> None:
    """Write JSON atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=1, allow_nan=True)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_checkpoint(path: str | os.PathLike, map_location="cpu") -> dict:
    """Load a checkpoint safely (``weights_only=True``: no arbitrary code)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # corrupted or foreign file
        raise ValueError(f"cannot read checkpoint {path}: {exc}") from exc


def shippable_state(model: nn.Module, half: bool = True) -> dict:
    """``model``'s state dict on the CPU with the learnable parameters in
    float16 (when ``half``) wherever their values fit it.  Buffers (batch-norm
    running statistics, masks) stay float32: a non-local block's running
    variance can exceed float16's 65504, and a halved ``inf`` silently ruins
    the shipped network."""
    params = {name for name, _ in model.named_parameters()}

    def small(name, v):
        if not (half and v.is_floating_point() and name in params):
            return v
        h = v.half()
        return h if bool(torch.isfinite(h).all()) else v

    return {k: small(k, v).cpu() for k, v in model.state_dict().items()}


def export_weights(model: nn.Module, path, half: bool = True, meta: dict | None = None) -> None:
    """Save a small shippable checkpoint (:func:`shippable_state`) plus the
    model name/config needed by :func:`load_model`."""
    atomic_save({"state_dict": shippable_state(model, half), "meta": dict(meta or {})}, path)


def load_model(path, device="cpu") -> nn.Module:
    """Rebuild a model from a checkpoint written by :func:`train` or
    :func:`export_weights` and load its weights (float16 weights are cast back).
    The modulated GCN's released checkpoint (Zou & Tang) loads too
    (:func:`semgcn.models.released.modulated_gcn_from_release`)."""
    ckpt = load_checkpoint(path)
    from .models.released import is_modulated_gcn_release, modulated_gcn_from_release
    if is_modulated_gcn_release(ckpt):     # Zou & Tang's released modulated GCN
        return modulated_gcn_from_release(ckpt, source=str(path)).to(device)
    meta = (ckpt.get("meta") if isinstance(ckpt, dict) else None) or {}
    if "model" not in meta:
        raise ValueError(f"checkpoint {path} has no model name in its 'meta' entry")
    model = build_model(meta["model"], **meta.get("model_kwargs", {}))
    state = ckpt.get("state_dict") or ckpt.get("model")
    ref = model.state_dict()
    missing = set(ref) - set(state)
    if missing:
        raise ValueError(f"checkpoint {path} lacks weights {sorted(missing)[:5]} for model {meta['model']!r}")
    model.load_state_dict({k: v.to(ref[k].dtype) for k, v in state.items()})
    return model.to(device).eval()


def load_initial_weights(model: nn.Module, source: str, model_name: str) -> Path:
    """Load the weights a fine-tuning run starts from into ``model`` (in place) and return their file.

    ``source``: a checkpoint path (``model.pt`` / ``best.pt`` / ``checkpoint.pt``) or the name of a
    shipped experiment.  The checkpoint must hold the same model (name and every weight's shape)."""
    path = Path(source)
    if not path.is_file():
        from .experiments import EXPERIMENTS, shipped_model_path
        if source not in EXPERIMENTS:
            raise ValueError(f"init_from {source!r}: no such file, and not a shipped experiment "
                             f"(see `python -m semgcn experiment --list`)")
        path = shipped_model_path(source)
    ckpt = load_checkpoint(path)
    meta = ckpt.get("meta") or {}
    if meta.get("model", model_name) != model_name:
        raise ValueError(f"init_from {source!r} holds a {meta['model']!r} model, this run trains {model_name!r}")
    state = ckpt.get("state_dict") or ckpt.get("model")
    ref = model.state_dict()
    if not isinstance(state, dict) or set(state) != set(ref) or any(
            not torch.is_tensor(state[k]) or state[k].shape != ref[k].shape for k in ref):
        raise ValueError(f"init_from {source!r}: its weights do not fit model {model_name!r} "
                         f"({path} has other weight names or shapes)")
    model.load_state_dict({k: v.to(ref[k].dtype) for k, v in state.items()})
    return path


_SYNTHETIC_SETTINGS = ("num_train", "num_val", "num_test", "seed", "style", "train_subjects", "test_subjects")


def checkpoint_data_settings(path) -> dict:
    """The data settings a checkpoint was trained with (``{}`` when unknown).

    Read from the checkpoint's ``meta["data"]`` (written by :func:`train`); for
    weights shipped before that existed, from the ``record.json`` beside them.
    """
    meta = load_checkpoint(path).get("meta") or {}
    if isinstance(meta.get("data"), dict):
        return dict(meta["data"])
    record_path = Path(path).with_name("record.json")
    try:
        data = json.loads(record_path.read_text()).get("data", {})
    except (OSError, ValueError):
        return {}
    if isinstance(data.get("settings"), dict):
        return dict(data["settings"])
    if data.get("generator") == "semgcn.data.synthetic":
        return {"source": "synthetic", **{k: data[k] for k in _SYNTHETIC_SETTINGS if k in data}}
    if data.get("dataset") == "h36m":
        return {"source": "h36m", **{k: data[k] for k in ("keypoints",) if k in data}}
    return {}


def epoch_batches(n: int, batch_size: int, seed: int, epoch: int, device="cpu", rank: int = 0,
                  world_size: int = 1, drop_last: bool = False):
    """Index tensors of one shuffled epoch, reproducible from ``(seed, epoch)``.

    The permutation is drawn on the CPU (identical on every device) and moved
    to ``device`` once; each batch is then a slice of it, so a batch costs one
    gather per tensor and no per-sample Python.  Under data parallelism every
    rank takes its own equal share.
    """
    g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    perm = torch.randperm(n, generator=g)
    if world_size > 1:
        perm = perm[: n - n % world_size][rank::world_size]
    perm = perm.to(device)
    stop = len(perm) - (len(perm) % batch_size if drop_last else 0)
    return [perm[i:i + batch_size] for i in range(0, stop, batch_size)]


def default_eval_batch_size(device) -> int:
    """Chunk size for inference: 256 poses on a CPU, 8192 on a GPU.

    On a CPU large chunks are slow: at 8192 poses every activation of SemGCN
    (8192 x 16 x 128 floats, 64 MB) falls out of the caches, and one thread
    lifts 2-3x fewer poses per second than at 256 (``python -m semgcn
    benchmark`` prints both).  A GPU wants the large chunks."""
    return 8192 if torch.device(device).type == "cuda" else 256


@torch.no_grad()
def predict(model: nn.Module, inputs: torch.Tensor, batch_size: int | None = None, camera: torch.Tensor | None = None,
            flip: bool = False) -> torch.Tensor:
    """Run ``model`` in eval mode over ``inputs`` in batches: ``(N, K, 2) -> (N, K, 3)``.
    ``batch_size``: poses per forward pass (``None``: :func:`default_eval_batch_size`).

    ``flip=True`` (test-time flip augmentation; needs ``camera``, ``(N,)``
    camera indices) averages the prediction with :func:`predict_mirrored`."""
    if flip:
        if camera is None:
            raise ValueError("predict(flip=True) needs the camera index of every pose")
        return 0.5 * (predict(model, inputs, batch_size) + predict_mirrored(model, inputs, camera, batch_size))
    batch_size = batch_size or default_eval_batch_size(inputs.device)
    was_training = model.training
    model.eval()
    try:
        return torch.cat([model(inputs[i:i + batch_size]).float() for i in range(0, len(inputs), batch_size)])
    finally:
        model.train(was_training)


def predict_mirrored(model: nn.Module, inputs: torch.Tensor, camera: torch.Tensor, batch_size: int | None = None) -> torch.Tensor:
    """The prediction for the mirror image of every pose, mirrored back into
    the original frame (:mod:`semgcn.data.augment`): a network that has learnt
    mirror symmetry returns its plain prediction.  ``camera``: ``(N,)`` indices."""
    from .data.augment import mirror_inputs, mirror_targets, principal_points_x
    if camera is None or len(camera) != len(inputs):
        raise ValueError(f"predict_mirrored needs one camera index per pose ({len(inputs)}), "
                         f"got {None if camera is None else len(camera)}")
    centres = principal_points_x(device=inputs.device)
    return mirror_targets(predict(model, mirror_inputs(inputs, camera, centres), batch_size))


def score(pred: torch.Tensor, split, flip: bool = False) -> dict:
    """Protocol #1 (MPJPE) and #2 (P-MPJPE) of the predictions ``pred``
    ``(N, K, 3)`` for ``split``, per action and action-averaged (mm); ``flip``
    is only recorded (whether ``pred`` was flip-averaged)."""
    if pred.shape != split.targets.shape:
        raise ValueError(f"score: predictions have shape {tuple(pred.shape)}, the split's targets "
                         f"{tuple(split.targets.shape)}")
    # Root-relative comparison: the targets' root is zero; centre the prediction's root too.
    pred = pred - pred[:, :1]
    e1 = mpjpe(pred, split.targets, reduce=False)
    e2 = p_mpjpe(pred, split.targets, reduce=False)
    t1 = per_action_errors(e1, split.action, split.action_names)
    t2 = per_action_errors(e2, split.action, split.action_names)
    return {"mpjpe": action_average(t1), "p_mpjpe": action_average(t2),
            "mpjpe_per_action": t1, "p_mpjpe_per_action": t2,
            "mpjpe_all_poses": float(e1.mean()), "num_poses": len(split), "flip_test": flip}


def evaluate(model: nn.Module, split, batch_size: int | None = None, flip: bool = False) -> dict:
    """Protocol #1 (MPJPE) and #2 (P-MPJPE) per action and action-averaged (mm).
    ``flip=True`` evaluates the flip-averaged prediction (see :func:`predict`)."""
    if len(split) == 0:
        raise ValueError("evaluate: the split is empty")
    return score(predict(model, split.inputs, batch_size, camera=split.camera, flip=flip), split, flip)


def evaluate_flip_and_plain(model: nn.Module, split, batch_size: int | None = None) -> tuple[dict, dict]:
    """``(evaluate(flip=True), evaluate(flip=False))`` from one plain and one
    mirrored pass (two passes, where calling :func:`evaluate` twice takes three)."""
    if len(split) == 0:
        raise ValueError("evaluate: the split is empty")
    plain = predict(model, split.inputs, batch_size)
    back = predict_mirrored(model, split.inputs, split.camera, batch_size)
    return score(0.5 * (plain + back), split, flip=True), score(plain, split)


# ----------------------------------------------------------------------------- the engine

def make_optimizer(model: nn.Module, lr: float, device) -> torch.optim.Optimizer:
    """Adam (the paper's optimiser), fused into one kernel per step where this
    PyTorch supports it (CPU and CUDA since 2.4): far fewer small operations
    per step than the default per-parameter loop, same algorithm."""
    try:
        return torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(model.parameters(), lr=lr, foreach=torch.device(device).type == "cuda")


def plateau_update(state: dict, score: float, config, optimizer) -> None:
    """The paper's schedule (Sec. 5.1): multiply the learning rate by
    ``config.plateau_factor`` once the validation error ``score`` has not
    improved for more than ``config.plateau_patience`` epochs.  Updates
    ``state`` (``plateau_best``, ``plateau_bad``, ``lr``) in place."""
    if score < state["plateau_best"] - 1e-4:
        state["plateau_best"], state["plateau_bad"] = score, 0
    else:
        state["plateau_bad"] += 1
        if state["plateau_bad"] > config.plateau_patience:
            state["lr"] *= config.plateau_factor
            state["plateau_bad"] = 0
            _set_lr(optimizer, state["lr"])


def cosine_lr(base: float, step: int, total: int, warmup: int = 0) -> float:
    """The rate at ``step`` of ``total`` under ``lr_schedule="cosine"``: ``base``
    at step 0, half of it half-way, falling along a cosine to zero at the end.
    With ``warmup`` steps, the rate first rises linearly, ``base * (step + 1) /
    warmup``, and the cosine runs over the remaining ``total - warmup`` steps."""
    if step < warmup:
        return base * (step + 1) / warmup
    step, total = step - warmup, total - warmup
    return 0.5 * base * (1.0 + math.cos(math.pi * min(step, total) / max(total, 1)))


def _dist_info():
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def _set_lr(optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


#: The files of a run folder (see the module docstring).
RUN_FILES = ("checkpoint.pt", "best.pt", "record.json")


def prepare_run_dir(out_dir, resume: bool = False, overwrite: bool = False) -> Path:
    """Check ``out_dir`` before any work and return it as a ``Path``.

    A folder that already holds a run is never silently replaced: without
    ``resume`` (continue it) or ``overwrite`` (delete its run files first) it is
    an error.  Temporary files left by a process killed while writing
    (``checkpoint.pt.*.tmp`` ...) are removed.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"{out_dir} is a file, not a run folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    if not os.access(out_dir, os.W_OK):
        raise ValueError(f"{out_dir} is not writable")
    for name in RUN_FILES:
        for stale in out_dir.glob(f"{name}.*.tmp"):
            stale.unlink(missing_ok=True)
    present = [name for name in RUN_FILES if (out_dir / name).exists()]
    if present and overwrite:
        for name in present:
            (out_dir / name).unlink(missing_ok=True)
    elif present and not resume:
        raise ValueError(f"{out_dir} already holds a run ({', '.join(present)}); resume it (--resume) or replace "
                         f"it (--overwrite), or choose another folder")
    elif present and resume and "checkpoint.pt" not in present:
        raise ValueError(f"{out_dir} holds {', '.join(present)} but no checkpoint.pt to resume from; replace it "
                         f"(--overwrite) or choose another folder")
    return out_dir


def resume_conflicts(saved_config: dict, done: int, config: TrainConfig) -> dict:
    """The settings, ``{name: (saved, requested)}``, that forbid continuing a
    run saved after epoch ``done`` with ``saved_config`` under ``config`` (empty:
    it may continue, and the result equals a run started with ``config``)."""
    defaults = TrainConfig().to_dict()  # options added later than the checkpoint had their default
    saved = {k: saved_config.get(k, defaults[k]) for k in defaults}
    diff = {k: (saved[k], v) for k, v in config.to_dict().items() if saved[k] != v and k != "eval_batch_size"}
    # The final annealing and the weight averaging touch only a run's last epochs: while neither run has
    # reached them, their lengths (and, but for the cosine, the number of epochs) may differ.
    tail = lambda c: c["epochs"] - max(c["anneal_epochs"], c["average_epochs"])  # noqa: E731
    if done <= tail(saved) and done <= tail(config.to_dict()):
        free = ["anneal_epochs", "average_epochs", "average_every"]
        for key in free + (["epochs"] if config.lr_schedule != "cosine" else []):
            diff.pop(key, None)
    return diff


def _checked_average(average, model: nn.Module, path) -> dict | None:
    """A checkpoint's running mean of the weights, refused in one line unless it
    holds exactly the model's tensors (names, shapes and dtypes)."""
    if average is None:
        return None
    expected = model.state_dict()
    if not isinstance(average, dict) or set(average) != set(expected):
        raise ValueError(f"cannot resume {path}: its 'average' does not hold the model's weights")
    for k, v in expected.items():
        if not isinstance(average[k], torch.Tensor) or average[k].shape != v.shape or average[k].dtype != v.dtype:
            raise ValueError(f"cannot resume {path}: its 'average' entry {k!r} is not a {v.dtype} tensor "
                             f"of shape {tuple(v.shape)}")
    return {k: v.to(expected[k].device) for k, v in average.items()}


def _add_to_average(average: dict | None, model: nn.Module, count: int) -> dict:
    """The running mean of ``count`` weight samples with ``model``'s added (a
    new dict for the first); integer buffers (batch counts) take the latest."""
    with torch.no_grad():
        current = model.state_dict()
        if average is None:
            return {k: v.detach().clone() for k, v in current.items()}
        for k, v in current.items():
            if v.is_floating_point():
                average[k] += (v - average[k]) / (count + 1)
            else:
                average[k].copy_(v)
    return average


def train(config: TrainConfig, data, out_dir: str | os.PathLike, resume: bool = False, progress: bool | str = True,
          command: str | None = None, stop_after_epoch: int | None = None, overwrite: bool = False) -> dict:
    """Train ``config.model`` on ``data`` (a :class:`~semgcn.data.PoseData`)
    and return the run record (also written to ``out_dir/record.json``).

    ``resume=True`` continues from ``out_dir/checkpoint.pt`` when it exists;
    a folder holding a run is refused unless ``resume`` or ``overwrite`` is
    given (:func:`prepare_run_dir`).
    ``progress``: ``True`` shows progress bars, ``"lines"`` prints one line per
    epoch to stderr (for logs), ``False`` prints nothing.
    ``stop_after_epoch`` ends the process-level loop early (used to simulate an
    interruption in tests); the record is then marked ``"complete": false``.

    While it trains, the CPU flushes subnormal floats (below 1.2e-38) to zero
    (:func:`torch.set_flush_denormal`; restored afterwards).  Adam's running
    squared gradients of units that hardly receive any gradient sink into
    that range, and CPU arithmetic on subnormals is many times slower: a
    Human3.6M FC run slowed from 123 to 194 s an epoch within 9 epochs
    without it, with 1.2 million of its 8.6 million optimiser values
    subnormal.  Zero instead of 1e-40 changes no result that matters.
    """
    out_dir = prepare_run_dir(out_dir, resume, overwrite)
    flushing = torch.set_flush_denormal(True)   # False where the CPU cannot (then nothing changed)
    try:
        return _train(config, data, out_dir, resume, progress, command, stop_after_epoch)
    finally:
        if flushing:
            torch.set_flush_denormal(False)


def _train(config, data, out_dir, resume, progress, command, stop_after_epoch) -> dict:
    from tqdm.auto import tqdm

    out_dir = Path(out_dir)
    rank, world = _dist_info()
    device = pick_device(config.device) if world == 1 or config.device != "auto" else (
        torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}") if torch.cuda.is_available() else torch.device("cpu"))
    if data.train.device != device:
        data = data.to(device)
    if data.train.num_joints and len(data.val) == 0:
        raise ValueError("the validation split is empty: model selection needs one")

    torch.manual_seed(config.seed)
    model = build_model(config.model, **config.model_kwargs).to(device)
    if getattr(model, "standardize", False):  # z-scoring statistics of the training split (FC, Martinez et al.)
        model.fit_standardization(data.train.inputs, data.train.targets)
    if config.init_from and not (resume and (out_dir / "checkpoint.pt").exists()):
        load_initial_weights(model, config.init_from, config.model)
    num_params = count_parameters(model)
    optimizer = make_optimizer(model, config.lr, device)
    meta = {"model": config.model, "model_kwargs": config.model_kwargs}
    settings = getattr(data, "meta", {}).get("settings")
    if settings:  # how to rebuild the data (evaluate reuses it; resume must see the same)
        meta["data"] = settings

    average = None  # the running mean of the weights (average_epochs)
    history = {k: [] for k in ("epoch", "train_loss", "val_mpjpe", "val_p_mpjpe", "lr", "epoch_seconds",
                               "poses_per_second", "steps", "cpu_seconds")}
    state = {"epoch": 0, "step": 0, "lr": config.lr, "best_val": math.inf, "best_epoch": 0,
             "plateau_bad": 0, "plateau_best": math.inf, "elapsed": 0.0}
    ckpt_path = out_dir / "checkpoint.pt"
    if resume and ckpt_path.exists():
        ckpt = load_checkpoint(ckpt_path, map_location=device)
        # The number of epochs may change on resume (extend or shorten a run): no schedule but
        # the cosine and the final annealing depends on it, so while neither the saved run nor
        # the requested one has begun annealing, the result equals a run started with the new
        # values.  The inference chunk size changes nothing but float rounding (its default changed once).
        done = ckpt["state"]["epoch"]
        if done > config.epochs:
            raise ValueError(f"cannot resume {ckpt_path} with epochs={config.epochs}: it has already "
                             f"trained {done} epochs")
        diff = resume_conflicts(ckpt["config"], done, config)
        if diff:
            raise ValueError(f"cannot resume {ckpt_path}: its configuration differs (saved, requested): {diff}")
        saved_data = (ckpt.get("meta") or {}).get("data")
        if saved_data and settings and not same_data_settings(saved_data, settings):
            raise ValueError(f"cannot resume {ckpt_path}: it was trained on other data (saved {saved_data}, "
                             f"requested {settings})")
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        history, state = ckpt["history"], ckpt["state"]
        average = _checked_average(ckpt.get("average"), model, ckpt_path)
        if rank == 0 and progress:
            print(f"resuming {out_dir} after epoch {state['epoch']} (step {state['step']})", file=sys.stderr)

    train_model = model
    if world > 1:
        train_model = nn.parallel.DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None)
    if config.compile:
        train_model = torch.compile(train_model)
    use_amp = config.amp and device.type == "cuda"

    inputs, targets, cameras = data.train.inputs, data.train.targets, data.train.camera
    if config.augment_flip:
        from .data.augment import mirror_pairs, principal_points_x
        centres = principal_points_x(device=device)
    n = len(data.train)
    steps_per_epoch = math.ceil(n // world / config.batch_size)
    if config.max_steps_per_epoch:
        steps_per_epoch = min(steps_per_epoch, config.max_steps_per_epoch)
    total_steps = config.epochs * steps_per_epoch
    warmup_steps = min(round(config.warmup_epochs * steps_per_epoch), total_steps)
    anneal_steps = config.anneal_epochs * steps_per_epoch
    anneal_start = total_steps - anneal_steps
    average_start = total_steps - config.average_epochs * steps_per_epoch
    lines = progress == "lines" and rank == 0
    show = bool(progress) and not lines and rank == 0
    epochs_bar = tqdm(total=config.epochs, initial=state["epoch"], desc=f"{config.model}", unit="epoch",
                      disable=not show, dynamic_ncols=True)
    complete = True
    for epoch in range(state["epoch"] + 1, config.epochs + 1):
        if stop_after_epoch is not None and epoch > stop_after_epoch:
            complete = False
            break
        torch.manual_seed(config.seed * 1_000_003 + epoch)  # dropout stream of this epoch
        batches = epoch_batches(n, config.batch_size, config.seed, epoch, device, rank, world)[:steps_per_epoch]
        train_model.train()
        loss_sum = torch.zeros((), device=device)
        t0, cpu0 = time.perf_counter(), time.process_time()
        bar = tqdm(batches, desc=f"epoch {epoch}/{config.epochs}", leave=False, disable=not show,
                   unit="batch", dynamic_ncols=True, mininterval=1.0)
        for i, idx in enumerate(bar):
            annealing = anneal_steps and state["step"] >= anneal_start
            if config.lr_schedule == "step" and (annealing or state["step"] % config.lr_decay_steps == 0):
                state["lr"] = config.lr * config.lr_gamma ** (state["step"] // config.lr_decay_steps)
                if annealing:  # linearly to zero over the last anneal_epochs
                    state["lr"] *= (total_steps - state["step"]) / anneal_steps
                _set_lr(optimizer, state["lr"])
            elif config.lr_schedule == "none" and annealing:
                state["lr"] = config.lr * (total_steps - state["step"]) / anneal_steps
                _set_lr(optimizer, state["lr"])
            elif config.lr_schedule == "cosine":
                state["lr"] = cosine_lr(config.lr, state["step"], total_steps, warmup_steps)
                _set_lr(optimizer, state["lr"])
            x, y = inputs[idx], targets[idx]
            if config.augment_flip:  # the global RNG is re-seeded every epoch: resumable
                which = torch.rand(len(idx), device=device) < 0.5
                x, y = mirror_pairs(x, y, cameras[idx], centres, which)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                pred = train_model(x)
            loss = pose_loss(pred.float(), y, config.bone_weight, l1_weight=config.l1_weight)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.max_grad_norm:
                nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm, foreach=True)
            optimizer.step()
            loss_sum += loss.detach()
            state["step"] += 1
            if config.average_epochs and state["step"] > average_start and \
                    (state["step"] - average_start) % config.average_every == 0:
                average = _add_to_average(average, model, state.get("averaged", 0))
                state["averaged"] = state.get("averaged", 0) + 1
            if (i + 1) % 200 == 0 or i + 1 == len(batches):  # one host sync every 200 steps
                mean_loss = float(loss_sum) / (i + 1)
                if not math.isfinite(mean_loss):
                    raise TrainingDiverged(
                        f"loss became {mean_loss} at epoch {epoch}, step {state['step']} of {out_dir}; "
                        f"the last good checkpoint ({ckpt_path}, epoch {state['epoch']}) is kept. "
                        f"Try a lower --lr or --max-grad-norm.")
                if show:
                    rate = (i + 1) * config.batch_size * world / (time.perf_counter() - t0)
                    bar.set_postfix(loss=f"{mean_loss:.2e}", poses_s=f"{rate:,.0f}")
        bar.close()
        seconds = time.perf_counter() - t0
        train_loss = float(loss_sum) / max(len(batches), 1)

        eval_model = model  # the mean of the weights once averaging has begun (before its first sample: the current)
        if average is not None:
            eval_model = copy.deepcopy(model)
            eval_model.load_state_dict(average)
        val = evaluate(eval_model, data.val, config.eval_batch_size, flip=config.flip_test) if rank == 0 else {"mpjpe": math.nan, "p_mpjpe": math.nan}
        if world > 1:  # every rank needs the validation error for the plateau schedule
            v = torch.tensor([val["mpjpe"], val["p_mpjpe"]], device=device)
            torch.distributed.broadcast(v, 0)
            val = {"mpjpe": float(v[0]), "p_mpjpe": float(v[1])}
        if config.lr_schedule == "plateau":
            plateau_update(state, val["mpjpe"], config, optimizer)
        history.setdefault("cpu_seconds", [None] * len(history["epoch"]))  # checkpoints from before it was recorded
        if config.monitor_test and rank == 0:  # scored, never used to choose an epoch
            monitored = evaluate(eval_model, data.test, config.eval_batch_size, flip=config.flip_test)
            history.setdefault("test_mpjpe", []).append(monitored["mpjpe"])
            history.setdefault("test_p_mpjpe", []).append(monitored["p_mpjpe"])
        for key, value in (("epoch", epoch), ("train_loss", train_loss), ("val_mpjpe", val["mpjpe"]),
                           ("val_p_mpjpe", val["p_mpjpe"]), ("lr", optimizer.param_groups[0]["lr"]),
                           ("epoch_seconds", seconds), ("poses_per_second", len(batches) * config.batch_size * world / seconds),
                           ("steps", state["step"]), ("cpu_seconds", time.process_time() - cpu0)):
            history[key].append(value)
        state["epoch"] = epoch
        state["elapsed"] += seconds
        if rank == 0:
            if val["mpjpe"] < state["best_val"]:
                state["best_val"], state["best_epoch"] = val["mpjpe"], epoch
                atomic_save({"state_dict": eval_model.state_dict(), "meta": meta}, out_dir / "best.pt")
            atomic_save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "history": history,
                         "state": state, "config": config.to_dict(), "meta": meta,
                         **({"average": average} if average is not None else {})}, ckpt_path)
        if show:
            epochs_bar.update(1)
            epochs_bar.set_postfix(loss=f"{train_loss:.2e}", val_mm=f"{val['mpjpe']:.1f}",
                                   best=f"{state['best_val']:.1f}")
        if lines:
            print(f"{config.model} epoch {epoch}/{config.epochs}: loss {train_loss:.3e}, validation MPJPE "
                  f"{val['mpjpe']:.1f} mm (best {state['best_val']:.1f}), lr {optimizer.param_groups[0]['lr']:.2e}, "
                  f"{seconds:.0f} s", file=sys.stderr, flush=True)
        if world > 1:
            torch.distributed.barrier()
    epochs_bar.close()

    record = {
        "name": out_dir.name, "complete": complete, "config": config.to_dict(), "parameters": num_params,
        "history": history, "best_epoch": state["best_epoch"], "best_val_mpjpe": state["best_val"],
        "train_seconds": state["elapsed"], "steps": state["step"],
        **({"averaged_samples": state.get("averaged", 0)} if config.average_epochs else {}),
        "data": {"source": getattr(data, "source", ""), "train": len(data.train), "val": len(data.val),
                 "test": len(data.test), **{k: v for k, v in getattr(data, "meta", {}).items()
                                            if isinstance(v, (str, int, float, bool, list))},
                 **({"settings": settings} if settings else {})},
        "hardware": hardware_description(device), "world_size": world,
        "versions": {"semgcn": _package_version(), "torch": torch.__version__, "python": platform.python_version()},
        "git_commit": _git_commit(),
        "command": command or shlex.join(["python", "-m", "semgcn", "train", "--model", config.model,
                                          *config.cli_args(), "--out", str(out_dir)]),
    }
    if rank == 0 and complete:
        best = load_checkpoint(out_dir / "best.pt", map_location=device)
        model.load_state_dict(best["state_dict"])
        # Once, with the selected weights; with flip_test also what they score without test-time flipping.
        if config.flip_test:
            test, record["test_without_flip"] = evaluate_flip_and_plain(model, data.test, config.eval_batch_size)
        else:
            test = evaluate(model, data.test, config.eval_batch_size)
        record["test"] = test
        if config.monitor_test:
            record["test_selected_on_test"] = selected_on_test(history)
        if show or lines:
            print(f"{config.model}: test MPJPE {test['mpjpe']:.2f} mm, P-MPJPE {test['p_mpjpe']:.2f} mm "
                  f"(best validation epoch {state['best_epoch']})", file=sys.stderr)
    if rank == 0:
        atomic_write_json(record, out_dir / "record.json")
    return record


def selected_on_test(history: dict) -> dict:
    """The epoch a run would keep if it chose on the test split (the lowest
    ``history["test_mpjpe"]``, recorded with ``monitor_test``) and its test
    errors: ``{"epoch", "mpjpe", "p_mpjpe"}``.  That is the protocol of the
    official SemGCN code and of the modulated GCN's released checkpoint; this
    package selects on the validation split and reports this only to measure
    what the protocols differ by."""
    errors = history.get("test_mpjpe") or []
    epochs = len(history.get("epoch") or [])
    if not errors or len(errors) != epochs or len(history.get("test_p_mpjpe") or []) != epochs:
        raise ValueError("the history has no test error for every epoch (train with monitor_test=True)")
    i = min(range(len(errors)), key=errors.__getitem__)
    return {"epoch": history["epoch"][i], "mpjpe": errors[i], "p_mpjpe": history["test_p_mpjpe"][i]}


def _package_version() -> str:
    from . import __version__
    return __version__
