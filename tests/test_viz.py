"""Tests of semgcn.viz: figure structure (traces, colours, frames), the
renderer's HTML, the matplotlib helpers and the widgets' static fallback."""
import json
import sys

import numpy as np
import pytest

pytest.importorskip("plotly")
pytest.importorskip("matplotlib")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import plotly.graph_objects as go  # noqa: E402
import plotly.io as pio  # noqa: E402

import semgcn.viz as viz  # noqa: E402
from semgcn import report  # noqa: E402
from semgcn.graph import H36M_SKELETON as SK  # noqa: E402
from semgcn.viz import skeleton as skel  # noqa: E402
from semgcn.graph import H36M_SKELETON  # noqa: E402
from semgcn.viz import widgets  # noqa: E402

K = SK.num_joints


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def standing_pose(depth=5.0):
    """A plausible pose in camera coordinates (metres, y down)."""
    rng = np.random.default_rng(0)
    p = rng.normal(scale=0.25, size=(K, 3))
    p[:, 2] += depth
    return p


def poses(n, seed=0, scale=0.05):
    rng = np.random.default_rng(seed)
    return standing_pose()[None] + rng.normal(scale=scale, size=(n, K, 3))


def bone_traces(fig, side=None, pose=None):
    return [t for t in fig.data if t.meta and t.meta.get("role") == "bones"
            and (side is None or t.meta["side"] == side) and (pose is None or t.meta["pose"] == pose)]


# --- skeleton figures --------------------------------------------------------------------

def test_bone_sides_partition_the_skeleton():
    sides = viz.bone_sides(SK)
    all_bones = sorted(sides["left"] + sides["right"] + sides["center"])
    assert all_bones == sorted(SK.bones)
    assert all(child in SK.left for child, _ in sides["left"])
    assert all(child in SK.right for child, _ in sides["right"])
    assert len(sides["left"]) == len(sides["right"]) == 6


def test_single_pose_has_left_right_centre_traces_in_distinct_colours():
    fig = viz.plot_pose_3d(standing_pose())
    assert len(fig.data) == 4  # 3 bone traces + joints
    colors = {t.meta["side"]: t.line.color for t in bone_traces(fig)}
    assert set(colors) == {"left", "right", "center"}
    assert len(set(colors.values())) == 3
    assert colors["left"] == viz.POSE_STYLES["gt"]["left"]
    assert colors["right"] == viz.POSE_STYLES["gt"]["right"]
    joints = [t for t in fig.data if t.meta["role"] == "joints"][0]
    assert list(joints.text) == list(SK.names)  # hover names
    # per-joint colours follow the skeleton's sides
    assert joints.marker.color[SK.left[0]] == colors["left"]
    assert joints.marker.color[SK.right[0]] == colors["right"]


def test_left_trace_holds_exactly_the_left_bones():
    pose = standing_pose()
    fig = viz.plot_pose_3d(pose, convention="raw")
    left = bone_traces(fig, "left")[0]
    xs = list(left.x)
    assert len(xs) == 3 * 6 and xs[2::3] == [None] * 6  # each bone: parent, child, None
    children = [c for c, _ in viz.bone_sides(SK)["left"]]
    assert [xs[3 * i + 1] for i in range(6)] == pytest.approx([pose[c, 0] for c in children])


def test_gt_prediction_overlay_has_both_styles():
    gt = standing_pose()
    pred = gt + 0.05
    fig = viz.plot_pose_3d(pred, gt=gt)
    gt_bones, pred_bones = bone_traces(fig, pose="ground truth"), bone_traces(fig, pose="prediction")
    assert len(gt_bones) == 3 and len(pred_bones) == 3
    assert {t.line.dash for t in gt_bones} == {"solid"}
    assert {t.line.dash for t in pred_bones} == {viz.POSE_STYLES["pred"]["dash"]}
    assert {t.line.color for t in gt_bones}.isdisjoint({t.line.color for t in pred_bones})
    assert fig.layout.showlegend is True
    # the title reports the error: every joint is off by sqrt(3) * 0.05
    assert f"{np.sqrt(3) * 0.05:.3g}" in fig.layout.title.text


def test_models_side_by_side_share_one_equal_aspect_cube():
    gt = standing_pose()
    fig = viz.plot_pose_3d({"A": gt + 0.01, "B": gt - 0.2}, gt=gt, error_scale=1000, error_unit="mm")
    assert len(fig.data) == 2 * 8
    scenes = [fig.layout.scene, fig.layout.scene2]
    for sc in scenes:
        assert sc.aspectmode == "cube"
        lengths = [r[1] - r[0] for r in (sc.xaxis.range, sc.yaxis.range, sc.zaxis.range)]
        assert lengths == pytest.approx([lengths[0]] * 3)
    assert scenes[0].xaxis.range == scenes[1].xaxis.range
    titles = [a.text for a in fig.layout.annotations]
    assert titles[0].startswith("A<br>MPJPE") and titles[0].endswith("mm")  # error on a line of its own


