"""Interactive plotly figures of skeletons and cameras (chapters 1, 6, 9 and 10).

Every function returns a :class:`plotly.graph_objects.Figure` that stays
interactive in the static HTML book: rotation and hover work in the browser,
and the ``*_slider`` variants carry all samples as plotly *frames*, so the
slider needs no Python kernel.

Coordinate conventions (``convention=``):

``"camera"``
    Human3.6M camera coordinates: x right, y **down**, z forward (depth).
    Drawn upright: the plot's axes are ``(x, z, -y)``, i.e. depth goes into
    the screen and the head is on top.  This is a proper rotation, so the
    skeleton is never mirrored.
``"world"``
    Human3.6M world coordinates, z up: drawn as given.
``"raw"``
    Drawn as given, with neutral axis titles.

Colours follow the skeleton's ``left`` / ``right`` joint lists: the bone
from a joint to its parent takes the side of the joint (left blue, right red,
centre dark grey).  A prediction is drawn dashed in lighter colours on top of
the solid ground truth.  Units are whatever the poses are in (mm or m); the
figures never rescale.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ..graph import H36M_SKELETON, Skeleton

__all__ = [
    "POSE_STYLES", "CONVENTIONS", "as_numpy", "to_display", "quaternion_to_matrix",
    "bone_sides", "pose3d_traces", "pose2d_traces", "plot_pose_3d", "plot_pose_3d_slider",
    "plot_pose_2d", "plot_camera_rig", "camera_frustum",
]

# One style per role.  Colours per side: left, right, centre.
POSE_STYLES = {
    "gt": {"left": "#1f5fbf", "right": "#d62728", "center": "#333333", "dash": "solid", "width": 7,
           "label": "ground truth"},
    "pred": {"left": "#17becf", "right": "#ff8c1a", "center": "#8c8c8c", "dash": "dash", "width": 5,
             "label": "prediction"},
    "alt": {"left": "#6a3d9a", "right": "#b15928", "center": "#4d4d4d", "dash": "dot", "width": 5,
            "label": "pose"},
}
SIDES = ("left", "right", "center")

CONVENTIONS = {
    # name: (matrix mapping data coords to plot coords, axis titles)
    "camera": (np.array([[1.0, 0, 0], [0, 0, 1.0], [0, -1.0, 0]]), ("x", "z (depth)", "-y")),
    "world": (np.eye(3), ("x", "y", "z")),
    "raw": (np.eye(3), ("x", "y", "z")),
}


def as_numpy(x, dtype=np.float64) -> np.ndarray:
    """A numpy copy of an array-like or a (possibly GPU, grad-tracking) torch tensor."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=dtype)


def _convention(convention: str):
    try:
        return CONVENTIONS[convention]
    except KeyError:
        raise ValueError(f"unknown convention {convention!r}: use one of {sorted(CONVENTIONS)}") from None


def to_display(points, convention: str = "camera") -> np.ndarray:
    """Map points ``(..., 3)`` from ``convention`` coordinates to the plot's
    axes (upright, z up on screen)."""
    m, _ = _convention(convention)
    p = as_numpy(points)
    if p.shape[-1] != 3:
        raise ValueError(f"expected 3D points with a last axis of size 3, got shape {p.shape}")
    return p @ m.T


def quaternion_to_matrix(q) -> np.ndarray:
    """Rotation matrices ``(..., 3, 3)`` from quaternions ``(..., 4)`` ordered
    ``(w, x, y, z)`` (normalised here, so any non-zero scale works)."""
    q = as_numpy(q)
    if q.shape[-1] != 4:
        raise ValueError(f"quaternions need a last axis of size 4 (w, x, y, z), got shape {q.shape}")
    norm = np.linalg.norm(q, axis=-1, keepdims=True)
    if np.any(norm == 0):
        raise ValueError("a quaternion of norm 0 is not a rotation")
    w, x, y, z = np.moveaxis(q / norm, -1, 0)
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
        np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
        np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
    ], -2)


