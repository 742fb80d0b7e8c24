"""Command line: ``python -m semgcn {prepare,train,evaluate,benchmark,experiment,left-right} --help``.

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


def _add_data_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("data")
    g.add_argument("--h36m", metavar="PATH", help=H36M_HELP)
    g.add_argument("--keypoints", default="gt",
                   help="2D inputs: 'gt' (projected ground truth) or NAME of data_2d_h36m_NAME.npz, e.g. sh_pt_mpii")
    g.add_argument("--train-stride", type=int, default=5, help="keep every n-th training frame (5 = 10 fps, the paper)")
    g.add_argument("--test-stride", type=int, default=1, help="keep every n-th test frame (1 = all frames, standard)")
    g.add_argument("--actions", nargs="+", help="only these actions (e.g. Walking Eating)")
    g.add_argument("--synthetic-train", type=int, help="number of synthetic training poses")


def _load_data(args, device="cpu", quiet=False):
    from .data import default_source, load_pose_data
    source = default_source(args.h36m)
    if source == "h36m":
        data = load_pose_data("h36m", h36m=args.h36m, keypoints=args.keypoints, train_stride=args.train_stride,
                              test_stride=args.test_stride, actions=args.actions, device=device)
    else:
        if args.keypoints != "gt":
            raise CliError(f"--keypoints {args.keypoints} needs Human3.6M detections: pass --h36m PATH")
        kwargs = {"num_train": args.synthetic_train} if args.synthetic_train else {}
        data = load_pose_data("synthetic", device=device, **kwargs)
        if args.actions:
            data = data.only_actions(args.actions)
        if not quiet:
            print("no Human3.6M path given (--h36m or $SEMGCN_H36M): using the embedded synthetic poses",
                  file=sys.stderr)
    if not quiet:
        print(data.summary(), file=sys.stderr)
    return data


def _add_train_config_args(p: argparse.ArgumentParser) -> None:
    from .train import TrainConfig
    g = p.add_argument_group("training (defaults: the paper's recipe)")
    hints = typing.get_type_hints(TrainConfig)
    for f in dataclasses.fields(TrainConfig):
        if f.name in ("model", "model_kwargs"):
            continue
        flag = "--" + f.name.replace("_", "-")
        hint = hints[f.name]
        if hint is bool:
            g.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default)
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
              "max_grad_norm": "gradient clipping norm (default: 1.0)"}


def _parse_model_args(items) -> dict:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise CliError(f"--model-arg expects KEY=VALUE, got {item!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def cmd_train(args) -> int:
    from .models import list_models
    from .train import TrainConfig, train
    if args.model not in list_models():
        raise CliError(f"unknown model {args.model!r}; choose one of {', '.join(list_models())}")
    fields = {f.name for f in dataclasses.fields(TrainConfig)} - {"model", "model_kwargs"}
    config = TrainConfig(model=args.model, model_kwargs=_parse_model_args(args.model_arg),
                         **{k: getattr(args, k) for k in fields})
    data = _load_data(args)
    out = Path(args.out or Path("runs") / args.model)
    command = shlex.join(["python", "-m", "semgcn", *sys.argv[1:]])
    record = train(config, data, out, resume=args.resume, progress=not args.no_progress, command=command)
    if record.get("test"):
        _print_tables(record["test"])
    print(f"record written to {out / 'record.json'}")
    return 0


def _print_tables(test: dict) -> None:
    from .metrics import format_action_table
    print(format_action_table({"Protocol #1 (MPJPE, mm)": test["mpjpe_per_action"],
                               "Protocol #2 (P-MPJPE, mm)": test["p_mpjpe_per_action"]}))


def cmd_evaluate(args) -> int:
    from .train import evaluate, load_model, pick_device
    device = pick_device(args.device)
    model = load_model(args.checkpoint, device)
    data = _load_data(args, device=device)
    split = getattr(data, args.split)
    res = evaluate(model, split, flip=args.flip_test)
    _print_tables(res)
    print(f"{args.split}: MPJPE {res['mpjpe']:.2f} mm, P-MPJPE {res['p_mpjpe']:.2f} mm "
          f"(action-averaged, {res['num_poses']:,} poses{', flip-averaged' if args.flip_test else ''})")
    if args.json:
        from .train import atomic_write_json
        atomic_write_json(res, args.json)
    return 0


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
    from .benchmark import run_benchmark
    try:
        res = run_benchmark(args.models, args.batch_sizes, args.device, args.seconds, threads=args.threads,
                            clock=args.clock)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    if args.json:
        import datetime
        from .train import _git_commit, atomic_write_json
        flags = ["--models", *args.models, "--batch-sizes", *map(str, args.batch_sizes), "--device", args.device,
                 "--seconds", str(args.seconds), "--clock", args.clock]
        if args.threads is not None:
            flags += ["--threads", str(args.threads)]
        res = {**res, "command": shlex.join(["python", "-m", "semgcn", "benchmark", *flags, "--json", args.json]),
               "git_commit": _git_commit(), "semgcn_version": __version__,
               "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
        atomic_write_json(res, args.json)
    return 0


def cmd_experiment(args) -> int:
    from .experiments import EXPERIMENTS, load_result, run_experiment
    if args.list or not args.name:
        for name, exp in EXPERIMENTS.items():
            try:
                rec = load_result(name)
                status = f"shipped: test MPJPE {rec['test']['mpjpe']:.1f} mm" if rec.get("test") else "shipped (incomplete)"
            except FileNotFoundError:
                status = "not shipped"
            print(f"{name:<28} {status:<36} {exp.description}")
        return 0
    if args.name not in EXPERIMENTS:
        raise CliError(f"unknown experiment {args.name!r}; list them with `python -m semgcn experiment --list`")
    overrides = {k: v for k, v in (("epochs", args.epochs),) if v is not None}
    record = run_experiment(args.name, h36m=args.h36m, runs_dir=args.runs_dir, results_dir=args.results_dir,
                            resume=not args.restart, progress=not args.no_progress, device=args.device,
                            ship=not args.no_ship, **overrides)
    if record.get("test"):
        _print_tables(record["test"])
    return 0


def cmd_left_right(args) -> int:
    from .analysis import left_right_markdown, run_left_right
    from .data import default_source
    if default_source(args.h36m) != "h36m":
        raise CliError("left-right needs Human3.6M: pass --h36m PATH or set SEMGCN_H36M")
    if args.test_stride < 1:
        raise CliError(f"--test-stride must be >= 1, got {args.test_stride}")
    from .train import pick_device
    result = run_left_right(args.h36m, names=args.experiments, out=args.out, results_dir=args.results_dir,
                            test_stride=args.test_stride, device=pick_device(args.device))
    print(result["data"])
    print(left_right_markdown(result["rows"]))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m semgcn", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"semgcn {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks")
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
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    _add_data_args(p)
    _add_train_config_args(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="Protocol #1/#2 per action for a checkpoint")
    p.add_argument("--checkpoint", required=True, help="best.pt of a run or a shipped results/NAME/model.pt")
    p.add_argument("--split", choices=("test", "val"), default="test")
    p.add_argument("--flip-test", action="store_true",
                   help="average each prediction with the mirrored prediction for the mirror image (chapter 11)")
    p.add_argument("--device", default="auto")
    p.add_argument("--json", help="also write the numbers to this JSON file")
    _add_data_args(p)
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
    p.add_argument("--json", help="write the numbers to this JSON file")
    p.set_defaults(func=cmd_benchmark)

    p = sub.add_parser("experiment", help="rerun one of the paper's experiments by name (see --list)")
    p.add_argument("name", nargs="?", help="experiment name")
    p.add_argument("--list", action="store_true", help="list experiments and whether results are shipped")
    p.add_argument("--h36m", metavar="PATH", help=H36M_HELP)
    p.add_argument("--epochs", type=int, help="override the number of epochs")
    p.add_argument("--runs-dir", default="runs", help="where checkpoints go (default: runs/)")
    p.add_argument("--results-dir", help="where shipped results go (default: the repository's results/)")
    p.add_argument("--restart", action="store_true", help="ignore an existing checkpoint")
    p.add_argument("--no-ship", action="store_true", help="do not copy the result into results/")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--device", default="auto")
    p.set_defaults(func=cmd_experiment)

    p = sub.add_parser("left-right", help="left-right swap and depth-order tests of the shipped Human3.6M networks "
                                          "(chapter 7); writes results/analysis/left-right-h36m.json")
    p.add_argument("--h36m", metavar="PATH", help="directory holding data_3d_h36m.npz (default: $SEMGCN_H36M)")
    p.add_argument("--experiments", nargs="+", help="experiment names (default: every ground-truth-2D one shipped)")
    p.add_argument("--test-stride", type=int, default=50, help="keep every n-th test frame (default 50)")
    p.add_argument("--results-dir", help="where shipped results are (default: the repository's results/)")
    p.add_argument("--out", help="output JSON (default: RESULTS/analysis/left-right-h36m.json)")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda or auto")
    p.set_defaults(func=cmd_left_right)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted; rerun with --resume to continue from the last checkpoint", file=sys.stderr)
        return 130
    except (CliError, ValueError, FileNotFoundError, RuntimeError, OSError) as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
