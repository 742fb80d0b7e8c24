"""A live network in the rendered book: drag a 2D joint, watch the 3D answer (chapters 1 and 12).

The rendered book is a static site, so an explorer that needs a Jupyter
kernel shows only its fallback there.  SemGCN is small (434,703 parameters,
about 15 MFLOP per pose), so the book runs it in the reader's browser
instead, with a forward pass written for these four networks in plain
JavaScript (``semgcn/viz/static/semgcn_net.js``; the figure around it is
``live_model.js``).  Why not a general runtime such as onnxruntime-web: its
WebAssembly file alone is about 15 MB, against 0.03 MB of JavaScript here,
and a build that needs npm is one more thing that can break; the engineering
notes appendix gives the sizes.

What the build writes (Sphinx extension ``semgcn.viz.live_model``, listed in
``_config.yml``) into ``_build/html/_static/semgcn-live/``:

* ``manifest.json``: the skeleton, the reference camera (the input
  normalisation of :func:`semgcn.lifting.to_network_input`), preset poses
  from the synthetic test set, and per network its layers (:func:`export_network`),
  its tensor table, and the SHA-256 of the shipped ``model.pt`` it came from;
* ``<experiment>.bin``: the network's tensors, float16 exactly as shipped
  (a tensor that float16 cannot hold exactly is written as float32);
* ``testvectors.json``: 20 fixed 2D inputs and PyTorch's 3D answer for each
  network (the browser test compares the page's numbers with them);
* the two JavaScript files.

Files already up to date (same source checksum, same format) are kept.  The
build fails with a one-line error when a network's shipped weights are
missing or when a written file does not match them (:func:`check_live_files`).

In the book a figure is one notebook cell, ``live_model_figure()``: an HTML
snippet that loads the JavaScript from the site's ``_static`` folder and
shows, until it runs (no JavaScript, or opened outside the book), a static
picture of SemGCN's answer with a note saying why.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import html
import io
import json
import shutil
import uuid
from pathlib import Path

import numpy as np

__all__ = ["LIVE_MODELS", "STATIC_DIR", "export_network", "live_presets", "live_test_inputs", "write_live_files",
           "check_live_files", "live_model_figure", "LiveModelFigure", "time_forward_pass", "setup"]

#: The networks of the figure's model selector: ``(shipped experiment, label)``, the first is the default.
LIVE_MODELS = (("h36m-semgcn", "SemGCN"), ("h36m-semgcn-no-nonlocal", "SemGCN w/o non-local"),
               ("h36m-resgcn", "ResGCN"), ("h36m-fc", "FC baseline"))
#: Folder of the built site's ``_static`` that holds the figure's files.
STATIC_DIR = "semgcn-live"
FORMAT = 1                       # bump when the layout of the written files changes
_JS_FILES = ("semgcn_net.js", "live_model.js")
_JS_SOURCE = Path(__file__).resolve().parent / "static"
#: Synthetic test poses offered as presets (indices into a synthetic test split of ``_NUM_SYNTHETIC`` poses).
_PRESETS = (7, 0, 22, 39, 38)   # Greeting, Walking, Waiting, Phoning, Sitting: SemGCN within 40 mm of the truth
_NUM_SYNTHETIC = 40
_NUM_TEST_VECTORS = 20


@functools.lru_cache(maxsize=1)
def _exporter_digest() -> str:
    """A digest of :func:`export_network`'s source: an export written by other code is never reused."""
    import inspect
    return hashlib.sha256(inspect.getsource(export_network).encode()).hexdigest()[:16]


def _sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ----------------------------------------------------------------------------- the network as data

class _Tensors:
    """Collects a network's tensors into one little-endian byte string, float16 where that is exact."""

    def __init__(self):
        self.chunks, self.table, self.offset = [], [], 0

    def add(self, t) -> int:
        a = np.ascontiguousarray(t.detach().cpu().double().numpy() if hasattr(t, "detach") else t, dtype=np.float64)
        half = a.astype("<f2")
        dtype = "f16" if np.array_equal(half.astype(np.float64), a) else "f32"
        data = (half if dtype == "f16" else a.astype("<f4")).tobytes()
        pad = (-len(data)) % 4          # keep every tensor 4-byte aligned (a float32 view needs it)
        self.table.append({"offset": self.offset, "dtype": dtype, "shape": list(a.shape)})
        self.chunks.append(data + b"\0" * pad)
        self.offset += len(data) + pad
        return len(self.table) - 1

    def blob(self) -> bytes:
        return b"".join(self.chunks)


