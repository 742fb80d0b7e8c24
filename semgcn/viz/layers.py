"""Figures of graph layers (chapters 2-5): the receptive field of stacked
graph convolutions, the paper's Fig. 1 (convolution and graph kernels) as a
vector diagram, learned SemGConv edge weights on the skeleton, and the
affinities of a non-local block.

Conventions shared with the rest of :mod:`semgcn.viz`: the person's left is
blue, the right red, the spine and head grey (:data:`~semgcn.viz.POSE_STYLES`);
non-negative matrices use ``viridis``, signed ones ``RdBu_r`` centred on zero
(:func:`~semgcn.viz.plot_matrix_heatmap`).
"""
from __future__ import annotations

import html
from typing import Sequence

import numpy as np

from ..graph import H36M_SKELETON, Skeleton
from .skeleton import POSE_STYLES, _cube_ranges, _scene_layout, as_numpy, to_display

__all__ = ["receptive_field_figure", "semantic_kernels_diagram", "edge_weight_figure", "affinity_heatmap",
           "affinity_figure", "record_provenance"]

_SEEN, _UNSEEN = "#e6550d", "#d9d9d9"


def _title(text: str | None) -> dict | None:
    # Left-aligned, clear of the modebar in the top-right corner.
    return dict(text=text, x=0.01, xanchor="left", y=0.98, yanchor="top", font=dict(size=14)) if text else None


def _slider(steps: list, prefix: str) -> dict:
    from .skeleton import slider_side_pad

    return dict(active=0, steps=steps, currentvalue=dict(prefix=prefix, font=dict(size=13)),
                pad=dict(t=5, b=5, **slider_side_pad([s["label"] for s in steps])), x=0.0, len=1.0, y=0,
                yanchor="top")


def receptive_field_figure(pose, hops, joint: str | int, skeleton: Skeleton = H36M_SKELETON, *,
                           title: str | None = None, height: int = 480):
    """A 3D pose (camera coordinates) with a slider over the number of stacked
    graph convolutions ``L``: the joints that ``joint`` has heard from after
    ``L`` layers (``hops[joint, j] <= L``) are drawn large and orange (chapter 2).

    ``hops`` is the ``(K, K)`` hop-distance matrix; the slider runs from 0 to
    its largest entry (the graph's diameter)."""
    import plotly.graph_objects as go

    from .skeleton import plot_pose_3d

    j = skeleton.names.index(joint) if isinstance(joint, str) else int(joint)
    hop = as_numpy(hops).astype(int)[j]
    pts = to_display(as_numpy(pose), "camera")
    fig = plot_pose_3d(pose, skeleton, height=height)

    def markers(layers: int) -> dict:
        seen = hop <= layers
        # well above the skeleton's own joint markers (4 px), which would otherwise cover them
        return dict(size=np.where(seen, 14, 9), color=np.where(seen, _SEEN, _UNSEEN), line=dict(width=1, color="#444"))

    fig.add_trace(go.Scatter3d(x=pts[:, 0], y=pts[:, 1], z=pts[:, 2], mode="markers", marker=markers(0),
                               text=[f"{n}: {h} layers" for n, h in zip(skeleton.names, hop)], hoverinfo="text",
                               showlegend=False))
    index = len(fig.data) - 1
    depth = range(int(hop.max()) + 1)
    fig.frames = [go.Frame(name=str(L), data=[go.Scatter3d(marker=markers(L))], traces=[index]) for L in depth]
    steps = [dict(method="animate", label=str(L),
                  args=[[str(L)], dict(mode="immediate", frame=dict(duration=0, redraw=True))]) for L in depth]
    fig.update_layout(sliders=[_slider(steps, "layers: ")], title=_title(title),
                      margin=dict(l=0, r=0, t=40 if title else 10, b=40))
    return fig


# ---------------------------------------------------------------- Fig. 1 of the paper

_KERNEL_COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
                   "#9c755f"]  # one per kernel position: nine different matrices W_p
_VIRIDIS = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"]


