"""Read ``.npz`` files of arrays and pickled dicts without trusting them.

The community's Human3.6M files (``data_3d_h36m.npz``, ``data_2d_h36m_*.npz``)
store a dict of dicts of arrays as a 0-d numpy *object* array, i.e. a pickle.
``numpy.load(allow_pickle=True)`` would let such a file call any Python
function, and even a restricted ``pickle.Unpickler`` lets the file call the
functions it admits with arguments and ``__setstate__`` states of its
choosing (numpy's dtype and array reconstructors accept states that turn raw
bytes of the file into object pointers).  So nothing here runs the pickle
machine.  :func:`load_npz` parses the pickle's opcode stream itself and builds
only:

* ``dict`` (keys: ``str`` or ``int``), ``list``, ``tuple``, ``str``,
  ``bytes``, ``int``, ``float``, ``bool``, ``None``, nested at most
  :data:`MAX_DEPTH` deep, without cycles or shared containers;
* numpy arrays and scalars of a plain numeric dtype (:data:`NUMERIC_CODES`),
  built by the loader from the file's raw bytes after checking that
  ``shape x itemsize`` equals the number of bytes actually present;
* one object array of shape ``()`` as the outermost value (how ``np.savez``
  wraps a dict), unwrapped to the value it holds.

The only globals a pickle may name are numpy's array, dtype and scalar
reconstructors (and ``_codecs.encode`` of protocol 2); they are recognised by
name and never called.  Every other opcode or global is refused with
:class:`UnsafePickleError` before anything is built.  Plain ``.npy`` members
are read by the same code (the header is parsed as a literal of at most
10 kB, as numpy does).  Only the members asked for are read, and every
member's inflated size is capped (:data:`MAX_INFLATION` times its compressed
size, and the caller's ``max_bytes``), so a small file cannot take much
memory.  Every problem raises a ``ValueError`` that names the file and the
member (or ``FileNotFoundError``).
"""
from __future__ import annotations

import ast
import codecs
import math
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

__all__ = ["load_npz", "UnsafePickleError", "MissingKeyError", "NUMERIC_CODES", "MAX_DEPTH", "MAX_INFLATION", "MAX_HEADER"]

