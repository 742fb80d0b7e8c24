"""Diagrams and figures of chapters 6-11: the paper's Fig. 2 (SemGCN,
chapter 6) and Fig. 3 (the image-feature framework, chapter 9) redrawn as
SVG, the seed-spread plot of chapter 9 and the 2D-noise curves of chapter 8.

The diagrams are plain SVG strings (vector graphics, legible at any width;
show them with ``IPython.display.SVG``).  Their colours follow the book: the
left side of the body in the ground-truth left colour of
:data:`semgcn.viz.skeleton.POSE_STYLES`, the right side in its right colour.
"""
from __future__ import annotations

from html import escape
from typing import Mapping, Sequence

from .skeleton import POSE_STYLES

__all__ = ["semgcn_architecture_svg", "image_framework_svg", "plot_seed_spread", "plot_noise_curves"]

_FONT = "font-family='DejaVu Sans, Helvetica, Arial, sans-serif'"
#: Box fills of the diagrams: graph convolutions, non-local layers, image networks, pooling, data.
_FILL = {"conv": "#cfe3f3", "res": "#9ecae1", "nonlocal": "#fdd0a2", "cnn": "#d9d9d9", "pool": "#c7e9c0",
         "data": "#ffffff", "loss": "#f2f0f7"}


def _box(x, y, w, h, lines: Sequence[str], fill: str, size: int = 13, bold_first: bool = True, dash: bool = False):
    dashes = " stroke-dasharray='5 3'" if dash else ""
    out = [f"<rect x='{x}' y='{y}' width='{w}' height='{h}' rx='6' fill='{fill}' stroke='#333' "
           f"stroke-width='1.2'{dashes}/>"]
    n = len(lines)
    for i, line in enumerate(lines):
        ty = y + h / 2 + (i - (n - 1) / 2) * (size + 3) + size * 0.35
        weight = " font-weight='bold'" if bold_first and i == 0 else ""
        out.append(f"<text x='{x + w / 2}' y='{ty:.1f}' text-anchor='middle' font-size='{size}'{weight} {_FONT}>"
                   f"{escape(line)}</text>")
    return out


def _arrow(x1, y1, x2, y2, color="#333", label: str | None = None, label_dy: float = -6):
    out = [f"<line x1='{x1}' y1='{y1}' x2='{x2}' y2='{y2}' stroke='{color}' stroke-width='1.6' "
           f"marker-end='url(#arrow)'/>"]
    if label:
        out.append(f"<text x='{(x1 + x2) / 2}' y='{(y1 + y2) / 2 + label_dy}' text-anchor='middle' font-size='11' "
                   f"fill='#444' {_FONT}>{escape(label)}</text>")
    return out


def _svg(width, height, body: Sequence[str], title: str) -> str:
    defs = ("<defs><marker id='arrow' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='7' markerHeight='7' "
            "orient='auto-start-reverse'><path d='M 0 0 L 10 5 L 0 10 z' fill='#333'/></marker></defs>")
    return (f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' width='100%' "
            f"style='max-width:{width}px' role='img' aria-label='{escape(title)}'><title>{escape(title)}</title>"
            + defs + "".join(body) + "</svg>")


