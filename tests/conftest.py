"""Each notebook runs once in `make test`: the chapters that read shipped results run in the Colab
simulation (tests/test_colab.py: alone, from the installed wheel), so their plain nbmake runs are
deselected when that test is part of the session; every other notebook runs under nbmake."""
from pathlib import Path


def pytest_collection_modifyitems(config, items):
    colab = [i for i in items if Path(str(i.fspath)).name == "test_colab.py" and "chapter_runs_alone" in i.name]
    if not colab:
        return
    covered = {i.callspec.params["chapter"] for i in colab}
    keep, drop = [], []
    for item in items:
        path = Path(str(item.fspath))
        (drop if path.suffix == ".ipynb" and path.name in covered else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
