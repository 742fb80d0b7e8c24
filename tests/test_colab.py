"""Colab, simulated: each chapter that reads shipped results is copied alone
into an empty folder and run top to bottom in a fresh environment where
``google.colab`` is imported and ``semgcn`` is not installed.  The only change
to the notebook is where its install cell gets the package from: the wheel
built from this checkout instead of the repository's address."""
import json
import re
from pathlib import Path

import pytest

from fresh_env import REPO, build_wheel, fresh_venv

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

#: The chapters that read shipped results (the others never touch results/).
RESULT_CHAPTERS = sorted(p.name for p in (REPO / "book").glob("*.ipynb")
                         if re.search(r"load_result|results_table|load_shipped|result_path|report\.|leaderboard\.",
                                      p.read_text()))


def _install_source() -> str:
    from semgcn.viz.book import repository_url
    return f"git+{repository_url(REPO / '_config.yml')}"


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("colab")
    wheel = build_wheel(tmp)
    python = fresh_venv(tmp, colab=True)
    spec = tmp / "jupyter" / "kernels" / "colab-sim"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab simulation", "language": "python",
        "env": {"OMP_NUM_THREADS": "1", "SEMGCN_H36M": "", "PYTHONPATH": ""}}))
    return tmp, wheel


def test_every_chapter_installs_from_the_configured_repository():
    from semgcn.viz.book import sync_install_cells
    stale = sync_install_cells(REPO / "book", REPO / "_config.yml")
    assert not stale, f"run `make install-cells`: {[p.name for p in stale]}"


def _text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(out.get("text", ""))
            for mime in ("text/plain", "text/markdown", "text/html"):
                data = out.get("data", {}).get(mime)
                if data:
                    parts.append(data if isinstance(data, str) else "".join(data))
    return "\n".join(parts)


@pytest.mark.slow
@pytest.mark.parametrize("chapter", RESULT_CHAPTERS)
def test_chapter_runs_alone_on_colab(chapter, colab, tmp_path, monkeypatch):
    tmp, wheel = colab
    monkeypatch.setenv("JUPYTER_PATH", str(tmp / "jupyter"))
    source = (REPO / "book" / chapter).read_text()
    url = _install_source()
    assert source.count(url) == 1, "the install cell names the repository once"
    nb = nbformat.reads(source.replace(url, wheel.as_uri()), as_version=4)
    work = tmp_path / "content"   # Colab's working folder: the notebook alone
    work.mkdir()
    client = nbclient.NotebookClient(nb, kernel_name="colab-sim", timeout=900,
                                     resources={"metadata": {"path": str(work)}})
    client.execute()
    text = _text(nb)
    # A result the checkout ships must be found: no line reports one of them missing.  (Registered experiments
    # that are not trained yet are reported missing in the checkout too, and may be here.)
    in_checkout = {p.parent.name for p in (REPO / "results").glob("*/record.json")}
    for line in text.splitlines():
        if re.search(r"not (yet )?shipped|no shipped", line):
            named = set(re.findall(r"h36m-[\w-]+|synthetic-[\w-]+|image-features-[\w-]+", line))
            assert named and not named & in_checkout, f"{chapter}: {line}"
    assert not re.search(r"(?<!\d)0 of \d+ Human3\.6M runs", text), chapter   # "0 of 4 Human3.6M runs shipped"
    assert not (work / "results").exists()