def bone_sides(skeleton: Skeleton = H36M_SKELETON) -> dict:
    """``{"left": [(child, parent), ...], "right": [...], "center": [...]}``:
    a bone belongs to the side of its child joint."""
    left, right = set(skeleton.left), set(skeleton.right)
    out = {s: [] for s in SIDES}
    for child, parent in skeleton.bones:
        side = "left" if child in left else "right" if child in right else "center"
        out[side].append((child, parent))
    return out


def _check_pose(pose, skeleton: Skeleton, dim: int, what: str = "pose") -> np.ndarray:
    p = as_numpy(pose)
    if p.shape != (skeleton.num_joints, dim):
        raise ValueError(f"{what} must have shape ({skeleton.num_joints}, {dim}) for this skeleton, "
                         f"got {p.shape}")
    return p


def _style(style) -> dict:
    if isinstance(style, str):
        if style not in POSE_STYLES:
            raise ValueError(f"unknown style {style!r}: use one of {sorted(POSE_STYLES)} or a dict")
        return POSE_STYLES[style]
    return {**POSE_STYLES["alt"], **dict(style)}


def _bone_xyz(points: np.ndarray, bones) -> list:
    """Coordinates of line segments separated by ``None`` (one trace per side)."""
    cols = [[] for _ in range(points.shape[1])]
    for child, parent in bones:
        for c in range(points.shape[1]):
            cols[c] += [points[parent, c], points[child, c], None]
    return cols


def pose3d_traces(pose, skeleton: Skeleton = H36M_SKELETON, *, convention: str = "camera",
                  style="gt", name: str | None = None, scene: str = "scene",
                  showlegend: bool = True, joint_size: float = 4.0) -> list:
    """Four ``Scatter3d`` traces of one pose ``(K, 3)``: left, right and centre
    bones, then the joints (hover shows each joint's name and its original
    coordinates).  ``style`` is ``"gt"``, ``"pred"``, ``"alt"`` or a dict
    overriding :data:`POSE_STYLES` keys."""
    import plotly.graph_objects as go

    raw = _check_pose(pose, skeleton, 3)
    pts = to_display(raw, convention)
    st = _style(style)
    name = name or st["label"]
    traces = []
    for side, bones in bone_sides(skeleton).items():
        x, y, z = _bone_xyz(pts, bones)
        traces.append(go.Scatter3d(
            x=x, y=y, z=z, mode="lines", name=name if side == "center" else f"{name} ({side})",
            legendgroup=name, showlegend=showlegend and side == "center", hoverinfo="skip", scene=scene,
            line=dict(color=st[side], width=st["width"], dash=st["dash"]),
            meta={"role": "bones", "side": side, "pose": name},
        ))
    joint_colors = [st["left"] if j in skeleton.left else st["right"] if j in skeleton.right
                    else st["center"] for j in range(skeleton.num_joints)]
    traces.append(go.Scatter3d(
        x=pts[:, 0], y=pts[:, 1], z=pts[:, 2], mode="markers", name=f"{name} (joints)", legendgroup=name,
        showlegend=False, scene=scene, text=list(skeleton.names), customdata=raw,
        marker=dict(size=joint_size, color=joint_colors, line=dict(width=0)),
        hovertemplate="<b>%{text}</b><br>(%{customdata[0]:.3~f}, %{customdata[1]:.3~f}, "
                      "%{customdata[2]:.3~f})<extra>" + name + "</extra>",
        meta={"role": "joints", "pose": name},
    ))
    return traces


def _cube_ranges(points: np.ndarray, margin: float = 0.08):
    """Equal-length axis ranges ``[[lo, hi]] * 3`` around plot-space points ``(N, 3)``."""
    pts = points.reshape(-1, 3)
    pts = pts[np.isfinite(pts).all(1)]
    if len(pts) == 0:
        return [[-1, 1]] * 3
    lo, hi = pts.min(0), pts.max(0)
    centre = (lo + hi) / 2
    half = max(float((hi - lo).max()) / 2 * (1 + margin), 1e-6)
    return [[float(c - half), float(c + half)] for c in centre]


