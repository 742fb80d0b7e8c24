"""A fresh Python environment outside the checkout, for the install tests.

:func:`fresh_venv` makes a new virtual environment in which ``semgcn`` is *not*
importable, while its dependencies (torch, plotly, ipykernel, ...) are: they are
borrowed from the test environment through a folder of symbolic links that
leaves out the editable ``semgcn`` install.  Installing torch afresh would take
minutes and gigabytes; borrowing it keeps the test about what it tests, the
wheel and what it carries.  :func:`build_wheel` builds the wheel from a copy of
the checkout, so parallel tests never share a build folder.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_NOT_COPIED = (".venv", ".git", "_build", "runs", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
               ".ipynb_checkpoints", "_results")


def build_wheel(tmp: Path) -> Path:
    """Build ``semgcn``'s wheel from a copy of the checkout; return its path."""
    src = tmp / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(*_NOT_COPIED), symlinks=True)
    out = tmp / "wheel"
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                        str(out), str(src)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    (wheel,) = out.glob("semgcn-*.whl")
    return wheel


def _borrowed_site_packages(tmp: Path) -> Path:
    """Symbolic links to everything in this environment's site-packages except semgcn itself."""
    farm = tmp / "deps"
    farm.mkdir()
    own = Path(sysconfig.get_paths()["purelib"])
    for entry in own.iterdir():
        name = entry.name.lower()
        if name.startswith(("semgcn", "__editable__", "_semgcn")) or name.endswith(".pth"):
            continue
        (farm / entry.name).symlink_to(entry)
    return farm


def fresh_venv(tmp: Path, colab: bool = False) -> Path:
    """A new venv (returns its python) where ``import semgcn`` fails until something installs it.

    ``colab=True`` also puts a module ``google.colab`` into ``sys.modules`` at start-up, as on Colab.
    """
    root = tmp / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    python = root / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    lines = [str(_borrowed_site_packages(tmp))]
    if colab:
        fake = tmp / "fake-colab"
        (fake / "google" / "colab").mkdir(parents=True)   # `google` stays a namespace package
        (fake / "google" / "colab" / "__init__.py").write_text('"""Stands in for Colab in the tests."""\n')
        lines += [str(fake), "import google.colab"]
    Path(purelib, "_semgcn_tests.pth").write_text("\n".join(lines) + "\n")
    return python