def test_camera_convention_draws_y_down_upright():
    pose = np.zeros((K, 3))
    pose[SK.names.index("Head"), 1] = -0.7  # head above the hip: y is down in camera coordinates
    shown = viz.to_display(pose, "camera")
    assert shown[SK.names.index("Head"), 2] == pytest.approx(0.7)  # upright on screen
    assert np.linalg.det(skel.CONVENTIONS["camera"][0]) == pytest.approx(1.0)  # a rotation, no mirror
    assert np.allclose(viz.to_display(pose, "world"), pose)
    with pytest.raises(ValueError, match="unknown convention"):
        viz.to_display(pose, "image")


def test_wrong_shapes_are_refused():
    with pytest.raises(ValueError, match=r"\(16, 3\)"):
        viz.plot_pose_3d(np.zeros((17, 3)))
    with pytest.raises(ValueError, match="panels"):
        viz.plot_pose_3d(np.zeros((3, K, 3)), gt=np.zeros((2, K, 3)))


def test_slider_has_one_step_and_one_frame_per_sample():
    gt, a, b = poses(7, 0), poses(7, 1), poses(7, 2)
    fig = viz.plot_pose_3d_slider({"A": a, "B": b}, gt=gt, labels=[f"s{i}" for i in range(7)])
    steps = fig.layout.sliders[0].steps
    assert len(steps) == 7 and len(fig.frames) == 7
    assert [s.label for s in steps] == [f"s{i}" for i in range(7)]
    assert [s.args[0][0] for s in steps] == [f.name for f in fig.frames]
    assert all(s.method == "animate" for s in steps)
    # every frame updates every trace, and holds that sample's coordinates
    assert len(fig.frames[3].data) == len(fig.data) == 16
    pred_joints = [i for i, t in enumerate(fig.data) if t.meta["role"] == "joints"
                   and t.meta["pose"] == "prediction"][0]
    shown = viz.to_display(a[3], "camera")
    assert np.allclose(fig.frames[3].data[pred_joints].x, shown[:, 0])
    # panel titles (errors) change with the frame
    assert fig.frames[0].layout.annotations[0].text != fig.frames[3].layout.annotations[0].text


def test_slider_titles_of_three_panels_take_two_lines():
    gt, a = poses(3, 0), poses(3, 1)
    two = viz.plot_pose_3d_slider({"A": a, "B": a}, gt=gt, error_scale=1000, error_unit="mm")
    three = viz.plot_pose_3d_slider({"A": a, "B": a, "C": a}, gt=gt, error_scale=1000, error_unit="mm")
    assert all(": MPJPE" in t.text for t in two.layout.annotations)
    assert all(t.text.startswith(("A<br>MPJPE", "B<br>MPJPE", "C<br>MPJPE")) for t in three.layout.annotations)
    assert all("<br>MPJPE" in a.text for a in three.frames[2].layout.annotations)


def test_one_panel_slider_title_takes_two_lines_below_the_modebar():
    """Chapter 10's worst-pose slider: its title ran under the modebar and off a phone-width figure."""
    gt, a = poses(3, 0), poses(3, 1)
    fig = viz.plot_pose_3d_slider({"SemGCN (synthetic, shipped)": a}, gt=gt, error_scale=1000, error_unit="mm")
    for title in (fig.layout.title, fig.frames[2].layout.title):
        assert title.text.startswith("SemGCN (synthetic, shipped)<br>MPJPE")
        assert (title.yref, title.y, title.yanchor, title.xanchor) == ("paper", 1.0, "bottom", "left")
    assert fig.layout.margin.t >= 2 * title.font.size + 40     # two lines above the scene


def test_slider_keeps_at_most_max_samples():
    fig = viz.plot_pose_3d_slider(poses(30), max_samples=10, play_button=False)
    assert len(fig.layout.sliders[0].steps) == len(fig.frames) == 10
    assert not fig.layout.updatemenus


def test_2d_plot_uses_image_coordinates():
    p2 = np.random.default_rng(0).uniform(100, 900, size=(K, 2))
    fig = viz.plot_pose_2d(p2, image_size=(1000, 1002))
    assert len(fig.data) == 4
    assert tuple(fig.layout.yaxis.range) == (1002, 0)  # y down
    assert fig.layout.yaxis.scaleanchor == "x"  # equal aspect
    assert len(fig.layout.shapes) == 1  # the image border
    fig = viz.plot_pose_2d(p2)
    assert fig.layout.yaxis.autorange == "reversed"


