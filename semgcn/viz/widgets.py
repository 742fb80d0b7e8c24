"""ipywidgets explorers with a static fallback (chapters 1, 2, 4, 5 and 10).

In a live kernel (Jupyter, Colab, VS Code) each function returns an
ipywidgets box whose controls redraw plotly figures in place
(:func:`~semgcn.viz.live.live_figure`).  The built book has no kernel, so the
box displays with a static plotly figure after it, a plotly slider over the
same story (:func:`~semgcn.viz.live.live_box`): the book shows it because
``_config.yml`` drops the widget view for HTML, and a notebook reopened
without its kernel shows it instead of the dead widget.  Without ipywidgets
and anywidget, or outside a kernel (a script, pytest), the functions return
that static figure directly; ``static=True`` asks for it everywhere.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ..graph import H36M_SKELETON, Skeleton
from .live import has_live_figures, live_box, live_figure
from .skeleton import (_cube_ranges, _scene_layout, as_numpy, plot_pose_2d, plot_pose_3d,
                       plot_pose_3d_slider, pose2d_traces, pose3d_traces, slider_side_pad, to_display)

__all__ = ["in_live_kernel", "pose_explorer", "depth_ambiguity_widget", "receptive_field_widget", "left_right_widget",
           "affinity_widget", "edge_weight_widget", "move_along_ray", "project_pinhole"]


def in_live_kernel() -> bool:
    """True inside a Jupyter kernel (where widgets can talk to Python)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _ipywidgets():
    try:
        import ipywidgets
    except ImportError:
        return None
    return ipywidgets


def _use_widgets(static: bool | None) -> bool:
    if static:
        return False
    widgets = _ipywidgets() is not None and has_live_figures()
    if static is False and not widgets:
        raise ImportError("the live explorers need ipywidgets and anywidget: pip install ipywidgets anywidget "
                          "(or pass static=True)")
    return widgets and (static is False or in_live_kernel())


def _figure_row(*figures):
    """``(figure, flex basis px[, max width px])``: figures side by side, each
    as wide as its share of the output area; they wrap below each other when
    the area is narrower than the bases together (a phone, a split view)."""
    import ipywidgets as W

    for f, basis, *most in figures:
        f.layout = W.Layout(flex=f"1 1 {basis}px", min_width="260px", width="auto",
                            max_width=f"{most[0]}px" if most else None)
    return W.Box([f[0] for f in figures], layout=W.Layout(display="flex", flex_flow="row wrap", width="100%"))


