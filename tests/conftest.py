"""Each notebook runs once in `make test`: the chapters that read shipped results run in the Colab
simulation (tests/test_colab.py: alone, from the installed wheel), so their plain nbmake runs are
deselected when that test is part of the session; every other notebook runs under nbmake.

CI builds the book first (``make book`` executes every chapter and fails on any cell error) and then
sets ``SEMGCN_BOOK_EXECUTED=_build/jupyter_execute``: a notebook whose executed copy there has exactly
the same code cells and no error output was run already in this checkout, so its nbmake run is
deselected too (the Colab simulation still runs, it tests another thing: the wheel, alone).
"""
import json
import os
from pathlib import Path


def _code(nb: dict) -> list:
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb.get("cells", []) if c.get("cell_type") == "code"]


def executed_by_book(notebook: Path, executed_dir: Path) -> bool:
    """True when ``executed_dir`` holds a run of ``notebook`` with the same code cells and no error."""
    copy = executed_dir / notebook.parent.name / notebook.name
    if not copy.is_file():
        return False
    try:
        ran, src = json.loads(copy.read_text()), json.loads(notebook.read_text())
    except (OSError, ValueError):
        return False
    errors = any(o.get("output_type") == "error" for c in ran.get("cells", []) for o in c.get("outputs", []))
    return not errors and _code(ran) == _code(src)


def pytest_collection_modifyitems(config, items):
    colab = [i for i in items if Path(str(i.fspath)).name == "test_colab.py" and "chapter_runs_alone" in i.name]
    covered = {i.callspec.params["chapter"] for i in colab}
    executed = os.environ.get("SEMGCN_BOOK_EXECUTED")
    keep, drop = [], []
    for item in items:
        path = Path(str(item.fspath))
        skip = path.suffix == ".ipynb" and (
            path.name in covered or (executed and executed_by_book(path, Path(executed))))
        (drop if skip else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
