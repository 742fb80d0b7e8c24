"""Drive the chapters' live widgets in a real front end, as a student would.

    python tests/live_widget_check.py [--chapters 01_pose_as_graph 10_qualitative]
                                      [--updates 20] [--screenshots DIR] [--no-reopen]

Starts JupyterLab on 127.0.0.1 (a temporary copy of the chapters, fresh
settings) and headless Chromium with every host but 127.0.0.1 unresolvable,
so nothing can come from the network.  For each chapter it opens the
notebook (with ``EXTRA_CELLS`` appended: explorers of chapters too slow to
run here whole), runs all cells, then drives every live explorer on the page
(``.semgcn-explorer``, see ``semgcn/viz/live.py``): slider steps with the
keyboard and dropdown / multi-select changes, ``--updates`` of them in all.
It checks that

- every plot area on the page is drawn: a plotly ``svg.main-svg``, 3D scenes
  with a live (not lost) WebGL canvas, and a screenshot of the area that is
  not blank;
- each update changes the data of the explorer's 3D view, redraws that same
  plot (no new plot, hence no new WebGL context) and how long it took from
  the key press to the redrawn figure (the update latency, reported);
- the explorers' figures fit their output area (no sideways overflow);
- the browser console has no error and no "WebGL context" warning;
- after all updates, every earlier figure of the page is still drawn.

Then (unless ``--no-reopen``) it saves the last chapter, shuts its kernel
down, reloads the page and checks that each explorer's static fallback is
drawn and that no "Error displaying widget" is visible.

Exit status 0 when every check passes; a report with the latencies either way.
Needs ``jupyterlab``, ``anywidget``, ``selenium`` and Debian's ``chromium`` +
``chromium-driver``; ``tests/test_live_widgets.py`` runs it under pytest.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import site_check  # noqa: E402  (find_browser, the Chromium flags for WebGL without a GPU)

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ("01_pose_as_graph", "10_qualitative")
# Explorers of chapters that take too long to run here whole (chapter 2 trains a model for over
# a minute, chapters 4 and 5 several) are driven at the end of a chapter that does run: the same
# calls, on that chapter's poses (with an untrained non-local block, random edge weights).
EXTRA_CELLS = {"01_pose_as_graph": [
    "from semgcn.graph import normalize_adjacency\n"
    "viz.receptive_field_widget(pose_cam, normalize_adjacency(A), \"RWrist\")",
    "from semgcn.graph import H36M_NONLOCAL_GROUPS\n"
    "from semgcn.nn import GraphNonLocal\n"
    "torch.manual_seed(0)\n"
    "block = GraphNonLocal(2, 4, pairwise=\"embedded_gaussian\", groups=H36M_NONLOCAL_GROUPS, num_nodes=K).eval()\n"
    "with torch.no_grad():\n"
    "    aff = block.affinity(tr.inputs[:12].cpu())\n"
    "viz.affinity_widget(tr.targets[:12].cpu(), aff, H36M_NONLOCAL_GROUPS)",
    "rho = [torch.softmax(torch.randn(K, K).masked_fill(A == 0, -1e9), -1) for _ in range(4)]\n"
    "viz.edge_weight_widget(pose_cam, rho, [\"1\", \"2\", \"3\", \"4\"])"]}
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"


@dataclass
class Result:
    problems: list = field(default_factory=list)
    latencies: dict = field(default_factory=dict)   # "chapter explorer #k" -> [seconds per update]
    draw_times: dict = field(default_factory=dict)  # ... -> [seconds in Plotly.react per update]
    driven: dict = field(default_factory=dict)      # "chapter widget #k" -> what was driven
    notes: list = field(default_factory=list)

    def fail(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        lines = [f"live widget check: {len(self.latencies)} explorer(s), {len(self.problems)} problem(s)"]
        for key, lat in self.latencies.items():
            if lat:
                draw = self.draw_times.get(key) or [0.0]
                lines.append(f"  {key}: {len(lat)} updates ({self.driven.get(key, '')}); latency median "
                             f"{statistics.median(lat):.2f} s, max {max(lat):.2f} s (of which drawing: median "
                             f"{statistics.median(draw):.2f} s)")
        lines += [f"  FAIL {p}" for p in self.problems]
        lines += [f"  note {n}" for n in self.notes]
        return "\n".join(lines)


# --- the Jupyter server -----------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLab:
    """``jupyter lab`` on 127.0.0.1 serving ``root``, with its own settings, no token."""

    def __init__(self, root: Path, home: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
                   JUPYTERLAB_SETTINGS_DIR=str(home / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(home / "ws"),
                   OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"), MPLBACKEND="module://matplotlib_inline.backend_inline")
        # every cell rendered (no virtual scrolling), no news or update checks (they would go online)
        settings = home / "settings" / "@jupyterlab" / "notebook-extension"
        settings.mkdir(parents=True, exist_ok=True)
        (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none",
                                                                          "recordTiming": True}))
        cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
               "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
               "--allow-root", "--ServerApp.terminals_enabled=False",
               f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        self.log = open(home / "server.log", "wb")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=root)
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with code {self.proc.returncode}: see {self.log.name}")
            try:
                urllib.request.urlopen(f"{self.url}/api/status", timeout=2).read()
                return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"jupyter lab did not answer on {self.url} within 90 s: see {self.log.name}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


# --- JavaScript run in the page ----------------------------------------------------------------------

_NOTEBOOK_JS = """
const app = window.jupyterapp;
const panel = app && app.shell.currentWidget;
return panel && panel.content && panel.sessionContext ? panel : null;
"""

_READY_JS = """
const app = window.jupyterapp;
const panel = app && app.shell.currentWidget;
if (!panel || !panel.sessionContext || !panel.context || !panel.context.isReady) return 'no notebook';
const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
if (!kernel) return 'no kernel';
return kernel.status;
"""

_RUN_ALL_JS = """
window.__semgcnRunAll = 'running';
window.jupyterapp.commands.execute('notebook:run-all-cells').then(() => { window.__semgcnRunAll = 'done'; },
                                                               e => { window.__semgcnRunAll = String(e); });