#: dtype codes (without byte order) an array may have.
NUMERIC_CODES = frozenset({"b1", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8"})
#: Deepest nesting of containers in a pickled value.
MAX_DEPTH = 32
#: A member may inflate to at most this many times its compressed size (float arrays deflate 1-5x).
MAX_INFLATION = 64
#: Longest ``.npy`` header accepted (numpy's own reader stops at 10 kB too).
MAX_HEADER = 10_000
_MAX_DIMS = 32
_MAX_MEMO = 100_000
_MAGIC = b"\x93NUMPY"

#: Globals recognised by ``(module, name)``; the value is what the parser calls them internally.
_GLOBALS = {
    **{(m, "_reconstruct"): "reconstruct" for m in ("numpy.core.multiarray", "numpy._core.multiarray")},
    **{(m, "scalar"): "scalar" for m in ("numpy.core.multiarray", "numpy._core.multiarray")},
    **{(m, "_frombuffer"): "frombuffer" for m in ("numpy.core.numeric", "numpy._core.numeric")},
    ("numpy", "ndarray"): "ndarray",
    ("numpy", "dtype"): "dtype",
    ("_codecs", "encode"): "encode",
}


class UnsafePickleError(ValueError):
    """A pickle inside an ``.npz`` file holds something other than plain data."""


class MissingKeyError(ValueError):
    """The archive lacks a member that was asked for (the message lists what it has)."""


class _Global:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name


class _Dtype:
    """A dtype being rebuilt: ``dtype(code, False, True)`` then ``BUILD (3, order, ...)``."""
    __slots__ = ("code", "order", "built")

    def __init__(self, code):
        self.code, self.order, self.built = code, "|", False

    def numpy(self):
        return np.dtype(self.order.replace("|", "=") + self.code) if self.code != "O8" else np.dtype(object)


class _Array:
    """An array being rebuilt: ``_reconstruct(ndarray, (0,), b'b')`` then ``BUILD (1, shape, dtype, fortran, raw)``."""
    __slots__ = ("value",)

    def __init__(self):
        self.value = None


class _Mark:
    pass


_MARK = _Mark()


def _shape(value, where) -> tuple:
    if (not isinstance(value, tuple) or len(value) > _MAX_DIMS
            or not all(type(n) is int and n >= 0 for n in value)):
        raise UnsafePickleError(f"{where}: array shape must be a tuple of at most {_MAX_DIMS} non-negative "
                                f"integers, got {_short(value)}")
    return value


def _short(value) -> str:
    text = repr(value) if not isinstance(value, (bytes, bytearray, memoryview)) else f"<{len(value)} bytes>"
    return text if len(text) < 80 else text[:77] + "..."


def _from_bytes(raw, dtype: np.dtype, shape: tuple, fortran: bool, where: str) -> np.ndarray:
    """An array on ``raw`` (a view into the member's buffer: no copy) after checking its size."""
    need = math.prod(shape) * dtype.itemsize
    if len(raw) != need:
        raise UnsafePickleError(f"{where}: array of shape {shape} and dtype {dtype} needs {need} bytes, "
                                f"the file holds {len(raw)}")
    out = np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    # Copied only when it must be: read-only bytes, or data not aligned to its item size in the file.
    return out if out.flags.writeable and out.flags.aligned else out.copy(order="K")


class _Parser:
    """A pickle reader that understands just enough opcodes (protocols 2-5) to rebuild plain data."""

    def __init__(self, data, where: str):
        self.data, self.where = memoryview(data), where
        self.pos, self.stack, self.marks, self.memo = 0, [], [], {}

    # -- reading the stream
    def take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > len(self.data):
            raise UnsafePickleError(f"{self.where}: truncated pickle (wants {n} bytes at offset {self.pos}, "
                                    f"{len(self.data) - self.pos} left)")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def uint(self, n: int) -> int:
        return int.from_bytes(self.take(n), "little")

    def fail(self, what: str):
        raise UnsafePickleError(f"{self.where}: {what} (only dicts, lists, tuples, strings, numbers and numeric "
                                f"arrays are allowed)")

    def pop_mark(self) -> list:
        if not self.marks:
            self.fail("malformed pickle: no MARK")
        start = self.marks.pop()
        items = self.stack[start:]
        del self.stack[start:]
        return items

    def pop(self):
        if not self.stack or (self.marks and len(self.stack) <= self.marks[-1]):
            self.fail("malformed pickle: stack underflow")
        return self.stack.pop()

    def text(self, n: int) -> str:
        try:
            return str(self.take(n), "utf-8", "surrogatepass")
        except UnicodeDecodeError:
            self.fail("malformed pickle: invalid UTF-8 string")

    # -- building
    def global_(self, module, name):
        if not isinstance(module, str) or not isinstance(name, str) or (module, name) not in _GLOBALS:
            shown = f"{module}.{name}" if isinstance(module, str) and isinstance(name, str) else _short((module, name))
            shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in shown[:120])   # one line, always
            self.fail(f"refusing to load forbidden global {shown}")
        return _Global(_GLOBALS[(module, name)])

    def reduce(self, func, args):
        if not isinstance(func, _Global) or not isinstance(args, tuple):
            self.fail(f"refusing to call {_short(func)}")
        name = func.name
        if name == "dtype":
            if not (len(args) == 3 and isinstance(args[0], str) and args[1:] == (False, True)):
                self.fail(f"refusing dtype{_short(args)}")
            code = args[0]
            if code not in NUMERIC_CODES and code != "O8":
                self.fail(f"refusing dtype {code!r} (plain numeric dtypes only)")
            return _Dtype(code)
        if name == "reconstruct":
            if not (len(args) == 3 and isinstance(args[0], _Global) and args[0].name == "ndarray"
                    and args[1] == (0,) and args[2] == b"b"):
                self.fail(f"refusing _reconstruct{_short(args)}")
            return _Array()
        if name == "scalar":
            if not (len(args) == 2 and isinstance(args[0], _Dtype) and args[0].code in NUMERIC_CODES
                    and isinstance(args[1], memoryview)):
                self.fail("refusing numpy scalar (plain numeric scalars only)")
            return _from_bytes(args[1], args[0].numpy(), (), False, self.where)[()]
        if name == "frombuffer":   # protocol 5: _frombuffer(buffer, dtype, shape, order)
            if not (len(args) == 4 and isinstance(args[0], memoryview) and isinstance(args[1], _Dtype)
                    and args[1].code in NUMERIC_CODES and args[3] in ("C", "F")):
                self.fail("refusing _frombuffer with these arguments")
            return _from_bytes(args[0], args[1].numpy(), _shape(args[2], self.where), args[3] == "F", self.where)
        if name == "encode":       # protocol 2 bytes: _codecs.encode(str, 'latin1')
            if not (len(args) == 2 and isinstance(args[0], str) and args[1] == "latin1"):
                self.fail("refusing _codecs.encode with these arguments")
            return memoryview(codecs.encode(args[0], "latin1"))
        self.fail(f"refusing to call {name}")

    def build(self, obj, state):
        if isinstance(obj, _Dtype) and not obj.built:
            if not (isinstance(state, tuple) and len(state) == 8 and state[0] == 3 and state[1] in ("<", ">", "|", "=")
                    and state[2:5] == (None, None, None) and state[5:7] == (-1, -1) and type(state[7]) is int):
                self.fail(f"refusing dtype state {_short(state)}")
            obj.order, obj.built = state[1], True
            return
        if isinstance(obj, _Array) and obj.value is None:
            if not (isinstance(state, tuple) and len(state) == 5 and state[0] == 1 and isinstance(state[2], _Dtype)
                    and type(state[3]) is bool):
                self.fail(f"refusing array state {_short(state)}")
            shape, dtype, fortran, raw = _shape(state[1], self.where), state[2], state[3], state[4]
            if dtype.code == "O8":   # only np.savez's wrapper: a 0-d object array holding one value
                if not (shape == () and isinstance(raw, list) and len(raw) == 1):
                    self.fail("refusing an object array (only a 0-d wrapper of one value is allowed)")
                obj.value = raw[0]
            elif isinstance(raw, memoryview):
                obj.value = _from_bytes(raw, dtype.numpy(), shape, fortran, self.where)
            else:
                self.fail("refusing array data that is not raw bytes")
            return
        self.fail(f"refusing to set the state of {_short(obj)}")

    def resolve(self, value):
        """Replace finished stand-ins by their values."""
        if isinstance(value, _Array):
            if value.value is None:
                self.fail("malformed pickle: array without data")
            return value.value
        if isinstance(value, (_Dtype, _Global)):
            self.fail(f"refusing a bare {type(value).__name__.strip('_').lower()} as data")
        return value

    # -- the loop
    def run(self):
        while True:
            op = self.take(1)[0]
            handler = _OPS.get(op)
            if handler is None:
                self.fail(f"refusing pickle opcode {bytes([op])!r}")
            if handler(self) is _STOP:
                break
        if len(self.stack) != 1 or self.marks:
            self.fail("malformed pickle: stack not empty at STOP")
        return _check_tree(self.resolve(self.stack[0]), self.where, self)


_STOP = object()


_SCALARS = (str, bytes, int, float, bool, type(None), np.ndarray, np.generic)


def _check_tree(value, where, parser):
    """Resolve stand-ins everywhere, refuse cycles, shared containers, odd keys and deep nesting (no recursion)."""
    seen = set()
    root = [value]
    todo = [(root, 0, 0)]
    while todo:
        container, key, depth = todo.pop()
        item = parser.resolve(container[key])
        if isinstance(item, (dict, list)):
            if id(item) in seen:
                raise UnsafePickleError(f"{where}: a container appears twice (cycles and sharing are refused)")
            seen.add(id(item))
            if depth >= MAX_DEPTH:
                raise UnsafePickleError(f"{where}: data nested deeper than {MAX_DEPTH} levels")
            todo.extend((item, k, depth + 1) for k in (item if isinstance(item, dict) else range(len(item))))
        elif isinstance(item, tuple):   # tuples hold plain values only
            item = tuple(bytes(x) if isinstance(x, memoryview) else parser.resolve(x) for x in item)
            if not all(isinstance(x, _SCALARS) for x in item):
                raise UnsafePickleError(f"{where}: tuples may hold plain values only")
        elif isinstance(item, memoryview):   # bytes as data (not inside an array): a copy of their own
            item = bytes(item)
        elif not isinstance(item, _SCALARS):
            raise UnsafePickleError(f"{where}: refusing a value of type {type(item).__name__}")
        container[key] = item
    return root[0]


def _op(code: bytes):
    def register(fn):
        _OPS[code[0]] = fn
        return fn
    return register


_OPS: dict = {}


def _install_ops():
    def push(value):
        return lambda p: p.stack.append(value)

    for code, value in ((b"N", None), (b"\x88", True), (b"\x89", False), (b")", ())):
        _OPS[code[0]] = push(value)
    _OPS[b"}"[0]] = lambda p: p.stack.append({})
    _OPS[b"]"[0]] = lambda p: p.stack.append([])
    _OPS[b"("[0]] = lambda p: p.marks.append(len(p.stack))
    _OPS[b"K"[0]] = lambda p: p.stack.append(p.uint(1))
    _OPS[b"M"[0]] = lambda p: p.stack.append(p.uint(2))
    _OPS[b"J"[0]] = lambda p: p.stack.append(int.from_bytes(p.take(4), "little", signed=True))
    _OPS[b"G"[0]] = lambda p: p.stack.append(struct.unpack(">d", p.take(8))[0])
    _OPS[b"\x8a"[0]] = lambda p: p.stack.append(int.from_bytes(p.take(p.uint(1)), "little", signed=True))
    _OPS[b"\x8c"[0]] = lambda p: p.stack.append(p.text(p.uint(1)))
    _OPS[b"X"[0]] = lambda p: p.stack.append(p.text(p.uint(4)))
    _OPS[b"\x8d"[0]] = lambda p: p.stack.append(p.text(p.uint(8)))
    # Bytes stay views into the member's buffer: arrays are built on them without a copy.
    _OPS[b"C"[0]] = lambda p: p.stack.append(p.take(p.uint(1)))
    _OPS[b"B"[0]] = lambda p: p.stack.append(p.take(p.uint(4)))
    _OPS[b"\x8e"[0]] = lambda p: p.stack.append(p.take(p.uint(8)))
    _OPS[b"\x96"[0]] = lambda p: p.stack.append(p.take(p.uint(8)))   # BYTEARRAY8: protocol 5 buffers
    _OPS[b"\x80"[0]] = lambda p: p.uint(1) in (2, 3, 4, 5) or p.fail("unsupported pickle protocol")
    _OPS[b"\x95"[0]] = lambda p: p.uint(8)          # FRAME: a hint, the bytes follow inline
    _OPS[b"\x98"[0]] = lambda p: None               # READONLY_BUFFER: our buffers are copies anyway
    _OPS[b"."[0]] = lambda p: _STOP
    _OPS[b"0"[0]] = lambda p: p.pop()
    _OPS[b"1"[0]] = lambda p: p.pop_mark()

    def memo_put(p, index):
        if not p.stack:
            p.fail("malformed pickle: nothing to memoize")
        if len(p.memo) >= _MAX_MEMO:
            p.fail("too many memo entries")
        p.memo[index] = p.stack[-1]

    def memo_get(p, index):
        if index not in p.memo:
            p.fail(f"malformed pickle: memo entry {index} is missing")
        p.stack.append(p.memo[index])

    _OPS[b"\x94"[0]] = lambda p: memo_put(p, len(p.memo))
    _OPS[b"q"[0]] = lambda p: memo_put(p, p.uint(1))
    _OPS[b"r"[0]] = lambda p: memo_put(p, p.uint(4))
    _OPS[b"h"[0]] = lambda p: memo_get(p, p.uint(1))
    _OPS[b"j"[0]] = lambda p: memo_get(p, p.uint(4))

    def tuple_n(n):
        def op(p):
            if len(p.stack) - (p.marks[-1] if p.marks else 0) < n:
                p.fail("malformed pickle: stack underflow")
            items = tuple(p.stack[len(p.stack) - n:])
            del p.stack[len(p.stack) - n:]
            p.stack.append(items)
        return op

    _OPS[b"\x85"[0]], _OPS[b"\x86"[0]], _OPS[b"\x87"[0]] = tuple_n(1), tuple_n(2), tuple_n(3)
    _OPS[b"t"[0]] = lambda p: p.stack.append(tuple(p.pop_mark()))
    _OPS[b"l"[0]] = lambda p: p.stack.append(p.pop_mark())

    def dict_from(p, items):
        if len(items) % 2:
            p.fail("malformed pickle: odd number of dict items")
        out = {}
        for k, v in zip(items[::2], items[1::2]):
            if type(k) not in (str, int):
                p.fail(f"dict key {_short(k)} is not a string or an integer")
            out[k] = v
        return out

    def target(p, kind, op):
        """The dict or list below what an opcode adds to it (popped; the caller pushes it back)."""
        container = p.pop()
        if not isinstance(container, kind):
            p.fail(f"malformed pickle: {op} on a non-{kind.__name__}")
        return container

    def setitems(p):
        items = p.pop_mark()
        d = target(p, dict, "SETITEMS")
        d.update(dict_from(p, items))
        p.stack.append(d)

    def setitem(p):
        v, k = p.pop(), p.pop()
        d = target(p, dict, "SETITEM")
        d.update(dict_from(p, [k, v]))
        p.stack.append(d)

    def appends(p):
        items = p.pop_mark()
        lst = target(p, list, "APPENDS")
        lst.extend(items)
        p.stack.append(lst)

    def append(p):
        v = p.pop()
        lst = target(p, list, "APPEND")
        lst.append(v)
        p.stack.append(lst)

    def stack_global(p):
        name, module = p.pop(), p.pop()
        p.stack.append(p.global_(module, name))

    def global_text(p):
        line = []
        for _ in range(2):
            end = bytes(p.data[p.pos:p.pos + 256]).find(b"\n")
            if end < 0:
                p.fail("malformed pickle: GLOBAL name too long")
            line.append(str(p.take(end + 1)[:-1], "ascii", "replace"))
        p.stack.append(p.global_(*line))

    def reduce(p):
        args, func = p.pop(), p.pop()
        p.stack.append(p.reduce(func, args))

    def build(p):
        state = p.pop()
        if not p.stack:
            p.fail("malformed pickle: BUILD on an empty stack")
        p.build(p.stack[-1], _resolve_state(p, state))

    _OPS[b"d"[0]] = lambda p: p.stack.append(dict_from(p, p.pop_mark()))
    _OPS[b"u"[0]] = setitems
    _OPS[b"s"[0]] = setitem
    _OPS[b"e"[0]] = appends
    _OPS[b"a"[0]] = append
    _OPS[b"\x93"[0]] = stack_global
    _OPS[b"c"[0]] = global_text
    _OPS[b"R"[0]] = reduce
    _OPS[b"b"[0]] = build


def _resolve_state(p, state):
    """An array's state holds its dtype stand-in (kept) and, for object arrays, a list of values (resolved)."""
    if isinstance(state, tuple):
        return tuple(x if isinstance(x, _Dtype) else p.resolve(x) if isinstance(x, _Array) else x for x in state)
    return state


_install_ops()


def _parse_header(buf: memoryview, where: str) -> tuple[dict, int]:
    """Parse an ``.npy`` header (versions 1.0-3.0); returns ``(header, offset of the data)``."""
    if len(buf) < 10 or bytes(buf[:6]) != _MAGIC:
        raise ValueError(f"{where}: not an .npy array (bad magic {bytes(buf[:6])!r})")
    major = buf[6]
    if major == 1:
        size, start = int.from_bytes(buf[8:10], "little"), 10
    elif major in (2, 3):
        if len(buf) < 12:
            raise ValueError(f"{where}: truncated .npy header")
        size, start = int.from_bytes(buf[8:12], "little"), 12
    else:
        raise ValueError(f"{where}: unsupported .npy format version {major}.{buf[7]}")
    if size > MAX_HEADER or start + size > len(buf):
        raise ValueError(f"{where}: .npy header of {size} bytes is too long or truncated (at most {MAX_HEADER})")
    try:
        text = str(buf[start:start + size], "utf-8" if major == 3 else "latin1")
        header = ast.literal_eval(text)   # a Python literal, never code
    except (ValueError, SyntaxError, UnicodeDecodeError, MemoryError, RecursionError, TypeError) as err:
        raise ValueError(f"{where}: malformed .npy header") from err
    if (not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}
            or not isinstance(header["descr"], str) or type(header["fortran_order"]) is not bool):
        raise ValueError(f"{where}: malformed .npy header {_short(header)}")
    header["shape"] = _shape(header["shape"], where)
    return header, start + size