def _scene_layout(ranges, convention: str) -> dict:
    _, titles = _convention(convention)
    eye = dict(x=0.35, y=-1.9, z=0.45) if convention == "camera" else dict(x=1.4, y=-1.4, z=0.7)
    axes = {k: dict(range=r, title=dict(text=t), showspikes=False, zeroline=False)
            for k, r, t in zip(("xaxis", "yaxis", "zaxis"), ranges, titles)}
    return dict(aspectmode="cube", camera=dict(eye=eye, up=dict(x=0, y=0, z=1)), **axes)


def _panels(poses, what: str = "poses") -> tuple:
    """Normalise ``poses`` to ``(titles, list of arrays)``: a dict is
    ``title -> pose``, an array ``(K, d)`` is one panel, ``(N, K, d)`` N panels."""
    if isinstance(poses, Mapping):
        return list(poses.keys()), [as_numpy(v) for v in poses.values()]
    arr = as_numpy(poses)
    if arr.ndim == 2:
        return [None], [arr]
    if arr.ndim == 3:
        return [None] * len(arr), list(arr)
    raise ValueError(f"{what} must be (K, d), (N, K, d) or a dict of those, got shape {arr.shape}")


def _per_panel(value, n: int, what: str) -> list:
    """``value`` for each of ``n`` panels: None, one pose, or one pose per panel."""
    if value is None:
        return [None] * n
    if isinstance(value, Mapping):
        value = list(value.values())
    try:
        arr = as_numpy(value)
    except (ValueError, TypeError):  # ragged, or holding None
        arr = None
    if arr is not None and arr.ndim == 2:
        return [arr] * n
    vals = list(value)
    if len(vals) != n:
        raise ValueError(f"{what}: got {len(vals)} poses for {n} panels")
    return [None if v is None else as_numpy(v) for v in vals]


def _root_relative(p: np.ndarray | None, skeleton: Skeleton) -> np.ndarray | None:
    return None if p is None else p - p[..., skeleton.root:skeleton.root + 1, :]


def _mpjpe(pred: np.ndarray, gt: np.ndarray) -> float:
    return float(np.linalg.norm(pred - gt, axis=-1).mean())


def _subplots(n: int, kind: str, titles, height: int, horizontal_spacing: float = 0.02):
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=n, specs=[[{"type": kind}] * n],
                        subplot_titles=[t or "" for t in titles] if any(titles) else None,
                        horizontal_spacing=horizontal_spacing)
    return fig.update_annotations(font_size=13)  # panel titles fit narrow panels (a phone)


def plot_pose_3d(poses, skeleton: Skeleton = H36M_SKELETON, *, gt=None, titles: Sequence[str] | None = None,
                 convention: str = "camera", root_relative: bool = False, show_error: bool = True,
                 error_scale: float = 1.0, error_unit: str = "", height: int = 420, title: str | None = None):
    """Rotatable 3D skeleton(s), side by side, optionally over the ground truth.

    Args:
        poses: one pose ``(K, 3)``, several ``(N, K, 3)`` (one panel each) or a
            dict ``{panel title: pose}`` (e.g. one prediction per model).
        gt: ``None``, one ground-truth pose ``(K, 3)`` drawn in every panel, or
            one per panel.  With ``gt`` the poses are drawn as predictions
            (dashed, lighter) and, when ``show_error``, the panel titles give
            their mean per-joint error, in the poses' units times
            ``error_scale`` (e.g. ``error_scale=1000, error_unit="mm"`` for
            poses in metres).
        convention: ``"camera"`` (y down, z forward; drawn upright), ``"world"``
            (z up) or ``"raw"``.
        root_relative: subtract each pose's root joint first.

    All panels share one equal-aspect cube, so sizes compare across panels.
    """
    import plotly.graph_objects as go

    names, panels = _panels(poses)
    gts = _per_panel(gt, len(panels), "gt")
    if root_relative:
        panels = [_root_relative(p, skeleton) for p in panels]
        gts = [_root_relative(g, skeleton) for g in gts]
    titles = list(titles) if titles is not None else names
    if len(titles) != len(panels):
        raise ValueError(f"{len(titles)} titles for {len(panels)} panels")
    # side-by-side panels put the error on a line of its own (narrow panels on a phone)
    sep = "<br>" if len(panels) > 1 else ": "
    titles = [_panel_title(t, p, g, show_error, error_scale, error_unit, sep)
              for t, p, g in zip(titles, panels, gts)]
    fig = _subplots(len(panels), "scene", titles, height) if len(panels) > 1 else go.Figure()
    everything = []
    for i, (p, g) in enumerate(zip(panels, gts)):
        scene = "scene" if i == 0 else f"scene{i + 1}"
        if g is not None:
            for tr in pose3d_traces(g, skeleton, convention=convention, style="gt", scene=scene,
                                    showlegend=i == 0):
                fig.add_trace(tr)
            everything.append(to_display(g, convention))
        style = "pred" if g is not None else "gt"
        label = "prediction" if g is not None else (titles[i] or "pose")
        for tr in pose3d_traces(p, skeleton, convention=convention, style=style, scene=scene,
                                name=label, showlegend=(i == 0) or g is None):
            fig.add_trace(tr)
        everything.append(to_display(p, convention))
    ranges = _cube_ranges(np.concatenate(everything))
    for i in range(len(panels)):
        fig.update_layout({"scene" if i == 0 else f"scene{i + 1}": _scene_layout(ranges, convention)})
    if len(panels) == 1 and titles[0] and not title:
        title = titles[0]
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=_top_margin(title, titles), b=0),
                      title=_pinned_title(title),
                      showlegend=any(g is not None for g in gts),
                      legend=dict(orientation="h", yanchor="bottom", y=0.0, x=0.0))
    return fig


