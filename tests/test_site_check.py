"""The layout checks of tests/site_check.py, on a small hand-written site.

Each page of the site holds exactly one kind of layout defect (the clean
``index.html`` none); the checker runs on it in headless Chromium at 1400 px
and at 390 px and must flag each defect, at the right widths, and nothing on
the clean page.  Skipped when selenium, chromium or chromedriver are missing.
"""
import json
import shutil
import sys
from collections import defaultdict
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import site_check  # noqa: E402

WIDTHS = (1400, 390)

# A page shaped like the book's theme: a navigation column beside the content
# column (article.bd-article), which fills the screen on a phone.
PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="icon" href="data:,">
<style>
  body {{ margin: 0; font: 16px/1.5 sans-serif; }}
  .bd-main {{ display: flex; }}
  nav {{ flex: none; width: 260px; }}
  article.bd-article {{ flex: 1; min-width: 0; max-width: 760px; padding: 0 16px; }}
  .scroll-box {{ overflow-x: auto; }}
  pre {{ overflow-x: auto; }}
  img {{ max-width: 100%; }}
  @media (max-width: 700px) {{ nav {{ display: none; }} }}
</style>
{head}
</head><body><div class="bd-main"><nav>Contents</nav>
<article class="bd-article"><section id="s"><h1>{title}</h1>
<p>Ordinary prose that wraps inside the column, as it should on any screen width.</p>
{body}
</section></article></div></body></html>
"""

PLOTLY_HEAD = '<script src="plotly.min.js"></script>'


def _table(columns: int, width_px: int = 0) -> str:
    style = f' style="white-space: nowrap; width: {width_px}px"' if width_px else ""
    head = "".join(f"<th>column {k}</th>" for k in range(columns))
    row = "".join(f"<td>{k * 1.5:.2f}</td>" for k in range(columns))
    return f"<table{style}><thead><tr>{head}</tr></thead><tbody><tr>{row}</tr></tbody></table>"


def _plotly_div(div_id: str, fig) -> str:
    spec = fig.to_plotly_json()
    data = json.dumps(spec["data"], default=lambda a: a.tolist())
    layout = json.dumps(spec["layout"], default=lambda a: a.tolist())
    return (f'<div id="{div_id}" class="plotly-graph-div" style="height: 420px; width: 100%;"></div>'
            f'<script>Plotly.newPlot("{div_id}", {data}, {layout}, '
            '{"responsive": true, "displaylogo": false});</script>')


def _mathjax_dir():
    """MathJax 3 from the django-static-mathjax package (what the book serves), or None."""
    try:
        import mathjax
    except ImportError:
        return None
    es5 = Path(mathjax.__file__).resolve().parent / "static" / "mathjax" / "es5"
    return es5 if (es5 / "tex-mml-chtml.js").exists() else None


def build_site(root: Path) -> dict:
    """Write the test site into ``root``; returns ``{page: the one check expected to fail there}``
    (None for the clean page)."""
    import plotly
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", root / "plotly.min.js")
    (root / "wide.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="60">'
                                   '<rect width="1600" height="60" fill="#48c"/></svg>')
    (root / "small.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="60">'
                                    '<rect width="300" height="60" fill="#4a4"/></svg>')
    expected = {}

    def page(name, title, body, head="", check=None):
        (root / name).write_text(PAGE.format(title=title, body=body, head=head), encoding="utf-8")
        expected[name] = check

    # Clean: a table wider than a phone in its own scroll box, a short code block,
    # an image that fits, a plotly figure whose title, legend and modebar keep apart.
    clean = go.Figure([go.Scatter(x=[0, 1, 2], y=[1, 3, 2], name="left"),
                       go.Scatter(x=[0, 1, 2], y=[2, 1, 3], name="right")])
    # (with play buttons beside a slider, as plotly lays out an animation)
    clean.update_layout(title=dict(text="Clean", x=0.02), margin=dict(t=60, b=10),
                        legend=dict(orientation="h", x=1, xanchor="right", y=1.02, yanchor="bottom"),
                        updatemenus=[dict(type="buttons", direction="left", x=0, y=-0.12, xanchor="left",
                                          yanchor="top", pad=dict(t=40, r=10),
                                          buttons=[dict(label="Play", method="skip"),
                                                   dict(label="Pause", method="skip")])],
                        sliders=[dict(x=0.6, len=0.4, y=-0.12, yanchor="top", pad=dict(t=30),
                                      currentvalue=dict(prefix="step "),
                                      steps=[dict(label=str(k), method="skip") for k in range(5)])])
    page("index.html", "A clean page",
         f'<div class="scroll-box">{_table(8)}</div>'
         '<pre><code>x = layer(h)  # $ and \\frac in code are fine</code></pre>'
         '<p>A price in code: <code>$5</code>.</p>'
         '<img src="small.svg" alt="a small figure">' + _plotly_div("clean-fig", clean),
         head=PLOTLY_HEAD)
    # Overflow: a wide table with no scroll box spills out of the column; in a folded
    # solution, a word too long for a phone runs out of its paragraph.
    page("overflow.html", "A table spilling out of the column",
         _table(12, width_px=1100) + "<details><summary>Solution</summary><p>The answer is "
         + "Semantic" * 8 + ".</p></details>", check="overflow")
    # Unrendered TeX in prose (the chapter 9 defect) and a TeX command that was never typeset.
    page("tex.html", "Broken math",
         "<p>one set of edge weights M_d per output channel d$ is learnt.</p>"
         "<p>The ratio \\frac{a}{b} was never rendered.</p>", check="tex")
    # Overlapping plotly boxes: a legend on top of the title, subplot titles running into each other.
    overlap = make_subplots(rows=1, cols=3, subplot_titles=(
        "A very long first subplot title that runs on", "A very long second subplot title that runs on",
        "A very long third subplot title that runs on"))
    for col in (1, 2, 3):
        overlap.add_scatter(x=[0, 1], y=[col, 0], name=f"trace {col}", row=1, col=col)
    overlap.update_layout(title=dict(text="The title under the legend", x=0.02, y=0.97),
                          legend=dict(x=0, y=1, xref="container", yref="container", xanchor="left",
                                      yanchor="top", orientation="h"),
                          margin=dict(t=110))
    page("plotly.html", "Overlapping plotly boxes", _plotly_div("overlap-fig", overlap), head=PLOTLY_HEAD,
         check="plotly-overlap")
    # A figure wider than the column (in a scroll box, which does not excuse a figure).
    page("figure.html", "A figure wider than the column",
         '<div class="scroll-box"><img src="wide.svg" alt="a wide figure" style="max-width: none"></div>',
         check="figure-width")
    # A printed line so long that a desktop reader must scroll sideways (accepted on a phone).
    page("scroll.html", "A long printed line",
         '<div class="cell_output"><pre>' + "  ".join(f"epoch {k}: loss 0.{k:03d}" for k in range(12))
         + "</pre></div>", check="scroll")
    # The same for a line of code (a separate check: code may scroll, prose outputs should not).
    page("code.html", "A long line of code",
         '<div class="cell_input"><pre>' + " + ".join(f"weight_{k} * input_{k}" for k in range(12))
         + "</pre></div>", check="code-scroll")
    # A MathJax error (an undefined control sequence), with the MathJax the book serves.
    es5 = _mathjax_dir()
    if es5 is not None:
        for part in ("tex-mml-chtml.js", "output/chtml/fonts/woff-v2"):
            (root / "mathjax" / part).parent.mkdir(parents=True, exist_ok=True)
            (shutil.copytree if (es5 / part).is_dir() else shutil.copy)(es5 / part, root / "mathjax" / part)
        page("math.html", "A MathJax error",
             '<p>Fine: <span class="math notranslate nohighlight">\\(x^2\\)</span>; broken: '
             '<span class="math notranslate nohighlight">\\(\\frac{a}{\\notacommand b}\\)</span> and '
             '<span class="math notranslate nohighlight">\\(x^{2\\)</span>.</p>',
             head='<script>window.MathJax = {options: {processHtmlClass: "math", ignoreHtmlClass: "tex2jax_ignore"}};'
                  '</script><script defer src="mathjax/tex-mml-chtml.js"></script>', check="math")
    return expected


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("selenium")
    pytest.importorskip("plotly")
    if site_check.find_browser() == (None, None):
        pytest.skip("chromium / chromedriver not installed (apt-get install chromium chromium-driver)")
    root = tmp_path_factory.mktemp("bad_site")
    expected = build_site(root)
    report = site_check.check_site(root, widths=WIDTHS, known_problems=None, page_timeout=20)
    return root, expected, report


def _found(report) -> dict:
    found = defaultdict(set)  # (page, width) -> checks
    for p in report.problems:
        found[(p.page, p.width)].add(p.check)
    return found


def test_each_defect_is_found_at_each_width_and_the_clean_page_passes(site):
    _, expected, report = site
    found = _found(report)
    assert report.pages == len(expected), report.text()
    for page, check in expected.items():
        for width in WIDTHS:
            desktop_only = check in ("scroll", "code-scroll") and width < site_check.DESKTOP_MIN_WIDTH
            want = set() if check is None or desktop_only else {check}
            assert found.get((page, width), set()) == want, f"{page} @{width}px\n{report.text()}"
    assert not report.ok
    assert {p.page for p in report.problems} == {p for p, c in expected.items() if c}, report.text()


def test_problem_lines_name_page_width_check_and_element(site):
    _, expected, report = site
    text = report.text()
    assert "FAIL overflow.html @390px [overflow]: <table>" in text
    assert "past the content column, with no scroll box" in text
    assert 'overflow.html @390px [overflow]: <p> "The answer is SemanticSemantic' in text  # unfolded
    assert "its text reaches" in text
    assert 'FAIL tex.html @1400px [tex]: <p> "one set of edge weights M_d' in text
    assert '"$"' in text and '"\\\\frac"' in text
    assert "FAIL figure.html @390px [figure-width]: <img>" in text and "1600 px wide" in text
    assert "the legend overlaps title" in text or "title \"The title under the legend\" overlaps the legend" in text
    assert "annotation \"A very long first subplot" in text
    assert "FAIL scroll.html @1400px [scroll]: <pre>" in text
    assert "FAIL code.html @1400px [code-scroll]: <pre>" in text
    if "math.html" in expected:
        assert "FAIL math.html @1400px [math]:" in text and "notacommand" in text


def test_known_problems_silence_only_their_page_width_and_check(site):
    report = site[2]
    entries = report.known_entries()
    assert {"page": "overflow.html", "width": 390, "check": "overflow"} in entries
    fresh = site_check.Report(problems=[site_check.Problem(p.page, p.what, p.check, p.width)
                                        for p in report.problems])
    fresh.apply_known(entries + [{"page": "gone.html", "width": None, "check": "tex"}], "known.json")
    assert fresh.ok and len(fresh.known) == len(report.problems)
    assert any("gone.html [tex]" in what and "no longer found" in what for _, what in fresh.notes)
    partial = site_check.Report(problems=[site_check.Problem(p.page, p.what, p.check, p.width)
                                          for p in report.problems])
    partial.apply_known([{"page": "overflow.html", "width": 1400, "check": "overflow"}])
    assert not partial.ok
    assert [(p.page, p.width) for p in partial.problems if p.known] == [("overflow.html", 1400)]


def test_command_line_exit_status_and_known_problems_file(site, tmp_path, capsys):
    root, _, _ = site
    known = tmp_path / "known.json"
    args = [str(root), "--pages", "overflow.html", "index.html", "--widths", "1400", "390", "--page-timeout", "20"]
    # --reload: a fresh page load at each width (the default narrows the window of the loaded page)
    assert site_check.main(args + ["--reload", "--no-known-problems", "--write-known-problems", str(known)]) == 1
    assert json.loads(known.read_text())["problems"] == [{"page": "overflow.html", "width": 390, "check": "overflow"},
                                                         {"page": "overflow.html", "width": 1400, "check": "overflow"}]
    assert site_check.main(args + ["--known-problems", str(known)]) == 0
    out = capsys.readouterr().out
    assert "known overflow.html @390px [overflow]" in out and "(and 1 more)" in out
    assert "0 problem(s), 3 known" in out
