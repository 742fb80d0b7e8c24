"""Command line: ``python -m semgcn {prepare,train,evaluate,benchmark,experiment,time-to-accuracy,leaderboard,left-right,lift,export} --help``.

Without a dataset path every command uses the embedded synthetic poses and
says so; with ``--h36m PATH`` (or ``SEMGCN_H36M``) it uses real Human3.6M.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shlex
import sys
import typing
from pathlib import Path

from . import __version__

H36M_HELP = ("directory holding data_3d_h36m.npz (and data_2d_h36m_*.npz detections); "
             "default: $SEMGCN_H36M, else the embedded synthetic poses")


class CliError(Exception):
    """An error to report in one line, without a traceback."""


_DATA_DEFAULTS = {"keypoints": "gt", "train_stride": 5, "test_stride": 1, "input_format": "h36m16"}


def _add_data_args(p: argparse.ArgumentParser, stored: bool = False) -> None:
    """Data flags; with ``stored`` their defaults come from the checkpoint (evaluate)."""
    g = p.add_argument_group("data" + (" (default: the settings stored with the checkpoint)" if stored else ""))
    d = (lambda k: None) if stored else _DATA_DEFAULTS.get
    g.add_argument("--h36m", metavar="PATH", help=H36M_HELP)
    g.add_argument("--keypoints", default=d("keypoints"),
                   help="2D inputs: 'gt' (projected ground truth) or NAME of data_2d_h36m_NAME.npz, e.g. sh_pt_mpii")
    g.add_argument("--input-format", default=d("input_format"), metavar="FORMAT",
                   help="Human3.6M ground-truth 2D given as a detector's keypoints, e.g. coco17 (joints it lacks "
                        "are made as `lift` makes them): trains a lifter for that format (default: h36m16)")
    g.add_argument("--train-stride", type=int, default=d("train_stride"),
                   help="keep every n-th training frame (5 = 10 fps, the paper)")
    g.add_argument("--test-stride", type=int, default=d("test_stride"),
                   help="keep every n-th test frame (1 = all frames, standard)")
    g.add_argument("--actions", nargs="+", help="only these actions (e.g. Walking Eating)")
    g.add_argument("--synthetic-train", type=int, help="number of synthetic training poses")


def _check_data_flags(args) -> None:
    for flag in ("train_stride", "test_stride", "synthetic_train"):
        value = getattr(args, flag, None)
        if value is not None and value < 1:
            raise CliError(f"--{flag.replace('_', '-')} must be >= 1, got {value}")


def _load_data(args, device="cpu", quiet=False, stored: dict | None = None):
    """The data the flags ask for; flags left unset take ``stored`` settings (a checkpoint's) of the same source."""
    from .data import default_source, load_pose_data
    _check_data_flags(args)
    source = default_source(args.h36m)
    stored = stored or {}
    same = stored.get("source") == source
    if stored and not same and not quiet:
        print(f"note: the checkpoint was trained on {stored.get('source')} data; scoring it on {source} data",
              file=sys.stderr)

    def pick(key):
        value = getattr(args, key, None)
        if value is None and same:
            value = stored.get(key)
        return _DATA_DEFAULTS.get(key) if value is None else value

    actions = args.actions if args.actions is not None else (stored.get("actions") if same else None)
    if source == "h36m":
        # input_format is passed only when it is not the default, so older checkpoints' stored settings still match
        fmt = {"input_format": pick("input_format")} if pick("input_format") != "h36m16" else {}
        data = load_pose_data("h36m", h36m=args.h36m, keypoints=pick("keypoints"), train_stride=pick("train_stride"),
                              test_stride=pick("test_stride"), actions=actions, device=device, **fmt)
    else:
        if pick("input_format") != "h36m16":
            raise CliError(f"--input-format {pick('input_format')} simulates detections from Human3.6M's ground "
                           f"truth: pass --h36m PATH")
        if pick("keypoints") != "gt":
            raise CliError(f"--keypoints {pick('keypoints')} needs Human3.6M detections: pass --h36m PATH")
        from .train import _SYNTHETIC_SETTINGS
        kwargs = {k: stored[k] for k in _SYNTHETIC_SETTINGS if same and k in stored}
        if args.synthetic_train:
            kwargs["num_train"] = args.synthetic_train
        data = load_pose_data("synthetic", device=device, **kwargs)
        if actions:
            data = data.only_actions(actions)
        if not quiet:
            print("no Human3.6M path given (--h36m or $SEMGCN_H36M): using the embedded synthetic poses",
                  file=sys.stderr)
    if not quiet:
        print(data.summary(), file=sys.stderr)
    return data


def _add_train_config_args(p: argparse.ArgumentParser) -> None:
    from .config import TrainConfig
    g = p.add_argument_group(
        "training (defaults: the official code's recipe, Adam 1e-3, batch 64, x0.96 decay every 100k steps, "
        "30 epochs; the named experiments use the paper's plateau schedule, see `experiment --list`)")
    hints = typing.get_type_hints(TrainConfig)
    for f in dataclasses.fields(TrainConfig):
        if f.name in ("model", "model_kwargs"):
            continue
        flag = "--" + f.name.replace("_", "-")
        hint = hints[f.name]
        if hint is bool:
            g.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default, help=_FLAG_HELP.get(f.name))
        else:
            kind = {int: int, float: float, str: str}.get(hint) or (
                int if "int" in str(hint) else float if "float" in str(hint) else str)
            g.add_argument(flag, type=kind, default=f.default, metavar=f.name.upper().split("_")[-1],
                           help=_FLAG_HELP.get(f.name, f"default: {f.default}"))
    g.add_argument("--model-arg", action="append", default=[], metavar="KEY=JSON",
                   help="model builder keyword, e.g. --model-arg hidden=64 --model-arg dropout=0.2")


