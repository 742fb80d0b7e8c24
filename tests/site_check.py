"""Check the built book (``_build/html``) the way a reader sees it.

    python tests/site_check.py _build/html [--screenshots DIR] [--page-timeout 40]

Exits 0 when the site is sound, 1 with a readable report otherwise.  Checks:

1. **Links** (no browser): every ``<a href>``, ``<img src>``, ``<script
   src>`` and ``<link href>`` that points inside the site names a file that
   exists, and every ``#anchor`` on an internal page exists there.
2. **Executed notebooks** (``_build/jupyter_execute``): no output that the
   book drops, i.e. a plotly figure without HTML (the chapter forgot
   ``semgcn.viz.set_plotly_renderer()``) or a widget without a static
   fallback.
3. **Pages in a browser** (headless Chromium through selenium, the site
   served on 127.0.0.1): no SEVERE console message, every plotly figure drawn
   (``.js-plotly-plot`` with an ``svg.main-svg``; 3D scenes with their WebGL
   canvas and no "WebGL is not supported" message, every slider step's
   animation frame present), every image loaded, no
   widget placeholder left empty and no widget printed as text.

Needs ``pip install selenium`` and Debian's ``chromium`` and
``chromium-driver`` (``CHROME_BIN`` / ``CHROMEDRIVER`` override the paths).
Requests leaving 127.0.0.1 are listed as notes: the book must not need them.
"""
from __future__ import annotations

import argparse
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


@dataclass
class Report:
    failures: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    pages: int = 0
    figures: int = 0

    def fail(self, where: str, what: str) -> None:
        self.failures.append((where, what))

    def note(self, where: str, what: str) -> None:
        self.notes.append((where, what))

    @property
    def ok(self) -> bool:
        return not self.failures

    def text(self) -> str:
        lines = [f"site check: {self.pages} pages, {self.figures} plotly figures, "
                 f"{len(self.failures)} problem(s)"]
        for where, what in self.failures:
            lines.append(f"  FAIL {where}: {what}")
        for where, what in self.notes:
            lines.append(f"  note {where}: {what}")
        return "\n".join(lines)


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
                report.fail(str(rel), f"<{tag} {attr}={value!r}> points outside the site")
                continue
            if not target.exists():
                report.fail(str(rel), f"broken link <{tag} {attr}={value!r}>: {target.relative_to(root)} "
                                      "does not exist")
                continue
            frag = unquote(parts.fragment)
            if tag == "a" and frag and target.suffix == ".html" and frag not in _parse(target).ids:
                report.fail(str(rel), f"broken anchor <a href={value!r}>: no id {frag!r} in "
                                      f"{target.relative_to(root)}")


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
            report.fail(str(rel), f"cannot read the executed notebook: {err}")
            continue
        for c, cell in enumerate(nb.get("cells", [])):
            for out in cell.get("outputs", []):
                data = out.get("data") or {}
                if out.get("output_type") not in ("display_data", "execute_result") or not data:
                    continue
                where = f"{rel} cell {c}"
                if "application/vnd.plotly.v1+json" in data and "text/html" not in data:
                    report.fail(where, "plotly figure without HTML output: the book drops it "
                                       "(call semgcn.viz.set_plotly_renderer() at the top of the chapter)")
                elif "application/vnd.jupyter.widget-view+json" in data and "text/html" not in data:
                    report.fail(where, "ipywidget without a static fallback: the book shows only "
                                       f"{_text(data.get('text/plain', ''))[:60]!r} (use semgcn.viz widgets, "
                                       "which carry a static figure)")
                elif not any(m in data for m in RENDERABLE):
                    report.fail(where, f"output with no type the book renders: {sorted(data)}")


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

_WAIT_JS = r"""
const divs = Array.from(document.querySelectorAll('.plotly-graph-div'));
return document.readyState === 'complete' && divs.every(gd =>
  gd.classList.contains('js-plotly-plot') && gd.querySelector('svg.main-svg'));
"""


def make_driver(chrome: str, driver_path: str, width: int = 1280, height: int = 1000):
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


