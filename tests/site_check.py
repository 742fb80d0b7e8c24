"""Check the built book (``_build/html``) the way a reader sees it.

    python tests/site_check.py _build/html [--widths 1400 390] [--screenshots DIR]
                               [--known-problems FILE | --no-known-problems]
                               [--write-known-problems FILE] [--pages GLOB ...] [--reload]

Exits 0 when the site is sound, 1 with a readable report otherwise: one line
per problem, ``FAIL <page> @<width>px [<check>]: <element> ... <what is wrong>``.
Checks (the name in brackets is what a known-problems entry refers to):

1. **Links** ``[links]`` (no browser): every ``<a href>``, ``<img src>``,
   ``<script src>`` and ``<link href>`` that points inside the site names a
   file that exists, and every ``#anchor`` on an internal page exists there.
2. **Executed notebooks** ``[notebook]`` (``_build/jupyter_execute``): no
   output that the book drops, i.e. a plotly figure without HTML (the chapter
   forgot ``semgcn.viz.set_plotly_renderer()``) or a widget without a static
   fallback.
3. **Pages in a browser** (headless Chromium through selenium, the site
   served on 127.0.0.1), at the first width: no SEVERE console message
   ``[console]``, every plotly figure drawn ``[figure]`` (``.js-plotly-plot``
   with an ``svg.main-svg``; 3D scenes with their WebGL canvas and no "WebGL
   is not supported" message, every slider step's animation frame present),
   every image loaded ``[image]``, no widget placeholder left empty and no
   widget printed as text ``[widget]``.
4. **Layout**, at every width (default 1400 px and a 390 px phone, emulated
   as a mobile device), inside the content column (``article.bd-article``),
   after unfolding what a reader can unfold (``<details>``, toggled blocks).
   Each page is loaded once at the first width and the window is then
   narrowed (the figures redraw at the new width); ``--reload`` loads it
   afresh at each width instead (slower; the same findings on the book).

   - ``[overflow]`` an element or a run of text that reaches past the
     content column (or past an ancestor that clips it, ``overflow: hidden``)
     with no scroll box of its own, i.e. no ``overflow-x: auto/scroll`` on
     itself or on an ancestor inside the column: content cut off or spilling
     out of the text column; also a page that scrolls sideways as a whole.
   - ``[scroll]`` at desktop widths (>= 1000 px) only: a table, printed
     output or equation whose content is wider than its own scroll box, so
     that the reader must scroll sideways on a desktop (the design rule:
     split or transpose wide tables, shorten long prints).  On a phone a
     scroll box of its own is the accepted way to show a wide table.
   - ``[code-scroll]`` the same for a code cell's source or a code block in
     the prose (a code line longer than the column at desktop width).
   - ``[figure-width]`` a figure (``img``, ``svg``, ``canvas``, ``iframe``,
     ``video`` or a plotly figure) wider than the content column, scroll box
     or not.
   - ``[tex]`` rendered text (outside ``pre``/``code`` and typeset math) that
     still contains TeX: a ``$``, a control word such as ``\\frac`` or
     ``\\mathbf``, ``\\(``, ``\\[`` or ``_{``/``^{``.
   - ``[math]`` a MathJax error (``mjx-merror``, ``[data-mjx-error]``, "Math
     Processing Error"), or math that MathJax did not typeset.
   - ``[plotly-overlap]`` in a plotly figure, two of its title, modebar,
     legend, sliders, update menus, colorbars, annotations (subplot titles)
     and axis titles overlap (a slider or menu by its drawn parts: rail,
     grip, labels, buttons), or one of these is cut off at the figure's edge
     (plotly itself thins out slider step labels that would collide).

5. **Live figures** ``[live-model]`` (``semgcn.viz.live_model``, chapters 1 and 12), on pages that
   have one, at the first width: the figure starts (no static fallback left, both canvases drawn);
   a mouse drag and a touch drag of a joint (real input events) move the joint and change the 3D
   answer; a drag on the 3D view turns it; for each network, the page's answers to the 20 inputs of
   ``_static/semgcn-live/testvectors.json`` equal PyTorch's there within 1e-4 m; a figure whose
   files cannot be loaded falls back to its static picture with a note; the exported networks
   match the shipped weights (``check_live_files``).  The time per update during a drag (forward
   pass and drawing, median) is reported as a note.

Known problems: ``tests/site_known_problems.json`` (the default
``--known-problems`` file) lists ``{"page", "width", "check"}`` entries
(``width`` null: every width) that are reported as ``known`` but do not fail
the check, so that CI stays green while chapters are being fixed; any other
problem fails.  An entry that no longer matches anything is reported as a
note: delete it.  ``--write-known-problems FILE`` writes today's problems in
that format (review it before committing); ``--no-known-problems`` shows
everything as a failure.

``--screenshots DIR`` saves one full-page PNG per page and width
(``book__01_pose_as_graph@390.png``) with every element that a layout check
flagged outlined in red, for a human look; never commit them.

Needs ``pip install selenium`` and Debian's ``chromium`` and
``chromium-driver`` (``CHROME_BIN`` / ``CHROMEDRIVER`` override the paths).
Requests leaving 127.0.0.1 are listed as notes: the book must not need them.
"""
from __future__ import annotations

import argparse
import base64
import fnmatch
import functools
import html.parser
import http.server
import json
import os
import re
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

SKIP_SCHEMES = ("http:", "https:", "mailto:", "javascript:", "data:", "tel:", "ftp:")
# Output types myst-nb renders for HTML (with widget views dropped by _config.yml).
RENDERABLE = ("text/html", "image/png", "image/jpeg", "image/svg+xml", "image/gif", "text/markdown",
              "text/latex", "application/javascript", "text/plain")
WIDGET_REPR = re.compile(r"^\s*(VBox|HBox|Box|GridBox|FallbackBox|IntSlider|FloatSlider|IntRangeSlider|"
                         r"FloatRangeSlider|Dropdown|SelectMultiple|Select|ToggleButtons|RadioButtons|Output|"
                         r"Tab|Accordion|interactive|Button|Checkbox|Play|HTML|Label|Text|Textarea)\(")
WIDTHS = (1400, 390)          # desktop, phone (CSS pixels)
DESKTOP_MIN_WIDTH = 1000      # from this width on, content that needs a sideways scroll is a problem
DEFAULT_KNOWN_PROBLEMS = Path(__file__).resolve().parent / "site_known_problems.json"
MAX_PER_CHECK = 8             # problems listed per page, width and check (the rest are counted)


@dataclass
class Problem:
    page: str
    what: str
    check: str = "site"
    width: int | None = None
    known: bool = False

    @property
    def where(self) -> str:
        return self.page if self.width is None else f"{self.page} @{self.width}px"

    def line(self) -> str:
        return f"{self.where} [{self.check}]: {self.what}"