def test_quaternion_to_matrix():
    assert np.allclose(viz.quaternion_to_matrix([1, 0, 0, 0]), np.eye(3))
    q = [np.cos(np.pi / 4), 0, 0, np.sin(np.pi / 4)]  # 90 degrees about z
    assert np.allclose(viz.quaternion_to_matrix(q) @ [1, 0, 0], [0, 1, 0])
    rng = np.random.default_rng(0)
    r = viz.quaternion_to_matrix(rng.normal(size=(5, 4)))
    assert np.allclose(r @ np.swapaxes(r, -1, -2), np.eye(3), atol=1e-12)
    assert np.allclose(np.linalg.det(r), 1.0)


def test_camera_rig_has_four_cameras_looking_at_the_subject():
    angles = np.radians([45, 135, 225, 315])
    centers = np.stack([4 * np.cos(angles), 4 * np.sin(angles), np.full(4, 1.5)], 1)
    rotations = []
    for c in centers:  # camera z axis towards the origin, camera y axis pointing down
        z = -c / np.linalg.norm(c)
        x = np.cross(z, [0, 0, 1.0])
        x /= np.linalg.norm(x)
        y = np.cross(z, x)
        rotations.append(np.stack([x, y, z], 1))
    pose_world = viz.to_display(standing_pose(0.0), "camera") + [0, 0, 1.0]
    fig = viz.plot_camera_rig(np.array(rotations), centers, pose_world)
    cams = [t for t in fig.data if t.meta and t.meta.get("role") == "camera"]
    assert [t.name for t in cams] == ["camera 1", "camera 2", "camera 3", "camera 4"]
    cone = [t for t in fig.data if isinstance(t, go.Cone)][0]
    dirs = np.stack([cone.u, cone.v, cone.w], 1)
    assert np.all(np.einsum("ij,ij->i", dirs, -centers) > 0)  # all look towards the subject
    assert len(bone_traces(fig)) == 3
    # quaternions work too
    q = np.tile([1.0, 0, 0, 0], (4, 1))
    assert len([t for t in viz.plot_camera_rig(q, centers).data if t.meta.get("role") == "camera"]) == 4
    with pytest.raises(ValueError, match="rotations"):
        viz.plot_camera_rig(q[:3], centers)


def test_camera_frustum_points_along_the_optical_axis():
    f = viz.camera_frustum(np.eye(3), [1.0, 2.0, 3.0], size=0.5)
    assert f.shape == (5, 3)
    assert np.allclose(f[0], [1, 2, 3])
    assert np.allclose(f[1:, 2], 3.5)
    assert f[1, 1] < 2.0  # the first two corners are the image's top (camera y points down)


# --- renderer ---------------------------------------------------------------------------

def test_figure_html_is_self_contained_and_json_safe():
    fig = viz.plot_pose_3d_slider(poses(3), title="</script><b>x</b>")
    html = viz.figure_html(fig, div_id="fig1")
    assert '<div id="fig1" class="plotly-graph-div' in html
    assert html.count("</script>") == 1  # the title cannot close the script early
    payload = html.split("var fig = ", 1)[1].split(";\n  var id", 1)[0]
    data = json.loads(payload.replace("<\\/", "</"))
    assert len(data["frames"]) == 3 and data["config"]["responsive"] is True
    assert "_static/plotly.min.js" in html and "cdn.plot.ly" in html


def test_set_plotly_renderer_makes_figures_html_and_plotly_json(monkeypatch):
    old = pio.renderers.default
    monkeypatch.delenv("SEMGCN_PLOTLY_RENDERER", raising=False)
    try:
        assert viz.set_plotly_renderer() == "semgcn"
        fig = viz.plot_pose_3d_slider(poses(3))
        bundle = pio.renderers["semgcn"].to_mimebundle(fig.to_plotly_json())
        assert set(bundle) == {"text/html", "application/vnd.plotly.v1+json"}
        # JupyterLab and VS Code draw the JSON with their own plotly.js: offline, frames and config included
        plotly_json = bundle["application/vnd.plotly.v1+json"]
        assert len(plotly_json["frames"]) == 3 and plotly_json["config"]["displaylogo"] is False
        monkeypatch.setenv("SEMGCN_PLOTLY_RENDERER", "notebook_connected")
        assert viz.set_plotly_renderer() == "notebook_connected"
    finally:
        pio.renderers.default = old


def test_sphinx_extension_ships_plotly_js(tmp_path):
    from semgcn.viz import book

    class Builder:
        format = "html"
        outdir = str(tmp_path)

    class App:
        builder = Builder()

    book._copy_plotly_js(App(), None)
    js = (tmp_path / "_static" / "plotly.min.js").read_text(encoding="utf-8")
    assert "window.Plotly" in js