"""

_RUN_STATE_JS = """
const panel = window.jupyterapp.shell.currentWidget;
const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
const cells = panel.content.widgets.filter(c => c.model.type === 'code');
const errors = [];
cells.forEach((c, k) => {
  const outs = c.model.outputs;
  for (let i = 0; i < outs.length; i++) {
    const o = outs.get(i).toJSON();
    if (o.output_type === 'error') errors.push(`code cell ${k}: ${o.ename}: ${String(o.evalue).slice(0, 200)}`);
  }
});
const timing = cells.map(c => { const e = c.model.getMetadata('execution') || {};
  const a = e['shell.execute_reply.started'], b = e['shell.execute_reply'];
  return a && b ? (Date.parse(b) - Date.parse(a)) / 1000 : null; });
return {timing, status: kernel ? kernel.status : 'none', pending: cells.filter(c => c.promptNode &&
        /\\*/.test(c.promptNode.textContent)).length, unrun: cells.filter(c => c.model.executionCount === null).length,
        errors};
"""

# Every plot area of the page: drawn? 3D canvases alive?  Hidden plots (a retired static copy) are skipped.
_PLOTS_JS = """
return Array.from(document.querySelectorAll('.js-plotly-plot')).filter(gd => gd.getClientRects().length).map(gd => {
  const full = gd._fullLayout || {};
  const scenes = Object.keys(full).filter(k => /^scene\\d*$/.test(k)).length;
  const canvases = Array.from(gd.querySelectorAll('canvas'));
  const lost = canvases.filter(c => { const g = c.getContext('webgl2') || c.getContext('webgl');
                                      return g && g.isContextLost(); }).length;
  const box = gd.getBoundingClientRect();
  const area = gd.closest('.jp-OutputArea-output') || gd.parentElement;
  return {id: gd.id || '', live: !!gd.closest('.semgcn-explorer'), drawn: !!gd.querySelector('svg.main-svg'),
          scenes, canvases: canvases.length, lost, width: Math.round(box.width),
          areaWidth: Math.round(area.getBoundingClientRect().width),
          overflow: Math.round(box.right - area.getBoundingClientRect().right)};
});
"""

_EXPLORERS_JS = "return document.querySelectorAll('.semgcn-explorer').length;"

# The state of explorer #k: its 3D view's data digest, how often each live figure was drawn, its controls.
_EXPLORER_STATE_JS = """
const box = document.querySelectorAll('.semgcn-explorer')[arguments[0]];
const hosts = Array.from(box.querySelectorAll('.semgcn-explorer-host'));
const gds = hosts.map(h => h.querySelector('.js-plotly-plot'));
const g3 = gds.filter(gd => gd && gd._fullLayout && gd._fullLayout.scene).pop();
// plain arrays, typed arrays, or plotly's {dtype, bdata} typed-array spec (the live figures' JSON)
const list = a => (a === undefined || a === null) ? [] : (a.bdata !== undefined ? [a.dtype, a.bdata] :
                  (typeof a === 'object' ? Array.from(a) : [a]));