@dataclass
class Report:
    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    pages: int = 0
    figures: int = 0

    def fail(self, where: str, what: str, check: str = "site", width: int | None = None) -> None:
        self.problems.append(Problem(where, what, check, width))

    def note(self, where: str, what: str) -> None:
        self.notes.append((where, what))

    @property
    def failures(self) -> list:
        """``(where, what)`` of every problem not listed as known."""
        return [(p.where, p.what) for p in self.problems if not p.known]

    @property
    def known(self) -> list:
        return [p for p in self.problems if p.known]

    @property
    def ok(self) -> bool:
        return not self.failures

    def apply_known(self, entries: list, source: str = "known problems") -> None:
        """Mark the problems matching ``entries`` (``{"page", "width", "check"}``) as known and note
        the entries that match nothing (fixed: remove them)."""
        for entry in entries:
            hits = [p for p in self.problems
                    if p.page == entry.get("page") and p.check == entry.get("check")
                    and entry.get("width") in (None, p.width)]
            for p in hits:
                p.known = True
            if not hits:
                width = "" if entry.get("width") is None else f" @{entry['width']}px"
                self.note(source, f"no longer found: {entry.get('page')}{width} [{entry.get('check')}] "
                                  "(fixed? remove the entry)")

    def known_entries(self) -> list:
        """Today's problems as known-problems entries (one per page, width and check)."""
        keys = sorted({(p.page, p.width if p.width is not None else -1, p.check) for p in self.problems})
        return [{"page": page, "width": None if width == -1 else width, "check": check}
                for page, width, check in keys]

    def text(self) -> str:
        failing = [p for p in self.problems if not p.known]
        lines = [f"site check: {self.pages} pages, {self.figures} plotly figures, "
                 f"{len(failing)} problem(s)" + (f", {len(self.known)} known" if self.known else "")]
        lines += [f"  FAIL {p.line()}" for p in failing]
        groups: dict = {}  # known problems, one line per page, width and check
        for p in self.known:
            groups.setdefault((p.where, p.check), []).append(p)
        for (where, check), known in groups.items():
            more = f" (and {len(known) - 1} more)" if len(known) > 1 else ""
            lines.append(f"  known {where} [{check}]: {known[0].what}{more}")
        for where, what in self.notes:
            lines.append(f"  note {where}: {what}")
        return "\n".join(lines)


KNOWN_PROBLEMS_ABOUT = (
    "Problems of the built book that tests/site_check.py reports as 'known' without failing, so that CI "
    "stays green while the chapters are fixed; any other problem fails. One entry per page, width (null: "
    "any) and check (see the docstring of tests/site_check.py). Delete an entry once its page is fixed "
    "(the check notes entries that no longer match). Regenerate, then review the difference: "
    ".venv/bin/python tests/site_check.py _build/html --no-known-problems "
    "--write-known-problems tests/site_known_problems.json")


def write_known_problems(path, entries: list) -> None:
    """Write ``entries`` as a known-problems file, one entry per line."""
    lines = ",\n".join("  " + json.dumps(e) for e in entries)
    Path(path).write_text('{\n "about": ' + json.dumps(KNOWN_PROBLEMS_ABOUT) + ',\n "problems": [\n'
                          + lines + "\n ]\n}\n", encoding="utf-8")


def load_known_problems(path) -> list:
    """The entries of a known-problems file (see the module docstring)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    entries = data.get("problems", []) if isinstance(data, dict) else data
    for entry in entries:
        if not isinstance(entry, dict) or not {"page", "check"} <= set(entry):
            raise ValueError(f"{path}: each entry needs 'page' and 'check' (and 'width', null for any): {entry!r}")
    return entries


# --- 1. links -----------------------------------------------------------------

class _LinkParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list = []  # (tag, attribute, value)
        self.ids: set = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key):
                self.ids.add(a[key])
        for tag_name, attr in (("a", "href"), ("img", "src"), ("script", "src"), ("link", "href"),
                               ("source", "src"), ("iframe", "src")):
            if tag == tag_name and a.get(attr):
                if tag == "link" and a.get("rel") and not set(a["rel"].split()) & {"stylesheet", "icon",
                                                                                    "prev", "next", "index",
                                                                                    "search", "preload"}:
                    continue
                self.links.append((tag, attr, a[attr]))


def html_pages(root: Path) -> list:
    """Every HTML page of the site, sources and static files excluded."""
    return sorted(p for p in root.rglob("*.html")
                  if not any(part in ("_sources", "_static", "_images") for part in p.relative_to(root).parts))


@functools.lru_cache(maxsize=None)
def _parse(path: Path) -> _LinkParser:
    parser = _LinkParser()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


def check_links(root: Path, report: Report) -> None:
    root = root.resolve()
    for page in html_pages(root):
        rel = page.relative_to(root)
        for tag, attr, value in _parse(page).links:
            if value.startswith(SKIP_SCHEMES) or value.startswith("//"):
                continue
            parts = urlsplit(value)
            if parts.scheme:
                continue
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if parts.path.endswith("/") or target.is_dir():
                target = target / "index.html"
            try:
                target.relative_to(root)
            except ValueError:
                report.fail(str(rel), f"<{tag} {attr}={value!r}> points outside the site", check="links")
                continue
            if not target.exists():
                report.fail(str(rel), f"broken link <{tag} {attr}={value!r}>: {target.relative_to(root)} "
                                      "does not exist", check="links")
                continue
            frag = unquote(parts.fragment)
            if tag == "a" and frag and target.suffix == ".html" and frag not in _parse(target).ids:
                report.fail(str(rel), f"broken anchor <a href={value!r}>: no id {frag!r} in "
                                      f"{target.relative_to(root)}", check="links")


# --- 2. executed notebooks ----------------------------------------------------

def _text(value) -> str:
    """A notebook's multi-line string field (a str or a list of lines) as one string."""
    return "".join(value) if isinstance(value, list) else str(value)