def pose_explorer(poses_by_model: Mapping, gt=None, *, inputs_2d=None, skeleton: Skeleton = H36M_SKELETON,
                  labels: Sequence | None = None, convention: str = "camera", root_relative: bool = False,
                  image_size: tuple | None = None, error_scale: float = 1.0, error_unit: str = "",
                  static: bool | None = None, max_static_samples: int = 30, height: int = 420):
    """Compare models' predictions sample by sample.

    Args:
        poses_by_model: ``{model name: (N, K, 3)}`` predictions (one entry is
            fine).
        gt: optional ``(N, K, 3)`` ground truth, drawn solid under each model.
        inputs_2d: optional ``(N, K, 2)`` network inputs, shown on the image
            plane next to the 3D view (live widget only).
        labels: one label per sample (e.g. the action).
        error_scale, error_unit: how panel titles report the error (e.g.
            ``1000, "mm"`` for poses in metres).
        static: ``True`` for the static figure, ``False`` to insist on the
            widget, ``None`` (default) for the widget in a live kernel.
        max_static_samples: samples kept in the static figure's slider.

    Live: a sample slider and a model selector redraw the figures.  Static:
    :func:`~semgcn.viz.plot_pose_3d_slider` over the first
    ``max_static_samples`` samples.
    """
    if not isinstance(poses_by_model, Mapping) or not poses_by_model:
        raise ValueError("poses_by_model must be a non-empty dict {model name: (N, K, 3) poses}")
    names = list(poses_by_model)
    seqs = {m: as_numpy(p) for m, p in poses_by_model.items()}
    n = len(next(iter(seqs.values())))
    for m, p in seqs.items():
        if p.shape != (n, skeleton.num_joints, 3):
            raise ValueError(f"poses_by_model[{m!r}] must be ({n}, {skeleton.num_joints}, 3), got {p.shape}")
    gt = None if gt is None else as_numpy(gt)
    if gt is not None and gt.shape != (n, skeleton.num_joints, 3):
        raise ValueError(f"gt must be ({n}, {skeleton.num_joints}, 3), got {gt.shape}")
    inputs_2d = None if inputs_2d is None else as_numpy(inputs_2d)
    labels = None if labels is None else [str(l) for l in labels]

    def build_static():
        k = min(n, max_static_samples)
        return plot_pose_3d_slider({m: seqs[m][:k] for m in names}, skeleton,
                                   gt=None if gt is None else gt[:k], labels=None if labels is None else labels[:k],
                                   convention=convention, root_relative=root_relative, height=height,
                                   max_samples=k, error_scale=error_scale, error_unit=error_unit)

    if not _use_widgets(static):
        return build_static()

    import ipywidgets as W

    sample = W.IntSlider(value=0, min=0, max=n - 1, description="sample", continuous_update=False)
    chosen = W.SelectMultiple(options=names, value=tuple(names[:3]), description="models",
                              rows=min(len(names), 4))
    caption = W.HTML()
    view3d = live_figure()
    view2d = live_figure() if inputs_2d is not None else None

    def redraw(*_):
        i = sample.value
        shown = list(chosen.value) or names[:1]
        caption.value = f"<b>sample {i}</b>" + (f": {labels[i]}" if labels else "")
        view3d.update(plot_pose_3d({m: seqs[m][i] for m in shown}, skeleton, gt=None if gt is None else gt[i],
                                   convention=convention, root_relative=root_relative, height=height,
                                   error_scale=error_scale, error_unit=error_unit))
        if view2d is not None:
            view2d.update(plot_pose_2d(inputs_2d[i], skeleton, image_size=image_size, title="2D input",
                                       height=height))

    sample.observe(redraw, "value")
    chosen.observe(redraw, "value")
    redraw()
    # a 3D panel per model needs ~300 px: with two or more the 2D input goes on a line of its own
    row = _figure_row(*([(view2d, 260, 480)] if view2d is not None else []),
                      (view3d, max(420, 300 * len(chosen.value))))
    controls = W.HBox([sample, chosen, caption], layout=W.Layout(flex_flow="row wrap"))
    return live_box([controls, row], build_static, view3d)


def project_pinhole(points, focal=(1145.0, 1145.0), center=(512.0, 515.0)) -> np.ndarray:
    """Pinhole projection of camera-coordinate points ``(..., 3)`` to pixels
    ``(..., 2)``: ``u = f_x x / z + c_x``, ``v = f_y y / z + c_y``."""
    p = as_numpy(points)
    if np.any(p[..., 2] <= 0):
        raise ValueError("points must be in front of the camera (z > 0) to be projected")
    return p[..., :2] / p[..., 2:3] * np.asarray(focal, float) + np.asarray(center, float)


def move_along_ray(pose, joint: int, offset: float) -> np.ndarray:
    """Move ``joint`` of a camera-coordinate pose ``(K, 3)`` by ``offset`` in
    depth along the ray from the camera centre through it: the point
    ``X (z + offset) / z`` projects to the same pixel as ``X``."""
    p = as_numpy(pose).copy()
    z = p[joint, 2]
    if z <= 0:
        raise ValueError(f"joint {joint} is behind the camera (z = {z})")
    if z + offset <= 0:
        raise ValueError(f"offset {offset} would move joint {joint} behind the camera (z = {z})")
    p[joint] *= (z + offset) / z
    return p


def _joint_index(joint, skeleton: Skeleton) -> int:
    if isinstance(joint, str):
        if joint not in skeleton.names:
            raise ValueError(f"unknown joint {joint!r}: one of {list(skeleton.names)}")
        return skeleton.names.index(joint)
    j = int(joint)
    if not 0 <= j < skeleton.num_joints:
        raise ValueError(f"joint index {j} outside 0..{skeleton.num_joints - 1}")
    return j