def check_pages_in_browser(root: Path, report: Report, *, page_timeout: float = 40.0,
                           screenshots: Path | None = None, chrome: str | None = None,
                           chromedriver: str | None = None) -> None:
    if not (chrome and chromedriver):
        chrome, chromedriver = find_browser()
    if not (chrome and chromedriver):
        report.fail("browser", "chromium and chromedriver not found "
                               "(apt-get install chromium chromium-driver)")
        return
    server = serve(root)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    driver = make_driver(chrome, chromedriver)
    driver.set_page_load_timeout(page_timeout)
    if screenshots:
        screenshots.mkdir(parents=True, exist_ok=True)
    try:
        for page in html_pages(root):
            rel = page.relative_to(root).as_posix()
            report.pages += 1
            try:
                driver.get(base + rel)
            except Exception as err:  # a page that never finishes loading
                report.fail(rel, f"page did not load: {type(err).__name__}: {str(err).splitlines()[0]}")
                continue
            deadline = time.time() + page_timeout
            while time.time() < deadline and not driver.execute_script(_WAIT_JS):
                time.sleep(0.25)
            time.sleep(0.3)  # let late console messages arrive
            state = driver.execute_script(_INSPECT_JS)
            _judge_page(rel, state, driver.get_log("browser"), base, report)
            if screenshots:
                _screenshot(driver, screenshots / (rel.replace("/", "__")[:-5] + ".png"))
    finally:
        driver.quit()
        server.shutdown()
        server.server_close()


def _judge_page(rel: str, state: dict, logs: list, base: str, report: Report) -> None:
    for entry in logs:
        if entry.get("level") == "SEVERE":
            report.fail(rel, f"console error: {entry.get('message', '').replace(base, '/')[:300]}")
    for fig in state["figs"]:
        report.figures += 1
        label = f"plotly figure #{fig['id']}"
        if not fig["drawn"]:
            report.fail(rel, f"{label} was not drawn (no svg.main-svg: plotly.js missing or an error)")
        elif fig["nowebgl"]:
            report.fail(rel, f"{label}: WebGL is not available, its 3D scene is empty")
        elif fig["scenes"] and fig["canvases"] == 0:
            report.fail(rel, f"{label} has {fig['scenes']} 3D scene(s) but no WebGL canvas")
        if fig["missingFrames"]:
            report.fail(rel, f"{label}: slider steps point at missing frames {fig['missingFrames'][:5]}")
    for img in state["imgs"]:
        if not img["ok"]:
            report.fail(rel, f"image did not load: {img['src'].replace(base, '/')}")
    for k, w in enumerate(state["widgetViews"]):
        if not w["rendered"]:
            report.fail(rel, f"widget view #{k} is an empty placeholder (no widget JavaScript and no static "
                             "fallback)")
    for text in state["texts"]:
        if WIDGET_REPR.match(text or ""):
            report.fail(rel, f"a widget is printed as text instead of shown: {text.strip()[:80]!r}")
    for url in sorted(set(state["external"])):
        report.note(rel, f"loads an external resource: {url}")


def _screenshot(driver, path: Path, width: int = 1280, max_height: int = 7000) -> None:
    height = driver.execute_script("return Math.max(document.body.scrollHeight, "
                                   "document.documentElement.scrollHeight);")
    driver.set_window_size(width, min(max(int(height), 800), max_height))
    time.sleep(0.5)
    driver.save_screenshot(str(path))
    driver.set_window_size(width, 1000)


def check_site(root, *, browser: bool = True, page_timeout: float = 40.0, screenshots=None) -> Report:
    """Run every check on the built site ``root`` and return the report."""
    root = Path(root)
    report = Report()
    if not (root / "index.html").exists():
        report.fail(str(root), "no index.html: build the book first (jupyter-book build .)")
        return report
    check_links(root, report)
    check_notebooks(root, report)
    if browser:
        check_pages_in_browser(root, report, page_timeout=page_timeout,
                               screenshots=Path(screenshots) if screenshots else None)
    else:
        report.pages = len(html_pages(root))
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", default="_build/html", help="the built site (default: _build/html)")
    parser.add_argument("--no-browser", action="store_true", help="only the link and notebook checks")
    parser.add_argument("--page-timeout", type=float, default=40.0, help="seconds to wait for a page's figures")
    parser.add_argument("--screenshots", metavar="DIR", help="save a full-page PNG of every page here")
    args = parser.parse_args(argv)
    report = check_site(args.site, browser=not args.no_browser, page_timeout=args.page_timeout,
                        screenshots=args.screenshots)
    print(report.text())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