def check_notebooks(root: Path, report: Report) -> None:
    executed = root.resolve().parent / "jupyter_execute"
    for nb_path in sorted(executed.rglob("*.ipynb")) if executed.is_dir() else []:
        rel = nb_path.relative_to(executed)
        try:
            nb = json.loads(nb_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            report.fail(str(rel), f"cannot read the executed notebook: {err}", check="notebook")
            continue
        for c, cell in enumerate(nb.get("cells", [])):
            for out in cell.get("outputs", []):
                data = out.get("data") or {}
                if out.get("output_type") not in ("display_data", "execute_result") or not data:
                    continue
                where = f"{rel} cell {c}"
                if "application/vnd.plotly.v1+json" in data and "text/html" not in data:
                    report.fail(where, "plotly figure without HTML output: the book drops it "
                                       "(call semgcn.viz.set_plotly_renderer() at the top of the chapter)",
                                check="notebook")
                elif "application/vnd.jupyter.widget-view+json" in data and "text/html" not in data:
                    report.fail(where, "ipywidget without a static fallback: the book shows only "
                                       f"{_text(data.get('text/plain', ''))[:60]!r} (use semgcn.viz widgets, "
                                       "which carry a static figure)", check="notebook")
                elif not any(m in data for m in RENDERABLE):
                    report.fail(where, f"output with no type the book renders: {sorted(data)}", check="notebook")


# --- 3. browser ---------------------------------------------------------------

def find_browser() -> tuple:
    """``(chromium, chromedriver)`` paths, or ``(None, None)``."""
    chrome = os.environ.get("CHROME_BIN") or next(
        (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    driver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
    if driver is None and os.path.exists("/usr/bin/chromedriver"):
        driver = "/usr/bin/chromedriver"
    return (chrome, driver) if chrome and driver else (None, None)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(root: Path):
    """Serve ``root`` on 127.0.0.1 (a free port) in a daemon thread; returns the server."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# Runs in the page: the state of every figure, image and widget output.
_INSPECT_JS = r"""
const figs = Array.from(document.querySelectorAll('.plotly-graph-div')).map(gd => {
  const scenes = gd._fullLayout ? Object.keys(gd._fullLayout).filter(k => /^scene\d*$/.test(k)).length : 0;
  return {
    id: gd.id,
    drawn: gd.classList.contains('js-plotly-plot') && !!gd.querySelector('svg.main-svg'),
    scenes: scenes,
    canvases: gd.querySelectorAll('canvas').length,
    nowebgl: /WebGL is not supported/i.test(gd.textContent || ''),
    // animation slider steps whose frame is missing (the slider would do nothing)
    missingFrames: (gd.layout && gd.layout.sliders || []).flatMap(sl => (sl.steps || [])
      .filter(st => st.method === 'animate' && Array.isArray(st.args) && Array.isArray(st.args[0]))
      .flatMap(st => st.args[0].filter(name => name !== null &&
        !(gd._transitionData && gd._transitionData._frameHash && name in gd._transitionData._frameHash)))),
  };
});
const imgs = Array.from(document.images).map(i => ({src: i.currentSrc || i.src,
  ok: i.complete && i.naturalWidth > 0}));
const widgetViews = Array.from(document.querySelectorAll(
  'script[type="application/vnd.jupyter.widget-view+json"]')).map(s => {
  const host = s.parentElement;
  return {rendered: !!(host && host.querySelector('.jupyter-widgets, .widget-area, .lm-Widget'))};
});
const texts = Array.from(document.querySelectorAll('.cell_output pre, .output pre')).map(p => p.textContent);
const external = performance.getEntriesByType('resource').map(r => r.name)
  .filter(u => !u.startsWith(location.origin) && !u.startsWith('data:'));
return {figs, imgs, widgetViews, texts, external, ready: document.readyState};
"""

# Runs in the page while it loads: are the figures drawn and the equations typeset?
_READY_JS = r"""
const divs = Array.from(document.querySelectorAll('.plotly-graph-div'));
const math = Array.from(document.querySelectorAll('.math'));
const mj = window.MathJax;
if (mj && mj.startup && mj.startup.promise && !window.__siteCheckMathJax) {
  window.__siteCheckMathJax = 'pending';
  mj.startup.promise.then(() => { window.__siteCheckMathJax = 'done'; },
                          () => { window.__siteCheckMathJax = 'failed'; });
}
return {
  mathjaxDone: ['done', 'failed'].includes(window.__siteCheckMathJax),
  complete: document.readyState === 'complete',
  figures: divs.every(gd => gd.classList.contains('js-plotly-plot') && gd.querySelector('svg.main-svg')),
  math: math.length,
  typeset: math.filter(m => m.querySelector('mjx-container, mjx-merror, .MathJax, .MathJax_Error')).length,
  mathjax: !!(mj && (mj.startup || mj.Hub)),
};
"""

# Runs in the page: the layout checks (see the module docstring).  Returns
# {problems: [{check, what}], width, marked} and marks every flagged element
# with a data-site-check attribute (outlined in the screenshots).
_LAYOUT_JS = r"""
const desktop = arguments[0], TOL = 1.5, MAX = arguments[1];
const problems = [];
document.querySelectorAll('[data-site-check]').forEach(el => el.removeAttribute('data-site-check'));
const col = document.querySelector('article.bd-article') || document.querySelector('article')
  || document.querySelector('[role="main"]') || document.querySelector('main') || document.body;
// Content meant to leave the text column, and things no reader sees.
const EXEMPT = '.margin, .sidebar, .full-width, .tag_margin, .tag_full-width, .tag_popout, script, style, ' +
  'noscript, template, .visually-hidden, .sr-only, mjx-assistive-mml';
const css = el => getComputedStyle(el);
const clean = s => (s || '').replace(/\s+/g, ' ').trim();
const short = (s, n) => { s = clean(s); return s.length > n ? s.slice(0, n - 1) + '\u2026' : s; };

function describe(el) {
  let s = el.tagName.toLowerCase();
  if (el.id) s += '#' + el.id;
  const cls = clean(el.getAttribute('class')).split(' ').filter(c => c && !c.startsWith('data-')).slice(0, 3);
  if (cls.length) s += '.' + cls.join('.');
  let text = el.tagName === 'IMG' ? (el.getAttribute('alt') || (el.getAttribute('src') || '').split('/').pop())
    : el.classList.contains('js-plotly-plot') ? plotlyTitle(el) : el.textContent;
  text = short(text, 60);
  let d = '<' + s + '>' + (text ? ' "' + text + '"' : '');
  const sec = el.closest('section');
  const h = sec && sec.querySelector('h1, h2, h3, h4, h5, h6');
  const heading = h && short(h.textContent.replace(/[#\u00b6]\s*$/, ''), 50);
  if (heading) d += ' in \u00a7 "' + heading + '"';
  return d;
}
function plotlyTitle(gd) {
  const t = gd.querySelector('.g-gtitle');
  return 'plotly figure' + (t && clean(t.textContent) ? ' "' + short(t.textContent, 50) + '"' : '');
}
function mark(el, check) {
  const old = el.getAttribute('data-site-check');
  el.setAttribute('data-site-check', old ? old + ' ' + check : check);
}
function visible(el) {
  if (!el.getClientRects().length) return false;
  const s = css(el);
  return s.visibility !== 'hidden' && s.visibility !== 'collapse';
}
// Report each offending element once, outermost first: an element inside another
// offender of the same check is not listed again.
function report(check, offenders, message) {
  offenders.sort((a, b) => (a.el.compareDocumentPosition(b.el) & Node.DOCUMENT_POSITION_FOLLOWING) ? -1 : 1);
  const kept = [];
  for (const o of offenders) {
    if (kept.some(k => k.el === o.el || k.el.contains(o.el))) continue;
    kept.push(o);
  }
  kept.forEach((o, k) => {
    mark(o.el, check);
    if (k < MAX) problems.push({check, what: describe(o.el) + ': ' + message(o)});
  });
  if (kept.length > MAX) problems.push({check, what: `... and ${kept.length - MAX} more like these`});
}

// Boxes: the column's inner edges, and the scroll or clip box each element lives in.
function inner(el) {
  const r = el.getBoundingClientRect();
  const left = r.left + el.clientLeft;
  return {left, right: left + el.clientWidth, width: el.clientWidth};
}
const colBox = inner(col);
const ctxMemo = new Map();
function ownBox(el) {            // the box el gives its content, if it is not plain visible overflow
  if (el === col) return null;
  const o = css(el).overflowX;
  if (o === 'auto' || o === 'scroll') return {kind: 'scroll', el};
  if (o === 'hidden' || o === 'clip') return {kind: 'clip', el};
  return ctxOf(el);
}
function ctxOf(el) {             // the nearest scroll or clip box around el inside the column
  if (ctxMemo.has(el)) return ctxMemo.get(el);
  const p = el.parentElement;
  const c = (!p || p === col || !col.contains(p)) ? null : ownBox(p);
  ctxMemo.set(el, c);
  return c;
}
// Descendants of figures and typeset math are judged through their container.
const OPAQUE = 'svg, mjx-container, .js-plotly-plot, .plotly-graph-div, canvas, iframe, video, object';
function insideOpaque(el) {
  const p = el.parentElement;
  if (!p) return false;
  if (el.tagName === 'MJX-MATH' && p.tagName === 'MJX-CONTAINER') return false;
  return !!p.closest(OPAQUE);
}

const all = Array.from(col.querySelectorAll('*')).filter(el => !el.closest(EXEMPT) && !insideOpaque(el));
const shown = all.filter(el => visible(el) && css(el).position !== 'fixed');

// figure-width: a figure wider than the content column.
const FIGURE = 'img, svg, canvas, iframe, video, object, embed, .js-plotly-plot';
const wideFigures = [];
for (const el of shown) {
  if (!el.matches(FIGURE)) continue;
  let w = el.getBoundingClientRect().width;
  if (el.classList.contains('js-plotly-plot')) {
    for (const s of el.querySelectorAll('svg.main-svg, .svg-container'))
      w = Math.max(w, s.getBoundingClientRect().width);
  }
  if (w > colBox.width + TOL) wideFigures.push({el, w});
}
report('figure-width', wideFigures, o =>
  `${Math.round(o.w)} px wide, wider than the ${Math.round(colBox.width)} px content column`);
const wideSet = new Set(wideFigures.map(o => o.el));

// overflow: elements and text that leave their column or clip box without a scroll box.
function bounds(c) { return c ? inner(c.el) : colBox; }
const spill = [];
function judge(el, r, c, asText) {
  if (c && c.kind === 'scroll') return;
  const b = bounds(c);
  const over = Math.max(r.right - b.right, b.left - r.left);
  if (over > TOL) spill.push({el, over, clipped: !!c, asText, clipper: c && c.el});
}
for (const el of shown) {
  if (wideSet.has(el)) continue;
  const r = el.getBoundingClientRect();
  if (r.width < 1 && r.height < 1) continue;
  judge(el, r, ctxOf(el), false);
}
const walker = document.createTreeWalker(col, NodeFilter.SHOW_TEXT);
const range = document.createRange();
while (walker.nextNode()) {
  const t = walker.currentNode, p = t.parentElement;
  if (!p || !clean(t.textContent) || p.closest(EXEMPT) || p.closest(OPAQUE) || !visible(p)) continue;
  range.selectNodeContents(t);
  const r = range.getBoundingClientRect();
  if (r.width < 1) continue;
  judge(p, r, ownBox(p), true);
}
report('overflow', spill, o => `${o.asText ? 'its text reaches' : 'reaches'} ${Math.round(o.over)} px past ` +
  (o.clipped ? `the box that clips it (${describe(o.clipper).split(' ')[0]}): cut off`
             : 'the content column, with no scroll box of its own'));
const de = document.documentElement;  // a page that scrolls sideways for no reason found above
if (de.scrollWidth > de.clientWidth + TOL && !spill.length && !wideFigures.length)
  problems.push({check: 'overflow', what: `the page scrolls sideways: it is ${de.scrollWidth} px wide in a ` +
    `${de.clientWidth} px window`});

// scroll, code-scroll (desktop only): a scroll box whose content is wider than the box;
// code-scroll when it is a code cell's source or a code block of the prose.
if (desktop) {
  const scrolled = shown.filter(el => {
    const o = css(el).overflowX;
    return (o === 'auto' || o === 'scroll') && el.scrollWidth > el.clientWidth + 2
      && !wideFigures.some(f => el.contains(f.el));  // already reported as a figure wider than the column
  }).map(el => ({el, by: el.scrollWidth - el.clientWidth}));
  const isCode = o => !o.el.closest('.cell_output') && !!o.el.closest('.cell_input, div[class*="highlight-"], pre');
  const message = what => o => `${what} ${Math.round(o.by)} px wider than its box: the reader scrolls ` +
    `sideways at ${window.innerWidth} px`;
  report('scroll', scrolled.filter(o => !isCode(o)), message('content'));
  report('code-scroll', scrolled.filter(isCode), message('a code line'));
}

// tex: unrendered TeX in text outside code and typeset math; math: MathJax errors.
const mathjax = !!(window.MathJax && (window.MathJax.startup || window.MathJax.Hub));
// (math elements are judged by the math check: typeset or not)
const NOTEX = 'pre, code, kbd, samp, tt, script, style, textarea, mjx-container, .MathJax, .MathJax_Preview, ' +
  '.MathJax_SVG, .math, .highlight, .cell_input, .visually-hidden, .sr-only';
const TEX = /\$|\\(?:[A-Za-z]{2,}|[()\[\]])|[_^]\{/;
const texHits = [];
const tw = document.createTreeWalker(col, NodeFilter.SHOW_TEXT);
while (tw.nextNode()) {
  const t = tw.currentNode, p = t.parentElement;
  if (!p || p.closest(NOTEX) || !visible(p)) continue;
  const m = TEX.exec(t.textContent);
  if (!m) continue;
  const s = t.textContent, i = m.index;
  texHits.push({el: p, snippet: clean((i > 25 ? '\u2026' : '') + s.slice(Math.max(0, i - 25), i + 30) +
    (i + 30 < s.length ? '\u2026' : '')), token: m[0]});
}
report('tex', texHits, o => `unrendered TeX ${JSON.stringify(o.token)} in the text: "${o.snippet}"`);
const merrors = Array.from(col.querySelectorAll('mjx-merror, .MathJax_Error, [data-mjx-error]'))
  .filter(el => !el.parentElement || !el.parentElement.closest('mjx-merror, .MathJax_Error, [data-mjx-error]'))
  .map(el => ({el: el.closest('.math, mjx-container') || el,
               msg: el.getAttribute('data-mjx-error') || el.getAttribute('title') || clean(el.textContent)}));
for (const t of Array.from(col.querySelectorAll('*')).filter(el => el.children.length === 0
     && /Math Processing Error|Math input error/.test(el.textContent || '')))
  merrors.push({el: t, msg: clean(t.textContent)});
// MathJax's own record: \errors and macros it did not know (drawn as red text by its noundefined package).
const mjdoc = window.MathJax && window.MathJax.startup && window.MathJax.startup.document;
if (mjdoc && mjdoc.math && window.MathJax.startup.toMML) {
  for (const item of mjdoc.math) {
    const node = item.typesetRoot;
    if (!node || !col.contains(node)) continue;
    let mml = '';
    try { mml = window.MathJax.startup.toMML(item.root); } catch (e) { continue; }
    const err = /<merror(?:[^>]*data-mjx-error="([^"]*)")?[^>]*>([\s\S]*?)<\/merror>/.exec(mml);
    const undef = /<mtext mathcolor="red">(\\[^<]*)<\/mtext>/.exec(mml);
    if (err || undef) merrors.push({el: node.closest('.math') || node, tex: item.math,
      msg: err ? (err[1] || clean(err[2].replace(/<[^>]*>/g, ' '))) : 'undefined control sequence ' + undef[1]});
  }
}
report('math', merrors, o => `MathJax error: ${short(o.msg, 80)}` + (o.tex ? ` in "${short(o.tex, 60)}"` : ''));
const maths = Array.from(col.querySelectorAll('.math'));
const untypeset = maths.filter(m => !m.querySelector('mjx-container, mjx-merror, .MathJax, .MathJax_Error'));
if (untypeset.length) {
  untypeset.forEach(m => mark(m, 'math'));
  problems.push({check: 'math', what: `${untypeset.length} of ${maths.length} equations were not typeset ` +
    (mathjax ? '(MathJax ran but skipped them)' : '(MathJax did not load)') + ', e.g. ' + describe(untypeset[0])});
}

// plotly-overlap: a figure's title, modebar, legend, sliders, menus, colorbars,
// annotations (subplot titles) and axis titles must not overlap or leave the figure.
function boxOf(el) { const r = el.getBoundingClientRect(); return r.width >= 1 && r.height >= 1 ? r : null; }
const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 2
  && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 2;
for (const gd of col.querySelectorAll('.js-plotly-plot')) {
  if (!visible(gd)) continue;
  const boxes = [];
  // parts: the visible pieces of a box (a slider's rail, grip and labels), so that
  // two boxes overlap only where something is drawn.
  const add = (kind, el, name, outline, partsSel) => {
    const r = boxOf(outline || el);
    if (!r) return;
    const parts = partsSel ? Array.from(el.querySelectorAll(partsSel)).map(boxOf).filter(Boolean) : [];
    boxes.push({kind, el, r, name, parts: parts.length ? parts : [r]});
  };
  gd.querySelectorAll('.g-gtitle').forEach(e => clean(e.textContent) &&
    add('title', e, `title "${short(e.textContent, 40)}"`, null, 'text'));
  gd.querySelectorAll('.modebar').forEach(e => e.children.length && add('modebar', e, 'the modebar'));
  gd.querySelectorAll('g.legend').forEach(e => add('legend', e, 'the legend', e.querySelector(':scope > rect.bg')));
  gd.querySelectorAll('g.slider-group').forEach((e, k) => add('slider', e, `slider ${k + 1}`, null, 'rect, text'));
  gd.querySelectorAll('g.updatemenu-header-group, g.updatemenu-button-group').forEach((e, k) =>
    add('menu', e, `menu ${k + 1}`, null, 'rect, text'));
  gd.querySelectorAll('g.colorbar').forEach((e, k) => add('colorbar', e, `colorbar ${k + 1}`));
  gd.querySelectorAll('g.annotation').forEach(e => clean(e.textContent) &&
    add('annotation', e, `annotation "${short(e.textContent, 40)}"`));
  gd.querySelectorAll('.infolayer > g').forEach(e => {
    const m = /(?:^|\s)g-([xy]\d*)title(?:\s|$)/.exec(e.getAttribute('class') || '');
    if (m && clean(e.textContent)) add('axis title', e, `${m[1]}-axis title "${short(e.textContent, 30)}"`);
  });
  const found = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.el.contains(b.el) || b.el.contains(a.el)) continue;
    if (a.parts.some(p => b.parts.some(q => overlap(p, q)))) found.push(`${a.name} overlaps ${b.name}`);
  }
  const svg = gd.querySelector('svg.main-svg');
  const fr = svg ? boxOf(svg) : null;
  if (fr) for (const b of boxes) {
    if (b.kind === 'modebar') continue;
    const out = Math.max(...b.parts.map(r =>
      Math.max(fr.left - r.left, r.right - fr.right, fr.top - r.top, r.bottom - fr.bottom)));
    if (out > 2) found.push(`${b.name} is cut off at the figure's edge (${Math.round(out)} px outside)`);
  }
  if (found.length) {
    mark(gd, 'plotly-overlap');
    problems.push({check: 'plotly-overlap', what: describe(gd) + ': ' + found.slice(0, 6).join('; ') +
      (found.length > 6 ? `; and ${found.length - 6} more` : '')});
  }
}
return {problems, width: document.documentElement.clientWidth, column: Math.round(colBox.width),
        marked: document.querySelectorAll('[data-site-check]').length};
"""

# Runs in the page before the layout checks: unfold what a reader can unfold (hidden
# inputs and outputs, dropdowns, solutions), so that folded content is checked too.
_UNFOLD_JS = r"""
let n = 0;
document.querySelectorAll('details:not([open])').forEach(d => { d.open = true; n++; });
document.querySelectorAll('.toggle-hidden').forEach(e => { e.classList.remove('toggle-hidden'); n++; });
return n;
"""

_HIGHLIGHT_CSS = ("[data-site-check] { outline: 3px solid #e00000 !important; outline-offset: -2px !important; }")


def make_driver(chrome: str, driver_path: str, width: int = 1400, height: int = 1000):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chrome
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}",
                # WebGL in a headless, GPU-less browser (plotly's 3D scenes need it)
                "--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
                "--ignore-gpu-blocklist", "--hide-scrollbars", "--disable-extensions",
                "--no-first-run", "--disable-background-networking"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver_path), options=opts)


def set_viewport(driver, width: int, height: int = 1000) -> None:
    """Make the page ``width`` CSS pixels wide; below DESKTOP_MIN_WIDTH as a phone (mobile
    viewport, as a reader's phone renders the page)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < DESKTOP_MIN_WIDTH})


def _wait_until_ready(driver, timeout: float) -> None:
    """Until the figures are drawn and the equations typeset (or ``timeout`` seconds)."""
    start = time.time()
    while time.time() < start + timeout:
        s = driver.execute_script(_READY_JS)
        math_done = (s["typeset"] >= s["math"] or s["mathjaxDone"]
                     or (not s["mathjax"] and time.time() > start + 5))  # MathJax did not load
        if s["complete"] and s["figures"] and math_done:
            break
        time.sleep(0.25)
    time.sleep(0.3)  # late console messages, a last relayout


# Runs in the page after a change of width: have the responsive plotly figures redrawn at their new width?
_RESIZED_JS = r"""
return Array.from(document.querySelectorAll('.js-plotly-plot')).every(gd => {
  const full = gd._fullLayout;
  if (!full || !gd.layout || gd.layout.width || !gd.getClientRects().length) return true;
  const svg = gd.querySelector('svg.main-svg');
  return Math.abs(full.width - gd.clientWidth) <= 2 && svg
    && Math.abs(svg.getBoundingClientRect().width - full.width) <= 2;
});
"""


def _wait_until_resized(driver, timeout: float) -> None:
    time.sleep(0.3)  # plotly redraws on the window's resize event, a moment later
    start = time.time()
    while time.time() < start + timeout and not driver.execute_script(_RESIZED_JS):
        time.sleep(0.25)
    time.sleep(0.3)


def select_pages(root: Path, patterns=None) -> list:
    pages = html_pages(root)
    if patterns:
        pages = [p for p in pages if any(fnmatch.fnmatch(p.relative_to(root).as_posix(), pat)
                                         or fnmatch.fnmatch(p.stem, pat) for pat in patterns)]
    return pages


def check_pages_in_browser(root: Path, report: Report, *, page_timeout: float = 120.0,
                           screenshots: Path | None = None, chrome: str | None = None,
                           chromedriver: str | None = None, widths=WIDTHS, pages=None,
                           reload: bool = False) -> None:
    """Load each page at the first width, then (``reload`` False) narrow the window to each further
    width, as a reader resizing it would: much faster than loading again, and the same layout for
    pages whose figures follow the width of the page.  ``reload``: load the page afresh at each width."""
    if not (chrome and chromedriver):
        chrome, chromedriver = find_browser()
    if not (chrome and chromedriver):
        report.fail("browser", "chromium and chromedriver not found "
                               "(apt-get install chromium chromium-driver)", check="browser")
        return
    root = Path(root)
    server = serve(root)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    driver = make_driver(chrome, chromedriver)
    driver.set_page_load_timeout(page_timeout)
    if screenshots:
        screenshots.mkdir(parents=True, exist_ok=True)
    try:
        for page in select_pages(root, pages):
            rel = page.relative_to(root).as_posix()
            report.pages += 1
            for k, width in enumerate(widths):
                set_viewport(driver, width)
                if k == 0 or reload:
                    try:
                        driver.get(base + rel)
                    except Exception as err:  # a page that never finishes loading
                        report.fail(rel, f"page did not load: {type(err).__name__}: {str(err).splitlines()[0]}",
                                    check="load", width=width)
                        break
                    _wait_until_ready(driver, page_timeout)
                    if k == 0:  # the functional checks do not depend on the width
                        _judge_page(rel, driver.execute_script(_INSPECT_JS), driver.get_log("browser"), base,
                                    report)
                        if driver.execute_script("return document.querySelectorAll('.semgcn-live').length"):
                            check_live_figures(driver, root, rel, report, timeout=page_timeout)
                else:  # the page reflows to the new width; responsive plotly figures redraw themselves
                    _wait_until_resized(driver, page_timeout)
                if driver.execute_script(_UNFOLD_JS):
                    time.sleep(0.3)
                layout = driver.execute_script(_LAYOUT_JS, width >= DESKTOP_MIN_WIDTH, MAX_PER_CHECK)
                if abs(layout["width"] - width) > 1:
                    report.fail(rel, f"the browser window is {layout['width']} px wide, not {width} px: the "
                                     "layout checks are unreliable", check="browser", width=width)
                for problem in layout["problems"]:
                    report.fail(rel, problem["what"], check=problem["check"], width=width)
                if screenshots:
                    _screenshot(driver, screenshots / f"{rel[:-5].replace('/', '__')}@{width}.png", width)
    finally:
        driver.quit()
        server.shutdown()
        server.server_close()


def _judge_page(rel: str, state: dict, logs: list, base: str, report: Report) -> None:
    for entry in logs:
        if entry.get("level") == "SEVERE":
            report.fail(rel, f"console error: {entry.get('message', '').replace(base, '/')[:300]}", check="console")
    for fig in state["figs"]:
        report.figures += 1
        label = f"plotly figure #{fig['id']}"
        if not fig["drawn"]:
            report.fail(rel, f"{label} was not drawn (no svg.main-svg: plotly.js missing or an error)",
                        check="figure")
        elif fig["nowebgl"]:
            report.fail(rel, f"{label}: WebGL is not available, its 3D scene is empty", check="figure")
        elif fig["scenes"] and fig["canvases"] == 0:
            report.fail(rel, f"{label} has {fig['scenes']} 3D scene(s) but no WebGL canvas", check="figure")
        if fig["missingFrames"]:
            report.fail(rel, f"{label}: slider steps point at missing frames {fig['missingFrames'][:5]}",
                        check="figure")
    for img in state["imgs"]:
        if not img["ok"]:
            report.fail(rel, f"image did not load: {img['src'].replace(base, '/')}", check="image")
    for k, w in enumerate(state["widgetViews"]):
        if not w["rendered"]:
            report.fail(rel, f"widget view #{k} is an empty placeholder (no widget JavaScript and no static "
                             "fallback)", check="widget")
    for text in state["texts"]:
        if WIDGET_REPR.match(text or ""):
            report.fail(rel, f"a widget is printed as text instead of shown: {text.strip()[:80]!r}", check="widget")
    for url in sorted(set(state["external"])):
        report.note(rel, f"loads an external resource: {url}")


# --- 5. live figures -------------------------------------------------------------

LIVE_TOLERANCE = 1e-4      # metres: the page's 3D answer against PyTorch's
LIVE_SLOW_MS = 200.0       # a median update slower than this fails (the goal on a laptop: under 50 ms)
_LIVE_SITES_DONE: set = set()   # sites whose files and test inputs were checked (once per site: same files)

_LIVE_STATE_JS = r"""
return Array.from(document.querySelectorAll('.semgcn-live')).map(e => {
  const drawn = Array.from(e.querySelectorAll('canvas')).map(c => {
    if (!c.width) return false;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] && (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200)) return true;
    return false;
  });
  const fallback = e.querySelector('.semgcn-live-fallback');
  return {state: e.getAttribute('data-state'), note: (e.querySelector('.semgcn-live-note') || {}).textContent,
          fallbackShown: !!fallback && !fallback.hidden && fallback.getClientRects().length > 0,
          canvases: drawn.length, drawn: drawn.filter(Boolean).length};
});
"""

_LIVE_RUN_JS = r"""
const done = arguments[arguments.length - 1];
const fig = document.querySelectorAll('.semgcn-live')[arguments[0]].semgcnLive, inputs = arguments[1];
(async () => {
  const out = {};
  for (const name of fig.models()) {
    await fig.setModel(name);
    out[name] = inputs.map(p => fig.setPose(p));
  }
  return out;
})().then(out => done({ok: true, out: out}), err => done({ok: false, error: String(err)}));
"""

# Mount a copy of the first figure with a folder that does not exist: it must keep its static picture.
_LIVE_BROKEN_JS = r"""
const done = arguments[arguments.length - 1];
const src = document.querySelector('.semgcn-live'), copy = document.createElement('div');
copy.className = 'semgcn-live';
copy.setAttribute('data-model', src.getAttribute('data-model'));
copy.appendChild(src.querySelector('.semgcn-live-fallback').cloneNode(true));
copy.querySelector('.semgcn-live-fallback').hidden = false;
copy.style.position = 'absolute'; copy.style.left = '-5000px';
document.body.appendChild(copy);
window.SemgcnLive.mount(copy, 'semgcn-live-missing-folder/');
const t0 = Date.now();
(function wait() {
  const st = copy.getAttribute('data-state');
  if (st === 'error' || st === 'ready' || Date.now() - t0 > 10000) {
    const fb = copy.querySelector('.semgcn-live-fallback');
    done({state: st, fallback: !fb.hidden, img: !!fb.querySelector('img'),
          note: copy.querySelector('.semgcn-live-note').textContent});
    copy.remove();
  } else { setTimeout(wait, 50); }
})();
"""


def _drag(driver, start, end, touch: bool, steps: int = 12) -> None:
    """A drag from ``start`` to ``end`` (viewport CSS px) with real input events (DevTools Input domain)."""
    (x0, y0), (x1, y1) = start, end
    path = [(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps) for i in range(1, steps + 1)]
    if touch:
        driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]})
        for x, y in path:
            driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
            time.sleep(0.01)
        driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    else:
        driver.execute_cdp_cmd("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x0, "y": y0})
        driver.execute_cdp_cmd("Input.dispatchMouseEvent", {"type": "mousePressed", "x": x0, "y": y0,
                                                            "button": "left", "buttons": 1, "clickCount": 1})
        for x, y in path:
            driver.execute_cdp_cmd("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y,
                                                                "button": "left", "buttons": 1})
            time.sleep(0.01)
        driver.execute_cdp_cmd("Input.dispatchMouseEvent", {"type": "mouseReleased", "x": x1, "y": y1,
                                                            "button": "left", "buttons": 0, "clickCount": 1})
    time.sleep(0.1)


def _compare_live_numbers(driver, folder: Path, rel: str, report: Report, timeout: float, start: float) -> None:
    """Each network's answers on the page to the 20 inputs of testvectors.json against PyTorch's there."""
    vectors = json.loads((folder / "testvectors.json").read_text())
    driver.set_script_timeout(max(60, timeout))
    result = driver.execute_async_script(_LIVE_RUN_JS, 0, vectors["inputs_px"])
    if not result.get("ok"):
        report.fail(rel, f"live figure: running the test inputs failed: {result.get('error')}", check="live-model")
        return
    worst = 0.0
    for name, expected in vectors["outputs"].items():
        got = result["out"].get(name)
        if got is None:
            report.fail(rel, f"live figure: the page has no network {name!r}", check="live-model")
            continue
        err = max(abs(g - e) for gp, ep in zip(got, expected) for g, e in zip(gp, (v for j in ep for v in j)))
        worst = max(worst, err)
        if err > LIVE_TOLERANCE:
            report.fail(rel, f"live figure: {name} differs from PyTorch by {err:.2g} m on the test inputs "
                             f"(tolerance {LIVE_TOLERANCE:g} m)", check="live-model")
    report.note(rel, f"live figure: {len(vectors['inputs_px'])} inputs x {len(vectors['outputs'])} networks, "
                     f"largest |browser - PyTorch| {worst:.2g} m (live checks so far {time.time() - start:.1f} s)")


def check_live_figures(driver, root: Path, rel: str, report: Report, timeout: float = 60.0) -> None:
    """The ``[live-model]`` checks of the module docstring, on the page loaded in ``driver``."""
    def fail(what):
        report.fail(rel, what, check="live-model")

    start = time.time()
    while True:
        states = driver.execute_script(_LIVE_STATE_JS)
        if all(s["state"] in ("ready", "error") for s in states) or time.time() > start + timeout:
            break
        time.sleep(0.2)
    for k, s in enumerate(states):
        if s["state"] != "ready":
            fail(f"live figure #{k} did not start (state {s['state']!r}): {s['note']}")
        elif s["fallbackShown"] or s["drawn"] != s["canvases"] or s["canvases"] != 2:
            fail(f"live figure #{k} started but shows its fallback or has blank canvases ({s})")
    if not states or states[0]["state"] != "ready":
        return
    folder = Path(root) / "_static" / "semgcn-live"
    whole_site = str(Path(root).resolve()) not in _LIVE_SITES_DONE   # files and numbers: on the first page only
    _LIVE_SITES_DONE.add(str(Path(root).resolve()))
    if whole_site:
        try:
            from semgcn.viz.live_model import check_live_files
            for problem in check_live_files(folder):
                fail(problem)
        except ImportError:
            report.note(rel, "semgcn is not importable here: the exported networks' checksums were not checked")

    # Drags by mouse and by touch: the joint follows, the answer changes.
    driver.execute_script("document.querySelector('.semgcn-live canvas').scrollIntoView({block: 'center'})")
    time.sleep(0.2)
    fig = "document.querySelectorAll('.semgcn-live')[0].semgcnLive"
    for touch, joint in ((False, 15), (True, 12)):
        before = driver.execute_script(f"return {fig}.output()")
        pose0 = driver.execute_script(f"return {fig}.pose()")
        p = driver.execute_script(f"return {fig}.jointClientPosition({joint})")
        n0 = len(driver.execute_script(f"return {fig}.timings().update"))
        _drag(driver, (p["x"], p["y"]), (p["x"] + 40, p["y"] - 30), touch=touch, steps=6 if touch else 12)
        after = driver.execute_script(f"return {fig}.output()")
        pose1 = driver.execute_script(f"return {fig}.pose()")
        moved = ((pose1[2 * joint] - pose0[2 * joint]) ** 2 + (pose1[2 * joint + 1] - pose0[2 * joint + 1]) ** 2) ** 0.5
        change = max(abs(a - b) for a, b in zip(after, before))
        others = max(abs(a - b) for j, (a, b) in enumerate(zip(pose1, pose0)) if j // 2 != joint)
        how = "touch" if touch else "mouse"
        if moved < 5 or others > 0:
            fail(f"a {how} drag of joint {joint} moved it {moved:.1f} px in the image (other joints: "
                 f"{others:.1f} px): the drag did not take")
        elif change < 1e-3:
            fail(f"a {how} drag of joint {joint} moved it {moved:.1f} px but the 3D answer changed by only "
                 f"{change:.2g} m")
        if not touch:
            t = driver.execute_script(f"return {fig}.timings()")
            upd, fwd = sorted(t["update"][n0:]), sorted(t["forward"][n0:])
            if upd:
                med, fmed = upd[len(upd) // 2], fwd[len(fwd) // 2]
                report.note(rel, f"live figure: one update during a drag (network + drawing) takes {med:.1f} ms "
                                 f"(median of {len(upd)}; forward pass alone {fmed:.1f} ms)")
                if med > LIVE_SLOW_MS:
                    fail(f"live figure: a drag update takes {med:.0f} ms (median), over {LIVE_SLOW_MS:.0f} ms")
            else:
                fail("a mouse drag triggered no update of the live figure")

    # Turning the 3D view by a mouse drag redraws it.
    shot = "return document.querySelectorAll('.semgcn-live')[0].querySelector('.semgcn-live-3d').toDataURL()"
    box = driver.execute_script("const r = document.querySelector('.semgcn-live .semgcn-live-3d')"
                                ".getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2];")
    before_view = driver.execute_script(shot)
    _drag(driver, tuple(box), (box[0] + 60, box[1] + 20), touch=False, steps=4)
    if driver.execute_script(shot) == before_view:
        fail("live figure: dragging the 3D view does not turn it")

    # The page's numbers against PyTorch's (once per site: every page serves the same files).
    if whole_site:
        _compare_live_numbers(driver, folder, rel, report, timeout, start)
    # Back to what the reader sees first (the layout checks follow).
    driver.execute_async_script("const done = arguments[arguments.length - 1], e = document.querySelector('.semgcn-live');"
                                "e.semgcnLive.setModel(e.getAttribute('data-model')).then(() => {"
                                "e.semgcnLive.setPreset(+(e.getAttribute('data-preset') || 0)); done(); }, done);")

    for entry in driver.get_log("browser"):   # messages of the drags and test inputs above
        if entry.get("level") == "SEVERE":
            fail(f"console error while the live figure ran: {entry.get('message', '')[:300]}")

    # Without its files, a figure keeps its static picture and says why.
    broken = driver.execute_async_script(_LIVE_BROKEN_JS)
    if broken.get("state") != "error" or not broken.get("fallback") or not broken.get("img") \
            or "could not start" not in (broken.get("note") or ""):
        fail(f"live figure: without its files it does not fall back to its static picture with a note ({broken})")
    driver.get_log("browser")   # drop the expected 404 of that last check


def _screenshot(driver, path: Path, width: int, max_height: int = 30000) -> None:
    """The whole page (up to ``max_height`` px) with the flagged elements outlined."""
    driver.execute_script("const s = document.createElement('style'); s.textContent = arguments[0];"
                          "document.head.appendChild(s);", _HIGHLIGHT_CSS)
    height = driver.execute_script("return Math.max(document.body.scrollHeight, "
                                   "document.documentElement.scrollHeight);")
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": min(int(height), max_height), "scale": 1}})
    path.write_bytes(base64.b64decode(shot["data"]))


def check_site(root, *, browser: bool = True, page_timeout: float = 120.0, screenshots=None,
               widths=WIDTHS, pages=None, known_problems=DEFAULT_KNOWN_PROBLEMS,
               reload: bool = False) -> Report:
    """Run every check on the built site ``root`` and return the report.

    ``known_problems``: a known-problems file (default: the committed one, when it exists), a list of
    entries, or None; matching problems are reported as known and do not make the report fail."""
    root = Path(root)
    report = Report()
    if not (root / "index.html").exists():
        report.fail(str(root), "no index.html: build the book first (jupyter-book build .)", check="build")
        return report
    check_links(root, report)
    check_notebooks(root, report)
    if browser:
        check_pages_in_browser(root, report, page_timeout=page_timeout,
                               screenshots=Path(screenshots) if screenshots else None, widths=widths, pages=pages,
                               reload=reload)
    else:
        report.pages = len(select_pages(root, pages))
    if isinstance(known_problems, (str, Path)):
        if Path(known_problems).exists():
            report.apply_known(load_known_problems(known_problems), str(known_problems))
        elif Path(known_problems) != DEFAULT_KNOWN_PROBLEMS:
            report.fail(str(known_problems), "known-problems file not found", check="known-problems")
    elif known_problems:
        report.apply_known(list(known_problems))
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", default="_build/html", help="the built site (default: _build/html)")
    parser.add_argument("--no-browser", action="store_true", help="only the link and notebook checks")
    parser.add_argument("--page-timeout", type=float, default=120.0,
                        help="seconds to wait for a page's figures (default 120: a long chapter on a busy 2-core machine)")
    parser.add_argument("--widths", type=int, nargs="+", default=list(WIDTHS),
                        help="page widths in CSS px (default: 1400 390)")
    parser.add_argument("--pages", nargs="+", metavar="GLOB", help="only these pages (path or name globs)")
    parser.add_argument("--reload", action="store_true",
                        help="load each page afresh at each width (default: load once, then narrow the window)")
    parser.add_argument("--screenshots", metavar="DIR",
                        help="save a full-page PNG of every page and width here, flagged elements outlined")
    known = parser.add_mutually_exclusive_group()
    known.add_argument("--known-problems", metavar="FILE", default=str(DEFAULT_KNOWN_PROBLEMS),
                       help="problems that do not fail the check (default: tests/site_known_problems.json)")
    known.add_argument("--no-known-problems", action="store_true", help="every problem fails")
    parser.add_argument("--write-known-problems", metavar="FILE",
                        help="write every problem found as a known-problems file (review before committing)")
    args = parser.parse_args(argv)
    report = check_site(args.site, browser=not args.no_browser, page_timeout=args.page_timeout,
                        screenshots=args.screenshots, widths=args.widths, pages=args.pages,
                        known_problems=None if args.no_known_problems else args.known_problems,
                        reload=args.reload)
    print(report.text())
    if args.write_known_problems:
        entries = report.known_entries()
        write_known_problems(args.write_known_problems, entries)
        print(f"wrote {len(entries)} known-problem entries to {args.write_known_problems}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