def _depth_figure(pose, j, offsets, skeleton, focal, center, image_size, height):
    """2D view (fixed) + 3D view, one frame per offset of joint ``j``."""
    import plotly.graph_objects as go

    name = skeleton.names[j]
    poses = [move_along_ray(pose, j, o) for o in offsets]
    fig = _mixed_subplots(height, name)
    fig.add_traces(pose2d_traces(project_pinhole(pose, focal, center), skeleton, name="2D pose", showlegend=False))
    far, near = move_along_ray(pose, j, offsets[0])[j], move_along_ray(pose, j, offsets[-1])[j]
    ray = to_display(np.stack([far, near]), "camera")
    fig.add_trace(go.Scatter3d(x=ray[:, 0], y=ray[:, 1], z=ray[:, 2], mode="lines", scene="scene",
                               line=dict(color="#2ca02c", width=3, dash="dot"), name=f"camera ray through {name}",
                               hoverinfo="name"))
    first = pose3d_traces(poses[0], skeleton, scene="scene", name="3D pose")
    fig.add_traces(first)
    n_fixed = len(fig.data) - len(first)
    ranges = _cube_ranges(np.concatenate([to_display(p, "camera") for p in poses]))
    fig.update_layout(scene=_scene_layout(ranges, "camera"))
    w, h = image_size
    fig.update_layout(xaxis=dict(range=[0, w], constrain="domain", title=dict(text="u (pixels)")),
                      yaxis=dict(range=[h, 0], scaleanchor="x", scaleratio=1, constrain="domain",
                                 title=dict(text="v (pixels)")))
    fig.add_shape(type="rect", x0=0, y0=0, x1=w, y1=h, xref="x", yref="y", line=dict(color="#999999", width=1))
    frames = []
    for k, p in enumerate(poses):
        data = [go.Scatter3d(x=t.x, y=t.y, z=t.z) for t in pose3d_traces(p, skeleton, scene="scene")]
        frames.append(go.Frame(name=str(k), data=data, traces=list(range(n_fixed, n_fixed + len(data)))))
    fig.frames = frames
    anim = dict(mode="immediate", frame=dict(duration=0, redraw=True), transition=dict(duration=0))
    start = int(np.argmin(np.abs(np.asarray(offsets))))
    labels = [f"{o:+.3g}" for o in offsets]
    # the slider starts below the image's x-axis title; its end labels stay inside the figure
    fig.update_layout(sliders=[dict(active=start, currentvalue=dict(prefix=f"{name} depth offset: "),
                                    steps=[dict(method="animate", label=lab, args=[[str(k)], anim])
                                           for k, lab in enumerate(labels)],
                                    x=0.0, len=1.0, pad=dict(t=50, **slider_side_pad(labels)))],
                      height=height, margin=dict(l=10, r=0, t=40, b=130), showlegend=False)
    # show the starting (unmoved) pose first
    for t, f in zip(fig.data[n_fixed:], frames[start].data):
        t.x, t.y, t.z = f.x, f.y, f.z
    return fig


def _mixed_subplots(height, name):
    from plotly.subplots import make_subplots

    return make_subplots(rows=1, cols=2, specs=[[{"type": "xy"}, {"type": "scene"}]],
                         subplot_titles=["image (unchanged)", f"3D: moving {name}"],
                         column_widths=[0.42, 0.58], horizontal_spacing=0.04)