const digest = g3 ? JSON.stringify(g3.data.filter(t => t.type === 'scatter3d').map(t =>
    [t.x, t.y, t.z, t.marker && t.marker.size, t.marker && t.marker.color].map(list))) : '';
return {renders: hosts.map(h => Number(h.dataset.renders || 0)), drawMs: hosts.map(h => Number(h.dataset.drawMs || 0)),
        digest, g3: g3 ? (g3.dataset.probe ||
        (g3.dataset.probe = Math.random().toString(36).slice(2))) : '',
        sliders: box.querySelectorAll('.widget-slider .noUi-handle').length,
        dropdowns: box.querySelectorAll('.widget-dropdown select').length,
        multis: box.querySelectorAll('.widget-select-multiple select').length};
"""

_SELECT_JS = """
const box = document.querySelectorAll('.semgcn-explorer')[arguments[0]];
const sel = box.querySelectorAll(arguments[1])[0];
const want = sel.multiple ? arguments[2] : [(sel.selectedIndex + 1) % sel.options.length];
Array.from(sel.options).forEach((o, i) => { o.selected = want.includes(i); });
if (!sel.multiple) sel.selectedIndex = want[0];
sel.dispatchEvent(new Event('change', {bubbles: true}));
return sel.options.length;
"""

_ERROR_TEXT_JS = """
return Array.from(document.querySelectorAll('.jp-OutputArea-output')).filter(o => o.getClientRects().length &&
  /Error displaying widget|model not found/.test(o.textContent)).map(o => o.textContent.slice(0, 80));
"""

_STATIC_JS = """
return Array.from(document.querySelectorAll('.js-plotly-plot')).filter(gd => gd.layout && gd.layout.meta &&
  gd.layout.meta.semgcn_static).map(gd => {
    const child = gd.closest('.jp-OutputArea-child'), cell = gd.closest('.jp-Cell');
    return {visible: !!gd.getClientRects().length, drawn: !!gd.querySelector('svg.main-svg'),
            canvases: gd.querySelectorAll('canvas').length, style: gd.getAttribute('style') || '',
            child: child ? getComputedStyle(child).display : '', cell: cell ? cell.className : '',
            previous: child && child.previousElementSibling ? child.previousElementSibling.className +
              ' ' + child.previousElementSibling.textContent.slice(0, 60) : ''};
  });