def export_network(model) -> tuple[list, list, bytes]:
    """A shipped network as a list of layer operations, its tensor table and its tensors' bytes.

    The operations are what ``semgcn_net.js`` runs, in order, on a ``(rows,
    columns)`` activation: ``semgconv`` (Eq. 2: softmax over each joint's
    neighbours, ``W[0]`` for the joint itself, ``W[1]`` for its neighbours),
    ``gconv`` (Eq. 1 with the stored normalised adjacency), ``bn`` (batch norm
    with running statistics), ``relu``, ``push``/``add`` (a residual skip),
    ``nonlocal`` (Eq. 4, concatenation form, phi and g max-pooled over the
    joint groups), ``flatten``, ``linear`` and ``joints`` (the FC baseline's
    15 outputs back to 16 joints, root at zero).  Tensor arguments are indices
    into the table.  Raises ``ValueError`` for a layer the JavaScript does not
    implement (channel-wise, mask and attention convolutions, other non-local
    forms, a z-scored FC baseline).
    """
    from torch import nn

    from ..models.baseline import LinearBaseline, _ResidualLinear
    from ..models.semgcn import GraphConvBlock, ResidualGraphBlock, SemGCN
    from ..nn import GraphConv, GraphNonLocal, SemGraphConv

    tensors, ops = _Tensors(), []

    def bn(m):
        ops.append({"op": "bn", "weight": tensors.add(m.weight), "bias": tensors.add(m.bias),
                    "mean": tensors.add(m.running_mean), "var": tensors.add(m.running_var), "eps": m.eps})

    def conv(m):
        if isinstance(m, SemGraphConv) and not m.channelwise:
            ops.append({"op": "semgconv", "in": m.in_features, "out": m.out_features,
                        "rows": m.edge_rows.tolist(), "cols": m.edge_cols.tolist(),
                        "logits": tensors.add(m.edge_logits), "weight": tensors.add(m.weight),
                        "bias": tensors.add(m.bias)})
        elif isinstance(m, GraphConv):
            ops.append({"op": "gconv", "in": m.in_features, "out": m.out_features, "adj": tensors.add(m.adj),
                        "weight": tensors.add(m.weight), "bias": tensors.add(m.bias)})
        else:
            raise ValueError(f"the live figure has no JavaScript for {type(m).__name__}"
                             f"{' (channel-wise)' if getattr(m, 'channelwise', False) else ''}")
        if m.bias is None:
            raise ValueError("the live figure expects graph convolutions with a bias")

    def block(m):
        conv(m.conv)
        bn(m.bn)
        ops.append({"op": "relu"})

    def nonlocal_block(m):
        if m.pairwise != "concatenation" or m.group_index is None:
            raise ValueError(f"the live figure implements grouped concatenation non-local blocks only, got "
                             f"pairwise={m.pairwise!r}, groups={'yes' if m.group_index is not None else 'no'}")
        op = {"op": "nonlocal", "channels": m.channels, "inter": m.inter_channels,
              "groups": m.group_index.tolist(), "concat": tensors.add(m.concat_weight)}
        for name in ("theta", "phi", "g", "out"):
            lin = getattr(m, name)
            op[name] = [tensors.add(lin.weight), tensors.add(lin.bias)]
        b = m.out_bn
        op["bn"] = [tensors.add(b.weight), tensors.add(b.bias), tensors.add(b.running_mean),
                    tensors.add(b.running_var), b.eps]
        ops.append(op)

    if isinstance(model, SemGCN):
        k = model.num_joints
        for layer in model.body:
            if isinstance(layer, GraphConvBlock):
                block(layer)
            elif isinstance(layer, ResidualGraphBlock):
                ops.append({"op": "push"})
                block(layer.block1)
                block(layer.block2)
                ops.append({"op": "add"})
            elif isinstance(layer, GraphNonLocal):
                nonlocal_block(layer)
            else:
                raise ValueError(f"the live figure has no JavaScript for {type(layer).__name__}")
        conv(model.head)
    elif isinstance(model, LinearBaseline):
        if model.standardize:
            raise ValueError("the live figure does not implement the z-scored FC baseline (standardize=True)")
        k = model.num_joints
        ops.append({"op": "flatten"})

        def plain(layer) -> bool:
            """Emit a Linear / BatchNorm1d / ReLU (Dropout: nothing, the identity at inference); False otherwise."""
            if isinstance(layer, nn.Linear):
                ops.append({"op": "linear", "in": layer.in_features, "out": layer.out_features,
                            "weight": tensors.add(layer.weight), "bias": tensors.add(layer.bias)})
            elif isinstance(layer, nn.BatchNorm1d):
                bn(layer)
            elif isinstance(layer, nn.ReLU):
                ops.append({"op": "relu"})
            elif not isinstance(layer, nn.Dropout):
                return False
            return True

        for layer in model.net:
            if plain(layer):
                continue
            if isinstance(layer, _ResidualLinear):
                ops.append({"op": "push"})
                for sub in layer.net:
                    plain(sub)
                ops.append({"op": "add"})
            else:
                raise ValueError(f"the live figure has no JavaScript for {type(layer).__name__}")
        ops.append({"op": "joints", "keep": model.keep.tolist(), "joints": k, "channels": model.out_features})
    else:
        raise ValueError(f"the live figure runs SemGCN-family and FC networks, not {type(model).__name__}")
    if getattr(model, "in_features", 2) != 2 or getattr(model, "out_features", 3) != 3 or k != 16:
        raise ValueError("the live figure lifts 16 joints from 2D to 3D")
    return ops, tensors.table, tensors.blob()


# ----------------------------------------------------------------------------- poses shown and tested

def _camera_entry() -> dict:
    """The reference camera for the page: image size (the normalisation), focal length and principal
    point in pixels (the figure draws the viewing ray of the dragged joint with them)."""
    from ..lifting import reference_camera
    ref = reference_camera()
    return {"w": float(ref["w"]), "h": float(ref["h"]), "f": round(float(ref["f"]), 4),
            "c": [round(float(v), 4) for v in ref["c"]]}


def _reference():
    from ..lifting import reference_camera
    ref = reference_camera()
    return float(ref["w"]), float(ref["h"])


@functools.lru_cache(maxsize=1)
def _synthetic_test():
    """``(inputs (N, 16, 2), action names (N,))`` of a small synthetic test split (fixed seed)."""
    from ..data import load_pose_data
    test = load_pose_data("synthetic", num_train=10, num_val=10, num_test=_NUM_SYNTHETIC, device="cpu").test
    return test.inputs.double().numpy(), [test.action_names[int(a)] for a in test.action]


def _to_pixels(inputs: np.ndarray) -> np.ndarray:
    """Network inputs -> pixels of the reference camera (the figure's canvas), rounded to 1/1000 px."""
    from ..data.camera import image_coordinates
    w, h = _reference()
    return np.round(image_coordinates(inputs, w, h), 3)


def live_presets() -> list:
    """The figure's preset poses: ``[{"label", "pixels": (16, 2) list}]`` in reference-camera pixels."""
    inputs, actions = _synthetic_test()
    px = _to_pixels(inputs.copy())
    return [{"label": f"{actions[i]} (synthetic test pose {i})", "pixels": px[i].tolist()} for i in _PRESETS]


def live_test_inputs() -> np.ndarray:
    """The browser test's 20 fixed inputs, ``(20, 16, 2)`` reference-camera pixels: synthetic test poses,
    half of them with one to three joints moved by up to 60 px (as a reader's drag would)."""
    px = _to_pixels(_synthetic_test()[0][:_NUM_TEST_VECTORS].copy())
    rng = np.random.default_rng(17)
    for n in range(1, _NUM_TEST_VECTORS, 2):
        joints = rng.choice(16, size=rng.integers(1, 4), replace=False)
        px[n, joints] += np.round(rng.uniform(-60, 60, size=(len(joints), 2)), 3)
    return px


def _pytorch_answer(model, pixels: np.ndarray) -> np.ndarray:
    """PyTorch's root-relative 3D answer ``(N, 16, 3)`` (metres) for reference-camera pixels: the package's
    normalisation (:func:`semgcn.data.camera.normalize_screen_coordinates`) and :func:`semgcn.train.predict`."""
    import torch

    from ..data.camera import normalize_screen_coordinates
    from ..train import predict
    w, h = _reference()
    x = torch.as_tensor(normalize_screen_coordinates(np.asarray(pixels, np.float64), w, h), dtype=torch.float32)
    out = predict(model.float().eval(), x).double()
    return (out - out[:, :1]).numpy()


# ----------------------------------------------------------------------------- the files of the site

def _source_checksums(results_dir=None) -> dict:
    """``{experiment: sha256 of its shipped model.pt}``; a one-line ``FileNotFoundError`` when one is missing."""
    from ..experiments import shipped_model_path
    sums = {}
    for name, _ in LIVE_MODELS:
        try:
            sums[name] = _sha256(shipped_model_path(name, results_dir))
        except FileNotFoundError as err:
            raise FileNotFoundError(f"live figure: {err}") from None
    return sums


def check_live_files(folder, results_dir=None) -> list:
    """What is wrong with the figure's files in ``folder`` (a built site's ``_static/semgcn-live``):
    one line per missing file or stale network (its recorded checksum is not that of the shipped
    ``model.pt``, or its ``.bin`` is not the one the manifest describes); ``[]`` when all is well."""
    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        return [f"{manifest_path}: missing (the live figure's exported networks were not written)"]
    try:
        manifest = json.loads(manifest_path.read_text())
    except ValueError:
        return [f"{manifest_path}: not valid JSON"]
    problems = []
    if manifest.get("format") != FORMAT or manifest.get("exporter") != _exporter_digest():
        problems.append(f"{manifest_path}: written by another version of the exporter (format "
                        f"{manifest.get('format')!r}, this package writes {FORMAT})")
    sums = _source_checksums(results_dir)
    models = {m.get("name"): m for m in manifest.get("models", [])}
    for name, _ in LIVE_MODELS:
        entry = models.get(name)
        if entry is None:
            problems.append(f"{manifest_path}: no exported network {name!r}")
            continue
        if entry.get("source_sha256") != sums[name]:
            problems.append(f"{name}: exported network is stale (made from a model.pt with SHA-256 "
                            f"{str(entry.get('source_sha256'))[:12]}..., the shipped one is {sums[name][:12]}...)")
        binary = folder / entry.get("file", f"{name}.bin")
        if not binary.is_file():
            problems.append(f"{binary}: missing")
        elif _sha256(binary) != entry.get("sha256"):
            problems.append(f"{binary}: its SHA-256 differs from the manifest's (a partial or foreign file)")
    vectors = folder / "testvectors.json"
    if not vectors.is_file():
        problems.append(f"{vectors}: missing")
    else:
        try:
            recorded = json.loads(vectors.read_text()).get("source_sha256", {})
        except ValueError:
            recorded = {}
        if recorded != {n: sums[n] for n, _ in LIVE_MODELS}:
            problems.append(f"{vectors}: made from other weights than the shipped ones (stale)")
    for js in _JS_FILES:
        if not (folder / js).is_file():
            problems.append(f"{folder / js}: missing")
    return problems


def write_live_files(folder, results_dir=None, force: bool = False) -> dict:
    """Write (or keep, when up to date) the figure's files in ``folder``; returns ``{"written": [...],
    "kept": [...], "bytes": total size}``.  Raises ``FileNotFoundError`` when shipped weights are missing
    and ``RuntimeError`` when the files written do not pass :func:`check_live_files`."""
    from ..experiments import load_shipped_model
    from ..graph import H36M_SKELETON

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sums = _source_checksums(results_dir)
    old = {}
    manifest_path = folder / "manifest.json"
    if manifest_path.is_file() and not force:
        try:
            previous = json.loads(manifest_path.read_text())
            if previous.get("format") == FORMAT and previous.get("exporter") == _exporter_digest():
                old = {m["name"]: m for m in previous.get("models", [])}
        except (ValueError, KeyError, TypeError):
            old = {}
    vectors_path = folder / "testvectors.json"
    vectors_ok = False
    if vectors_path.is_file() and not force:
        try:
            vectors_ok = json.loads(vectors_path.read_text()).get("source_sha256") == sums
        except ValueError:
            vectors_ok = False
    written, kept, entries, answers = [], [], [], {}
    inputs = None if vectors_ok else live_test_inputs()
    for name, label in LIVE_MODELS:
        entry = old.get(name)
        binary = folder / f"{name}.bin"
        fresh = (entry is not None and entry.get("source_sha256") == sums[name] and binary.is_file()
                 and _sha256(binary) == entry.get("sha256"))
        if fresh and vectors_ok:
            entries.append({**entry, "label": label})
            kept.append(name)
            continue
        model = load_shipped_model(name, "cpu", results_dir)
        if inputs is not None:
            answers[name] = np.round(_pytorch_answer(model, inputs), 9).tolist()
        if fresh:
            entries.append({**entry, "label": label})
            kept.append(name)
            continue
        ops, table, blob = export_network(model)
        tmp = binary.with_suffix(".bin.tmp")
        tmp.write_bytes(blob)
        tmp.replace(binary)
        entries.append({"name": name, "label": label, "file": binary.name, "bytes": len(blob),
                        "sha256": hashlib.sha256(blob).hexdigest(), "source_sha256": sums[name],
                        "parameters": int(sum(p.numel() for p in model.parameters())),
                        "ops": ops, "tensors": table})
        written.append(name)
    w, h = _reference()
    from .skeleton import POSE_STYLES
    colors = {side: POSE_STYLES["gt"][side] for side in ("left", "right", "center")}   # the book's colours
    manifest = {"format": FORMAT, "exporter": _exporter_digest(), "joints": list(H36M_SKELETON.names), "parents": list(H36M_SKELETON.parents),
                "left": list(H36M_SKELETON.left), "right": list(H36M_SKELETON.right), "colors": colors,
                "camera": _camera_entry(), "presets": live_presets(), "models": entries}
    _write_json(manifest_path, manifest)
    if inputs is not None:
        _write_json(vectors_path, {"format": FORMAT, "unit": "m, root-relative, camera coordinates",
                                   "inputs_px": inputs.tolist(), "outputs": answers, "source_sha256": sums})
        written.append("testvectors")
    for js in _JS_FILES:
        source = _JS_SOURCE / js
        if not (folder / js).is_file() or (folder / js).read_bytes() != source.read_bytes():
            shutil.copyfile(source, folder / js)
    problems = check_live_files(folder, results_dir)
    if problems:
        raise RuntimeError(f"live figure: {problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1
                                                            else ""))
    size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    return {"written": written, "kept": kept, "bytes": size}


def _write_json(path: Path, obj) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, separators=(",", ":")))
    tmp.replace(path)


# ----------------------------------------------------------------------------- speed (engineering notes)

_TIMING_JS = """
const fs = require("fs"), net = require(process.argv[2]), dir = process.argv[3], repeats = +process.argv[4];
const man = JSON.parse(fs.readFileSync(dir + "/manifest.json")), m = man.models[0];
const b = fs.readFileSync(dir + "/" + m.file);
const n = new net.Network(m, b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength), man.joints.length);
const x = net.normalizeScreen(Float64Array.from(man.presets[0].pixels.flat()), man.camera.w, man.camera.h);
for (let i = 0; i < repeats; i++) n.forward(x);
const t = [];
for (let i = 0; i < repeats; i++) {
  const s = process.hrtime.bigint(); n.forward(x); t.push(Number(process.hrtime.bigint() - s) / 1e6);
}
t.sort((a, c) => a - c);
process.stdout.write(JSON.stringify({ms: t[Math.floor(repeats / 2)]}));
"""


def time_forward_pass(name: str = LIVE_MODELS[0][0], repeats: int = 60) -> dict | None:
    """Median time (ms) of one forward pass for one pose: the book's JavaScript (run by node) and PyTorch
    on this CPU, after ``repeats`` warm-up passes each: ``{"javascript_ms", "pytorch_ms"}``, or ``None``
    when node is not installed."""
    import subprocess
    import tempfile
    import time

    import torch

    from ..experiments import load_shipped_model
    node = shutil.which("node")
    if node is None:
        return None
    model = load_shipped_model(name, "cpu").float().eval()
    ops, table, blob = export_network(model)
    w, h = _reference()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "net.bin").write_bytes(blob)
        _write_json(folder / "manifest.json", {
            "joints": list(range(16)), "camera": {"w": w, "h": h}, "presets": live_presets()[:1],
            "models": [{"name": name, "file": "net.bin", "ops": ops, "tensors": table}]})
        (folder / "time.js").write_text(_TIMING_JS)
        done = subprocess.run([node, str(folder / "time.js"), str(_JS_SOURCE / "semgcn_net.js"), tmp,
                               str(repeats)], capture_output=True, text=True, check=True, timeout=300)
    x = torch.as_tensor(np.asarray(live_presets()[0]["pixels"]), dtype=torch.float32)[None]
    times = []
    with torch.no_grad():
        for k in range(2 * repeats):
            start = time.perf_counter()
            model(x)
            if k >= repeats:
                times.append(1e3 * (time.perf_counter() - start))
    return {"javascript_ms": json.loads(done.stdout)["ms"], "pytorch_ms": sorted(times)[len(times) // 2]}


# ----------------------------------------------------------------------------- the notebook cell

_CSS = """<style>
.semgcn-live { margin: 0.5em 0 1em; max-width: 760px; font-size: 0.9rem; }
.semgcn-live-fallback img { max-width: 100%; height: auto; display: block; }
.semgcn-live-note { color: #555; font-size: 0.85rem; margin: 0.3em 0 0; }
</style>"""

_LOADER = """<script>
(function () {
  var el = document.getElementById("%(id)s");
  var root = document.documentElement.getAttribute("data-content_root");
  var note = el.querySelector(".semgcn-live-note");
  if (root === null) {
    note.textContent = "The live version of this figure runs in the rendered book, whose build writes the " +
      "network's files; here you see a static picture of SemGCN's answer.";
    return;
  }
  var base = root + "_static/%(dir)s/";
  var q = window.semgcnLiveQueue = window.semgcnLiveQueue || [];
  function go() { window.SemgcnLive.mount(el, base); }
  if (window.SemgcnLive) { go(); return; }
  q.push(go);
  if (q.length > 1) { return; }
  var files = ["semgcn_net.js", "live_model.js"];
  function next() {
    var f = files.shift();
    if (!f) { q.splice(0).forEach(function (g) { g(); }); return; }
    var s = document.createElement("script");
    s.src = base + f + "?v=%(version)s";
    s.onload = next;
    s.onerror = function () {
      document.querySelectorAll(".semgcn-live").forEach(function (e) {
        e.setAttribute("data-state", "error");
        e.querySelector(".semgcn-live-note").textContent =
          "The live figure's script " + f + " could not be loaded; this is a static picture.";
      });
    };
    document.head.appendChild(s);
  }
  next();
})();
</script>"""


class LiveModelFigure:
    """The figure as a notebook output: ``text/html`` that the book turns live (see the module docstring)."""

    def __init__(self, html_text: str):
        self.html = html_text

    def _repr_html_(self) -> str:
        return self.html


def _static_picture(pixels: np.ndarray, answer: np.ndarray, title: str) -> bytes:
    """PNG: the 2D input and the 3D answer seen from the camera's right (depth across, up upwards)."""
    from matplotlib.figure import Figure

    from ..graph import H36M_SKELETON as skel
    from .skeleton import POSE_STYLES

    style = POSE_STYLES["gt"]
    side = ["left" if j in skel.left else "right" if j in skel.right else "center" for j in range(16)]
    fig = Figure(figsize=(7.0, 3.4), dpi=100, layout="constrained")
    ax2, ax3 = fig.subplots(1, 2)
    for ax, pts, xl, yl in ((ax2, pixels, "u (px)", "v (px)"), (ax3, np.stack([answer[:, 2], -answer[:, 1]], 1),
                                                               "depth z (m)", "up -y (m)")):
        for j, p in enumerate(skel.parents):
            if p >= 0:
                ax.plot(pts[[j, p], 0], pts[[j, p], 1], color=style[side[j]], lw=3)
        ax.scatter(pts[:, 0], pts[:, 1], s=14, color=[style[s] for s in side], zorder=3)
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        ax.set_aspect("equal", adjustable="datalim")
    ax2.invert_yaxis()
    ax2.set_title("2D input (camera image)", fontsize=10)
    ax3.set_title(title, fontsize=10)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def live_model_figure(preset: int = 0, model: str | None = None, joint: str | None = None,
                      results_dir=None) -> LiveModelFigure:
    """The live figure (the cell's output): drag 2D joints, see a shipped network's 3D answer.

    ``preset`` (index into the presets) and ``model`` (a :data:`LIVE_MODELS`
    experiment) are what the figure opens with; ``joint`` names a joint to
    highlight as a suggestion to drag (e.g. ``"RWrist"``).  Where the
    JavaScript does not run, the output shows a static picture of the chosen
    network's answer for the preset, computed here with PyTorch.
    """
    from ..experiments import load_shipped_model
    from ..graph import H36M_JOINT_NAMES

    names = [n for n, _ in LIVE_MODELS]
    model = model or names[0]
    if model not in names:
        raise ValueError(f"live figure: unknown model {model!r}; choose one of {names}")
    if joint is not None and joint not in H36M_JOINT_NAMES:
        raise ValueError(f"live figure: unknown joint {joint!r}; choose one of {list(H36M_JOINT_NAMES)}")
    presets = live_presets()
    if not 0 <= preset < len(presets):
        raise ValueError(f"live figure: preset must be 0..{len(presets) - 1}, got {preset}")
    pixels = np.asarray(presets[preset]["pixels"])
    answer = _pytorch_answer(load_shipped_model(model, "cpu", results_dir), pixels[None])[0]
    label = dict(LIVE_MODELS)[model]
    png = _static_picture(pixels, answer, f"{label}'s 3D answer, seen from the side")
    div_id = f"semgcn-live-{uuid.uuid4().hex[:10]}"
    alt = f"A 2D pose and {label}'s 3D answer seen from the side (static picture of the live figure)"
    attrs = {"id": div_id, "class": "semgcn-live", "data-model": model, "data-preset": str(preset)}
    if joint:
        attrs["data-joint"] = joint
    attr_text = " ".join(f'{k}="{html.escape(v)}"' for k, v in attrs.items())
    from .. import __version__ as version
    body = (f'<div {attr_text}><div class="semgcn-live-fallback">'
            f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}" alt="{html.escape(alt)}">'
            f'<p class="semgcn-live-note">This figure runs {html.escape(label)} in your browser with JavaScript; '
            f'without it you see this static picture of the answer for one pose.</p></div></div>')
    return LiveModelFigure(_CSS + body + "\n" + _LOADER % {"id": div_id, "dir": STATIC_DIR,
                                                          "version": html.escape(str(version))})


# ----------------------------------------------------------------------------- Sphinx extension

def _check_sources(app) -> None:
    """Fail early (before the chapters run) when a network's shipped weights are missing."""
    if getattr(app.builder, "format", None) == "html":
        _source_checksums()


def _write_site_files(app, exception) -> None:
    if exception is not None or getattr(app.builder, "format", None) != "html":
        return
    from sphinx.errors import ExtensionError
    try:
        info = write_live_files(Path(app.outdir) / "_static" / STATIC_DIR)
    except (FileNotFoundError, RuntimeError, ValueError) as err:
        raise ExtensionError(str(err)) from None
    if info["written"]:
        from sphinx.util import logging
        logging.getLogger(__name__).info(f"live figure: wrote {', '.join(info['written'])} "
                                         f"({info['bytes'] / 1e6:.1f} MB in _static/{STATIC_DIR})")


def setup(app):
    """Sphinx entry point (``_config.yml``: ``sphinx: extra_extensions: [semgcn.viz.live_model]``)."""
    app.connect("builder-inited", _check_sources)
    app.connect("build-finished", _write_site_files)
    return {"version": str(FORMAT), "parallel_read_safe": True, "parallel_write_safe": True}
