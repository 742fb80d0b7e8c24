"""Command line of the image-feature framework (chapter 9): ``python -m semgcn.image {train,compare,evaluate,benchmark,render} --help``.

Without ``--h36m`` (or ``$SEMGCN_H36M``) the images are rendered from the
embedded synthetic poses; with it, from real Human3.6M poses.  Settings
are a preset (``--preset cpu-tiny``, ``cpu-h36m`` or ``gpu``) plus ``--set key=value``
overrides of :class:`~semgcn.image.train.ImageTrainConfig`.
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


class CliError(Exception):
    """An error to report in one line, without a traceback."""


def _parse_value(text: str, kind):
    if text in ("None", "none", "null"):
        return None
    if kind is bool or text in ("True", "False", "true", "false"):
        if text.lower() not in ("true", "false"):
            raise ValueError(f"expected true/false, got {text!r}")
        return text.lower() == "true"
    for cast in (int, float):
        if kind in (cast, "int" if cast is int else "float") or (kind is None and _is(cast, text)):
            return cast(text)
    return text


def _is(cast, text) -> bool:
    try:
        cast(text)
        return True
    except ValueError:
        return False


def _config(args):
    from .train import PRESETS, ImageTrainConfig

    if args.preset not in PRESETS:
        raise CliError(f"unknown preset {args.preset!r}; choose one of {sorted(PRESETS)}")
    values = dict(PRESETS[args.preset]["config"])
    fields = {f.name: f for f in dataclasses.fields(ImageTrainConfig)}
    hints = typing.get_type_hints(ImageTrainConfig)
    for item in args.set or []:
        if "=" not in item:
            raise CliError(f"--set expects key=value, got {item!r}")
        key, text = item.split("=", 1)
        key = key.strip().replace("-", "_")
        if key not in fields:
            raise CliError(f"--set {key}: unknown setting; known: {', '.join(sorted(fields))}")
        hint = hints[key]
        kind = hint if hint in (int, float, bool, str) else None
        try:
            values[key] = _parse_value(text, kind)
        except ValueError as exc:
            raise CliError(f"--set {key}={text}: {exc}") from exc
    if args.device:
        values["device"] = args.device
    try:
        return ImageTrainConfig(**values)
    except (TypeError, ValueError) as exc:
        name = str(exc).split(" ")[0]
        raise CliError(f"--set {exc}" if name in fields else str(exc)) from exc


def _data(args, quiet=False):
    from .data import load_image_data
    from .train import PRESETS

    kwargs = dict(PRESETS[args.preset]["data"])
    source = kwargs.pop("source")
    h36m = args.h36m or os.environ.get("SEMGCN_H36M")
    if h36m:
        source = "h36m"
        kwargs = {k: v for k, v in kwargs.items() if k in ("train_stride", "val_stride", "test_stride")}
        kwargs["path"] = h36m
    elif source == "h36m":
        if not quiet:
            print(f"preset {args.preset!r} wants Human3.6M but no --h36m PATH / $SEMGCN_H36M was given: "
                  "using the synthetic poses", file=sys.stderr)
        source, kwargs = "synthetic", dict(PRESETS["cpu-tiny"]["data"])
        kwargs.pop("source")
    for key in ("num_train", "num_val", "num_test", "train_stride", "val_stride", "test_stride"):
        value = getattr(args, key, None)
        if value is not None:
            if (source == "synthetic") != key.startswith("num_"):
                raise CliError(f"--{key.replace('_', '-')} applies to "
                               f"{'synthetic' if key.startswith('num_') else 'Human3.6M'} data only")
            kwargs[key] = value
    try:
        data = load_image_data(source, **kwargs)
    except (FileNotFoundError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    if not quiet:
        print(data.summary(), file=sys.stderr)
    return data


def _common(p: argparse.ArgumentParser, out: bool = True) -> None:
    p.add_argument("--preset", default="cpu-tiny", help="cpu-tiny (default), cpu-h36m or gpu")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override an ImageTrainConfig setting, e.g. --set epochs_2d=20 (repeatable)")
    p.add_argument("--device", help="cpu, cuda, cuda:1 (default: CUDA when available)")
    g = p.add_argument_group("data")
    g.add_argument("--h36m", metavar="PATH", help="directory with data_3d_h36m.npz (default: $SEMGCN_H36M, "
                                                  "else synthetic poses)")
    for key in ("num_train", "num_val", "num_test"):
        g.add_argument("--" + key.replace("_", "-"), type=int, help="synthetic poses per split")
    for key in ("train_stride", "val_stride", "test_stride"):
        g.add_argument("--" + key.replace("_", "-"), type=int, help="Human3.6M: keep every n-th frame")
    if out:
        p.add_argument("--out", required=True, help="run directory")
    p.add_argument("--no-resume", action="store_true", help="start over instead of resuming")
    p.add_argument("--quiet", action="store_true")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m semgcn.image", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="train the stages of Sec. 5.1 (2d, 3d, finetune)")
    _common(p)
    p.add_argument("--stages", default="2d,3d,finetune", help="comma-separated subset of 2d,3d,finetune")
    p.add_argument("--backbone-from", help="reuse this stage-1 folder instead of training stage 2d here")
    p = sub.add_parser("compare", help="2D-only vs image features vs ground-truth 2D, several seeds")
    _common(p)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--no-finetune", action="store_true", help="skip stage 3 (end to end)")
    p = sub.add_parser("evaluate", help="evaluate a stage's best.pt on the test split")
    _common(p, out=False)
    p.add_argument("--checkpoint", required=True, help="best.pt / checkpoint.pt of a 3d or finetune stage")
    p = sub.add_parser("benchmark", help="images/s: rendering, inference, training steps")
    _common(p, out=False)
    p.add_argument("--batch-size", type=int)
    p = sub.add_parser("render", help="write a grid of rendered training images (PNG)")
    _common(p, out=False)
    p.add_argument("--png", required=True, help="output file")
    p.add_argument("--count", type=int, default=16)
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv   # accepted anywhere on the line: show tracebacks
    argv = [a for a in argv if a != "--debug"]
    args = parser.parse_args(argv)
    args.command_line = shlex.join(["python", "-m", "semgcn.image", *argv])
    try:
        _check_numbers(args)
        return _run(args)
    except KeyboardInterrupt:
        print("interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    except (CliError, ValueError, FileNotFoundError, RuntimeError, OSError) as exc:
        if debug:
            raise
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except Exception as exc:   # input nobody foresaw: one line, the traceback with --debug
        if debug:
            raise
        print(f"error: unexpected {type(exc).__name__}: {' '.join(str(exc).split())} "
              f"(rerun with --debug for the traceback)", file=sys.stderr)
        return 3


def _check_numbers(args) -> None:
    """Every numeric flag is in range before any work."""
    for key in ("num_train", "num_val", "num_test", "train_stride", "val_stride", "test_stride", "count",
                "batch_size"):
        value = getattr(args, key, None)
        if value is not None and value < 1:
            raise CliError(f"--{key.replace('_', '-')} must be >= 1, got {value}")
    for seed in getattr(args, "seeds", None) or []:
        if seed < 0:
            raise CliError(f"--seeds must be >= 0, got {seed}")
    out = getattr(args, "out", None)
    if out and Path(out).exists() and not Path(out).is_dir():
        raise CliError(f"--out {out} is a file, not a run folder")


def _run(args) -> int:
    import torch

    config = _config(args)
    if args.command == "benchmark":
        from .train import benchmark_image_pipeline
        print(json.dumps(benchmark_image_pipeline(config, batch_size=args.batch_size), indent=1))
        return 0
    data = _data(args, quiet=args.quiet)
    progress = not args.quiet
    if args.command == "train":
        from .train import STAGES, train_image_model
        stages = [s.strip() for s in args.stages.split(",") if s.strip()]
        bad = [s for s in stages if s not in STAGES]
        if bad:
            raise CliError(f"--stages: unknown {bad}; choose from {','.join(STAGES)}")
        try:
            records = train_image_model(config, data, args.out, stages, resume=not args.no_resume, progress=progress,
                                        backbone_from=args.backbone_from, command=args.command_line)
        except FileNotFoundError as exc:
            raise CliError(f"{exc} (train the earlier stages first, or pass --backbone-from)") from exc
        summary = {s: r.get("test", {}).get("mpjpe", r.get("test", {}).get("pixel_error")) for s, r in records.items()}
        print(json.dumps(summary))
    elif args.command == "compare":
        from .train import compare_image_features
        summary = compare_image_features(config, data, args.out, tuple(args.seeds), finetune=not args.no_finetune,
                                         resume=not args.no_resume, progress=progress, command=args.command_line)
        print(json.dumps({k: {m: round(v[m]["mean"], 2) for m in ("mpjpe", "p_mpjpe")}
                          for k, v in summary["test"].items()}, indent=1))
    elif args.command == "evaluate":
        from .train import evaluate_3d, load_image_model
        try:
            model = load_image_model(args.checkpoint)
        except (FileNotFoundError, ValueError) as exc:
            raise CliError(str(exc)) from exc
        mc = model.config
        config = dataclasses.replace(config, image_size=mc["image_size"], use_features=mc["use_features"])
        device = torch.device("cuda" if config.device == "auto" and torch.cuda.is_available() else
                              ("cpu" if config.device == "auto" else config.device))
        result = evaluate_3d(model.to(device), data.to(device).test, config)
        print(json.dumps({k: v for k, v in result.items() if not k.endswith("per_action")}, indent=1))
    elif args.command == "render":
        from torchvision.utils import save_image
        r = data.train.render(torch.arange(min(args.count, len(data.train))), config.image_size,
                              config.render_seed, config.supersample)
        Path(args.png).parent.mkdir(parents=True, exist_ok=True)
        save_image(r.images, args.png, nrow=int(len(r.images) ** 0.5 + 0.999))
        print(args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
