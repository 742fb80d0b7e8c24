"""The chapters' live explorers in a real front end (tests/live_widget_check.py).

JupyterLab on 127.0.0.1 and headless Chromium with no network: chapters 1
and 10 run top to bottom (chapter 1 with the explorers of chapters 2, 4 and
5 appended), every explorer gets 20 updates from its slider, dropdown and
multi-select, every figure of the page must stay drawn, and chapter 10,
saved and reopened with a fresh kernel, must show its static fallbacks.
Skipped when chromium / chromedriver, selenium, JupyterLab or anywidget are
missing.  About 2-4 minutes on two cores: it runs in one pytest worker while
the others run the notebooks.
"""
import importlib.util
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import site_check  # noqa: E402


@pytest.mark.slow  # minutes: in `make test`, not in `make test-fast`
def test_live_explorers_in_jupyterlab_offline():
    for module in ("selenium", "jupyterlab", "anywidget", "PIL"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (pip install -r requirements.txt)")
    if site_check.find_browser() == (None, None):
        pytest.skip("chromium / chromedriver not installed (apt-get install chromium chromium-driver)")
    import live_widget_check

    result = live_widget_check.check()
    print(result.text())
    assert result.ok, result.text()
    assert len(result.latencies) >= 6  # chapters 1, 2, 4, 5 (on chapter 1's page) and 10: six explorers
    assert all(len(lat) == 20 for lat in result.latencies.values())