def _mini_skeleton(x0, y0, scale=1.0):
    """A stick figure (front view) with left limbs in the book's left colour and right limbs in its right."""
    left, right, centre = POSE_STYLES["gt"]["left"], POSE_STYLES["gt"]["right"], POSE_STYLES["gt"]["center"]
    p = {"hip": (0, 0), "spine": (0, -14), "thorax": (0, -28), "head": (0, -40),
         "rhip": (-7, 0), "rknee": (-8, 17), "rfoot": (-9, 33), "lhip": (7, 0), "lknee": (8, 17), "lfoot": (9, 33),
         "rsh": (-9, -27), "rel": (-15, -13), "rwr": (-18, 0), "lsh": (9, -27), "lel": (15, -13), "lwr": (18, 0)}
    # Seen from the front, the person's right side is on the viewer's left.
    bones = [("hip", "spine", centre), ("spine", "thorax", centre), ("thorax", "head", centre),
             ("hip", "rhip", right), ("rhip", "rknee", right), ("rknee", "rfoot", right),
             ("hip", "lhip", left), ("lhip", "lknee", left), ("lknee", "lfoot", left),
             ("thorax", "rsh", right), ("rsh", "rel", right), ("rel", "rwr", right),
             ("thorax", "lsh", left), ("lsh", "lel", left), ("lel", "lwr", left)]
    out = []
    for a, b, color in bones:
        (xa, ya), (xb, yb) = p[a], p[b]
        out.append(f"<line x1='{x0 + xa * scale:.1f}' y1='{y0 + ya * scale:.1f}' x2='{x0 + xb * scale:.1f}' "
                   f"y2='{y0 + yb * scale:.1f}' stroke='{color}' stroke-width='2.2' stroke-linecap='round'/>")
    out += [f"<circle cx='{x0 + x * scale:.1f}' cy='{y0 + y * scale:.1f}' r='2' fill='#333'/>" for x, y in p.values()]
    return out