def test_sphinx_extension_serves_the_favicon_at_the_root(tmp_path):
    """The root index.html is a redirect without an icon link: /favicon.ico must exist (no 404 in the console)."""
    from types import SimpleNamespace

    from semgcn.viz import book
    src, out = tmp_path / "src", tmp_path / "out"
    (src / "book" / "_static").mkdir(parents=True)
    out.mkdir()
    (src / "book" / "_static" / "favicon.png").write_bytes(b"\x89PNG fake")
    app = SimpleNamespace(config=SimpleNamespace(html_favicon="book/_static/favicon.png"), srcdir=str(src),
                          builder=SimpleNamespace(format="html", outdir=str(out)))
    book._copy_favicon(app, None)
    assert (out / "favicon.ico").read_bytes() == b"\x89PNG fake"
    (out / "favicon.ico").unlink()
    book._copy_favicon(app, RuntimeError("build failed"))   # nothing after a failed build
    app.config.html_favicon = None
    book._copy_favicon(app, None)
    assert not (out / "favicon.ico").exists()


def test_duplicate_inline_scripts_are_dropped():
    from semgcn.viz import book

    class JS:
        def __init__(self, filename, **attrs):
            self.filename, self.attributes = filename, attrs

    scripts = [JS("a.js"), JS(None, body="const X = 1"), JS("", body="const X = 1"), JS("a.js")]
    ctx = {"script_files": scripts}
    book._dedupe_scripts(None, "p", "page.html", ctx, None)
    assert [(j.filename, j.attributes.get("body")) for j in ctx["script_files"]] == [("a.js", None),
                                                                                     (None, "const X = 1")]


# --- matplotlib -------------------------------------------------------------------------

def test_training_curves_several_runs_log_scale():
    runs = {"SemGCN": [{"epoch": i, "loss": 1.0 / (i + 1), "val_mpjpe": 60 - i} for i in range(5)],
            "ResGCN": {"loss": [1.0, 0.5, 0.3], "val_mpjpe": [70, 65, 62]}}
    ax = viz.plot_training_curves(runs, keys=["loss", "val_mpjpe"], logy=True)
    assert ax.get_yscale() == "log"
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["SemGCN / loss", "SemGCN / val_mpjpe", "ResGCN / loss", "ResGCN / val_mpjpe"]
    lines = ax.get_lines()
    assert lines[0].get_color() == lines[1].get_color() != lines[2].get_color()  # a colour per run
    assert lines[0].get_linestyle() != lines[1].get_linestyle()  # a style per curve
    with pytest.raises(KeyError, match="no curve"):
        viz.plot_training_curves(runs, keys=["accuracy"])


def test_curves_from_history_skips_epoch_column():
    curves = viz.curves_from_history([{"epoch": 1, "loss": 2.0}, {"epoch": 2, "loss": 1.0}])
    assert list(curves) == ["loss"] and curves["loss"].tolist() == [2.0, 1.0]


def test_per_action_bars_and_table():
    res = {"SemGCN": {"Walking": 30.0, "Eating": 40.0}, "FC": {"Walking": 35.0, "Eating": 38.0}}
    ax = viz.plot_per_action(res)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Walking", "Eating", "Average"]
    assert len(ax.patches) == 2 * 3
    table = viz.per_action_table(res)
    lines = table.splitlines()
    assert lines[0] == "| model | Walking | Eating | Average |"
    assert "**30.0**" in lines[2] and "**38.0**" in lines[3]  # the best of each column in bold
    assert "| 35.0 |" in lines[3] and "**35.0**" in lines[2]  # averages: 35.0 vs 36.5
    columns = viz.per_action_table(res, transpose=True).splitlines()   # actions as rows: fits a page
    assert columns[0] == "| action | SemGCN | FC |" and columns[2] == "| Walking | **30.0** | 35.0 |"
    assert columns[-1] == "| Average | **35.0** | 36.5 |"
    assert "**" not in viz.per_action_table(res, transpose=True, bold=False)


def test_heatmap_labels_and_mask():
    m = np.arange(K * K, dtype=float).reshape(K, K)
    ax = viz.plot_matrix_heatmap(m, mask=SK.adjacency().numpy() > 0)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(SK.names)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(SK.names)
    image = ax.get_images()[0].get_array()
    assert image.mask[0, 15] and not image.mask[0, 1]  # Hip-RWrist is not an edge, Hip-RHip is
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == int((SK.adjacency() > 0).sum())  # values written on edges only
    with pytest.raises(ValueError, match="names"):
        viz.plot_matrix_heatmap(np.zeros((3, 3)))


def test_matplotlib_pose_drawings():
    ax = viz.draw_pose_2d(np.random.default_rng(0).uniform(0, 500, (K, 2)), image_size=(500, 500))
    assert ax.get_ylim() == (500, 0)
    assert len(ax.get_lines()) == K - 1
    fig = viz.plot_pose_grid(poses(5), gt=poses(5, 1), ncols=3)
    assert len(fig.axes) == 5


# --- widgets ----------------------------------------------------------------------------