def depth_ambiguity_widget(pose_cam, *, skeleton: Skeleton = H36M_SKELETON, joint="RWrist",
                           focal=(1145.0, 1145.0), center=(512.0, 515.0), image_size=(1000, 1002),
                           offset_range: float | None = None, steps: int = 11, static: bool | None = None,
                           height: int = 500):
    """Why 2D-to-3D lifting is ambiguous: slide a joint along its camera ray.

    Args:
        pose_cam: a pose ``(K, 3)`` in camera coordinates (in front of the
            camera, any unit; the focal length and centre are in pixels).
        joint: the joint moved first (name or index).
        offset_range: the slider spans ``[-offset_range, offset_range]`` of
            depth (default: 40% of the pose's height, capped so the joint
            stays in front of the camera).
        steps: slider positions in the static figure.

    The 2D projection stays exactly where it is while the 3D pose changes;
    the live widget reports the largest 2D displacement (0 up to rounding).
    """
    pose = as_numpy(pose_cam)
    if pose.shape != (skeleton.num_joints, 3):
        raise ValueError(f"pose_cam must be ({skeleton.num_joints}, 3), got {pose.shape}")
    j = _joint_index(joint, skeleton)
    if offset_range is None:
        offset_range = 0.4 * float(np.ptp(pose, axis=0).max())
    offset_range = min(float(offset_range), 0.9 * float(pose[:, 2].min()))
    offsets = np.linspace(-offset_range, offset_range, max(3, steps | 1))

    if not _use_widgets(static):
        return _depth_figure(pose, j, offsets, skeleton, focal, center, image_size, height)

    import ipywidgets as W

    pick = W.Dropdown(options=list(skeleton.names), value=skeleton.names[j], description="joint")
    slide = W.FloatSlider(value=0.0, min=-offset_range, max=offset_range, step=offset_range / 50,
                          description="depth offset", continuous_update=False, readout_format=".3g")
    report = W.HTML()
    base_2d = project_pinhole(pose, focal, center)
    view2d = live_figure(plot_pose_2d(base_2d, skeleton, image_size=image_size, title="image plane",
                                      height=height))
    view3d = live_figure()

    def redraw(*_):
        jj = skeleton.names.index(pick.value)
        moved = move_along_ray(pose, jj, slide.value)
        shift = float(np.abs(project_pinhole(moved, focal, center) - base_2d).max())
        report.value = (f"{pick.value} moved {slide.value:+.3g} in depth; "
                        f"largest 2D change: {shift:.2e} pixels")
        ranges = _cube_ranges(np.concatenate([to_display(move_along_ray(pose, jj, o), "camera")
                                              for o in (-offset_range, 0.0, offset_range)]))
        fig3d = plot_pose_3d(moved, skeleton, title="3D, camera coordinates", height=height)
        fig3d.update_layout(scene=_scene_layout(ranges, "camera"))
        view3d.update(fig3d)

    def new_joint(*_):
        if slide.value == 0.0:
            redraw()
        else:
            slide.value = 0.0  # redraws through the slider's observer

    pick.observe(new_joint, "value")
    slide.observe(redraw, "value")
    redraw()
    controls = W.HBox([pick, slide], layout=W.Layout(flex_flow="row wrap"))
    return live_box([controls, report, _figure_row((view2d, 300), (view3d, 360))],
                    lambda: _depth_figure(pose, skeleton.names.index(pick.value), offsets, skeleton, focal,
                                          center, image_size, height),
                    view3d)


def _controls(*widgets):
    import ipywidgets as W

    return W.HBox(list(widgets), layout=W.Layout(flex_flow="row wrap"))


def _heard_figure(pose, weights, j, layers, skeleton, height):
    """Pose + one marker per joint, sized by how much joint ``j`` has heard from it after ``layers`` layers."""
    import plotly.graph_objects as go

    from .layers import _SEEN, _UNSEEN

    pts = to_display(as_numpy(pose), "camera")
    w = np.abs(weights)
    seen = w > 1e-12
    share = w / w.max()
    fig = plot_pose_3d(pose, skeleton, height=height,
                       title=f"{skeleton.names[j]} after {layers} layer{'s' if layers != 1 else ''}: "
                             f"{int(seen.sum())} of {skeleton.num_joints} joints")
    fig.add_trace(go.Scatter3d(
        x=pts[:, 0], y=pts[:, 1], z=pts[:, 2], mode="markers", showlegend=False, hoverinfo="text",
        marker=dict(size=np.where(seen, 5 + 13 * np.sqrt(share), 4), color=np.where(seen, _SEEN, _UNSEEN),
                    line=dict(width=1, color="#444")),
        text=[f"{n}: weight {v:.3f}" for n, v in zip(skeleton.names, weights)]))
    return fig