def _svg(body: str, caption: str, width: int = 280, height: int = 260) -> str:
    return (f'<figure style="margin:0;flex:0 1 270px;max-width:300px">'
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
            f'role="img" aria-label="{html.escape(caption)}" font-family="sans-serif" font-size="15">{body}</svg>'
            f'<figcaption style="font-size:0.9em;text-align:center">{caption}</figcaption></figure>')


def _text(x, y, s, size=15, anchor="middle", colour="#222", italic=False) -> str:
    style = ' font-style="italic"' if italic else ""
    return (f'<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}" fill="{colour}"{style} '
            f'dominant-baseline="middle">{s}</text>')


def _star_graph(edge_colour, edge_width, label, vector=None) -> str:
    """The Thorax and its four neighbours, edges drawn by the callbacks."""
    st = POSE_STYLES["gt"]
    centre = (140, 125)
    nodes = [("Head", (140, 40), st["center"]), ("LShoulder", (235, 125), st["left"]),
             ("Spine", (140, 210), st["center"]), ("RShoulder", (45, 125), st["right"])]
    out = []
    for k, (_, (x, y), _) in enumerate(nodes):
        out.append(f'<line x1="{centre[0]}" y1="{centre[1]}" x2="{x}" y2="{y}" stroke="{edge_colour(k)}" '
                   f'stroke-width="{edge_width(k)}" stroke-linecap="round"/>')
        mx, my = (centre[0] + x) / 2, (centre[1] + y) / 2
        dx, dy = (16, 0) if x == centre[0] else (0, -16)
        if vector is not None:
            for c, v in enumerate(vector(k)):  # a small column of coloured cells: one weight per channel
                out.append(f'<rect x="{mx + dx - 5 + (0 if dx else (c - 1.5) * 10)}" '
                           f'y="{my + dy - 5 + ((c - 1.5) * 10 if dx else 0)}" width="10" height="10" '
                           f'fill="{_VIRIDIS[v]}" stroke="#fff" stroke-width="1"/>')
        else:
            out.append(_text(mx + dx * 1.3, my + dy * 1.1, label(k), size=14, italic=True))
    # the self-loop, in the free lower-left quadrant, with its own weight
    out.append(f'<circle cx="{centre[0] - 22}" cy="{centre[1] + 22}" r="14" fill="none" stroke="{edge_colour(4)}" '
               f'stroke-width="{edge_width(4)}"/>')
    if vector is not None:
        for c, v in enumerate(vector(4)):
            out.append(f'<rect x="{centre[0] - 62 + 10 * c}" y="{centre[1] + 45}" width="10" height="10" '
                       f'fill="{_VIRIDIS[v]}" stroke="#fff" stroke-width="1"/>')
    else:
        out.append(_text(centre[0] - 52, centre[1] + 50, label(4), size=14, italic=True))
    for name, (x, y), colour in nodes:
        out.append(f'<circle cx="{x}" cy="{y}" r="13" fill="{colour}"/>')
        short = {"Head": "Head", "LShoulder": "L", "Spine": "Spine", "RShoulder": "R"}[name]
        if short in ("L", "R"):
            out.append(_text(x, y + 1, short, size=13, colour="#fff"))
        else:
            out.append(_text(x + 38, y, short, size=13, colour="#444"))
    out.append(f'<circle cx="{centre[0]}" cy="{centre[1]}" r="16" fill="#fff" stroke="{st["center"]}" '
               f'stroke-width="3"/>')
    out.append(_text(centre[0], centre[1] + 1, "i", size=15, italic=True))
    return "".join(out)