def _pinned_title(title) -> dict | None:
    """The figure title at the top of the figure (the rows below it: see :func:`_top_margin`)."""
    return dict(text=title, y=1, yref="container", yanchor="top", pad=dict(t=10)) if title else None


def _top_margin(title, titles, legend_on_top: bool = False) -> int:
    """The top margin (px) that holds, one above the other, the figure's title,
    a row of legend above the panels and the panel titles of several panels."""
    top = 10 + (32 if title else 0) + (28 if legend_on_top else 0)
    if len(titles) > 1 and any(titles):
        top += 22 * max((t or "").count("<br>") + 1 for t in titles) + 2
    elif not title and titles and titles[0]:
        top += 32  # one panel: its title is the figure's title
    return top


def _panel_title(title, pose, gt, show_error: bool, scale: float = 1.0, unit: str = "",
                 sep: str = ": ") -> str | None:
    if gt is None or not show_error:
        return title
    err = f"MPJPE {_mpjpe(pose, gt) * scale:.1f} {unit}" if unit else f"error {_mpjpe(pose, gt) * scale:.3g}"
    return f"{title}{sep}{err}" if title else err


def plot_pose_3d_slider(poses, skeleton: Skeleton = H36M_SKELETON, *, gt=None,
                        labels: Sequence | None = None, convention: str = "camera",
                        root_relative: bool = False, show_error: bool = True, error_scale: float = 1.0,
                        error_unit: str = "", max_samples: int = 200, height: int = 460, title: str | None = None, play_button: bool = True,
                        slider_prefix: str = "sample: "):
    """A 3D skeleton figure with a slider over samples, interactive without a kernel.

    Args:
        poses: ``(N, K, 3)`` (one panel) or a dict ``{model name: (N, K, 3)}``
            (one panel per model, side by side).
        gt: optional ``(N, K, 3)`` ground truth drawn solid in every panel
            (the poses are then drawn as dashed predictions, with their error
            in the panel titles as in :func:`plot_pose_3d`).
        labels: one slider label per sample (default ``0..N-1``), shown after
            ``slider_prefix``.
        max_samples: keep at most this many samples (the first ones), so the
            page stays light.

    The figure holds one frame per sample (``fig.frames``) and one slider step
    per frame; the axes are fixed over all samples (one equal-aspect cube).
    """
    import plotly.graph_objects as go

    names, seqs = (list(poses.keys()), [as_numpy(v) for v in poses.values()]) if isinstance(poses, Mapping) \
        else ([None], [as_numpy(poses)])
    for name, s in zip(names, seqs):
        if s.ndim != 3 or s.shape[1:] != (skeleton.num_joints, 3):
            raise ValueError(f"poses{'' if name is None else f'[{name!r}]'} must be (N, "
                             f"{skeleton.num_joints}, 3), got {s.shape}")
    n = min(len(seqs[0]), max_samples)
    if any(len(s) < n for s in seqs):
        raise ValueError("all pose sequences need the same number of samples")
    seqs = [s[:n] for s in seqs]
    gts = None if gt is None else as_numpy(gt)[:n]
    if gts is not None and gts.shape != seqs[0].shape:
        raise ValueError(f"gt must have shape {seqs[0].shape}, got {gts.shape}")
    if root_relative:
        seqs = [_root_relative(s, skeleton) for s in seqs]
        gts = _root_relative(gts, skeleton)
    labels = [str(i) for i in range(n)] if labels is None else [str(l) for l in list(labels)[:n]]
    if len(labels) != n:
        raise ValueError(f"{len(labels)} labels for {n} samples")
    if n == 0:
        raise ValueError("no samples to show")

    # Three or more panels side by side are narrow on a phone: name and error on two lines.  So is a single
    # panel's figure title, which also shares the top row with the modebar: two lines, left-aligned, 14 px.
    sep = "<br>" if len(seqs) != 2 else ": "

    def titles_at(i):
        return [_panel_title(name, s[i], None if gts is None else gts[i], show_error, error_scale, error_unit,
                             sep=sep) for name, s in zip(names, seqs)]

    def traces_at(i):
        out = []
        for k, s in enumerate(seqs):
            scene = "scene" if k == 0 else f"scene{k + 1}"
            if gts is not None:
                out += pose3d_traces(gts[i], skeleton, convention=convention, style="gt", scene=scene,
                                     showlegend=k == 0)
            out += pose3d_traces(s[i], skeleton, convention=convention,
                                 style="pred" if gts is not None else "gt", scene=scene,
                                 name="prediction" if gts is not None else (names[k] or "pose"),
                                 showlegend=k == 0 or gts is None)
        return out

    first_titles = titles_at(0)
    fig = _subplots(len(seqs), "scene", first_titles, height) if len(seqs) > 1 else go.Figure()
    fig.add_traces(traces_at(0))
    allpts = np.concatenate([to_display(s, convention).reshape(-1, 3) for s in seqs]
                            + ([to_display(gts, convention).reshape(-1, 3)] if gts is not None else []))
    ranges = _cube_ranges(allpts)
    for k in range(len(seqs)):
        fig.update_layout({"scene" if k == 0 else f"scene{k + 1}": _scene_layout(ranges, convention)})

    has_titles = any(t for t in first_titles)
    frames = []
    for i in range(n):
        data = [go.Scatter3d(x=t.x, y=t.y, z=t.z) for t in traces_at(i)]
        layout = None
        if has_titles:
            if len(seqs) > 1:
                # make_subplots keeps the panel titles as the first annotations
                anns = [dict(a.to_plotly_json()) for a in fig.layout.annotations]
                for a, t in zip(anns, titles_at(i)):
                    a["text"] = t or ""
                layout = go.Layout(annotations=anns)
            else:
                layout = go.Layout(title=dict(text=_join_title(title, titles_at(i)[0]), **_single_title()))
        frames.append(go.Frame(name=str(i), data=data, traces=list(range(len(data))), layout=layout))
    fig.frames = frames

    anim = dict(mode="immediate", frame=dict(duration=0, redraw=True), transition=dict(duration=0))
    steps = [dict(method="animate", label=lab, args=[[str(i)], anim]) for i, lab in enumerate(labels)]
    # The play/pause buttons sit on a row of their own above the slider (so that
    # they never cover its labels on a phone); the slider's end labels stay inside.
    fig.update_layout(
        sliders=[dict(active=0, steps=steps, x=0.0, len=1.0, y=0, yanchor="top",
                      currentvalue=dict(prefix=slider_prefix),
                      pad=dict(t=46 if play_button else 10, b=5, **slider_side_pad(labels)))],
        height=height, margin=dict(l=0, r=0, t=78 if len(seqs) == 1 and first_titles[0] else 50, b=10),
        showlegend=gts is not None,
        title=dict(text=_join_title(title, first_titles[0]), **_single_title()) if len(seqs) == 1 and (title or first_titles[0])
        else (dict(text=title) if title else None),
        legend=dict(orientation="h", yanchor="bottom", y=0.0, x=0.0),
    )
    if play_button:
        play = dict(mode="immediate", frame=dict(duration=400, redraw=True), transition=dict(duration=0),
                    fromcurrent=True)
        fig.update_layout(updatemenus=[dict(
            type="buttons", direction="left", showactive=False, x=0.0, y=0, xanchor="left", yanchor="top",
            pad=dict(t=8, l=4),
            buttons=[dict(label="▶", method="animate", args=[None, play]),
                     dict(label="❚❚", method="animate", args=[[None], anim])])])
    return fig


