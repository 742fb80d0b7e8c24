"""Load ``.npz`` files that hold pickled Python objects, without running their code.

The community's Human3.6M files (``data_3d_h36m.npz``, ``data_2d_h36m_*.npz``)
store a dict of dicts of arrays as a 0-d numpy *object* array, i.e. a pickle.
``numpy.load(allow_pickle=True)`` would let such a file call any Python
function (``os.system`` ...).  :func:`load_npz` unpickles object arrays with a
restricted unpickler that only admits plain data:

* ``dict``, ``list``, ``tuple``, ``set``, ``frozenset``, ``str``, ``bytes``,
  ``bytearray``, ``int``, ``float``, ``complex``, ``bool``, ``None``,
  ``collections.OrderedDict``;
* numpy arrays, dtypes and scalars: ``numpy.ndarray``, ``numpy.dtype``,
  ``numpy[._]core.multiarray._reconstruct`` and ``.scalar`` (numpy 1.x and 2.x
  module paths);
* ``_codecs.encode``, which protocol-2 pickles use to rebuild ``bytes``.

Any other global is refused with :class:`UnsafePickleError` naming the file,
the member and the global, *before* anything is called.  Arrays that are not
object arrays are read by numpy with ``allow_pickle=False``.
"""
from __future__ import annotations

import ast
import importlib.util
import pickle
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["load_npz", "UnsafePickleError", "ALLOWED_GLOBALS"]

#: ``(module, name)`` pairs the unpickler may resolve.
ALLOWED_GLOBALS = frozenset({
    *(("builtins", n) for n in ("dict", "list", "tuple", "set", "frozenset", "str", "bytes", "bytearray",
                                "int", "float", "complex", "bool")),
    ("collections", "OrderedDict"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("_codecs", "encode"),
})

_MAGIC = b"\x93NUMPY"
_NUMPY_HAS_PRIVATE_CORE = importlib.util.find_spec("numpy._core") is not None


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle inside an ``.npz`` file refers to a global that is not plain data."""


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file, source: str):
        super().__init__(file, encoding="latin1")  # latin1: also reads numpy arrays pickled by Python 2
        self._source = source

    def find_class(self, module: str, name: str):
        if (module, name) not in ALLOWED_GLOBALS:
            raise UnsafePickleError(
                f"{self._source}: refusing to load forbidden global {module}.{name} "
                "(only dicts, lists, tuples, strings, numbers, bools, None and numpy arrays are allowed)")
        if module.startswith("numpy._core") and not _NUMPY_HAS_PRIVATE_CORE:
            module = "numpy.core" + module[len("numpy._core"):]  # a numpy 2 file read by an old numpy 1.x
        return super().find_class(module, name)

    def persistent_load(self, pid):
        raise UnsafePickleError(f"{self._source}: persistent ids are not allowed in a data file")


def _read_header(fh, source: str) -> dict:
    """Parse an ``.npy`` header (format versions 1.0, 2.0 and 3.0)."""
    magic = fh.read(8)
    if len(magic) != 8 or magic[:6] != _MAGIC:
        raise ValueError(f"{source}: not an .npy array (bad magic {magic[:6]!r})")
    major = magic[6]
    if major == 1:
        size = int.from_bytes(fh.read(2), "little")
    elif major in (2, 3):
        size = int.from_bytes(fh.read(4), "little")
    else:
        raise ValueError(f"{source}: unsupported .npy format version {major}.{magic[7]}")
    text = fh.read(size).decode("utf-8" if major == 3 else "latin1")
    try:
        header = ast.literal_eval(text)  # a Python literal, never code
    except (ValueError, SyntaxError) as err:
        raise ValueError(f"{source}: malformed .npy header {text!r}") from err
    if not isinstance(header, dict) or not {"descr", "fortran_order", "shape"} <= set(header):
        raise ValueError(f"{source}: malformed .npy header {text!r}")
    return header


def _is_object_dtype(descr) -> bool:
    try:
        return np.dtype(descr).hasobject
    except TypeError:  # structured descr lists
        return np.dtype([tuple(d) for d in descr]).hasobject


def load_npz(path: str | Path) -> dict[str, object]:
    """Read every array of an ``.npz`` file, unpickling object arrays safely.

    Returns ``{name: value}`` in file order.  A 0-d object array (how
    ``np.savez(positions_3d=some_dict)`` stores a dict) is unwrapped to the
    object it holds; other arrays are returned as numpy arrays.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is not an ``.npz`` archive or holds a broken array.
        UnsafePickleError: a pickle refers to anything but plain data.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path}: not an .npz (zip) archive")
    out: dict[str, object] = {}
    plain: list[str] = []  # ordinary arrays, read below by numpy with pickles disabled
    with zipfile.ZipFile(path) as zf:
        for member in zf.namelist():
            if not member.endswith(".npy"):
                continue
            key = member[:-4]
            source = f"{path} (array {key!r})"
            with zf.open(member) as fh:
                header = _read_header(fh, source)
                if not _is_object_dtype(header["descr"]):
                    plain.append(key)
                    out[key] = None  # placeholder keeps the file order
                    continue
                value = _RestrictedUnpickler(fh, source).load()
            if isinstance(value, np.ndarray):
                if value.shape != tuple(header["shape"]):
                    raise ValueError(f"{source}: header says shape {tuple(header['shape'])}, "
                                     f"the pickle holds {value.shape}")
                if value.shape == () and value.dtype == object:
                    value = value.item()
            out[key] = value
    if plain:
        with np.load(path, allow_pickle=False) as npz:
            for key in plain:
                out[key] = npz[key]
    return out