"""


# --- driving the page -----------------------------------------------------------------------------

def _wait(predicate, timeout: float, step: float = 0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


# Chromium's note when the test leaves a notebook with unsaved changes (not the page's doing)
NAVIGATION = ("Blocked attempt to show a 'beforeunload' confirmation panel",)


def _console(driver, where: str, result: Result, allow=NAVIGATION) -> None:
    for entry in driver.get_log("browser"):
        msg = entry.get("message", "")
        if any(a in msg for a in allow):
            continue
        if entry.get("level") == "SEVERE":
            result.fail(where, f"console error: {msg[:300]}")
        elif "WebGL" in msg and ("context" in msg.lower()):
            result.fail(where, f"WebGL context warning: {msg[:300]}")


def _blank(driver, element) -> bool:
    """True when a screenshot of ``element`` has (almost) one colour only."""
    from PIL import Image

    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    time.sleep(0.1)
    img = Image.open(io.BytesIO(element.screenshot_as_png)).convert("RGB")
    colours = img.getcolors(maxcolors=1 << 16)
    return colours is not None and len(colours) < 8


def check_plots(driver, where: str, result: Result, *, screenshots_ok: bool = True) -> int:
    from selenium.webdriver.common.by import By

    plots = driver.execute_script(_PLOTS_JS)
    elements = [e for e in driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot") if e.is_displayed()]
    for k, p in enumerate(plots):
        label = f"plot area #{k}" + (" (live explorer)" if p["live"] else "")
        if not p["drawn"]:
            result.fail(where, f"{label} was not drawn (no svg.main-svg)")
        elif p["scenes"] and (p["canvases"] == 0 or p["lost"]):
            result.fail(where, f"{label}: 3D scene without a live WebGL canvas ({p['canvases']} canvas, "
                               f"{p['lost']} lost)")
        elif screenshots_ok and k < len(elements) and _blank(driver, elements[k]):
            result.fail(where, f"{label} is blank in a screenshot")
        if p["overflow"] > 2:
            result.fail(where, f"{label} is {p['width']} px wide and reaches {p['overflow']} px past its "
                               f"{p['areaWidth']} px output area")
    return len(plots)


def _step_slider(driver, box_index: int, slider_index: int = 0) -> float:
    """One keyboard step of a slider: to the right, or to the left once it is at its end.
    Returns the time of the key press (``time.perf_counter``)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_elements(By.CSS_SELECTOR, ".semgcn-explorer")[box_index]
    handle = box.find_elements(By.CSS_SELECTOR, ".widget-slider .noUi-handle")[slider_index]
    at_end = driver.execute_script(
        "const h = arguments[0]; h.scrollIntoView({block: 'center'}); h.focus();"
        "return Number(h.getAttribute('aria-valuenow')) >= Number(h.getAttribute('aria-valuemax'));", handle)
    pressed = time.perf_counter()
    handle.send_keys(Keys.ARROW_LEFT if at_end else Keys.ARROW_RIGHT)
    return pressed


FIRST_DRAW_S = 300  # a loaded 2-core machine can take minutes to draw an explorer


def drive_explorer(driver, where: str, k: int, updates: int, result: Result) -> None:
    """``updates`` changes of explorer ``k``'s controls; each must redraw its 3D view in place with new data."""
    state = lambda: driver.execute_script(_EXPLORER_STATE_JS, k)  # noqa: E731
    # in view first (JupyterLab may defer what is off screen)
    driver.execute_script("document.querySelectorAll('.semgcn-explorer')[arguments[0]]"
                          ".scrollIntoView({block: 'center'});", k)
    start = _wait(lambda: (lambda s: s if s["digest"] and all(s["renders"]) else None)(state()), FIRST_DRAW_S)
    key = f"{where} explorer #{k}"
    if not start:
        last = state()
        result.fail(key, f"the explorer's figures were never drawn (renders per view {last['renders']}, "
                         f"3D data {'present' if last['digest'] else 'absent'}, after {FIRST_DRAW_S} s)")
        return
    plan = []  # (description, action)
    n_sliders, n_drop, n_multi = start["sliders"], start["dropdowns"], start["multis"]
    for u in range(updates):
        if n_drop and u % 10 == 9:
            plan.append(("dropdown", lambda: (time.perf_counter(),
                                              driver.execute_script(_SELECT_JS, k, ".widget-dropdown select", []))[0]))
        elif n_multi and u % 5 == 4:
            plan.append(("multi-select", lambda u=u: (time.perf_counter(), driver.execute_script(
                _SELECT_JS, k, ".widget-select-multiple select", [[0], [0, 1], [1], [0, 2], [2]][u // 5 % 5]))[0]))
        else:
            plan.append(("slider step", lambda: _step_slider(driver, k)))
    result.driven[key] = ", ".join(f"{sum(d == w for d, _ in plan)} {w}" for w in dict.fromkeys(d for d, _ in plan))
    lat = result.latencies.setdefault(key, [])
    draw = result.draw_times.setdefault(key, [])
    before = start
    for u, (what, act) in enumerate(plan):
        t0 = act()  # the moment of the key press or the change event
        after = _wait(lambda: (lambda s: s if s["renders"][-1] > before["renders"][-1] else None)(state()), 30,
                      step=0.02)
        if not after:
            result.fail(key, f"update {u + 1} ({what}) did not redraw the 3D view within 30 s")
            return
        lat.append(time.perf_counter() - t0)
        draw.append(after["drawMs"][-1] / 1000)
        time.sleep(0.05)  # a redraw may be one of several queued: let the drawing settle
        after = state()
        if after["digest"] == before["digest"]:
            result.fail(key, f"update {u + 1} ({what}): the 3D data did not change")
        if after["g3"] != before["g3"]:
            result.fail(key, f"update {u + 1} ({what}): a new 3D plot replaced the old one (new WebGL context)")
        before = after
    if n_sliders == 0:
        result.fail(key, "no slider to drive")


def open_notebook(driver, lab: JupyterLab, name: str, where: str, result: Result) -> bool:
    driver.get(f"{lab.url}/lab/tree/{name}.ipynb?reset")  # ?reset: no tabs restored from the last chapter
    status = _wait(lambda: (lambda s: s if s in ("idle",) else None)(driver.execute_script(_READY_JS)), 120, 0.5)
    if not status:
        result.fail(where, f"the notebook did not open with an idle kernel ({driver.execute_script(_READY_JS)})")
        return False
    return True


def run_all(driver, where: str, result: Result, timeout: float = 400) -> bool:
    driver.execute_script(_RUN_ALL_JS)
    state = _wait(lambda: (lambda s: s if s["status"] == "idle" and not s["pending"] and not s["unrun"] else None)(
        driver.execute_script(_RUN_STATE_JS)), timeout, 0.5)
    if not state:
        result.fail(where, f"the cells did not finish within {timeout:.0f} s: {driver.execute_script(_RUN_STATE_JS)}")
        return False
    for err in state["errors"]:
        result.fail(where, f"cell error: {err}")
    slow = sorted(((t, k) for k, t in enumerate(state["timing"]) if t), reverse=True)[:4]
    result.notes.append(f"{where}: kernel time {sum(t for t, _ in slow if t):.0f} s in the slowest cells "
                        + ", ".join(f"#{k} {t:.1f} s" for t, k in slow))
    return not state["errors"]


def reopen(driver, lab: JupyterLab, name: str, result: Result) -> None:
    """Save, shut the kernel down, reload: the explorers' static fallbacks are shown, no widget error."""
    where = f"{name} (reopened)"
    driver.set_script_timeout(180)  # saving a chapter with its outputs takes a while on a busy machine
    driver.execute_async_script("const done = arguments[0]; const app = window.jupyterapp;"
                                "app.commands.execute('docmanager:save').then(() => "
                                "app.serviceManager.sessions.shutdownAll()).then(() => done('ok'), e => done(String(e)));")
    driver.get_log("browser")
    if not open_notebook(driver, lab, name, where, result):
        return
    time.sleep(3)  # the widget manager gives up on the missing models after ~2 s
    statics = _wait(lambda: (lambda s: s if s and all(x["drawn"] for x in s) else None)(
        driver.execute_script(_STATIC_JS)), 60)
    if not statics:
        result.fail(where, f"static fallbacks not drawn: {driver.execute_script(_STATIC_JS)}")
    elif not all(s["visible"] for s in statics):
        result.fail(where, "a static fallback is hidden although its explorer is gone: "
                           f"{[s for s in statics if not s['visible']]}")
    errors = driver.execute_script(_ERROR_TEXT_JS)
    if errors:
        result.fail(where, f"visible widget error instead of the fallback: {errors[0]!r}")
    check_plots(driver, where, result)


def check(chapters=CHAPTERS, updates: int = 20, screenshots: Path | None = None, reopen_last: bool = True,
          width: int = 1280) -> Result:
    result = Result()
    chrome, chromedriver = site_check.find_browser()
    if not chrome:
        result.fail("browser", "chromium and chromedriver not found (apt-get install chromium chromium-driver)")
        return result
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    tmp = Path(tempfile.mkdtemp(prefix="semgcn-live-"))
    work = tmp / "book"
    work.mkdir()
    for name in chapters:
        nb = json.loads((ROOT / "book" / f"{name}.ipynb").read_text(encoding="utf-8"))
        nb["cells"] += [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                         "id": f"extra{k}", "source": src} for k, src in enumerate(EXTRA_CELLS.get(name, []))]
        (work / f"{name}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    lab = JupyterLab(work, tmp)
    opts = webdriver.ChromeOptions()
    opts.binary_location = chrome
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},1000",
                "--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist",
                "--disable-extensions", "--no-first-run", "--disable-background-networking", OFFLINE):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=opts)
    try:
        for c, name in enumerate(chapters):
            t0 = time.time()
            if not open_notebook(driver, lab, name, name, result) or not run_all(driver, name, result):
                continue
            result.notes.append(f"{name}: cells ran in {time.time() - t0:.0f} s")
            n = _wait(lambda: driver.execute_script(_EXPLORERS_JS), 30)
            if not n:
                result.fail(name, "no live explorer on the page")
                continue
            time.sleep(1)
            t1 = time.time()
            plots = check_plots(driver, name, result)
            _console(driver, name, result)
            t2 = time.time()
            for k in range(n):
                drive_explorer(driver, name, k, updates, result)
            _console(driver, f"{name}, after the updates", result)
            t3 = time.time()
            check_plots(driver, f"{name}, after {updates} updates per explorer", result)
            result.notes.append(f"{name}: {plots} plot areas, {n} explorer(s); checking the plots took "
                                f"{t2 - t1:.0f} s, the updates {t3 - t2:.0f} s, the last check {time.time() - t3:.0f} s")
            if screenshots:
                screenshots.mkdir(parents=True, exist_ok=True)
                _page_screenshot(driver, screenshots / f"{name}.png")
            if reopen_last and c == len(chapters) - 1:
                t4 = time.time()
                reopen(driver, lab, name, result)
                result.notes.append(f"{name}: reopening took {time.time() - t4:.0f} s")
                driver.get_log("browser")  # the widget manager's "model not found": expected there
                if screenshots:
                    _page_screenshot(driver, screenshots / f"{name}-reopened.png")
            driver.execute_script("return window.jupyterapp.serviceManager.sessions.shutdownAll();")
    finally:
        driver.quit()
        lab.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def _page_screenshot(driver, path: Path) -> None:
    """The page's explorers and other figures, stacked in one PNG per chapter."""
    from PIL import Image
    from selenium.webdriver.common.by import By

    shots = []
    for box in driver.find_elements(By.CSS_SELECTOR, ".semgcn-explorer, .jp-OutputArea-output .js-plotly-plot"):
        inside = driver.execute_script("return !!arguments[0].parentElement.closest('.semgcn-explorer');", box)
        if box.is_displayed() and not inside:
            driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", box)
            time.sleep(0.2)
            shots.append(Image.open(io.BytesIO(box.screenshot_as_png)))
    if shots:
        w, h = max(s.width for s in shots), sum(s.height for s in shots)
        sheet = Image.new("RGB", (w, h), "white")
        y = 0
        for s in shots:
            sheet.paste(s, (0, y))
            y += s.height
        sheet.save(path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapters", nargs="+", default=list(CHAPTERS))
    parser.add_argument("--updates", type=int, default=20, help="updates per explorer (default 20)")
    parser.add_argument("--screenshots", metavar="DIR", help="save each chapter's plots as one PNG here")
    parser.add_argument("--no-reopen", action="store_true", help="skip the reopen-without-kernel check")
    args = parser.parse_args(argv)
    t0 = time.time()
    result = check(args.chapters, args.updates, Path(args.screenshots) if args.screenshots else None,
                   not args.no_reopen)
    print(result.text())
    print(f"wall time {time.time() - t0:.0f} s")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
