"""The ``[live-model]`` checks of tests/site_check.py can fail: a small site with two pages holding the
live figure, one whose test vectors were altered (PyTorch's answer for one network moved by 2e-4 m) and
one whose JavaScript cannot be loaded.  Skipped when selenium, chromium or chromedriver are missing."""
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import site_check  # noqa: E402

PAGE = """<!DOCTYPE html>
<html data-content_root="./"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>{title}</title></head>
<body><article class="bd-article" style="max-width: 760px; margin: auto; padding: 0 16px">
<h1>{title}</h1>{body}</article></body></html>
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("selenium")
    chrome, driver = site_check.find_browser()
    if not (chrome and driver):
        pytest.skip("chromium and chromedriver not found")
    from semgcn.viz.live_model import STATIC_DIR, live_model_figure, write_live_files

    root = tmp_path_factory.mktemp("live-site")
    write_live_files(root / "_static" / STATIC_DIR)
    vectors_path = root / "_static" / STATIC_DIR / "testvectors.json"
    vectors = json.loads(vectors_path.read_text())
    vectors["outputs"]["h36m-resgcn"][3][9][2] += 2e-4        # one coordinate of one answer of one network
    vectors_path.write_text(json.dumps(vectors))
    figure = live_model_figure(joint="RWrist")._repr_html_()
    (root / "index.html").write_text(PAGE.format(title="Live figure", body=figure))
    broken = figure.replace(f"_static/{STATIC_DIR}/", "_static/no-such-folder/")
    (root / "broken.html").write_text(PAGE.format(title="Live figure without its script", body=broken))
    report = site_check.check_site(root, widths=(1400,), known_problems=None, page_timeout=60)
    return report


def test_altered_reference_and_missing_script_fail(site):
    live = [(p.page, p.what) for p in site.problems if p.check == "live-model"]
    assert any(page == "index.html" and "h36m-resgcn differs from PyTorch by 0.0002 m" in what
               for page, what in live), live
    assert not any(page == "index.html" and "h36m-semgcn " in what for page, what in live), live
    assert any(page == "broken.html" and "did not start (state 'error')" in what and "could not be loaded" in what
               for page, what in live), live
    assert len(live) == 2, live


def test_drags_and_timing_are_reported(site):
    notes = [what for page, what in site.notes if page == "index.html"]
    assert any(n.startswith("live figure: one update during a drag") for n in notes), notes
    assert any("20 inputs x 4 networks" in n for n in notes), notes
    assert not [p for p in site.problems if p.page == "index.html" and p.check != "live-model"], site.text()