def receptive_field_widget(pose, propagation, joint="RWrist", *, skeleton: Skeleton = H36M_SKELETON,
                           max_layers: int | None = None, title: str | None = None, static: bool | None = None,
                           height: int = 480):
    """What a joint has heard after ``L`` stacked graph convolutions (chapter 2).

    ``propagation`` is the ``(K, K)`` matrix one layer mixes neighbours with
    (the normalised adjacency of Eq. 1).  Row ``j`` of its ``L``-th power says
    how much of every joint's input reaches joint ``j`` through ``L`` layers
    (weights aside): the joints with a non-zero entry are the receptive field,
    and a marker's size shows the entry.  Live: a joint menu and a layers
    slider.  Static: :func:`~semgcn.viz.receptive_field_figure` for ``joint``.
    """
    from .layers import receptive_field_figure

    a = as_numpy(propagation)
    k = skeleton.num_joints
    if a.shape != (k, k):
        raise ValueError(f"propagation must be ({k}, {k}), got {a.shape}")
    powers = [np.eye(k)]
    while len(powers) <= k and not (np.abs(powers[-1]) > 1e-12).all():
        powers.append(powers[-1] @ a)
    hops = np.argmax(np.stack([np.abs(p) > 1e-12 for p in powers]), axis=0)  # fewest layers to hear j from i
    depth = max_layers if max_layers is not None else len(powers) - 1
    while len(powers) <= depth:
        powers.append(powers[-1] @ a)
    j = _joint_index(joint, skeleton)

    def build_static():
        return receptive_field_figure(pose, hops, skeleton.names[j], skeleton, title=title, height=height)

    if not _use_widgets(static):
        return build_static()

    import ipywidgets as W

    pick = W.Dropdown(options=list(skeleton.names), value=skeleton.names[j], description="joint")
    layers = W.IntSlider(value=1, min=0, max=depth, description="layers L", continuous_update=False)
    report = W.HTML()
    view = live_figure()

    def redraw(*_):
        jj = skeleton.names.index(pick.value)
        row = powers[layers.value][jj]
        view.update(_heard_figure(pose, row, jj, layers.value, skeleton, height))
        share = np.abs(row) / np.abs(row).sum()
        others = [i for i in np.argsort(-share) if i != jj and share[i] > 1e-12][:3]
        report.value = (f"after {layers.value} layer{'s' if layers.value != 1 else ''}, {pick.value} keeps "
                        f"{share[jj]:.0%} of its own input" + ("; the rest comes mostly from " + ", ".join(
                            f"{skeleton.names[i]} ({share[i]:.0%})" for i in others) if others else ""))

    pick.observe(redraw, "value")
    layers.observe(redraw, "value")
    redraw()
    return live_box([_controls(pick, layers), report, view], build_static, view)


_SWAP_VARIANTS = ("as given", "left/right labels swapped", "mirror image, flipped back")


