"""Plotly output that survives the static book, and the Sphinx extension behind it.

Why this exists: plotly 6+ shows figures in Jupyter through the
``application/vnd.plotly.v1+json`` mime type, which Jupyter Book (myst-nb)
does not render, and plotly's HTML renderers either inline the 4.8 MB
plotly.js into every notebook (``"notebook"``) or load it from a CDN as an ES
module together with MathJax from another CDN (``"notebook_connected"``),
which fails offline and clashes with the page's own MathJax.

:func:`set_plotly_renderer` installs the ``"semgcn"`` renderer instead.  Each
figure's output carries two representations, and every front end picks the
one it draws best:

- plotly's own JSON mime type: JupyterLab, Notebook 7 and VS Code draw it
  with the plotly.js that their plotly extension ships, so figures work with
  no network at all;
- a small HTML snippet (the figure's JSON plus a few lines of JavaScript):
  the built book (``_config.yml`` gives the JSON no priority there), Colab
  and classic Notebook.  The snippet draws with ``window.Plotly`` when the
  page has it; otherwise it loads plotly.js once per page, first from the
  book's own ``_static/plotly.min.js`` (inside a Sphinx page) and then from
  the plotly CDN (Colab, classic Notebook).  The version always matches the
  installed plotly package.

Live widgets draw their figures with :mod:`semgcn.viz.live`, which gets
plotly.js from the kernel instead.

The Sphinx extension (``sphinx: extra_extensions: [semgcn.viz.book]`` in
``_config.yml``) copies the installed plotly.js into the built site's
``_static`` folder, so the book works without network access.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid

__all__ = ["RENDERER_NAME", "figure_html", "figure_bundle", "set_plotly_renderer", "setup", "repository_url", "colab_install_cell",
           "sync_install_cells"]

RENDERER_NAME = "semgcn"
_PLOTLY_MIME = "application/vnd.plotly.v1+json"
_DEFAULT_CONFIG = {"responsive": True, "displaylogo": False}

# The modebar (plotly's toolbar) gets a strip of its own above the figure, so that it
# never covers a title, legend or subplot title, at any width (a phone included).
_MODEBAR_STRIP = 28
_STYLE = ("<style>.semgcn-plotly{margin-top:%dpx}"
          ".semgcn-plotly .modebar-container{top:-%dpx !important}</style>" % (_MODEBAR_STRIP, _MODEBAR_STRIP))

_LOADER = """<script type="text/javascript">
(function () {
  var fig = %(fig)s;
  var id = "%(id)s";
  function fit(gd) {  /* redraw at the box's width whenever it differs from the drawn one (never hidden) */
    if (fig.layout && fig.layout.width) { return; }  /* a fixed width stays */
    var drawn = gd._fullLayout && gd._fullLayout.width;
    if (drawn && gd.clientWidth > 0 && Math.abs(gd.clientWidth - drawn) > 1) { window.Plotly.Plots.resize(gd); }
  }
  function draw() {
    var gd = document.getElementById(id);
    if (!gd || !window.Plotly) { return; }
    window.Plotly.newPlot(gd, fig).then(function () {
      /* plotly follows window resizes only; the page's columns may settle after the first draw */
      if (window.ResizeObserver) { new ResizeObserver(function () { fit(gd); }).observe(gd); }
    });
  }
  if (window.Plotly) { draw(); return; }
  var queue = window.semgcnPlotlyQueue = window.semgcnPlotlyQueue || [];
  queue.push(draw);
  if (queue.length > 1) { return; }  /* plotly.js is already on its way */
  var urls = [];
  var root = document.documentElement.getAttribute("data-content_root");
  if (root !== null) { urls.push(root + "_static/plotly.min.js?v=%(version)s"); }
  urls.push("%(cdn)s");
  function next() {
    var url = urls.shift();
    if (!url) { console.error("semgcn: could not load plotly.js"); return; }
    var s = document.createElement("script");
    s.src = url;
    s.charset = "utf-8";
    s.onload = function () { queue.splice(0).forEach(function (f) { f(); }); };
    s.onerror = next;
    document.head.appendChild(s);
  }
  next();
})();
</script>"""


def _plotly_js_version() -> str:
    from plotly.offline import get_plotlyjs_version

    return get_plotlyjs_version()


def figure_html(fig, *, config: dict | None = None, div_id: str | None = None) -> str:
    """A self-contained HTML snippet drawing ``fig`` (a plotly figure or its
    dict), without plotly.js itself (see the module docstring).  The figure's
    modebar sits in a strip of its own above the figure (``_STYLE``)."""
    import plotly.io as pio

    fig_dict = fig if isinstance(fig, dict) else fig.to_plotly_json()
    div_id = div_id or f"semgcn-{uuid.uuid4().hex[:12]}"
    layout = fig_dict.get("layout", {}) or {}
    height = layout.get("height") or 450
    width = f"{layout['width']}px" if layout.get("width") else "100%"
    payload = {k: fig_dict[k] for k in ("data", "layout", "frames") if k in fig_dict}
    payload["config"] = {**_DEFAULT_CONFIG, **(config or {})}
    fig_json = pio.to_json(payload, validate=False).replace("</", "<\\/")
    version = _plotly_js_version()
    div = (f'<div id="{div_id}" class="plotly-graph-div semgcn-plotly" '
           f'style="height:{int(height)}px; width:{width};"></div>')
    return _STYLE + div + "\n" + _LOADER % {"fig": fig_json, "id": div_id, "version": version,
                                   "cdn": f"https://cdn.plot.ly/plotly-{version}.min.js"}


def figure_bundle(fig, *, config: dict | None = None, plotly_mimetype: bool = True) -> dict:
    """The output of the ``"semgcn"`` renderer for ``fig`` (a plotly figure or
    its dict): ``text/html`` (:func:`figure_html`) and, unless
    ``plotly_mimetype`` is false, plotly's JSON mime type with the same
    figure, frames and config."""
    fig_dict = fig if isinstance(fig, dict) else fig.to_plotly_json()
    bundle = {"text/html": figure_html(fig_dict, config=config)}
    if plotly_mimetype:
        bundle[_PLOTLY_MIME] = json.loads(_to_json(fig_dict))
        bundle[_PLOTLY_MIME]["config"] = {**_DEFAULT_CONFIG, **(config or {})}
    return bundle


def _renderer_class():
    from plotly.io._base_renderers import MimetypeRenderer

    class SemgcnRenderer(MimetypeRenderer):
        """Both the HTML snippet (the built book, Colab, classic Notebook) and
        plotly's own JSON mime type (JupyterLab, Notebook 7 and VS Code draw
        it with the plotly.js they ship: offline, and also in a notebook
        reopened untrusted).  Each front end picks the one it renders best;
        the book's ``_config.yml`` gives the JSON no priority, so the book
        uses the HTML."""

        def __init__(self, config=None, plotly_mimetype=True):
            self.config = dict(config or {})
            self.plotly_mimetype = plotly_mimetype

        def to_mimebundle(self, fig_dict):
            return figure_bundle(fig_dict, config=self.config, plotly_mimetype=self.plotly_mimetype)

    return SemgcnRenderer


def _to_json(fig_dict) -> str:
    import plotly.io as pio

    return pio.to_json(fig_dict, validate=False)


def set_plotly_renderer(name: str | None = None) -> str:
    """Make plotly figures display in Jupyter, Colab *and* the built book.

    Registers the ``"semgcn"`` renderer and makes it the default (what
    ``fig.show()`` and a figure as a cell's last expression use).  ``name``
    picks another plotly renderer instead (e.g. ``"notebook"``); the
    ``SEMGCN_PLOTLY_RENDERER`` environment variable overrides both.  Returns
    the renderer now in use.  Every chapter calls this in its first cells.
    """
    import plotly.io as pio

    if RENDERER_NAME not in pio.renderers:
        pio.renderers[RENDERER_NAME] = _renderer_class()()
    chosen = os.environ.get("SEMGCN_PLOTLY_RENDERER") or name or RENDERER_NAME
    pio.renderers.default = chosen
    return chosen


# --- Sphinx extension -------------------------------------------------------

def _copy_plotly_js(app, exception) -> None:
    if exception is not None or getattr(app.builder, "format", None) != "html":
        return
    from plotly.offline import get_plotlyjs

    static = os.path.join(app.builder.outdir, "_static")
    os.makedirs(static, exist_ok=True)
    target = os.path.join(static, "plotly.min.js")
    js = get_plotlyjs()
    if os.path.exists(target):
        with open(target, encoding="utf-8") as f:
            if f.read() == js:
                return
    with open(target, "w", encoding="utf-8") as f:
        f.write(js)


def _copy_favicon(app, exception) -> None:
    """Serve the book's icon at the site root too: a page without an icon link
    (the root ``index.html`` is only a redirect) makes the browser ask for
    ``/favicon.ico``, and a 404 there is a console error."""
    icon = getattr(app.config, "html_favicon", None)
    if exception is not None or getattr(app.builder, "format", None) != "html" or not icon or "://" in icon:
        return
    source = os.path.join(app.srcdir, icon)
    if os.path.isfile(source):
        shutil.copyfile(source, os.path.join(app.builder.outdir, "favicon.ico"))


def _mathjax_dir() -> str | None:
    """The MathJax 3 ``es5`` folder of the ``django-static-mathjax`` package
    (a plain copy of the MathJax distribution), or ``None`` when not installed."""
    try:
        import mathjax  # provided by django-static-mathjax; no Django needed to read its files
    except ImportError:
        return None
    folder = os.path.join(os.path.dirname(mathjax.__file__), "static", "mathjax", "es5")
    return folder if os.path.isfile(os.path.join(folder, "tex-chtml.js")) else None


def _use_local_mathjax(app, config) -> None:
    """Serve MathJax from the site itself (works offline) when it is installed;
    otherwise Sphinx's default CDN copy is used."""
    if _mathjax_dir():
        config.mathjax_path = "mathjax/tex-chtml.js"  # relative to _static/


def _copy_mathjax(app, exception) -> None:
    source = _mathjax_dir()
    if exception is not None or source is None or getattr(app.builder, "format", None) != "html":
        return
    import shutil

    target = os.path.join(app.builder.outdir, "_static", "mathjax")
    if not os.path.isfile(os.path.join(target, "tex-chtml.js")):
        shutil.copytree(source, target, dirs_exist_ok=True)


def _dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    """Drop repeated ``<script>`` entries from a page.

    With Sphinx 7.4, inline scripts that extensions add after the builder
    starts (sphinx-thebe's ``const THEBE_JS_URL = ...``, sphinx-togglebutton's
    selector) are emitted twice (once with ``filename=None``, once with
    ``""``), and the second ``const`` declaration is a JavaScript error on
    every page."""
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen, kept = set(), []
    for js in scripts:
        attrs = getattr(js, "attributes", {}) or {}
        key = (getattr(js, "filename", js) or "", tuple(sorted((k, str(v)) for k, v in attrs.items())))
        if key not in seen:
            seen.add(key)
            kept.append(js)
    if len(kept) != len(scripts):
        context["script_files"] = kept


# ----------------------------------------------------------------------------- the Colab install cell

_INSTALL_CELL = """# Setup: install the package on Colab; use the GPU when there is one.
import subprocess
import sys

PACKAGE = "semgcn[viz] @ git+%(url)s"
if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", PACKAGE],
                   check=True)

import torch

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(f"PyTorch {torch.__version__}, running on {device}")"""


def repository_url(config_path="_config.yml") -> str:
    """``repository.url`` of the book's ``_config.yml``: the one place the repository's address is written."""
    import yaml  # a dependency of Jupyter Book
    with open(config_path) as f:
        url = (yaml.safe_load(f) or {}).get("repository", {}).get("url")
    if not isinstance(url, str) or not url.startswith("https://"):
        raise ValueError(f"{config_path}: repository.url must be an https:// address, got {url!r}")
    return url.rstrip("/")


def colab_install_cell(url: str) -> str:
    """The first code cell of every chapter: on Colab it installs ``semgcn[viz]`` from ``url``."""
    return _INSTALL_CELL % {"url": url}


def sync_install_cells(book_dir="book", config_path="_config.yml", write: bool = False) -> list:
    """Notebooks of ``book_dir`` whose first code cell is not the install cell for
    the repository of ``config_path``; with ``write`` those cells are replaced
    (a notebook without one gets it inserted before its first code cell).
    ``make install-cells`` runs this with ``write=True``."""
    from pathlib import Path
    cell = colab_install_cell(repository_url(config_path))
    stale = []
    for path in sorted(Path(book_dir).glob("*.ipynb")):
        nb = json.loads(path.read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        if code and "".join(code[0]["source"]) == cell:
            continue
        stale.append(path)
        if write:
            new = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                   "source": cell.splitlines(keepends=True)}
            if code and "google.colab" in "".join(code[0]["source"]):
                code[0]["source"] = new["source"]
            else:
                at = nb["cells"].index(code[0]) if code else len(nb["cells"])
                if "id" in (nb["cells"][0] if nb["cells"] else {}):
                    new["id"] = uuid.uuid4().hex[:8]
                nb["cells"].insert(at, new)
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return stale


#: Printed output wraps at the text column instead of scrolling sideways (the
#: book's "page fits" rule); code keeps its lines.  A long inline code span (a
#: run name, a command) may break at its hyphens and spaces, so a table or a
#: line of text fits a phone (Sphinx keeps span.pre on one line otherwise).
_BOOK_CSS = """/* semgcn.viz.book */
div.cell_output pre, div.output pre { white-space: pre-wrap; overflow-wrap: anywhere; }
code.literal, code.literal span.pre { white-space: normal; }
"""


def _write_book_css(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    from pathlib import Path
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    (static / "semgcn-book.css").write_text(_BOOK_CSS)


class _PlotlyJsonIsNotLost:
    """A logging filter: myst-nb warns about every output mime type it cannot
    render, before it picks the one it shows.  The plotly JSON next to each
    figure's HTML (:func:`figure_bundle`) is such a type, and it loses
    nothing: the HTML is shown.  Only that warning is dropped; an output with
    nothing renderable is still reported (and fails ``tests/site_check.py``)."""

    def filter(self, record) -> bool:
        return f"unknown output mime type: {_PLOTLY_MIME}" not in record.getMessage()


def setup(app):
    """Sphinx entry point: ship the installed plotly.js and MathJax with the
    built site, so it works offline (and remove duplicated inline scripts, see
    :func:`_dedupe_scripts`)."""
    app.connect("build-finished", _copy_plotly_js)
    app.connect("config-inited", _use_local_mathjax)
    app.connect("build-finished", _copy_mathjax)
    app.connect("build-finished", _copy_favicon)
    app.connect("build-finished", _write_book_css)
    app.add_css_file("semgcn-book.css")
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    import logging

    for handler in logging.getLogger("sphinx").handlers:
        if not any(isinstance(f, _PlotlyJsonIsNotLost) for f in handler.filters):
            handler.addFilter(_PlotlyJsonIsNotLost())
    return {"version": _plotly_js_version(), "parallel_read_safe": True, "parallel_write_safe": True}