def _single_title() -> dict:
    """Placement of a one-panel slider figure's title: two lines of 14 px text
    at the left, just above the plotting area (``yref="paper"``), so below the
    modebar, which plotly puts at the figure's top right and which is as wide
    as the title on a phone."""
    return dict(x=0.02, xanchor="left", xref="paper", y=1.0, yref="paper", yanchor="bottom", pad=dict(b=4),
                font=dict(size=14))


def slider_side_pad(labels) -> dict:
    """Left and right padding (px) of a plotly slider whose step labels are
    ``labels``: half the width of the first and last label, which plotly
    centres on the ends of the rail, so that they are not cut off at the
    figure's edge."""
    labels = [str(l) for l in labels] or [""]
    return dict(l=4 * len(labels[0]) + 8, r=4 * len(labels[-1]) + 8)


def _join_title(title, sub):
    if title and sub:
        return f"{title} ({sub})"
    return title or sub


def pose2d_traces(pose2d, skeleton: Skeleton = H36M_SKELETON, *, style="gt", name: str | None = None,
                  xaxis: str = "x", yaxis: str = "y", showlegend: bool = True,
                  joint_size: float = 6.0) -> list:
    """Four ``Scatter`` traces of one 2D pose ``(K, 2)`` (pixels, y down):
    left, right and centre bones, then the joints with hover names."""
    import plotly.graph_objects as go

    p = _check_pose(pose2d, skeleton, 2, "2D pose")
    st = _style(style)
    name = name or st["label"]
    traces = []
    for side, bones in bone_sides(skeleton).items():
        x, y = _bone_xyz(p, bones)
        traces.append(go.Scatter(x=x, y=y, mode="lines", name=name if side == "center" else f"{name} ({side})",
                                 legendgroup=name, showlegend=showlegend and side == "center", hoverinfo="skip",
                                 xaxis=xaxis, yaxis=yaxis,
                                 line=dict(color=st[side], width=max(st["width"] - 3, 2), dash=st["dash"]),
                                 meta={"role": "bones", "side": side, "pose": name}))
    colors = [st["left"] if j in skeleton.left else st["right"] if j in skeleton.right else st["center"]
              for j in range(skeleton.num_joints)]
    traces.append(go.Scatter(x=p[:, 0], y=p[:, 1], mode="markers", name=f"{name} (joints)", legendgroup=name,
                             showlegend=False, xaxis=xaxis, yaxis=yaxis, text=list(skeleton.names),
                             marker=dict(size=joint_size, color=colors),
                             hovertemplate="<b>%{text}</b><br>(%{x:.1f}, %{y:.1f})<extra>" + name + "</extra>",
                             meta={"role": "joints", "pose": name}))
    return traces


def plot_pose_2d(poses2d, skeleton: Skeleton = H36M_SKELETON, *, gt=None, titles: Sequence[str] | None = None,
                 image_size: tuple | None = None, height: int = 380, title: str | None = None):
    """2D skeleton(s) on the image plane: pixel coordinates, y pointing down,
    equal aspect ratio; ``image_size=(width, height)`` draws the image border
    and fixes the axes to it.  ``poses2d`` and ``gt`` work as in
    :func:`plot_pose_3d` (``(K, 2)``, ``(N, K, 2)`` or a dict)."""
    import plotly.graph_objects as go

    names, panels = _panels(poses2d, "poses2d")
    gts = _per_panel(gt, len(panels), "gt")
    titles = list(titles) if titles is not None else names
    fig = _subplots(len(panels), "xy", titles, height, 0.06) if len(panels) > 1 else go.Figure()
    for i, (p, g) in enumerate(zip(panels, gts)):
        ax = "" if i == 0 else str(i + 1)
        if g is not None:
            fig.add_traces(pose2d_traces(g, skeleton, style="gt", xaxis="x" + ax, yaxis="y" + ax,
                                         showlegend=i == 0))
        fig.add_traces(pose2d_traces(p, skeleton, style="pred" if g is not None else "gt",
                                     name="prediction" if g is not None else (titles[i] or "2D pose"),
                                     xaxis="x" + ax, yaxis="y" + ax, showlegend=i == 0 or g is None))
        xa, ya = ("xaxis", "yaxis") if i == 0 else (f"xaxis{i + 1}", f"yaxis{i + 1}")
        xopts = dict(title=dict(text="u (pixels)"), constrain="domain")
        yopts = dict(title=dict(text="v (pixels)") if i == 0 else None, scaleanchor="x" + ax, scaleratio=1,
                     constrain="domain")
        if image_size is not None:
            w, h = image_size
            xopts["range"] = [0, w]
            yopts["range"] = [h, 0]
            fig.add_shape(type="rect", x0=0, y0=0, x1=w, y1=h, xref="x" + ax, yref="y" + ax,
                          line=dict(color="#999999", width=1), fillcolor="rgba(0,0,0,0.03)", layer="below")
        else:
            yopts["autorange"] = "reversed"
        fig.update_layout({xa: xopts, ya: yopts})
    if len(panels) == 1 and titles[0] and not title:
        title = titles[0]
    legend = any(g is not None for g in gts)  # drawn above the panels
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=_top_margin(title, titles, legend), b=10),
                      title=_pinned_title(title), plot_bgcolor="white",
                      showlegend=legend,
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0.0))
    return fig


