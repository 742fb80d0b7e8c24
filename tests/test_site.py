"""Browser check of the built book: runs tests/site_check.py on _build/html.

Skipped unless the book has been built (``jupyter-book build .``), selenium
is installed and Debian's chromium + chromium-driver are present.  The
SEMGCN_SITE environment variable points it at another built site.
"""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("SEMGCN_SITE", ROOT / "_build" / "html"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import site_check  # noqa: E402


def test_links_and_executed_notebooks_of_the_built_book():
    if not (SITE / "index.html").exists():
        pytest.skip(f"no built book at {SITE} (run: jupyter-book build .)")
    report = site_check.check_site(SITE, browser=False)
    assert report.ok, report.text()


def test_built_book_in_a_browser():
    if not (SITE / "index.html").exists():
        pytest.skip(f"no built book at {SITE} (run: jupyter-book build .)")
    pytest.importorskip("selenium")
    if site_check.find_browser() == (None, None):
        pytest.skip("chromium / chromedriver not installed (apt-get install chromium chromium-driver)")
    report = site_check.check_site(SITE)
    print(report.text())
    assert report.ok, report.text()
    assert report.pages > 0


def test_site_check_reports_broken_links_and_dropped_outputs(tmp_path):
    """The checker itself, on a tiny hand-made site (no browser needed)."""
    import json

    html = tmp_path / "_build" / "html"
    (html / "book").mkdir(parents=True)
    (html / "index.html").write_text('<a href="book/page.html#here">ok</a> <a href="book/page.html#gone">x</a>'
                                     '<a href="missing.html">x</a> <img src="book/fig.png">'
                                     '<a href="https://example.org/">external, not checked</a>')
    (html / "book" / "page.html").write_text('<h1 id="here">t</h1><a href="../index.html">up</a>'
                                             '<script src="../_static/x.js"></script>')
    nb_dir = tmp_path / "_build" / "jupyter_execute" / "book"
    nb_dir.mkdir(parents=True)
    outputs = [{"output_type": "display_data", "metadata": {},
                "data": {"application/vnd.plotly.v1+json": {}, "text/plain": ["Figure()"]}},
               {"output_type": "display_data", "metadata": {},
                "data": {"application/vnd.jupyter.widget-view+json": {}, "text/plain": ["IntSlider(value=3)"]}},
               {"output_type": "display_data", "metadata": {},
                "data": {"application/vnd.jupyter.widget-view+json": {}, "text/html": "<div>static</div>"}}]
    nb = {"cells": [{"cell_type": "code", "source": "", "metadata": {}, "outputs": outputs}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (nb_dir / "page.ipynb").write_text(json.dumps(nb))

    report = site_check.check_site(html, browser=False)
    problems = "\n".join(what for _, what in report.failures)
    assert len(report.failures) == 6, report.text()
    assert "no id 'gone'" in problems
    assert "missing.html does not exist" in problems
    assert "book/fig.png does not exist" in problems
    assert "_static/x.js does not exist" in problems
    assert "plotly figure without HTML output" in problems
    assert "'IntSlider(value=3)'" in problems
    assert "example.org" not in problems and not report.ok
    assert site_check.main([str(html), "--no-browser"]) == 1
