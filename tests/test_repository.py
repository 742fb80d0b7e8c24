"""The repository stays small: no tracked file over 10 MB, a clone (history + checkout) under 50 MB."""
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MB = 2 ** 20


def _git(*args) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def tracked():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    names = [n for n in _git("ls-files", "-z").split("\0") if n]
    return {n: (ROOT / n).stat().st_size for n in names if (ROOT / n).is_file()}


def test_no_tracked_file_over_10_mb(tracked):
    big = {n: round(s / MB, 1) for n, s in tracked.items() if s > 10 * MB}
    assert not big, f"tracked files over 10 MB (MB): {big}"


def _history_bytes() -> int:
    """Bytes of a fresh pack of every object reachable from HEAD: what `git clone` transfers.

    Measured by packing rather than with `git count-objects`, whose answer depends on how this
    checkout was made (a local clone hard-links the source's loose objects, packs and garbage).
    """
    pack = subprocess.run(["git", "-C", str(ROOT), "pack-objects", "--revs", "--stdout", "-q"],
                          input=b"HEAD\n", check=True, capture_output=True).stdout
    return len(pack)


def test_clone_under_50_mb(tracked):
    history = _history_bytes()
    total = history + sum(tracked.values())
    assert total < 50 * MB, (f"history {history / MB:.1f} MB (packed, reachable from HEAD) + checkout "
                             f"{sum(tracked.values()) / MB:.1f} MB = {total / MB:.1f} MB (budget 50 MB)")


def test_book_notebooks_are_committed_clean_with_cell_ids():
    """Every chapter is stored without outputs, and each cell has a unique id (nbformat 4.5 requires them;
    a cell without one draws a warning in every build and will be an error in later nbformat versions)."""
    import json
    problems = []
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        ids = [cell.get("id") for cell in nb["cells"]]
        if None in ids or len(set(ids)) != len(ids):
            problems.append(f"{path.name}: cells without an id or with a repeated one")
        if any(cell.get("outputs") for cell in nb["cells"]):
            problems.append(f"{path.name}: committed with outputs")
    assert not problems, problems