def semgcn_architecture_svg(hidden: int = 128, num_blocks: int = 4, nonlocal_blocks: bool = True,
                            num_joints: int = 16) -> str:
    """The paper's Fig. 2 as an SVG string: input SemGConv, ``num_blocks``
    residual blocks of two SemGConv layers, each followed by a non-local layer
    (when ``nonlocal_blocks``), and the output SemGConv, with the shape of a
    pose, ``(joints, channels)``, between the rows.  Drawn top to bottom, 360
    units wide, so that its text stays legible on a phone.  Chapter 6 draws it from
    the same settings as the model it builds."""
    k = num_joints
    conv = ("conv", ["SemGConv", "BN, ReLU"])
    res = ("res", ["Residual block", "2 x SemGConv", "BN, ReLU"])
    nonlocal_layer = ("nonlocal", ["Non-local", "Eq. 4"])
    # Top to bottom, one row per stage (a layer and the non-local layer after it), so that the
    # diagram is narrow enough to be read at its natural size on a phone.
    rows = [[conv, nonlocal_layer] if nonlocal_blocks else [conv]]
    rows += [[res, nonlocal_layer] if nonlocal_blocks else [res] for _ in range(num_blocks)]
    rows.append([("conv", ["SemGConv", "output"])])
    width, box_h, row_gap, top = 360, 56, 34, 112
    box_w, box_x = (150, 130), (16, 214)   # left and right column
    height = top + len(rows) * (box_h + row_gap) + 58
    body = [f"<rect width='{width}' height='{height}' fill='white'/>"]
    body += _mini_skeleton(box_x[0] + box_w[0] / 2, 52, 1.2)
    body.append(f"<text x='{box_x[0] + box_w[0] / 2 + 34}' y='46' font-size='13' {_FONT}>2D pose</text>")
    body.append(f"<text x='{box_x[0] + box_w[0] / 2 + 34}' y='63' font-size='12' fill='#444' {_FONT}>"
                f"({k}, 2)</text>")
    cx = box_x[0] + box_w[0] / 2
    body += _arrow(cx, 90, cx, top - 4)
    for r, stages in enumerate(rows):
        y = top + r * (box_h + row_gap)
        for c, (kind, lines) in enumerate(stages):
            body += _box(box_x[c], y, box_w[c], box_h, lines, _FILL[kind], size=13)
        if len(stages) == 2:
            body += _arrow(box_x[0] + box_w[0], y + box_h / 2, box_x[1] - 4, y + box_h / 2)
        last = len(stages) - 1
        shape = f"({k}, {hidden})" if r < len(rows) - 1 else f"({k}, 3)"
        if r < len(rows) - 1:   # down to the first box of the next row, with the shape on the way
            x_from, y_mid = box_x[last] + box_w[last] / 2, y + box_h + 12
            body.append(f"<path d='M {x_from} {y + box_h} V {y_mid} H {cx} V {y + box_h + row_gap - 4}' "
                        f"fill='none' stroke='#333' stroke-width='1.6' marker-end='url(#arrow)'/>")
            body.append(f"<text x='{cx + 8}' y='{y_mid + 16}' font-size='12' fill='#444' {_FONT}>"
                        f"{escape(shape)}</text>")
        else:   # the 3D pose leaves the output layer to the right
            body += _arrow(box_x[0] + box_w[0], y + box_h / 2, box_x[1] - 4, y + box_h / 2)
            body.append(f"<text x='{box_x[1]}' y='{y + box_h / 2 - 4}' font-size='13' {_FONT}>3D pose</text>")
            body.append(f"<text x='{box_x[1]}' y='{y + box_h / 2 + 13}' font-size='12' fill='#444' {_FONT}>"
                        f"{escape(shape)}</text>")
    legend = [("conv", "SemGConv (Eq. 2)"), ("res", "residual block")]
    if nonlocal_blocks:
        legend.append(("nonlocal", "non-local layer (Eq. 4)"))
    ly = height - 52
    for i, (kind, text) in enumerate(legend):
        lx, yy = (16, 196)[i % 2], ly + 20 * (i // 2)
        body.append(f"<rect x='{lx}' y='{yy}' width='16' height='12' fill='{_FILL[kind]}' stroke='#333'/>")
        body.append(f"<text x='{lx + 22}' y='{yy + 11}' font-size='12' {_FONT}>{escape(text)}</text>")
    body.append(f"<text x='16' y='{height - 8}' font-size='12' fill='#444' {_FONT}>"
                f"shapes: (joints, channels) of one pose</text>")
    return _svg(width, height, body, "SemGCN architecture (Fig. 2 of the paper)")


def image_framework_svg(levels: Sequence[str] = ("conv1", "conv2", "conv3", "conv4")) -> str:
    """The paper's Fig. 3 as an SVG string: image -> ResNet backbone ->
    heatmaps -> soft-argmax 2D joints; features of ``levels`` pooled at the
    joints (RoIAlign, one box per joint) and concatenated with the 2D
    coordinates -> SemGCN with channel-wise SemGConv (Eq. 3) -> 3D pose,
    trained with the integral loss (2D) and Eq. 7 (3D)."""
    # Top to bottom, 360 units wide, so that the text stays legible on a phone.
    width, height = 360, 552
    body = [f"<rect width='{width}' height='{height}' fill='white'/>"]
    # the image, then the 2D network
    body.append("<rect x='16' y='16' width='84' height='104' rx='4' fill='#f7f7f7' stroke='#333' "
                "stroke-width='1.2'/>")
    body += _mini_skeleton(58, 64, 1.05)
    body.append(f"<text x='58' y='136' text-anchor='middle' font-size='12' {_FONT}>image I</text>")
    body += _box(140, 26, 204, 84, ["2D pose network", "ResNet backbone", "+ deconvolutions"], _FILL["cnn"])
    body += _arrow(100, 68, 136, 68)
    # left: heatmaps and soft-argmax; right: features of every level, pooled at the joints
    body += _box(16, 170, 150, 64, ["heatmaps", "soft-argmax"], _FILL["cnn"], size=13)
    body += _arrow(180, 110, 120, 166)
    body.append(f"<text x='16' y='252' font-size='12' fill='#444' {_FONT}>integral loss</text>")
    body.append(f"<text x='16' y='267' font-size='12' fill='#444' {_FONT}>on 2D joints</text>")
    body += _box(194, 170, 150, 80, ["feature pooling", "(RoIAlign)", "box = mean bone"], _FILL["pool"], size=13)
    body.append("<line x1='290' y1='110' x2='290' y2='164' stroke='#777' stroke-width='1.4' "
                "stroke-dasharray='4 3' marker-end='url(#arrow)'/>")
    for k, part in enumerate((", ".join(levels[:2]) + ",", ", ".join(levels[2:]))):
        body.append(f"<text x='284' y='{130 + 14 * k}' text-anchor='end' font-size='11' fill='#444' {_FONT}>"
                    f"{escape(part)}</text>")
    body += _arrow(166, 202, 190, 202)
    body.append(f"<text x='178' y='194' text-anchor='middle' font-size='10' fill='#444' {_FONT}>2D</text>")
    # concatenation, SemGCN, 3D pose
    body += _box(100, 300, 160, 64, ["concatenate", "2D + features per joint"], _FILL["data"], size=13)
    body += _arrow(91, 234, 150, 296)
    body += _arrow(269, 250, 220, 296)
    body += _box(100, 400, 160, 70, ["SemGCN", "channel-wise", "SemGConv (Eq. 3)"], _FILL["res"], size=13)
    body += _arrow(180, 364, 180, 396)
    body += _arrow(180, 470, 180, 500)
    body.append(f"<text x='188' y='496' font-size='13' {_FONT}>3D pose</text>")
    for k, part in enumerate(("loss: joints", "+ bones", "(Eq. 7)")):
        body.append(f"<text x='92' y='{422 + 15 * k}' text-anchor='end' font-size='12' fill='#444' {_FONT}>"
                    f"{part}</text>")
    for k, line in enumerate(["Training: (1) 2D network alone; (2) 2D network",
                              "frozen, SemGCN trained; (3) all fine-tuned together."]):
        body.append(f"<text x='16' y='{526 + 16 * k}' font-size='12' fill='#444' {_FONT}>{escape(line)}</text>")
    return _svg(width, height, body, "Image-feature framework (Fig. 3 of the paper)")


def plot_seed_spread(rows: Sequence[Mapping], title: str | None = None, axes=None):
    """Every seed of every variant of an image-feature comparison (chapter 9):
    one row per variant, dots for the seeds, a bar for their mean, Protocol #1
    on the left and #2 on the right.  ``rows``: :func:`semgcn.report.image_summary_rows`.
    Returns the figure."""
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(8.0, 0.5 * len(rows) + 1.9), layout="constrained", sharey=True)
    else:
        fig = axes[0].figure
    for ax, metric, protocol in zip(axes, ("mpjpe", "p_mpjpe"), ("Protocol #1", "Protocol #2")):
        for y, r in enumerate(rows):
            values = r[metric]["values"]
            ax.plot(values, [y] * len(values), "o", color="#1f5fbf", alpha=0.75, markersize=7,
                    label="one seed" if y == 0 else None)
            ax.plot([r[metric]["mean"]], [y], "|", color="black", markersize=20, markeredgewidth=2,
                    label="mean" if y == 0 else None)
        ax.set_xlabel(f"test error (mm), {protocol}", fontsize=11)
        ax.grid(True, axis="x", alpha=0.3)
        ax.tick_params(labelsize=10)
    axes[0].set_yticks(range(len(rows)), [r["label"].replace(" (", "\n(", 1) for r in rows], fontsize=10)
    axes[0].invert_yaxis()
    axes[1].legend(fontsize=10, loc="best")
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def plot_noise_curves(sigmas: Sequence[float], curves: Mapping[str, Sequence[float]], title: str | None = None,
                      baseline: float | None = None):
    """Test error against 2D input noise (chapter 8): the error on the left,
    its growth over clean inputs on the right; ``baseline`` (the mean-pose
    error) as a dotted line on the left.  Returns the figure."""
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.6), layout="constrained")
    for label, curve in curves.items():
        curve = np.asarray(curve, dtype=float)
        axes[0].plot(sigmas, curve, marker="o", label=label)
        axes[1].plot(sigmas, curve - curve[0], marker="o", label=label)
    if baseline is not None:
        axes[0].axhline(baseline, color="grey", linestyle=":", label="mean training pose")
    axes[0].set(xlabel="2D noise σ (px)", ylabel="test MPJPE (mm)", title="error")
    axes[1].set(xlabel="2D noise σ (px)", ylabel="increase over clean (mm)", title="growth")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig
