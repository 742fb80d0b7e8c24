"""One plotly figure that a live widget redraws in place (chapters 1, 2, 4, 5, 10).

:func:`live_figure` returns an `anywidget <https://anywidget.dev>`_ widget
holding one plotly figure.  Assigning a new figure (:meth:`update`) sends its
JSON to the browser, which redraws the same plot with ``Plotly.react``: one
WebGL context per 3D view for the widget's whole life (a new plot per update
would open a new context each time, and Chromium drops the oldest after
about 16), and the camera a reader has rotated stays where it is
(``layout.uirevision``).  The figure takes the width of the output area and
follows it when the window is resized.

plotly.js itself comes from the kernel, not from a CDN: the first live
figure on a page that has no ``window.Plotly`` asks Python for the installed
plotly.js (one message, once per page), so the widgets work offline, in
JupyterLab, Notebook 7, VS Code and Colab alike.

:func:`live_box` is how the explorers of :mod:`~semgcn.viz.widgets` show
themselves: the live widget followed by its static fallback figure, which a
notebook reopened without a kernel (or the built book) shows instead.
"""
from __future__ import annotations

import json
import sys
import uuid

__all__ = ["live_figure", "live_box", "figure_json", "has_live_figures", "STATIC_META_KEY"]

STATIC_META_KEY = "semgcn_static"

_ESM = r"""
const KEY = "__semgcnPlotly";

function loadPlotly(model) {
  if (window.Plotly) { return Promise.resolve(window.Plotly); }
  if (!window[KEY]) {
    window[KEY] = new Promise((resolve, reject) => {
      const onMessage = (msg, buffers) => {
        if (!msg || msg.type !== "plotly-js") { return; }
        model.off("msg:custom", onMessage);
        const source = new TextDecoder().decode(buffers[0]);
        const amd = window.define;  // a page with require.js: make plotly.js set window.Plotly
        window.define = undefined;
        const script = document.createElement("script");
        script.textContent = source;
        document.head.appendChild(script);
        window.define = amd;
        if (window.Plotly) { resolve(window.Plotly); }
        else { reject(new Error("semgcn: plotly.js sent by the kernel did not load")); }
      };
      model.on("msg:custom", onMessage);
      model.send({ type: "need-plotly" });
    });
  }
  return window[KEY];
}

// The static fallback figure of the same output (see semgcn.viz.live.live_box) is not
// needed while the widget is live.  JupyterLab and Notebook hide it at once with CSS
// (_LIVE_CSS); here it is found by the key in its layout.meta (VS Code included), hidden,
// and purged once drawn, so that its 3D scene gives its WebGL context back (Chromium keeps
// about 16) and a hidden plot is never asked to resize.
// Plotly.purge, then give the plot's WebGL contexts back at once (not at the next garbage
// collection): the plot is gone, so nothing redraws on a lost context.
function release(Plotly, gd) {
  const canvases = Array.from(gd.querySelectorAll("canvas"));
  Plotly.purge(gd);
  canvases.forEach((c) => {
    const gl = c.getContext("webgl2") || c.getContext("webgl");
    const lose = gl && gl.getExtension("WEBGL_lose_context");
    if (lose) { lose.loseContext(); }
  });
}

function retireStatic(Plotly, key) {
  let tries = 0;
  const look = () => {
    let done = false;
    document.querySelectorAll(".js-plotly-plot").forEach((gd) => {
      const meta = gd.layout && gd.layout.meta;
      if (!meta || meta.__KEY__ !== key) { return; }
      gd.style.display = "none";
      if (gd.querySelector(".main-svg")) { release(Plotly, gd); done = true; }
    });
    if (!done && ++tries < 120) { setTimeout(look, 500); }  // it may be drawn after the widget
  };
  look();
}

function render({ model, el }) {
  const gd = document.createElement("div");
  gd.className = "semgcn-explorer-figure";
  el.classList.add("semgcn-explorer-host");
  el.appendChild(gd);
  let Plotly = null, busy = false, again = false, renders = 0;

  async function draw() {
    if (!Plotly) { return; }
    if (busy) { again = true; return; }  // only the latest figure is drawn
    busy = true;
    try {
      do {
        again = false;
        const fig = model.get("figure") || {};
        const layout = Object.assign({}, fig.layout || {});
        delete layout.width;  // the output area decides
        layout.autosize = true;
        const t0 = performance.now();
        await Plotly.react(gd, fig.data || [], layout, model.get("config") || {});
        renders += 1;
        el.dataset.renders = String(renders);  // for tests/live_widget_check.py
        el.dataset.drawMs = String(Math.round(performance.now() - t0));
      } while (again);
    } catch (err) {
      console.error("semgcn: could not draw the figure", err);
    } finally {
      busy = false;
    }
  }

  const resize = new ResizeObserver(() => {
    if (Plotly && gd._fullLayout && gd.clientWidth > 0) { Plotly.Plots.resize(gd); }
  });
  model.on("change:figure", draw);
  loadPlotly(model).then((P) => {
    Plotly = P;
    resize.observe(el);
    draw();
    const key = model.get("static_key");
    if (key) { retireStatic(Plotly, key); }
  }).catch((err) => {
    gd.textContent = String(err);
    console.error(err);
  });
  return () => {
    model.off("change:figure", draw);
    resize.disconnect();
    if (Plotly) { release(Plotly, gd); }
  };
}

export default { render };
""".replace("__KEY__", STATIC_META_KEY)

# While a live explorer is on the page, the static figure right after it (its fallback,
# see live_box) is hidden at once; JupyterLab / Notebook 7 and classic Notebook markup.
_LIVE_CSS = """
.semgcn-explorer-host { width: 100%; min-width: 0; }
.semgcn-explorer-figure { width: 100%; }
.jp-OutputArea-child:has(.semgcn-explorer) + .jp-OutputArea-child { display: none; }
.output_area:has(.semgcn-explorer) + .output_area { display: none; }
"""

# Shown before an explorer's output (an invisible style element): in a notebook reopened
# without its kernel, JupyterLab cannot find the widget's model and writes "Error displaying
# widget: model not found" in its place (an output node that then has the class
# jupyter-widgets itself; a live widget's node never has it).  The static figure after it
# tells the same story, so that line is hidden, only in this cell's output area.  Two rules:
# a browser without :has() drops a rule, not the page.
_REOPEN_CSS = ('<style class="semgcn-explorer-reopen">'
               ".jp-OutputArea:has(.semgcn-explorer-reopen) .jp-OutputArea-child:has(.semgcn-explorer-reopen)"
               " { display: none; }\n"
               ".jp-OutputArea:has(.semgcn-explorer-reopen) .jp-OutputArea-child:has("
               "> .jp-OutputArea-output.jupyter-widgets) { display: none; }"
               "</style>")

_PLOTLY_JS: bytes | None = None
_CLASS = None


def _plotly_js() -> bytes:
    global _PLOTLY_JS
    if _PLOTLY_JS is None:
        from plotly.offline import get_plotlyjs

        _PLOTLY_JS = get_plotlyjs().encode("utf-8")
    return _PLOTLY_JS


def figure_json(fig) -> dict:
    """``{"data", "layout"}`` of a plotly figure as JSON-ready Python objects
    (numpy arrays become plotly's compact typed-array form)."""
    import plotly.io as pio

    d = json.loads(pio.to_json(fig, validate=False))
    return {"data": d.get("data", []), "layout": d.get("layout", {})}


def _live_class():
    global _CLASS
    if _CLASS is None:
        import anywidget
        import traitlets

        class LiveFigure(anywidget.AnyWidget):
            """One plotly figure, redrawn in place in the browser (see the module docstring)."""

            _esm = _ESM
            _css = _LIVE_CSS
            figure = traitlets.Dict().tag(sync=True)
            config = traitlets.Dict().tag(sync=True)
            static_key = traitlets.Unicode("").tag(sync=True)

            def __init__(self, fig=None, **kwargs):
                super().__init__(**kwargs)
                self.on_msg(self._reply)
                if fig is not None:
                    self.update(fig)

            def update(self, fig) -> None:
                """Show ``fig`` (a plotly figure or its dict) instead of the current figure."""
                d = fig if isinstance(fig, dict) and "data" in fig and not hasattr(fig, "to_plotly_json") \
                    else figure_json(fig)
                layout = dict(d.get("layout", {}))
                layout.setdefault("uirevision", "semgcn")  # keep the reader's camera and zoom
                self.figure = {"data": d.get("data", []), "layout": layout}

            def _reply(self, _widget, content, _buffers):
                if isinstance(content, dict) and content.get("type") == "need-plotly":
                    self.send({"type": "plotly-js"}, buffers=[_plotly_js()])

        _CLASS = LiveFigure
    return _CLASS


def live_figure(fig=None, *, config: dict | None = None, **kwargs):
    """A widget showing the plotly figure ``fig``; ``widget.update(new_fig)``
    redraws it in place.  Needs ``anywidget`` (``pip install semgcn[viz]``)."""
    from .book import _DEFAULT_CONFIG

    return _live_class()(fig, config={**_DEFAULT_CONFIG, **(config or {})}, **kwargs)


def has_live_figures() -> bool:
    """True when ``anywidget`` (the live figures' front end) is installed."""
    try:
        import anywidget  # noqa: F401
    except ImportError:
        return False
    return True


def _in_colab() -> bool:
    return "google.colab" in sys.modules


_BOX_CLASS = None


def live_box(children, build_static, first_figure=None, **kwargs):
    """An ipywidgets ``VBox`` of ``children`` that displays as the live
    explorer followed by its static fallback (``build_static()``, a plotly
    figure, built on first display; also ``box.static_figure``).

    The display is three outputs: an invisible style element, the widget, and
    the static figure as HTML (the built book) and as plotly's own JSON
    (JupyterLab, VS Code: drawn offline, with or without a kernel).  While the
    widget is live the static figure is hidden (by CSS in JupyterLab and
    Notebook; elsewhere ``first_figure``, a :func:`live_figure` among the
    children, finds it through a key in its layout's ``meta``); in a notebook reopened without a
    kernel it is what the reader sees.  On Colab, whose outputs cannot see
    each other, only the widget is shown.
    """
    global _BOX_CLASS
    if _BOX_CLASS is None:
        import ipywidgets as W

        class LiveBox(W.VBox):
            """VBox + its static fallback figure (see :func:`live_box`)."""

            def __init__(self, children, build_static, first_figure=None, **kwargs):
                super().__init__(children, **kwargs)
                self._build_static = build_static
                self._static = None
                self._key = uuid.uuid4().hex[:12]
                self.add_class("semgcn-explorer")
                if first_figure is not None:
                    first_figure.static_key = self._key

            @property
            def static_figure(self):
                if self._static is None:
                    self._static = self._build_static()
                    self._static.update_layout(meta={STATIC_META_KEY: self._key})
                return self._static

            def _ipython_display_(self):
                from IPython.display import display

                from .book import figure_bundle

                widget = self._repr_mimebundle_() or {}
                if _in_colab():
                    display(widget, raw=True)
                    return
                fig = self.static_figure
                display({"text/html": _REOPEN_CSS, "text/plain": ""}, raw=True)
                display({**widget, "text/html": "", "text/plain": ""}, raw=True)
                display({**figure_bundle(fig), "text/plain": "(a static copy of the live explorer above)"},
                        raw=True)

        _BOX_CLASS = LiveBox
    return _BOX_CLASS(children, build_static, first_figure, **kwargs)