def left_right_widget(predict, inputs, gt, *, labels: Sequence | None = None,
                      skeleton: Skeleton = H36M_SKELETON, static: bool | None = None, height: int = 440):
    """The left/right swap test on single poses (chapter 10).

    ``predict`` maps 2D inputs ``(N, K, 2)`` (a torch tensor, normalised
    screen coordinates centred on the image) to root-relative 3D poses
    ``(N, K, 3)`` in metres; ``inputs`` and ``gt`` hold the poses to look at.
    Three versions of each input go through the model:

    - as given;
    - with the left and right joints' labels swapped, the points unmoved
      (the prediction is swapped back before it is compared): a model that
      uses which joint is which breaks here;
    - the mirror image (``x`` negated, labels swapped), whose prediction is
      mirrored back: it should be close to the first (the flip test).

    Live: a sample slider and the version.  Static: the three versions of
    the first sample under a plotly slider.
    """
    import torch

    from .skeleton import plot_pose_3d_slider

    x = torch.as_tensor(inputs, dtype=torch.float32)
    truth = as_numpy(gt)
    n = len(x)
    if x.shape[1:] != (skeleton.num_joints, 2) or truth.shape != (n, skeleton.num_joints, 3):
        raise ValueError(f"inputs must be (N, {skeleton.num_joints}, 2) and gt (N, {skeleton.num_joints}, 3), "
                         f"got {tuple(x.shape)} and {truth.shape}")
    perm = list(skeleton.flip_permutation())
    labels = None if labels is None else [str(l) for l in labels]

    def variants(i):
        xi = x[i:i + 1]
        with torch.no_grad():
            plain = predict(xi)
            swapped = predict(xi[:, perm])[:, perm]
            mirrored = predict(xi[:, perm] * torch.tensor([-1.0, 1.0]))[:, perm] * torch.tensor([-1.0, 1.0, 1.0])
        out = [as_numpy(p)[0] for p in (plain, swapped, mirrored)]
        return [p - p[:1] for p in out]

    def build_static():
        return plot_pose_3d_slider({"prediction": np.stack(variants(0))}, skeleton, gt=np.stack([truth[0]] * 3),
                                   labels=list(_SWAP_VARIANTS), error_scale=1000, error_unit="mm", height=height,
                                   slider_prefix="input: ", play_button=False)

    if not _use_widgets(static):
        return build_static()

    import ipywidgets as W

    sample = W.IntSlider(value=0, min=0, max=n - 1, description="sample", continuous_update=False)
    version = W.Dropdown(options=list(_SWAP_VARIANTS), value=_SWAP_VARIANTS[1], description="input")
    report = W.HTML()
    view = live_figure()

    def redraw(*_):
        i = sample.value
        preds = variants(i)
        errors = [float(np.linalg.norm(p - truth[i], axis=-1).mean() * 1000) for p in preds]
        shown = _SWAP_VARIANTS.index(version.value)
        view.update(plot_pose_3d({"prediction": preds[shown]}, skeleton, gt=truth[i], height=height,
                                 error_scale=1000, error_unit="mm"))
        report.value = (f"<b>sample {i}</b>{': ' + labels[i] if labels else ''}; MPJPE " +
                        ", ".join(f"{v}: {e:.0f} mm" for v, e in zip(_SWAP_VARIANTS, errors)))

    sample.observe(redraw, "value")
    version.observe(redraw, "value")
    redraw()
    return live_box([_controls(sample, version), report, view], build_static, view)


def affinity_widget(poses, affinities, groups: Sequence[Sequence[int]], *, query="RWrist",
                    labels: Sequence | None = None, skeleton: Skeleton = H36M_SKELETON, title: str | None = None,
                    static: bool | None = None, height: int = 520):
    """The non-local affinities of one joint, pose by pose (chapter 5).

    ``poses`` ``(N, K, 3)`` and ``affinities`` ``(N, K, G)``: a non-local
    block's normalised affinities for each of the ``N`` input poses (one row
    per query joint, one column per group of ``groups``).  Live: a pose
    slider and a query-joint menu; the line above the figure names the groups
    the query attends to most.  Static: :func:`~semgcn.viz.affinity_figure`
    for the first pose, a slider over the query joint.
    """
    from .layers import affinity_figure

    p, aff = as_numpy(poses), as_numpy(affinities)
    n, k = len(p), skeleton.num_joints
    if p.shape != (n, k, 3) or aff.shape != (n, k, len(groups)):
        raise ValueError(f"poses must be (N, {k}, 3) and affinities (N, {k}, {len(groups)}), "
                         f"got {p.shape} and {aff.shape}")
    q = _joint_index(query, skeleton)
    cmax = float(aff.max()) or 1.0  # one colour scale for every pose
    labels = None if labels is None else [str(l) for l in labels]
    group_names = ["+".join(skeleton.names[j] for j in g) for g in groups]

    def build_static():
        return affinity_figure(p[0], aff[0], groups, skeleton, title=title, height=height, cmax=cmax)

    if not _use_widgets(static):
        return build_static()

    import ipywidgets as W

    sample = W.IntSlider(value=0, min=0, max=n - 1, description="pose", continuous_update=False)
    pick = W.Dropdown(options=list(skeleton.names), value=skeleton.names[q], description="query")
    report = W.HTML()
    view = live_figure()

    def redraw(*_):
        i, qq = sample.value, skeleton.names.index(pick.value)
        view.update(affinity_figure(p[i], aff[i], groups, skeleton, height=height, query=qq, cmax=cmax))
        top = np.argsort(-aff[i, qq])[:2]
        report.value = (f"<b>pose {i}</b>{': ' + labels[i] if labels else ''}; {pick.value} attends most to "
                        + " and ".join(f"{group_names[g]} ({aff[i, qq, g]:.3f})" for g in top))

    sample.observe(redraw, "value")
    pick.observe(redraw, "value")
    redraw()
    return live_box([_controls(sample, pick), report, view], build_static, view)


def edge_weight_widget(pose, weights: Sequence, labels: Sequence[str] | None = None, *, joint="RElbow",
                       skeleton: Skeleton = H36M_SKELETON, title: str | None = None, slider_prefix: str = "layer: ",
                       static: bool | None = None, height: int = 520):
    """SemGConv's learned edge weights, joint by joint (chapter 4).

    ``weights``: one ``(K, K)`` matrix ``rho`` per layer, named by
    ``labels``.  Live: a layer slider and a joint menu; the figure is
    :func:`~semgcn.viz.edge_weight_figure` of that layer with the joint
    ringed in red, and the line above it lists the shares with which the
    joint receives from itself and from each neighbour.  Static:
    :func:`~semgcn.viz.edge_weight_figure` with a slider over the layers.
    """
    import plotly.graph_objects as go

    from .layers import edge_weight_figure

    ws = [as_numpy(w) for w in (weights if isinstance(weights, (list, tuple)) else [weights])]
    labels = list(labels) if labels is not None else [str(s) for s in range(len(ws))]
    if len(labels) != len(ws):
        raise ValueError(f"{len(labels)} labels for {len(ws)} weight matrices")
    j = _joint_index(joint, skeleton)
    cmax = max(float(w.max()) for w in ws) or 1.0  # one colour scale for every layer
    neighbours = as_numpy(skeleton.adjacency()) > 0

    def build_static():
        return edge_weight_figure(pose, ws, labels, title=title, slider_prefix=slider_prefix, cmax=cmax,
                                  skeleton=skeleton, height=height)

    if not _use_widgets(static):
        return build_static()

    import ipywidgets as W

    layer = W.IntSlider(value=0, min=0, max=len(ws) - 1, description="layer", continuous_update=False)
    pick = W.Dropdown(options=list(skeleton.names), value=skeleton.names[j], description="joint")
    report = W.HTML()
    view = live_figure()
    pts = to_display(as_numpy(pose), "camera")

    def redraw(*_):
        s, jj = layer.value, skeleton.names.index(pick.value)
        fig = edge_weight_figure(pose, ws[s], title=f"{slider_prefix}{labels[s]}", cmax=cmax, skeleton=skeleton,
                                 height=height)
        fig.add_trace(go.Scatter3d(x=pts[jj:jj + 1, 0], y=pts[jj:jj + 1, 1], z=pts[jj:jj + 1, 2], mode="markers",
                                   showlegend=False, hoverinfo="skip",
                                   marker=dict(size=18, color="rgba(0,0,0,0)", line=dict(color="red", width=4))))
        view.update(fig)
        row = ws[s][jj] * neighbours[jj]
        share = row / (row.sum() or 1.0)
        parts = [("itself" if i == jj else skeleton.names[i], share[i]) for i in np.argsort(-share)
                 if neighbours[jj, i]]
        report.value = (f"{slider_prefix}{labels[s]}: {pick.value} receives from "
                        + ", ".join(f"{n} {v:.0%}" for n, v in parts))

    layer.observe(redraw, "value")
    pick.observe(redraw, "value")
    redraw()
    return live_box([_controls(layer, pick), report, view], build_static, view)
