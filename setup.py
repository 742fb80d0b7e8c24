"""Build hook: every wheel carries the shipped results.

The repository keeps its shipped results (records and float16 weights) in
``results/`` beside the package.  A wheel built from the repository copies
them into ``semgcn/_results`` so that an installed package (a wheel, or
``pip install "semgcn @ git+URL"`` on Colab) finds them without the checkout;
``semgcn.experiments.find_results_dir`` says where they are looked up.  An
editable install reads ``results/`` in place, so nothing is copied then.
Everything else is declared in ``pyproject.toml``.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

RESULTS = Path(__file__).resolve().parent / "results"
SHIPPED = ("*.json", "*.pt")   # records, summaries, float16 weights


class BuildPyWithResults(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False) or not RESULTS.is_dir():
            return
        target = Path(self.build_lib) / "semgcn" / "_results"
        shutil.rmtree(target, ignore_errors=True)
        for pattern in SHIPPED:
            for src in RESULTS.rglob(pattern):
                dest = target / src.relative_to(RESULTS)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest)


setup(cmdclass={"build_py": BuildPyWithResults})