# Help texts where "default: VALUE" would not say enough (None meaning "automatic" or "no limit").
_FLAG_HELP = {"eval_batch_size": "poses per forward pass at validation and test (default: 256 on a CPU, "
                                 "8192 on a GPU)",
              "max_steps_per_epoch": "stop every epoch after this many steps (default: none; for smoke runs)",
              "max_grad_norm": "gradient clipping norm, 0 for none (default: 1.0)",
              "anneal_epochs": "the rate falls linearly to zero over this many final epochs (lr schedules step and "
                               "none; default: 0)",
              "average_epochs": "validate and test the mean of the weights over this many final epochs "
                                "(stochastic weight averaging; default: 0, none)",
              "average_every": "with --average-epochs: add the weights to the mean every this many steps "
                               "(default: 100)",
              "monitor_test": "also score the test split after every epoch; the epoch is still chosen on "
                              "validation, and the record adds what choosing on the test subjects would score "
                              "(default: off)",
              "init_from": "start from these weights (a shipped experiment's name or a model.pt / best.pt path) "
                           "instead of a random initialisation, i.e. fine-tune (default: none)"}


def _config_or_flag_error(cls, **values):
    """``cls(**values)``, a config's ValueError reworded to name the command-line flag."""
    try:
        return cls(**values)
    except ValueError as exc:
        name, _, rest = str(exc).partition(" ")
        raise CliError(f"--{name.replace('_', '-')} {rest}" if name in values else str(exc)) from exc


def _parse_model_args(items) -> dict:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.isidentifier():
            raise CliError(f"--model-arg expects KEY=VALUE with KEY a Python name, got {item!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def cmd_train(args) -> int:
    from .config import TrainConfig
    from .models import list_models
    from .train import train
    if args.model not in list_models():
        raise CliError(f"unknown model {args.model!r}; choose one of {', '.join(list_models())}")
    from .models import build_model
    from .train import prepare_run_dir
    fields = {f.name for f in dataclasses.fields(TrainConfig)} - {"model", "model_kwargs"}
    config = _config_or_flag_error(TrainConfig, model=args.model, model_kwargs=_parse_model_args(args.model_arg),
                                   **{k: getattr(args, k) for k in fields})
    try:   # a bad --model-arg fails here, not after the data are loaded
        build_model(args.model, **config.model_kwargs)
    except (TypeError, ValueError) as exc:
        raise CliError(f"--model-arg: {exc}") from exc
    if args.resume and args.overwrite:
        raise CliError("--resume and --overwrite contradict each other: choose one")
    _check_data_flags(args)
    out = prepare_run_dir(args.out or Path("runs") / args.model, args.resume, args.overwrite)
    data = _load_data(args)
    command = shlex.join(["python", "-m", "semgcn", *sys.argv[1:]])
    record = train(config, data, out, resume=args.resume, progress="lines" if args.no_progress else True,
                   command=command)
    if record.get("test"):
        _print_tables(record["test"])
    print(f"record written to {out / 'record.json'}")
    return 0


def _print_tables(test: dict) -> None:
    from .metrics import format_action_table
    print(format_action_table({"Protocol #1 (MPJPE, mm)": test["mpjpe_per_action"],
                               "Protocol #2 (P-MPJPE, mm)": test["p_mpjpe_per_action"]}))


def cmd_evaluate(args) -> int:
    from .experiments import EXPERIMENTS, shipped_model_path
    from .train import checkpoint_data_settings, evaluate, load_model, pick_device
    device = pick_device(args.device)
    checkpoint = args.checkpoint
    if not Path(checkpoint).exists() and checkpoint in EXPERIMENTS:
        checkpoint = shipped_model_path(checkpoint)
    model = load_model(checkpoint, device)
    stored = checkpoint_data_settings(checkpoint)
    if stored:
        print(f"data settings stored with the checkpoint: {stored}", file=sys.stderr)
    data = _load_data(args, device=device, stored=stored)
    split = getattr(data, args.split)
    res = evaluate(model, split, flip=args.flip_test)
    _print_tables(res)
    print(f"{args.split}: MPJPE {res['mpjpe']:.2f} mm, P-MPJPE {res['p_mpjpe']:.2f} mm "
          f"(action-averaged, {res['num_poses']:,} poses{', flip-averaged' if args.flip_test else ''})")
    if args.json:
        from .models import count_parameters
        atomic_write_json_with_provenance({**res, "parameters": count_parameters(model)}, args.json, checkpoint,
                                          data, device, getattr(args, "argv", []))
    return 0


def atomic_write_json_with_provenance(res: dict, path, checkpoint, data, device, argv) -> None:
    """``evaluate --json``: the numbers, and what produced them (checkpoint file and its SHA-256, data, hardware,
    versions, the command)."""
    import hashlib
    import platform
    import torch
    from .train import _git_commit, _package_version, atomic_write_json, hardware_description
    digest = hashlib.sha256(Path(checkpoint).read_bytes()).hexdigest()
    from .train import load_checkpoint
    ckpt = load_checkpoint(checkpoint)
    # Numbers the file itself states (e.g. the released modulated GCN's epoch, step and its own test error).
    stated = {k: v for k, v in ckpt.items() if isinstance(k, str) and type(v) in (int, float)} \
        if isinstance(ckpt, dict) else {}
    meta = {k: v for k, v in getattr(data, "meta", {}).items() if isinstance(v, (str, int, float, bool, list))}
    atomic_write_json({**res, "provenance": {
        "checkpoint": Path(checkpoint).name, "checkpoint_sha256": digest,
        **({"checkpoint_states": stated} if stated else {}),
        "data": {"source": getattr(data, "source", ""), "test": len(data.test), "val": len(data.val), **meta,
                 **({"settings": data.meta["settings"]} if isinstance(data.meta.get("settings"), dict) else {})},
        "hardware": hardware_description(device),
        "versions": {"semgcn": _package_version(), "torch": torch.__version__, "python": platform.python_version()},
        "git_commit": _git_commit(), "command": shlex.join(["python", "-m", "semgcn", *_public_argv(argv)])}},
        path)


def _public_argv(argv) -> list:
    """``argv`` with the values of path flags cut to what does not depend on this machine: ``--h36m PATH``,
    the checkpoint's and the JSON file's names."""
    out, take = [], None
    for a in argv:
        if take:
            out.append("PATH" if take == "--h36m" else Path(a).name)
            take = None
            continue
        flag, eq, value = a.partition("=")
        if flag in ("--h36m", "--checkpoint", "--json"):
            if eq:
                out.append(f"{flag}={'PATH' if flag == '--h36m' else Path(value).name}")
            else:
                out.append(a)
                take = a
            continue
        out.append(a)
    return out


def cmd_prepare(args) -> int:
    from .data.h36m import FILE_3D, find_h36m, prepare_gt_2d
    root = find_h36m(args.h36m)
    out = Path(args.out) if args.out else root / "data_2d_h36m_gt.npz"
    if out.exists() and not args.force:
        raise CliError(f"{out} exists; pass --force to overwrite")
    folder = out.parent if out.parent.exists() else Path.cwd()
    # Check the mode bits too: root passes os.access even on a folder marked read-only (a shared dataset).
    if not os.access(folder, os.W_OK) or not folder.stat().st_mode & 0o222:
        raise CliError(f"{folder} is read-only; choose another --out")
    prepare_gt_2d(root / FILE_3D, out, progress=True)
    print(f"wrote {out}")
    return 0


def cmd_benchmark(args) -> int:
    import math
    from .benchmark import run_benchmark
    if any(b < 1 for b in args.batch_sizes):
        raise CliError(f"--batch-sizes must all be >= 1, got {args.batch_sizes}")
    if not (math.isfinite(args.seconds) and args.seconds > 0):
        raise CliError(f"--seconds must be a finite number > 0, got {args.seconds}")
    if args.threads is not None and args.threads < 1:
        raise CliError(f"--threads must be >= 1, got {args.threads}")
    if args.inference_poses < 1:
        raise CliError(f"--inference-poses must be >= 1, got {args.inference_poses}")
    try:
        res = run_benchmark(args.models, args.batch_sizes, args.device, args.seconds, threads=args.threads,
                            clock=args.clock, inference_poses=args.inference_poses)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    if args.json:
        import datetime
        from .train import _git_commit, atomic_write_json
        flags = ["--models", *args.models, "--batch-sizes", *map(str, args.batch_sizes), "--device", args.device,
                 "--seconds", str(args.seconds), "--clock", args.clock]
        if args.inference_poses != 8192:
            flags += ["--inference-poses", str(args.inference_poses)]
        if args.threads is not None:
            flags += ["--threads", str(args.threads)]
        res = {**res, "command": shlex.join(["python", "-m", "semgcn", "benchmark", *flags, "--json", args.json]),
               "git_commit": _git_commit(), "semgcn_version": __version__,
               "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
        atomic_write_json(res, args.json)
    return 0


def cmd_experiment(args) -> int:
    from .experiments import EXPERIMENTS, find_results_dir, load_result, run_experiment
    from .leaderboard import seed_summary
    if args.list or not args.name:
        root = Path(args.results_dir) if args.results_dir else find_results_dir()
        print(f"shipped results: {root}")
        for name, exp in EXPERIMENTS.items():
            try:
                rec = load_result(name, root)
                status = f"shipped: test MPJPE {rec['test']['mpjpe']:.1f} mm" if rec.get("test") else "shipped (incomplete)"
            except FileNotFoundError:
                status = "not shipped"
            seeds = seed_summary(name, results_dir=root)
            if seeds and seeds["n"] > 1:   # the mean over the shipped seeds (NAME-seedN)
                status = f"shipped: test MPJPE {seeds['mean']:.1f} mm ({seeds['n']}-seed mean)"
            print(f"{name:<28} {status:<42} {exp.description}")
        return 0
    if args.name not in EXPERIMENTS:
        raise CliError(f"unknown experiment {args.name!r}; list them with `python -m semgcn experiment --list`")
    overrides = {k: v for k, v in (("epochs", args.epochs),) if v is not None}
    if args.epochs is not None:
        from .config import TrainConfig
        _config_or_flag_error(TrainConfig, epochs=args.epochs)
    if args.seed is not None and args.seed < 0:
        raise CliError(f"--seed must be >= 0, got {args.seed}")
    record = run_experiment(args.name, h36m=args.h36m, runs_dir=args.runs_dir, results_dir=args.results_dir,
                            resume=not args.restart, overwrite=args.restart,
                            progress="lines" if args.no_progress else True,
                            device=args.device, ship=args.ship, seed=args.seed, **overrides)
    run_name = args.name if record["config"]["seed"] == EXPERIMENTS[args.name].config().seed else \
        f"{args.name}-seed{args.seed}"
    print(f"record written to {Path(args.runs_dir) / run_name / 'record.json'}"
          + (f"; shipped to {args.results_dir or 'results/'}" if args.ship and record.get("complete") else ""))
    if record.get("test"):
        _print_tables(record["test"])
    return 0


def _require_h36m(args, command: str) -> None:
    """Commands that only make sense on Human3.6M: a path, and a test stride >= 1."""
    from .data import default_source
    if default_source(args.h36m) != "h36m":
        raise CliError(f"{command} needs Human3.6M: pass --h36m PATH or set SEMGCN_H36M")
    if args.test_stride < 1:
        raise CliError(f"--test-stride must be >= 1, got {args.test_stride}")


def cmd_time_to_accuracy(args) -> int:
    import math
    from .leaderboard import time_to_accuracy_markdown
    if not (math.isfinite(args.target) and args.target > 0):
        raise CliError(f"--target must be a validation MPJPE in mm > 0, got {args.target}")
    try:
        print(time_to_accuracy_markdown(args.runs, args.target, args.reference, args.results_dir))
    except (ValueError, FileNotFoundError) as exc:
        raise CliError(str(exc)) from exc
    return 0


def cmd_leaderboard(args) -> int:
    from .leaderboard import leaderboard_markdown
    print(leaderboard_markdown(args.results_dir))
    return 0


def cmd_left_right(args) -> int:
    from .analysis import left_right_markdown, run_left_right
    _require_h36m(args, "left-right")
    from .train import pick_device
    result = run_left_right(args.h36m, names=args.experiments, out=args.out, results_dir=args.results_dir,
                            test_stride=args.test_stride, device=pick_device(args.device))
    print(result["data"])
    print(left_right_markdown(result["rows"]))
    return 0


def cmd_lift(args) -> int:
    import json
    import math

    import numpy as np
    from .lifting import FORMATS, Lifter, format_names, read_keypoints
    from .train import atomic_write_json
    if args.format not in FORMATS:
        raise CliError(f"--format {args.format}: choose one of {', '.join(FORMATS)}")
    w, h = args.image_size
    if not (w > 0 and h > 0 and math.isfinite(w) and math.isfinite(h)):
        raise CliError(f"--image-size must be two positive numbers, got {w} {h}")
    if args.focal is not None and not (math.isfinite(args.focal) and args.focal > 0):
        raise CliError(f"--focal must be a positive number, got {args.focal}")
    if not 0 <= args.min_confidence <= 1:
        raise CliError(f"--min-confidence must be in [0, 1], got {args.min_confidence}")
    points, conf = read_keypoints(args.input, len(format_names(args.format)))
    usable = np.isfinite(points).all(-1) if conf is None else (conf >= args.min_confidence)
    if conf is None and not usable.all():
        n, j = map(int, np.argwhere(~usable)[0])
        raise CliError(f"{args.input}: pose {n}, joint {j} ({format_names(args.format)[j]}) is not a number; "
                       f"give confidences (a third column, 0 = missing) to mark missing joints")
    outside = usable & ((points < -np.array([w, h])) | (points > 2 * np.array([w, h]))).any(-1)
    if outside.any():
        n, j = map(int, np.argwhere(outside)[0])
        raise CliError(f"{args.input}: pose {n}, joint {j} ({format_names(args.format)[j]}) at "
                       f"{points[n, j].tolist()} is far outside a {w:g}x{h:g} image: check --image-size and that "
                       f"the keypoints are in pixels")
    bone_length = args.bone_length
    if bone_length not in (None, "canonical"):
        try:
            bone_length = float(bone_length)
        except ValueError:
            bone_length = math.nan
        if not (math.isfinite(bone_length) and bone_length > 0):
            raise CliError(f"--bone-length must be 'canonical' or a positive length in metres, got {args.bone_length}")
    intrinsics = None if args.focal is None else (args.focal, args.focal, w / 2, h / 2)
    from .lifting import default_model
    lifter = Lifter.from_pretrained(args.model or default_model(args.format), args.device)
    res = lifter.lift(points, args.format, image_size=(w, h), intrinsics=intrinsics, confidences=conf,
                      min_confidence=args.min_confidence, flip=not args.no_flip, bone_length=bone_length)
    out = {"joint_names": list(res.joint_names), "unit": "m", "frame": "camera coordinates, pelvis at the origin",
           "joints3d": np.round(res.joints3d, 6).tolist(), "filled": res.filled.tolist(), "model": lifter.name,
           "format": args.format, "image_size": [w, h], "flip_test": not args.no_flip, "input": str(args.input)}
    if args.out:
        atomic_write_json(out, args.out)
        print(f"{len(res.joints3d)} poses lifted with {lifter.name}; wrote {args.out}", file=sys.stderr)
    else:
        print(json.dumps(out))
    if args.plot:
        import semgcn.viz as viz
        fig = viz.plot_pose_3d_slider({lifter.name: res.joints3d}, labels=[f"pose {i}" for i in range(len(points))],
                                      title=f"{Path(args.input).name}: lifted by {lifter.name}") \
            if len(points) > 1 else viz.plot_pose_3d(res.joints3d, title=f"{Path(args.input).name}: lifted by "
                                                                       f"{lifter.name}")
        tmp = Path(str(args.plot) + ".tmp")
        fig.write_html(tmp, include_plotlyjs=True, full_html=True)   # self-contained: works offline
        tmp.replace(args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


def cmd_lift_accuracy(args) -> int:
    import datetime
    from .lifting import FORMATS, format_accuracy
    from .train import _git_commit, atomic_write_json, hardware_description
    _require_h36m(args, "lift-accuracy")
    result = format_accuracy(args.h36m, tuple(FORMATS), args.model, args.test_stride, flip=not args.no_flip)
    result.update({"data": f"Human3.6M S9, S11, every {args.test_stride}th frame, 4 cameras, ground-truth 2D "
                           f"as each format's pixels", "hardware": hardware_description("cpu"),
                   "command": "python -m semgcn lift-accuracy --h36m PATH"
                              + (f" --test-stride {args.test_stride}" if args.test_stride != 10 else "")
                              + (f" --model {args.model}" if args.model != "h36m-semgcn-flip" else "")
                              + (" --no-flip" if args.no_flip else "") + (f" --out {args.out}" if args.out else ""),
                   "git_commit": _git_commit(), "date": datetime.date.today().isoformat()})
    for key in ("pipeline", *FORMATS):
        print(f"{key:<9} MPJPE {result[key]['mpjpe']:6.2f} mm   P-MPJPE {result[key]['p_mpjpe']:6.2f} mm")
    for fmt, row in result["dedicated"].items():
        print(f"{fmt:<9} MPJPE {row['mpjpe']:6.2f} mm   P-MPJPE {row['p_mpjpe']:6.2f} mm   with {row['model']}")
    if args.out:
        atomic_write_json(result, args.out)
    return 0


def cmd_export(args) -> int:
    from .lifting import Lifter, export_model
    if not (args.onnx or args.torchscript):
        raise CliError("export needs --onnx FILE and/or --torchscript FILE")
    lifter = Lifter.from_pretrained(args.model, "cpu")
    written = export_model(lifter.model, args.onnx, args.torchscript)
    for kind, path in written.items():
        print(f"{kind}: {path} (keypoints (N, 16, 2) in the network's input units -> joints3d (N, 16, 3) metres)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m semgcn", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"semgcn {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks (accepted anywhere on the line)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("prepare", help="write the ground-truth 2D file data_2d_h36m_gt.npz from data_3d_h36m.npz")
    p.add_argument("--h36m", metavar="PATH", help="directory holding data_3d_h36m.npz (default: $SEMGCN_H36M)")
    p.add_argument("--out", help="output file (default: PATH/data_2d_h36m_gt.npz)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("train", help="train a model (synthetic poses unless --h36m is given)")
    p.add_argument("--model", default="semgcn", help="semgcn, semgcn-no-nonlocal, resgcn, semgcn-no-semgconv, "
                   "semgcn-channelwise, stgcn, gat, fc (default: semgcn)")
    p.add_argument("--out", help="run directory (default: runs/MODEL)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--overwrite", action="store_true", help="replace the run already in OUT (default: refuse)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars; one line per epoch instead")
    _add_data_args(p)
    _add_train_config_args(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="Protocol #1/#2 per action for a checkpoint")
    p.add_argument("--checkpoint", required=True,
                   help="best.pt of a run, a model.pt, or the name of a shipped experiment (e.g. h36m-semgcn)")
    p.add_argument("--split", choices=("test", "val"), default="test")
    p.add_argument("--flip-test", action="store_true",
                   help="average each prediction with the mirrored prediction for the mirror image (chapter 11)")
    p.add_argument("--device", default="auto")
    p.add_argument("--json", help="also write the numbers to this JSON file")
    _add_data_args(p, stored=True)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("benchmark", help="training/inference speed and the fraction of the matmul rate")
    p.add_argument("--models", nargs="+", default=["semgcn", "semgcn-no-nonlocal"])
    p.add_argument("--batch-sizes", nargs="+", type=int, default=[64, 256])
    p.add_argument("--device", default="auto")
    p.add_argument("--seconds", type=float, default=3.0, help="timing budget per measurement")
    p.add_argument("--threads", type=int, help="CPU threads (default: torch's default, all cores)")
    p.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                   help="wall: elapsed time; cpu: process CPU time, i.e. rates per CPU-second, robust when "
                        "other jobs share the machine (CPU only)")
    p.add_argument("--inference-poses", type=int, default=8192, metavar="N",
                   help="poses lifted at once in the inference-rate measurement (default: 8192)")
    p.add_argument("--json", help="write the numbers to this JSON file")
    p.set_defaults(func=cmd_benchmark)

    p = sub.add_parser("experiment", help="rerun one of the paper's experiments by name (see --list)")
    p.add_argument("name", nargs="?", help="experiment name")
    p.add_argument("--list", action="store_true", help="list experiments and whether results are shipped")
    p.add_argument("--h36m", metavar="PATH", help=H36M_HELP)
    p.add_argument("--epochs", type=int, help="override the number of epochs")
    p.add_argument("--seed", type=int, help="train another random seed of the recipe in RUNS_DIR/NAME-seedN "
                   "(shipped, record only, as NAME-seedN)")
    p.add_argument("--runs-dir", default="runs", help="where checkpoints and the record go (default: runs/)")
    p.add_argument("--ship", action="store_true",
                   help="also copy a complete run into the shipped results (refused when the recipe differs from "
                        "the registered one, e.g. with --epochs)")
    p.add_argument("--results-dir", help="shipped results: where --list and --ship look (default: $SEMGCN_RESULTS, "
                                         "else the checkout's results/, else the installed package's copy)")
    p.add_argument("--restart", action="store_true", help="ignore an existing checkpoint")
    p.add_argument("--no-progress", action="store_true", help="no progress bars; one line per epoch instead")
    p.add_argument("--device", default="auto")
    p.set_defaults(func=cmd_experiment)

    p = sub.add_parser("time-to-accuracy", help="when runs first reached a validation error, in CPU-minutes "
                                                "(the fast recipe vs the paper's)")
    p.add_argument("runs", nargs="+", help="shipped experiment names, run folders or record.json files")
    p.add_argument("--target", type=float, required=True, metavar="MM", help="validation MPJPE to reach, in mm")
    p.add_argument("--reference", metavar="RUN", help="for runs recorded without CPU-seconds: estimate them at "
                                                      "this run's CPU-seconds per step (same model and batch)")
    p.add_argument("--results-dir", help="where shipped results are (default: $SEMGCN_RESULTS, else the "
                                         "checkout's results/, else the installed package's copy)")
    p.set_defaults(func=cmd_time_to_accuracy)

    p = sub.add_parser("leaderboard", help="our shipped Human3.6M rows beside published numbers, with the "
                                           "protocol of each (model selection, flips, joints, epochs, seeds)")
    p.add_argument("--results-dir", help="where shipped results are (default: as for experiment --list)")
    p.set_defaults(func=cmd_leaderboard)

    p = sub.add_parser("left-right", help="left-right swap and depth-order tests of the shipped Human3.6M networks "
                                          "(chapter 7); writes results/analysis/left-right-h36m.json")
    p.add_argument("--h36m", metavar="PATH", help="directory holding data_3d_h36m.npz (default: $SEMGCN_H36M)")
    p.add_argument("--experiments", nargs="+", help="experiment names (default: every ground-truth-2D one shipped)")
    p.add_argument("--test-stride", type=int, default=50, help="keep every n-th test frame (default 50)")
    p.add_argument("--results-dir", help="where shipped results are (default: $SEMGCN_RESULTS, else the "
                                         "checkout's results/, else the installed package's copy)")
    p.add_argument("--out", help="output JSON (default: RESULTS/analysis/left-right-h36m.json)")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda or auto")
    p.set_defaults(func=cmd_left_right)

    p = sub.add_parser("lift", help="lift your own 2D keypoints (pixels, COCO/MPII/Human3.6M order) to 3D")
    p.add_argument("input", help="keypoints: .json (COCO annotations), .npy or .csv")
    p.add_argument("--format", default="coco17", help="coco17 (default), mpii16, h36m16, h36m17 or h36m32")
    p.add_argument("--image-size", nargs=2, type=float, required=True, metavar=("W", "H"), help="image size, pixels")
    p.add_argument("--focal", type=float, help="focal length in pixels (default: 1.147 x the longer image side)")
    p.add_argument("--model", help="a shipped experiment or a checkpoint file (default: the lifter trained for "
                                   "--format where one is shipped, h36m-semgcn-coco17 for coco17, else "
                                   "h36m-semgcn-flip)")
    p.add_argument("--min-confidence", type=float, default=0.2, help="joints below it count as missing (default 0.2)")
    p.add_argument("--no-flip", action="store_true", help="no test-time flipping")
    p.add_argument("--bone-length", help="rescale each pose: 'canonical' or a total bone length in metres")
    p.add_argument("--out", help="output JSON (default: print it)")
    p.add_argument("--plot", help="also write a self-contained interactive 3D viewer (HTML)")
    p.add_argument("--device", default="cpu")
    p.set_defaults(func=cmd_lift)

    p = sub.add_parser("lift-accuracy", help="Protocol #1/#2 of `lift` per keypoint format on Human3.6M (chapter 12)")
    p.add_argument("--h36m", metavar="PATH", help="directory holding data_3d_h36m.npz (default: $SEMGCN_H36M)")
    p.add_argument("--model", default="h36m-semgcn-flip")
    p.add_argument("--test-stride", type=int, default=10, help="every n-th test frame (default 10)")
    p.add_argument("--no-flip", action="store_true", help="no test-time flipping")
    p.add_argument("--out", help="write the numbers and their provenance to this JSON file")
    p.set_defaults(func=cmd_lift_accuracy)

    p = sub.add_parser("export", help="export a shipped network to ONNX and/or TorchScript")
    p.add_argument("--model", default="h36m-semgcn-flip", help="a shipped experiment or a checkpoint file")
    p.add_argument("--onnx", help="write ONNX here")
    p.add_argument("--torchscript", help="write TorchScript here")
    p.set_defaults(func=cmd_export)
    return parser


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = argv
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted; rerun with --resume to continue from the last checkpoint", file=sys.stderr)
        return 130
    except BrokenPipeError:   # e.g. `experiment --list | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except ModuleNotFoundError as exc:
        if debug:
            raise
        from ._extras import hint
        message = str(exc)
        print(f"error: {message}{'' if 'pip install' in message else hint(exc.name or '')}", file=sys.stderr)
        return 2
    except (CliError, ValueError, FileNotFoundError, RuntimeError, OSError) as exc:
        if debug:
            raise
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:   # a bug, or input nobody foresaw: still one line, the traceback on request
        if debug:
            raise
        print(f"error: unexpected {type(exc).__name__}: {_one_line(exc)} (rerun with --debug for the traceback)",
              file=sys.stderr)
        return 3


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 2000 else text[:1997] + "..."


if __name__ == "__main__":
    sys.exit(main())
