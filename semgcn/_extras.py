"""Optional dependencies: a missing one names the extra that installs it."""
from __future__ import annotations

import importlib.util

#: Optional modules and the extra of ``pip install "semgcn[EXTRA]"`` that brings each.
EXTRAS = {"plotly": "viz", "matplotlib": "viz", "ipywidgets": "viz", "h5py": "h5", "torchvision": "image",
          "onnx": "export", "onnxscript": "export", "onnxruntime": "export"}


def hint(module: str) -> str:
    """``': pip install "semgcn[viz]"'`` for an optional module, else ``''``."""
    extra = EXTRAS.get(module.split(".")[0])
    return f': pip install "semgcn[{extra}]"' if extra else ""


def require(*modules: str, feature: str) -> None:
    """Raise one ``ModuleNotFoundError`` naming every missing module of ``feature`` and the extra to install."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise ModuleNotFoundError(f"{feature} needs {', '.join(missing)}, which is not installed{hint(missing[0])}",
                                  name=missing[0])