def test_move_along_ray_keeps_the_projection():
    pose = standing_pose()
    moved = viz.move_along_ray(pose, 15, 0.8)
    assert moved[15, 2] == pytest.approx(pose[15, 2] + 0.8)
    assert np.allclose(viz.project_pinhole(moved), viz.project_pinhole(pose))
    assert np.allclose(np.delete(moved, 15, 0), np.delete(pose, 15, 0))
    with pytest.raises(ValueError, match="behind the camera"):
        viz.move_along_ray(pose, 15, -pose[15, 2] - 1)


def test_widgets_fall_back_to_static_figures_outside_a_kernel():
    assert not viz.in_live_kernel()  # pytest is no Jupyter kernel
    fig = viz.pose_explorer({"A": poses(40), "B": poses(40, 1)}, gt=poses(40, 2), max_static_samples=12)
    assert isinstance(fig, go.Figure)
    assert len(fig.layout.sliders[0].steps) == len(fig.frames) == 12
    fig = viz.depth_ambiguity_widget(standing_pose(), joint="LWrist", steps=9)
    assert isinstance(fig, go.Figure) and len(fig.frames) == 9
    # the 2D traces never move: frames only touch the 3D traces
    moved = {i for fr in fig.frames for i in fr.traces}
    assert all(fig.data[i].type == "scatter3d" for i in moved)


def test_widgets_fall_back_when_ipywidgets_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets -> ImportError
    monkeypatch.setattr(widgets, "in_live_kernel", lambda: True)
    assert isinstance(viz.pose_explorer({"A": poses(3)}), go.Figure)
    with pytest.raises(ImportError, match="ipywidgets and anywidget"):
        viz.pose_explorer({"A": poses(3)}, static=False)


def _displayed(box):
    """The outputs that displaying ``box`` in a kernel produces (``IPython.display.display`` captured)."""
    import IPython.display

    shown = []
    real = IPython.display.display
    IPython.display.display = lambda obj, raw=False, **kw: shown.append(obj)
    try:
        box._ipython_display_()
    finally:
        IPython.display.display = real
    return shown