def camera_frustum(rotation, center, size: float = 0.3, aspect: float = 1.0, fov_deg: float = 47.0) -> np.ndarray:
    """Corner points ``(5, 3)`` of a camera's viewing pyramid in world
    coordinates: the centre, then the four image corners at distance ``size``
    along the optical axis (top-left, top-right, bottom-right, bottom-left).

    ``rotation`` is the camera-to-world matrix ``(3, 3)``: the camera looks
    along its third column (camera z) and its image "up" is minus its second
    column (camera y points down)."""
    r = as_numpy(rotation)
    c = as_numpy(center)
    half_w = np.tan(np.radians(fov_deg) / 2) * size
    half_h = half_w / aspect
    corners_cam = np.array([[-half_w, -half_h, size], [half_w, -half_h, size],
                            [half_w, half_h, size], [-half_w, half_h, size]])
    return np.concatenate([c[None], corners_cam @ r.T + c], 0)


def plot_camera_rig(rotations, centers, pose_world=None, skeleton: Skeleton = H36M_SKELETON, *,
                    camera_names: Sequence[str] | None = None, size: float | None = None,
                    show_cones: bool = True, height: int = 520, title: str | None = None):
    """The cameras around a subject, in world coordinates (z up).

    Args:
        rotations: camera-to-world orientations, either quaternions ``(C, 4)``
            ``(w, x, y, z)`` or rotation matrices ``(C, 3, 3)``.
        centers: camera centres ``(C, 3)``.
        pose_world: optional pose ``(K, 3)`` in world coordinates, **in the
            same units as** ``centers`` (Human3.6M poses are stored in mm and
            the camera centres in metres: divide the pose by 1000).
        size: length of the drawn viewing pyramids (default: 15% of the rig's
            extent).

    Each camera is one line trace (its pyramid, named after the camera, with a
    thicker top edge so "up" in the image is visible); the viewing directions
    are one ``Cone`` trace.
    """
    import plotly.graph_objects as go

    rot = as_numpy(rotations)
    if rot.ndim == 1 or rot.shape == (3, 3):  # a single camera
        rot = rot[None]
    if rot.ndim == 2 and rot.shape[-1] == 4:
        rot = quaternion_to_matrix(rot)
    if rot.shape[-2:] != (3, 3):
        raise ValueError(f"rotations must be (C, 4) quaternions or (C, 3, 3) matrices, got {rot.shape}")
    cen = as_numpy(centers).reshape(-1, 3)
    if len(cen) != len(rot):
        raise ValueError(f"{len(rot)} rotations but {len(cen)} centres")
    names = list(camera_names) if camera_names is not None else [f"camera {i + 1}" for i in range(len(cen))]
    if len(names) != len(cen):
        raise ValueError(f"{len(names)} camera names for {len(cen)} cameras")

    pts = [cen]
    pose = None
    if pose_world is not None:
        pose = _check_pose(pose_world, skeleton, 3, "pose_world")
        pts.append(pose)
    extent = float(np.ptp(np.concatenate(pts), axis=0).max()) or 1.0
    size = size or 0.15 * extent
    palette = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2", "#9d755d", "#bab0ac"]

    fig = go.Figure()
    for i, (r, c, name) in enumerate(zip(rot, cen, names)):
        f = camera_frustum(r, c, size)
        order = [0, 1, 2, 0, 3, 4, 0, None, 1, 4, None, 2, 3]  # apex edges, near-plane sides
        xyz = [[None if k is None else f[k, a] for k in order] for a in range(3)]
        color = palette[i % len(palette)]
        fig.add_trace(go.Scatter3d(x=xyz[0], y=xyz[1], z=xyz[2], mode="lines", name=name, legendgroup=name,
                                   line=dict(color=color, width=4), hoverinfo="name",
                                   meta={"role": "camera", "index": i}))
        top = f[[1, 2]]  # top edge of the image
        fig.add_trace(go.Scatter3d(x=top[:, 0], y=top[:, 1], z=top[:, 2], mode="lines", legendgroup=name,
                                   showlegend=False, line=dict(color=color, width=10), hoverinfo="skip",
                                   name=f"{name} (image top)", meta={"role": "camera-top", "index": i}))
        pts.append(f)
    fig.add_trace(go.Scatter3d(x=cen[:, 0], y=cen[:, 1], z=cen[:, 2], mode="markers+text", text=names,
                               textposition="top center", marker=dict(size=4, color="black"),
                               name="camera centres", showlegend=False,
                               hovertemplate="%{text}<br>(%{x:.2f}, %{y:.2f}, %{z:.2f})<extra></extra>",
                               meta={"role": "camera-centres"}))
    if show_cones:
        d = rot[:, :, 2] * (0.5 * size)  # optical axes in world coordinates, drawn half a pyramid long
        fig.add_trace(go.Cone(x=cen[:, 0], y=cen[:, 1], z=cen[:, 2], u=d[:, 0], v=d[:, 1], w=d[:, 2],
                              anchor="tail", sizemode="raw", sizeref=1.0, showscale=False,
                              colorscale=[[0, "#444444"], [1, "#444444"]], name="viewing direction",
                              hovertemplate="viewing direction<extra></extra>",
                              meta={"role": "camera-directions"}))
    if pose is not None:
        fig.add_traces(pose3d_traces(pose, skeleton, convention="world", name="subject"))
    ranges = _cube_ranges(np.concatenate(pts))
    fig.update_layout(scene=_scene_layout(ranges, "world"), height=height,
                      margin=dict(l=0, r=0, t=40 if title else 10, b=0),
                      title=dict(text=title) if title else None,
                      legend=dict(orientation="h", yanchor="bottom", y=0.0, x=0.0))
    fig.update_layout(scene_camera=dict(eye=dict(x=0.9, y=-0.9, z=0.9)))
    return fig