def _plain_dtype(descr: str, where: str) -> np.dtype | None:
    """The dtype of a header's ``descr``; ``None`` for an object array; refuses everything else."""
    if descr == "|O":
        return None
    if len(descr) < 3 or descr[0] not in "<>|=" or descr[1:] not in NUMERIC_CODES:
        raise UnsafePickleError(f"{where}: refusing array dtype {descr!r} (plain numeric dtypes only)")
    return np.dtype(descr)


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, where: str) -> bytearray:
    cap = min(limit, MAX_INFLATION * max(info.compress_size, 1) + 65_536)
    if info.file_size > cap:
        raise ValueError(f"{where}: member inflates to {info.file_size:,} bytes, more than allowed ({cap:,}; "
                         f"{MAX_INFLATION}x its compressed size, within max_bytes)")
    out = bytearray()
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(min(1 << 24, cap + 1 - len(out)))
            if not chunk:
                break
            out += chunk
            if len(out) > cap:
                raise ValueError(f"{where}: member inflates beyond {cap:,} bytes")
    return out


def load_npz(path: str | Path, keys=None, optional=(), max_bytes: int | None = None) -> dict[str, object]:
    """Read the arrays of an ``.npz`` file (see the module docstring for what is accepted).

    Args:
        path: the ``.npz`` file.
        keys: names of the members to read (default: all); asking for a missing
            one is an error that lists what the file has.
        optional: further members to read when the file has them.
        max_bytes: most bytes all members may inflate to (default: 64 times the
            file's size on disk).

    Returns ``{name: value}`` in file order; a 0-d object array (how
    ``np.savez(positions_3d=some_dict)`` stores a dict) is unwrapped to the
    value it holds.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: anything else, naming the file and the member
            (:class:`UnsafePickleError` for content that is not plain data).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    budget = max_bytes if max_bytes is not None else MAX_INFLATION * max(path.stat().st_size, 1)
    try:
        with zipfile.ZipFile(path) as zf:
            members = {i.filename[:-4]: i for i in zf.infolist() if i.filename.endswith(".npy")}
            wanted = list(members) if keys is None else list(keys)
            missing = [k for k in wanted if k not in members]
            wanted += [k for k in optional if k in members]
            if missing:
                raise MissingKeyError(f"{path}: missing key {missing[0]!r} (found keys {sorted(members)})")
            out = {}
            for key in (k for k in members if k in wanted):
                where = f"{path} (array {key!r})"
                data = _read_member(zf, members[key], budget, where)
                budget -= len(data)
                out[key] = _decode_npy(data, where)
                del data
            return out
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, struct.error,
            OverflowError) as err:
        raise ValueError(f"{path}: not a readable .npz archive ({type(err).__name__}: {err})") from None
    except OSError as err:
        raise ValueError(f"{path}: cannot read the archive ({err})") from None


def _decode_npy(data: bytearray, where: str):
    view = memoryview(data)
    header, start = _parse_header(view, where)
    dtype = _plain_dtype(header["descr"], where)
    if dtype is not None:
        return _from_bytes(view[start:], dtype, header["shape"], header["fortran_order"], where)
    if header["shape"] != ():
        raise UnsafePickleError(f"{where}: refusing an object array of shape {header['shape']} (only a 0-d "
                                f"wrapper of one value is allowed)")
    try:
        value = _Parser(view[start:], where).run()
    except RecursionError:
        raise UnsafePickleError(f"{where}: data nested too deeply") from None
    if isinstance(value, np.ndarray) and value.shape != ():
        raise UnsafePickleError(f"{where}: header says shape (), the pickle holds {value.shape}")
    return value