def test_live_widget_displays_with_a_static_fallback_after_it(monkeypatch):
    pytest.importorskip("ipywidgets")
    pytest.importorskip("anywidget")
    monkeypatch.setattr(widgets, "in_live_kernel", lambda: True)
    box = viz.pose_explorer({"A": poses(4), "B": poses(4, 1)}, gt=poses(4, 2), labels=list("abcd"))
    style, live, static = _displayed(box)
    assert "<style" in style["text/html"] and "model not found" not in style["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in live and live["text/html"] == ""  # nothing twice in the book
    assert 'class="plotly-graph-div' in static["text/html"]  # the book and classic Notebook
    assert static["application/vnd.plotly.v1+json"]["data"]  # JupyterLab and VS Code, offline
    assert isinstance(box.static_figure, go.Figure) and len(box.static_figure.frames) == 4
    key = box.static_figure.layout.meta["semgcn_static"]
    controls, row = box.children
    (view3d,) = row.children
    assert view3d.static_key == key  # the live figure hides exactly this static copy
    # the controls redraw in place: the same widget gets a new figure
    sample = controls.children[0]
    first = view3d.figure
    sample.value = 2
    assert row.children == (view3d,) and view3d.figure != first
    assert view3d.figure["layout"]["uirevision"] == "semgcn"  # the reader's camera survives updates
    assert "sample 2</b>: c" in controls.children[2].value

    box = viz.depth_ambiguity_widget(standing_pose())
    assert len(_displayed(box)) == 3
    slide, report = box.children[0].children[1], box.children[1]
    view2d, view3d = box.children[2].children
    before2d, before3d = view2d.figure, view3d.figure
    slide.value = slide.max
    assert "RWrist moved +" in report.value
    shift = float(report.value.split("largest 2D change: ")[1].split(" ")[0])
    assert shift < 1e-6  # the 2D projection did not move
    assert view2d.figure == before2d and view3d.figure != before3d


def test_receptive_field_widget_follows_the_powers_of_the_propagation_matrix(monkeypatch):
    from semgcn.graph import normalize_adjacency

    a_hat = normalize_adjacency(H36M_SKELETON.adjacency())
    fig = viz.receptive_field_widget(standing_pose(), a_hat, "RWrist")  # outside a kernel: the static figure
    assert isinstance(fig, go.Figure) and len(fig.frames) == 1 + 8  # L = 0 .. the diameter
    pytest.importorskip("anywidget")
    monkeypatch.setattr(widgets, "in_live_kernel", lambda: True)
    box = viz.receptive_field_widget(standing_pose(), a_hat, "RWrist")
    (pick, layers), report, view = box.children[0].children, box.children[1], box.children[2]
    title = lambda: view.figure["layout"]["title"]["text"]  # noqa: E731
    assert "2 of 16 joints" in title() and "RElbow" in report.value  # L = 1: itself and its one neighbour
    layers.value = 2
    assert "3 of 16 joints" in title() and "RShoulder" in report.value
    pick.value = "Thorax"
    assert title() == "Thorax after 2 layers: 8 of 16 joints"
    own = [float(report.value.split("keeps ")[1].split("%")[0])]
    layers.value = 8
    own.append(float(report.value.split("keeps ")[1].split("%")[0]))
    assert own[1] < own[0]  # deeper, and a joint's own input is a smaller share: smoothing


def test_left_right_widget_swaps_labels_and_mirrors(monkeypatch):
    import torch

    perm = list(H36M_SKELETON.flip_permutation())
    gt = torch.as_tensor(poses(3), dtype=torch.float32)
    gt = gt - gt[:, :1]
    x = gt[..., :2] / 2  # a stand-in "image": the model below just lifts it back
    lift = lambda inp: torch.cat([inp * 2, torch.zeros_like(inp[..., :1])], -1)  # noqa: E731  joint by joint
    fig = viz.left_right_widget(lift, x, gt)
    assert isinstance(fig, go.Figure) and len(fig.frames) == 3
    pytest.importorskip("anywidget")
    monkeypatch.setattr(widgets, "in_live_kernel", lambda: True)
    box = viz.left_right_widget(lift, x, gt, labels=["a", "b", "c"])
    (sample, version), report, view = box.children[0].children, box.children[1], box.children[2]
    import re

    errors = [float(e) for e in re.findall(r": ([0-9.]+) mm", report.value)]
    assert len(errors) == 3
    # this "model" ignores which joint is which and is mirror-symmetric: all three agree
    assert errors[0] > 0 and errors[0] == pytest.approx(errors[1], abs=1e-3) == errors[2]
    sample.value = 2
    assert "<b>sample 2</b>: c" in report.value
    # a "model" that knows the joints (each joint's depth: the first pose's) fails the swap
    depth = gt[:1, :, 2:]
    knows = lambda inp: torch.cat([inp * 2, depth.expand(len(inp), -1, -1)], -1)  # noqa: E731
    box = viz.left_right_widget(knows, x, gt)
    errors = [float(e) for e in re.findall(r": ([0-9.]+) mm", box.children[1].value)]
    assert errors[0] == 0 and errors[1] > 10
    view = box.children[2]
    first = view.figure
    box.children[0].children[1].value = "as given"
    assert view.figure != first and perm != list(range(16))


def test_affinity_widget_redraws_one_query_of_one_pose(monkeypatch):
    from semgcn.graph import H36M_NONLOCAL_GROUPS

    groups = H36M_NONLOCAL_GROUPS
    rng = np.random.default_rng(0)
    aff = rng.random((3, 16, len(groups)))
    fig = viz.affinity_widget(poses(3), aff, groups)
    assert isinstance(fig, go.Figure) and len(fig.layout.sliders[0].steps) == 16  # static: every query
    pytest.importorskip("anywidget")
    monkeypatch.setattr(widgets, "in_live_kernel", lambda: True)
    box = viz.affinity_widget(poses(3), aff, groups, query="LWrist")
    (sample, pick), report, view = box.children[0].children, box.children[1], box.children[2]
    assert len(view.figure["data"]) == 3  # bones, the query's affinities, its ring: one query only
    best = int(np.argmax(aff[0, list(H36M_SKELETON.names).index("LWrist")]))
    group_name = "+".join(H36M_SKELETON.names[j] for j in groups[best])
    assert report.value.split("attends most to ")[1].startswith(group_name)
    first = view.figure
    sample.value = 2
    assert view.figure != first and "<b>pose 2</b>" in report.value
    pick.value = "Head"
    assert "Head attends most to" in report.value


def test_edge_weight_widget_lists_what_one_joint_receives(monkeypatch):
    import torch

    adj = H36M_SKELETON.adjacency()
    gen = torch.Generator().manual_seed(0)
    ws = [torch.softmax(torch.randn(16, 16, generator=gen).masked_fill(adj == 0, -1e9), -1) for _ in range(2)]
    fig = viz.edge_weight_widget(standing_pose(), ws, ["a", "b"])
    assert isinstance(fig, go.Figure) and len(fig.layout.sliders[0].steps) == 2  # static: a slider over layers
    pytest.importorskip("anywidget")
    monkeypatch.setattr(widgets, "in_live_kernel", lambda: True)
    box = viz.edge_weight_widget(standing_pose(), ws, ["a", "b"], joint="RElbow")
    (layer, pick), report, view = box.children[0].children, box.children[1], box.children[2]
    names = list(H36M_SKELETON.names)
    e, s, w = names.index("RElbow"), names.index("RShoulder"), names.index("RWrist")
    assert report.value.startswith("layer: a: RElbow receives from ")
    assert f"RShoulder {float(ws[0][e, s]):.0%}" in report.value and f"itself {float(ws[0][e, e]):.0%}" in report.value
    assert "Head" not in report.value  # not a neighbour
    first = view.figure
    layer.value = 1
    assert view.figure != first and f"RWrist {float(ws[1][e, w]):.0%}" in report.value


def test_live_figure_sends_plotly_js_when_the_page_has_none():
    pytest.importorskip("anywidget")
    from semgcn.viz.live import live_figure
    from plotly.offline import get_plotlyjs

    fig = live_figure(viz.plot_pose_3d(standing_pose()))
    sent = []
    fig.send = lambda content, buffers=None: sent.append((content, buffers))
    fig._reply(fig, {"type": "need-plotly"}, [])
    fig._reply(fig, {"type": "something else"}, [])
    assert len(sent) == 1 and sent[0][0] == {"type": "plotly-js"}
    assert sent[0][1][0] == get_plotlyjs().encode("utf-8")  # the installed plotly.js: no CDN
    assert "width" not in fig.figure["layout"]  # the output area decides the width


def test_training_curves_accepts_one_record_history():
    import matplotlib
    matplotlib.use("Agg")
    from semgcn.viz import plot_training_curves
    history = {"epoch": [1, 2, 3], "train_loss": [0.3, 0.2, 0.1], "val_mpjpe": [90.0, 70.0, 60.0], "lr": [1e-3] * 3}
    ax = plot_training_curves(history, keys=["train_loss", "val_mpjpe"])
    ys = [tuple(line.get_ydata()) for line in ax.get_lines()]
    assert (0.3, 0.2, 0.1) in ys and (90.0, 70.0, 60.0) in ys
    two = plot_training_curves({"a": history, "b": history}, keys=["val_mpjpe"])
    assert len(two.get_lines()) == 2


# ----------------------------------------------------------------------------- chapters 6-11 (semgcn.viz.chapters_b)

def _svg_texts(svg):
    import xml.etree.ElementTree as ET
    root = ET.fromstring(svg)   # well-formed XML
    return root, [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_semgcn_architecture_svg_follows_the_model_settings():
    root, texts = _svg_texts(viz.semgcn_architecture_svg())
    assert root.tag.endswith("svg") and "viewBox" in root.attrib
    assert texts.count("Residual block") == 4 and texts.count("Non-local") == 5
    assert "(16, 2)" in texts and "(16, 3)" in texts and "(16, 128)" in texts
    _, small = _svg_texts(viz.semgcn_architecture_svg(hidden=64, num_blocks=2, nonlocal_blocks=False))
    assert small.count("Residual block") == 2 and "Non-local" not in small and "(16, 64)" in small
    # the stick figure uses the book's left and right colours
    svg = viz.semgcn_architecture_svg()
    assert viz.POSE_STYLES["gt"]["left"] in svg and viz.POSE_STYLES["gt"]["right"] in svg


def test_image_framework_svg_names_every_box_of_fig3():
    _, texts = _svg_texts(viz.image_framework_svg())
    joined = " ".join(texts)
    for word in ("2D pose network", "soft-argmax", "RoIAlign", "SemGCN", "Eq. 3", "Eq. 7", "conv1", "conv4"):
        assert word in joined, word


def test_seed_spread_and_noise_curves():
    rows = [{"label": "2d-only (stage 2)", "mpjpe": {"values": [10.0, 12.0], "mean": 11.0},
             "p_mpjpe": {"values": [8.0, 9.0], "mean": 8.5}},
            {"label": "image features (stage 2)", "mpjpe": {"values": [9.0, 10.0], "mean": 9.5},
             "p_mpjpe": {"values": [7.0, 8.0], "mean": 7.5}}]
    fig = viz.plot_seed_spread(rows, title="t")
    left = fig.axes[0]
    assert [t.get_text() for t in left.get_yticklabels()] == ["2d-only\n(stage 2)", "image features\n(stage 2)"]
    assert len(left.get_lines()) == 4   # seeds and mean per row
    fig2 = viz.plot_noise_curves([0, 5, 10], {"a": [50, 55, 70]}, baseline=200.0)
    assert list(fig2.axes[1].get_lines()[0].get_ydata()) == [0, 5, 20]
    assert any(l.get_label() == "mean training pose" for l in fig2.axes[0].get_lines())


# ---------------------------------------------------------------- semgcn.viz.layers (chapters 2-5)

def test_receptive_field_figure_has_one_frame_per_depth():
    from semgcn.graph import k_hop_adjacency

    a = SK.adjacency()
    reach = np.stack([k_hop_adjacency(a, k).numpy() > 0 for k in range(K)])
    hops = reach.argmax(0)
    fig = viz.receptive_field_figure(standing_pose(), hops, "RWrist", title="t")
    assert len(fig.frames) == hops.max() + 1 == len(fig.layout.sliders[0].steps)
    wrist = SK.names.index("RWrist")
    seen = np.asarray(fig.frames[1].data[0].marker.color) != "#d9d9d9"
    assert seen.tolist() == (hops[wrist] <= 1).tolist()


def test_semantic_kernels_diagram_is_four_svg_panels_in_book_colours():
    out = viz.semantic_kernels_diagram()
    html = getattr(out, "data", out)
    assert html.count("<svg") == 4 and html.count("<figcaption") == 4
    for caption in ("(a) 3×3 convolution", "(b) vanilla graph convolution", "(c) SemGConv",
                    "(d) channel-wise SemGConv"):
        assert caption in html
    assert viz.POSE_STYLES["gt"]["left"] in html and viz.POSE_STYLES["gt"]["right"] in html
    assert "flex-wrap:wrap" in html   # panels wrap on a phone instead of shrinking


def test_edge_weight_figure_slider_and_half_bones():
    from semgcn.graph import normalize_adjacency

    w = normalize_adjacency(SK.adjacency(), "row").numpy()
    fig = viz.edge_weight_figure(standing_pose(), [w, 2 * w], ["a", "b"], title="t")
    per_step = 2 * len(SK.bones) + 1                    # two half-bones per bone, one joint trace
    assert len(fig.data) == 2 * per_step
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["a", "b"]
    assert sum(steps[1].args[0]["visible"]) == per_step
    assert list(fig.data[per_step - 1].marker.color) == pytest.approx(np.diag(w).tolist())
    with pytest.raises(ValueError):
        viz.edge_weight_figure(standing_pose(), [w], ["a", "b"])


def test_affinity_heatmap_and_figure():
    from semgcn.graph import H36M_NONLOCAL_GROUPS

    groups = [list(g) for g in H36M_NONLOCAL_GROUPS]
    group_names = ["+".join(SK.names[j] for j in g) for g in groups]
    aff = np.random.default_rng(0).uniform(size=(K, len(groups)))
    ax = viz.affinity_heatmap(aff, SK.names, group_names, title="t")
    assert [t.get_text() for t in ax.get_xticklabels()] == group_names
    with pytest.raises(ValueError):
        viz.affinity_heatmap(aff[:, :3], SK.names, group_names)
    fig = viz.affinity_figure(standing_pose(), aff, groups)
    assert len(fig.data) == 1 + 2 * K and len(fig.layout.sliders[0].steps) == K
    q = 3   # the query's marker trace colours every joint by its group's affinity
    group_of = {j: g for g, grp in enumerate(groups) for j in grp}
    assert list(fig.data[1 + 2 * q].marker.color) == pytest.approx([aff[q, group_of[j]] for j in range(K)])


def test_record_provenance_drops_paths_and_threads():
    rec = {"data": {"source": "Human3.6M (/home/someone/h36m), 2D: gt, test S9,S11"},
           "hardware": "CPU AMD EPYC, 1 threads", "command": "python -m semgcn experiment h36m-resgcn"}
    line = viz.record_provenance(rec, width=None)
    assert line == ("data: Human3.6M, ground-truth 2D; hardware: 1 CPU core (AMD EPYC); "
                    "command: python -m semgcn experiment h36m-resgcn")
    assert line == report.provenance_line(rec, width=None)   # one implementation
    assert "GPU" in viz.record_provenance({**rec, "hardware": "cuda NVIDIA H100"})
    assert all(len(l) <= 40 for l in viz.record_provenance(rec, width=40).splitlines())


def test_heatmap_values_are_as_large_as_their_cells_allow():
    """One-digit values in a 16 x 16 grid of a column-wide figure are written at 9-10 pt (they were 6 pt,
    unreadable at display size); long values shrink to fit; an explicit fontsize wins."""
    import matplotlib.pyplot as plt
    import numpy as np
    from semgcn.viz import plot_matrix_heatmap
    sizes = {}
    for fmt, values in (("{:.0f}", np.arange(256).reshape(16, 16) % 9), ("{:.2f}", np.linspace(-1, 1, 256).reshape(16, 16))):
        fig, ax = plt.subplots(figsize=(7.2, 6.6), layout="constrained")
        plot_matrix_heatmap(values, ax=ax, fmt=fmt, colorbar=False)
        sizes[fmt] = {t.get_fontsize() for t in ax.texts}
        plt.close(fig)
    assert len(sizes["{:.0f}"]) == 1 and min(sizes["{:.0f}"]) >= 9
    assert 5 <= max(sizes["{:.2f}"]) < min(sizes["{:.0f}"])
    fig, ax = plt.subplots()
    plot_matrix_heatmap(np.eye(16), ax=ax, fontsize=7.5)
    assert {t.get_fontsize() for t in ax.texts} == {7.5}
    plt.close(fig)