def semantic_kernels_diagram():
    """The paper's Fig. 1 redrawn as four small SVG panels that wrap on narrow
    screens (chapter 3): (a) a 3x3 convolution, one matrix ``W_p`` per kernel
    position, approximated by ``a_p`` times a shared ``W``; (b) a vanilla graph
    convolution, one shared ``W`` and fixed weights; (c) one learned scalar
    per edge; (d) one learned vector (a weight per output channel) per edge.
    The graph panels use the Thorax and its neighbours, coloured as in every
    skeleton figure (left blue, right red, centre grey).

    Returns an ``IPython.display.HTML`` object (a plain HTML string when
    IPython is missing)."""
    panels = []
    # (a) a 3x3 kernel: nine different matrices
    cells = []
    for p in range(9):
        y, x = divmod(p, 3)
        cells.append(f'<rect x="{60 + 55 * x}" y="{20 + 55 * y}" width="52" height="52" rx="4" '
                     f'fill="{_KERNEL_COLOURS[p]}"/>')
        cells.append(_text(86 + 55 * x, 47 + 55 * y, f"W<tspan font-size='11' dy='4'>{p + 1}</tspan>",
                           size=16, colour="#fff", italic=True))
    cells.append(_text(140, 205, "W<tspan font-size='11' dy='4'>p</tspan><tspan dy='-4'> ≈ a</tspan>"
                                 "<tspan font-size='11' dy='4'>p</tspan><tspan dy='-4'> ⊙ W</tspan>",
                       size=17, italic=True))
    cells.append(_text(140, 238, "a different matrix per position", size=13, colour="#555"))
    panels.append(_svg("".join(cells), "(a) 3×3 convolution"))
    # (b) vanilla GCN: every edge the same
    body = _star_graph(lambda k: "#9a9a9a", lambda k: 4, lambda k: "W")
    body += _text(140, 245, "one shared W, fixed weights", size=13, colour="#555")
    panels.append(_svg(body, "(b) vanilla graph convolution (Eq. 1)"))
    # (c) a learned scalar per edge (thickness and viridis colour), shared W
    scal = [3, 1, 2, 4, 0]
    body = _star_graph(lambda k: _VIRIDIS[scal[k]], lambda k: 2 + 2.2 * scal[k],
                       lambda k: f"a<tspan font-size='10' dy='4'>i{'i' if k == 4 else k + 1}</tspan>")
    body += _text(140, 245, "a scalar per edge, shared W", size=13, colour="#555")
    panels.append(_svg(body, "(c) SemGConv (Eq. 2)"))
    # (d) a learned vector per edge: one weight per output channel
    vecs = [[3, 0, 4, 1], [1, 2, 0, 4], [2, 4, 1, 0], [4, 1, 3, 2], [0, 3, 2, 1]]
    body = _star_graph(lambda k: "#9a9a9a", lambda k: 3, None, vector=lambda k: vecs[k])
    body += _text(140, 245, "a vector per edge, shared W", size=13, colour="#555")
    panels.append(_svg(body, "(d) channel-wise SemGConv (Eq. 3)"))
    out = ('<div class="semgcn-diagram" style="display:flex;flex-wrap:wrap;gap:12px;justify-content:center;'
           'max-width:100%">' + "".join(panels) + "</div>")
    try:
        from IPython.display import HTML
    except ImportError:  # pragma: no cover - IPython comes with the viz extra
        return out
    return HTML(out)


# ---------------------------------------------------------------- SemGConv edge weights (chapter 4)

def edge_weight_figure(pose, weights: Sequence, labels: Sequence[str] | None = None, *, title: str | None = None,
                       slider_prefix: str = "", cmax: float | None = None, skeleton: Skeleton = H36M_SKELETON,
                       height: int = 520):
    """Learned edge weights ``rho_ij`` of SemGConv layers on a 3D pose (chapter 4).

    Every bone is split at its middle; the half touching joint ``i`` is
    coloured (viridis) and sized by ``weights[s][i, j]``, the weight with which
    ``i`` receives from its neighbour ``j``, and each joint's marker shows its
    self-weight ``rho_ii``.  ``weights`` is a list of ``(K, K)`` matrices (one
    slider step each, named by ``labels``) or a single matrix."""
    import plotly.colors as pc
    import plotly.graph_objects as go

    weights = [as_numpy(w) for w in (weights if isinstance(weights, (list, tuple)) else [weights])]
    labels = list(labels) if labels is not None else [str(s) for s in range(len(weights))]
    if len(labels) != len(weights):
        raise ValueError(f"{len(labels)} labels for {len(weights)} weight matrices")
    pts = to_display(as_numpy(pose), "camera")
    cmax = cmax or max(float(w.max()) for w in weights) or 1.0
    fig, groups = go.Figure(), []
    for s, w in enumerate(weights):
        first = len(fig.data)
        for c, p in skeleton.bones:
            mid = (pts[c] + pts[p]) / 2
            for i, j in ((c, p), (p, c)):  # the half next to i shows what i receives from j
                v = float(w[i, j])
                seg = np.stack([pts[i], mid])
                fig.add_trace(go.Scatter3d(
                    x=seg[:, 0], y=seg[:, 1], z=seg[:, 2], mode="lines", visible=s == 0, showlegend=False,
                    line=dict(color=pc.sample_colorscale("Viridis", [min(max(v / cmax, 0.0), 1.0)])[0],
                              width=2 + 14 * max(v, 0.0) / cmax),
                    hoverinfo="text", text=[f"{skeleton.names[i]} ← {skeleton.names[j]}: {v:.3f}"] * 2))
        diag = np.diag(w)
        fig.add_trace(go.Scatter3d(
            x=pts[:, 0], y=pts[:, 1], z=pts[:, 2], mode="markers", visible=s == 0, showlegend=False,
            marker=dict(size=4 + 10 * np.clip(diag, 0, None) / cmax, color=diag, cmin=0, cmax=cmax,
                        colorscale="Viridis", showscale=True, colorbar=dict(title="ρ", len=0.7, thickness=14)),
            hoverinfo="text", text=[f"{n} ← itself: {v:.3f}" for n, v in zip(skeleton.names, diag)]))
        groups.append(range(first, len(fig.data)))
    if len(weights) > 1:
        steps = []
        for label, group in zip(labels, groups):
            visible = [False] * len(fig.data)
            for t in group:
                visible[t] = True
            steps.append(dict(method="update", args=[{"visible": visible}], label=str(label)))
        fig.update_layout(sliders=[_slider(steps, slider_prefix)])
    fig.update_layout(title=_title(title), height=height, margin=dict(l=0, r=0, t=40 if title else 10, b=40),
                      scene=_scene_layout(_cube_ranges(pts), "camera"))
    return fig


# ---------------------------------------------------------------- non-local affinities (chapter 5)

def affinity_heatmap(f, query_names: Sequence[str], key_names: Sequence[str], *, ax=None, title: str | None = None,
                     centered: bool = False, colorbar: bool = True):
    """A (queries x keys) matrix of non-local affinities with names on both
    axes (chapter 5): viridis from zero for non-negative values, ``RdBu_r``
    centred on zero when ``centered``."""
    import matplotlib.pyplot as plt

    f = as_numpy(f)
    if f.shape != (len(query_names), len(key_names)):
        raise ValueError(f"affinities of shape {f.shape} for {len(query_names)} queries and {len(key_names)} keys")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 5.5), layout="constrained")
    lim = float(np.abs(f).max()) or 1.0
    im = ax.imshow(f, cmap="RdBu_r" if centered else "viridis", vmin=-lim if centered else 0,
                   vmax=lim if centered else None, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(f.shape[1]), key_names, rotation=60, ha="right", fontsize=9)
    ax.set_yticks(range(f.shape[0]), query_names, fontsize=9)
    ax.set_xlabel("key: pooled group j")
    ax.set_ylabel("query: joint i")
    if title:
        ax.set_title(title, fontsize=11)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, shrink=0.8)
    return ax


def _affinity_parts(pose, affinities, groups: Sequence[Sequence[int]], skeleton: Skeleton):
    """Checked ``(K, N)`` affinities, the group of every joint, the group names, display points."""
    aff = as_numpy(affinities)
    k = skeleton.num_joints
    if aff.shape != (k, len(groups)):
        raise ValueError(f"affinities must be ({k}, {len(groups)}), got {aff.shape}")
    names = list(skeleton.names)
    group_of = np.empty(k, dtype=int)
    for gi, grp in enumerate(groups):
        group_of[list(grp)] = gi
    return aff, group_of, ["+".join(names[j] for j in g) for g in groups], to_display(as_numpy(pose), "camera")


def _affinity_traces(pts, aff, q: int, group_of, group_names, skeleton: Skeleton, cmax: float, visible=True):
    """Query ``q``'s affinities: every joint coloured and sized by the affinity to its group, the query ringed."""
    import plotly.graph_objects as go

    names = list(skeleton.names)
    values = aff[q, group_of]
    return [go.Scatter3d(
                x=pts[:, 0], y=pts[:, 1], z=pts[:, 2], mode="markers", visible=visible, showlegend=False,
                marker=dict(size=6 + 12 * values / cmax, color=values, cmin=0, cmax=cmax, colorscale="Viridis",
                            showscale=True, colorbar=dict(title="f/N", len=0.7, thickness=14)),
                hoverinfo="text",
                text=[f"{names[q]} → {group_names[group_of[j]]}: {values[j]:.4f}" for j in range(len(names))]),
            go.Scatter3d(x=pts[q:q + 1, 0], y=pts[q:q + 1, 1], z=pts[q:q + 1, 2], mode="markers", visible=visible,
                         showlegend=False, hoverinfo="skip",
                         marker=dict(size=16, color="rgba(0,0,0,0)", line=dict(color="red", width=4)))]


def _bones_trace(pts, skeleton: Skeleton):
    import plotly.graph_objects as go

    bx, by, bz = [], [], []
    for c, p in skeleton.bones:
        for coords, d in ((bx, 0), (by, 1), (bz, 2)):
            coords += [pts[c, d], pts[p, d], None]
    return go.Scatter3d(x=bx, y=by, z=bz, mode="lines", line=dict(color="#bbbbbb", width=5), hoverinfo="skip",
                        showlegend=False)


def affinity_figure(pose, affinities, groups: Sequence[Sequence[int]], skeleton: Skeleton = H36M_SKELETON, *,
                    title: str | None = None, height: int = 540, query: int | None = None, cmax: float | None = None):
    """One pose in 3D with a slider over the query joint (chapter 5): the query
    is ringed in red and every joint is coloured and sized by the query's
    affinity to the pooled group the joint belongs to.

    ``affinities`` is ``(K, N)`` (one row per query joint, one column per
    group of ``groups``).  ``query`` (an index): only that query joint, no
    slider (what :func:`~semgcn.viz.affinity_widget` redraws); ``cmax``: the
    top of the colour scale (default: the largest affinity)."""
    import plotly.graph_objects as go

    aff, group_of, group_names, pts = _affinity_parts(pose, affinities, groups, skeleton)
    k = skeleton.num_joints
    cmax = cmax or float(aff.max()) or 1.0
    fig = go.Figure(_bones_trace(pts, skeleton))
    for q in range(k) if query is None else [query]:
        fig.add_traces(_affinity_traces(pts, aff, q, group_of, group_names, skeleton, cmax,
                                        visible=query is not None or q == 0))
    if query is None:
        steps = []
        for q in range(k):
            visible = [True] + [False] * (2 * k)
            visible[1 + 2 * q] = visible[2 + 2 * q] = True
            steps.append(dict(method="update", args=[{"visible": visible}], label=skeleton.names[q]))
        fig.update_layout(sliders=[_slider(steps, "query: ")])
    fig.update_layout(title=_title(title), height=height, margin=dict(l=0, r=0, t=40 if title else 10, b=40),
                      scene=_scene_layout(_cube_ranges(pts), "camera"))
    return fig


# ---------------------------------------------------------------- provenance of shipped numbers

def record_provenance(record: dict, width: int | None = 88) -> str:
    """The provenance line under a shipped number; one implementation, in
    :func:`semgcn.report.provenance_line` (this name is kept for the chapters)."""
    from ..report import provenance_line

    return provenance_line(record, width)
