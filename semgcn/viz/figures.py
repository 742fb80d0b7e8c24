"""Static matplotlib figures: training curves, per-action results, K x K
matrices with joint names, and small-multiple skeleton grids (chapters 2-10).

Each function draws into ``ax`` when given (so chapters can compose panels)
and returns the axes it drew on.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ..graph import H36M_JOINT_NAMES, H36M_SKELETON, Skeleton
from .skeleton import POSE_STYLES, as_numpy, bone_sides, to_display

__all__ = [
    "curves_from_history", "plot_training_curves", "plot_per_action", "per_action_table",
    "plot_matrix_heatmap", "draw_pose_2d", "draw_pose_3d", "plot_pose_grid",
]

_LINESTYLES = ["-", "--", ":", "-."]


def _axes(ax, figsize=(6.4, 4.0)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def curves_from_history(history, keys: Sequence[str] | None = None) -> dict:
    """Normalise a training history to ``{curve name: values}``.

    Accepts a sequence of numbers (one curve ``"value"``), a mapping
    ``{name: sequence}``, or a list of per-epoch records
    ``[{"epoch": 1, "loss": ..., "val_mpjpe": ...}, ...]``.  ``keys`` keeps
    only those curves (in that order); ``"epoch"`` / ``"step"`` entries are
    never curves."""
    if isinstance(history, Mapping):
        curves = {str(k): v for k, v in history.items()}
    else:
        seq = list(history)
        if seq and isinstance(seq[0], Mapping):
            names = []
            for rec in seq:
                names += [k for k in rec if k not in names]
            curves = {k: [rec.get(k, np.nan) for rec in seq] for k in names}
        else:
            curves = {"value": seq}
    curves = {k: v for k, v in curves.items() if k not in ("epoch", "step", "time", "lr")
              or (keys is not None and k in keys)}
    if keys is not None:
        missing = [k for k in keys if k not in curves]
        if missing:
            raise KeyError(f"history has no curve {missing}; it has {sorted(curves)}")
        curves = {k: curves[k] for k in keys}
    out = {}
    for k, v in curves.items():
        try:
            out[k] = np.asarray([np.nan if x is None else x for x in v], dtype=float)
        except (TypeError, ValueError):
            continue  # non-numeric entries (e.g. a timestamp) are not curves
    return out


def plot_training_curves(runs, *, keys: Sequence[str] | None = None, logy: bool = False,
                         ax=None, xlabel: str = "epoch", ylabel: str | None = None,
                         title: str | None = None, x=None):
    """Several runs' training curves on one axes.

    Args:
        runs: ``{run name: history}`` (``history`` as in
            :func:`curves_from_history`), or a single history.
        keys: which curves of each history (e.g. ``["train_loss",
            "val_mpjpe"]``); each run keeps one colour and each key one line
            style.
        logy: logarithmic y axis (losses spanning decades).
        x: optional x values (epochs) shared by all runs; default 1, 2, ...
    """
    ax = _axes(ax)
    if not isinstance(runs, Mapping) or _is_single_history(runs, keys) or not all(_is_history(v) for v in runs.values()):
        runs = {"": runs}
    colors = [c["color"] for c in __import__("matplotlib").rcParams["axes.prop_cycle"]]
    for r, (run, hist) in enumerate(runs.items()):
        curves = curves_from_history(hist, keys)
        for k, (name, values) in enumerate(curves.items()):
            xs = np.arange(1, len(values) + 1) if x is None else np.asarray(x)[:len(values)]
            label = " / ".join(s for s in (run, name if (len(curves) > 1 or not run) else "") if s)
            ax.plot(xs, values, color=colors[r % len(colors)], linestyle=_LINESTYLES[k % len(_LINESTYLES)],
                    label=label or None)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small")
    return ax


def _is_single_history(runs: Mapping, keys) -> bool:
    """A record's ``history`` (``{"train_loss": [...], "val_mpjpe": [...]}``),
    not a mapping of several runs: it holds the requested curve names."""
    wanted = [keys] if isinstance(keys, str) else list(keys or ("train_loss", "val_mpjpe"))
    return any(k in runs and not isinstance(runs[k], Mapping) for k in wanted)


def _is_history(v) -> bool:
    if isinstance(v, Mapping):
        return True
    try:
        seq = list(v)
    except TypeError:
        return False
    return len(seq) == 0 or isinstance(seq[0], (Mapping, int, float, np.floating, np.integer))


def _action_matrix(results: Mapping, actions: Sequence[str] | None, average: bool):
    models = list(results)
    if actions is None:
        actions = []
        for m in models:
            actions += [a for a in results[m] if a not in actions and a.lower() not in ("average", "avg", "mean")]
    actions = list(actions)
    vals = np.array([[float(results[m].get(a, np.nan)) for a in actions] for m in models], dtype=float)
    if average:
        actions = actions + ["Average"]
        avg = np.array([float(results[m].get("Average", results[m].get("average", np.nan))) for m in models])
        avg = np.where(np.isnan(avg), np.nanmean(vals, axis=1), avg)
        vals = np.concatenate([vals, avg[:, None]], 1)
    return models, actions, vals


def plot_per_action(results: Mapping[str, Mapping[str, float]], *, actions: Sequence[str] | None = None,
                    average: bool = True, ax=None, ylabel: str = "MPJPE (mm)", title: str | None = None,
                    lower_is_better: bool = True):
    """Grouped bars: one group per action, one bar per model.

    ``results`` is ``{model: {action: error}}`` (e.g. the per-action table of
    :mod:`semgcn.metrics`).  ``average`` appends an "Average" group (the
    model's ``"Average"`` entry when present, else the mean over actions).
    The best model of each action gets a black outline."""
    models, actions, vals = _action_matrix(results, actions, average)
    ax = _axes(ax, figsize=(max(6.4, 0.55 * len(actions) * max(1, len(models)) ** 0.5 + 2), 3.8))
    width = 0.8 / max(1, len(models))
    xs = np.arange(len(actions))
    best = (np.nanargmin if lower_is_better else np.nanargmax)(np.where(np.isnan(vals), np.inf if lower_is_better
                                                                         else -np.inf, vals), axis=0)
    for m, model in enumerate(models):
        bars = ax.bar(xs + (m - (len(models) - 1) / 2) * width, vals[m], width, label=model)
        for a, bar in enumerate(bars):
            if len(models) > 1 and best[a] == m:
                bar.set_edgecolor("black")
                bar.set_linewidth(1.2)
    ax.set_xticks(xs)
    ax.set_xticklabels(actions, rotation=45, ha="right")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, axis="y", alpha=0.3)
    if len(models) > 1:
        ax.legend(fontsize="small", ncols=min(len(models), 4))
    return ax


def per_action_table(results: Mapping[str, Mapping[str, float]], *, actions: Sequence[str] | None = None,
                     average: bool = True, fmt: str = "{:.1f}", lower_is_better: bool = True,
                     transpose: bool = False, bold: bool = True) -> str:
    """The per-action results as a Markdown table (models as rows, actions as
    columns, the best value of each action in bold), ready for
    ``IPython.display.Markdown``.  ``transpose=True`` puts the actions in rows
    and the models in columns: 15 actions side by side are wider than a page,
    a few models are not.  ``bold=False`` marks no best value (e.g. for a
    column of differences)."""
    models, actions, vals = _action_matrix(results, actions, average)
    pick = np.nanmin if lower_is_better else np.nanmax

    def cell(m, a):
        v = vals[m, a]
        if np.isnan(v):
            return "–"
        s = fmt.format(v)
        col = vals[:, a]
        if bold and len(models) > 1 and np.isfinite(col).any() and v == pick(col):
            s = f"**{s}**"
        return s

    if transpose:
        lines = ["| action | " + " | ".join(models) + " |", "|---|" + "---:|" * len(models)]
        for a, action in enumerate(actions):
            lines.append(f"| {action} | " + " | ".join(cell(m, a) for m in range(len(models))) + " |")
        return "\n".join(lines)
    lines = ["| model | " + " | ".join(actions) + " |", "|---|" + "---:|" * len(actions)]
    for m, model in enumerate(models):
        lines.append(f"| {model} | " + " | ".join(cell(m, a) for a in range(len(actions))) + " |")
    return "\n".join(lines)


def plot_matrix_heatmap(matrix, names: Sequence[str] | None = H36M_JOINT_NAMES, *, ax=None,
                        cmap: str | None = None, title: str | None = None, annotate: bool | None = None,
                        vmin: float | None = None, vmax: float | None = None, centered: bool = False,
                        colorbar: bool = True, fmt: str = "{:.2f}", mask=None, fontsize: float | None = None):
    """Heatmap of a ``(K, K)`` matrix with joint names on both axes: learned
    edge weights ``M`` of a SemGConv, a non-local block's affinities, an
    adjacency matrix.  Row ``i`` is the receiving joint, column ``j`` the
    sending one.

    ``centered=True`` uses a diverging colour map symmetric around 0 (signed
    weights); ``mask`` (boolean ``(K, K)``) greys out entries that are not
    edges; ``annotate`` writes the values (default: when ``K <= 16``), in
    ``fontsize`` points (default: as large as the cells allow, 5 to 10)."""
    m = as_numpy(matrix)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"matrix must be square (K, K), got shape {m.shape}")
    k = m.shape[0]
    if names is not None and len(names) != k:
        raise ValueError(f"{len(names)} names for a {k} x {k} matrix")
    ax = _axes(ax, figsize=(0.42 * k + 2.2, 0.42 * k + 1.2))
    shown = np.ma.masked_array(m, mask=None if mask is None else ~as_numpy(mask, bool))
    if centered:
        lim = float(np.nanmax(np.abs(m))) or 1.0
        vmin, vmax = -lim if vmin is None else vmin, lim if vmax is None else vmax
        cmap = cmap or "RdBu_r"
    import matplotlib

    cm = matplotlib.colormaps[cmap or "viridis"].with_extremes(bad="#e8e8e8")
    im = ax.imshow(shown, cmap=cm, vmin=vmin, vmax=vmax, interpolation="nearest")
    ticks = np.arange(k)
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    if names is not None:
        ax.set_xticklabels(names, rotation=90)
        ax.set_yticklabels(names)
    ax.set_xlabel("from joint j")
    ax.set_ylabel("to joint i")
    if title:
        ax.set_title(title)
    if annotate is None:
        annotate = k <= 16
    if annotate:
        lo, hi = im.get_clim()
        hidden = np.ma.getmaskarray(shown)
        if fontsize is None:  # fit the longest value into a cell (a digit is ~0.58 em wide; 20% margin for layout)
            width, height = ax.figure.get_size_inches()
            box = ax.get_position()
            cell = min(box.width * width, box.height * height) * 72 / k
            longest = max((len(fmt.format(v)) for v in m[np.isfinite(m)]), default=1)
            fontsize = float(np.clip(0.8 * cell / (0.58 * longest), 5, 10))
        for i in range(k):
            for j in range(k):
                if hidden[i, j]:
                    continue
                v = m[i, j]
                light = (v - lo) / ((hi - lo) or 1) < 0.5 if not centered else abs(v) > 0.6 * max(abs(lo), abs(hi))
                ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=fontsize,
                        color="white" if light else "black")
    if colorbar:
        ax.figure.colorbar(im, ax=ax, shrink=0.8)
    return ax


def _side_color(skeleton: Skeleton, style: str):
    st = POSE_STYLES[style]
    return {side: st[side] for side in ("left", "right", "center")}, st


def draw_pose_2d(pose2d, skeleton: Skeleton = H36M_SKELETON, *, ax=None, style: str = "gt",
                 image_size: tuple | None = None, joints: bool = True, title: str | None = None):
    """A 2D pose ``(K, 2)`` on the image plane with matplotlib (pixels, y
    down, equal aspect); ``image_size=(w, h)`` draws the image border."""
    p = as_numpy(pose2d)
    if p.shape != (skeleton.num_joints, 2):
        raise ValueError(f"2D pose must be ({skeleton.num_joints}, 2), got {p.shape}")
    ax = _axes(ax, figsize=(4, 4))
    colors, st = _side_color(skeleton, style)
    ls = {"solid": "-", "dash": "--", "dot": ":"}.get(st["dash"], "-")
    for side, bones in bone_sides(skeleton).items():
        for c, par in bones:
            ax.plot(p[[par, c], 0], p[[par, c], 1], color=colors[side], linestyle=ls, linewidth=2)
    if joints:
        ax.scatter(p[:, 0], p[:, 1], s=10, color="black", zorder=3)
    if image_size is not None:
        w, h = image_size
        ax.add_patch(__import__("matplotlib.patches", fromlist=["Rectangle"]).Rectangle(
            (0, 0), w, h, fill=False, edgecolor="#999999"))
        ax.set_xlim(0, w)
        ax.set_ylim(h, 0)
    elif not ax.yaxis_inverted():
        ax.invert_yaxis()
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    return ax


def draw_pose_3d(pose, skeleton: Skeleton = H36M_SKELETON, *, ax=None, style: str = "gt",
                 convention: str = "camera", title: str | None = None, limits: float | None = None,
                 elev: float = 12.0, azim: float = -70.0):
    """A 3D pose ``(K, 3)`` on a matplotlib ``projection="3d"`` axes (static
    figures and grids; plotly's :func:`~semgcn.viz.plot_pose_3d` for
    rotatable ones).  ``limits`` is the half-width of the equal-aspect cube
    around the pose's centre (default: fitted)."""
    import matplotlib.pyplot as plt

    p = to_display(pose, convention)
    if p.shape != (skeleton.num_joints, 3):
        raise ValueError(f"pose must be ({skeleton.num_joints}, 3), got {p.shape}")
    if ax is None:
        ax = plt.figure(figsize=(4, 4)).add_subplot(projection="3d")
    colors, st = _side_color(skeleton, style)
    ls = {"solid": "-", "dash": "--", "dot": ":"}.get(st["dash"], "-")
    for side, bones in bone_sides(skeleton).items():
        for c, par in bones:
            ax.plot(*p[[par, c]].T, color=colors[side], linestyle=ls, linewidth=2)
    centre = (p.max(0) + p.min(0)) / 2
    half = limits or float((p.max(0) - p.min(0)).max()) / 2 * 1.1
    for setter, c in zip((ax.set_xlim, ax.set_ylim, ax.set_zlim), centre):
        setter(c - half, c + half)
    ax.set_box_aspect((1, 1, 1))
    ax.view_init(elev=elev, azim=azim)
    ax.set_xticklabels([])
    ax.set_yticklabels([])
    ax.set_zticklabels([])
    if title:
        ax.set_title(title, fontsize="small")
    return ax


def plot_pose_grid(poses, skeleton: Skeleton = H36M_SKELETON, *, gt=None, titles: Sequence[str] | None = None,
                   ncols: int = 4, convention: str = "camera", size: float = 2.6):
    """Small multiples: one matplotlib 3D panel per pose ``(N, K, 3)``, with
    the ground truth ``gt`` (same shape) under each prediction.  Use this
    rather than many plotly 3D figures on one page (browsers limit the number
    of WebGL canvases).  Returns the matplotlib figure."""
    import matplotlib.pyplot as plt

    ps = as_numpy(poses)
    gs = None if gt is None else as_numpy(gt)
    n = len(ps)
    nrows = -(-n // ncols)
    fig = plt.figure(figsize=(size * min(n, ncols), size * nrows), layout="constrained")
    for i in range(n):
        ax = fig.add_subplot(nrows, min(n, ncols), i + 1, projection="3d")
        pts = [to_display(ps[i], convention)] + ([to_display(gs[i], convention)] if gs is not None else [])
        allp = np.concatenate(pts)
        half = float((allp.max(0) - allp.min(0)).max()) / 2 * 1.1
        if gs is not None:
            draw_pose_3d(gs[i], skeleton, ax=ax, style="gt", convention=convention, limits=half)
        draw_pose_3d(ps[i], skeleton, ax=ax, style="pred" if gs is not None else "gt", convention=convention,
                     limits=half, title=None if titles is None else titles[i])
        centre = (allp.max(0) + allp.min(0)) / 2
        for setter, c in zip((ax.set_xlim, ax.set_ylim, ax.set_zlim), centre):
            setter(c - half, c + half)
    return fig
