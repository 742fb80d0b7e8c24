"""A seeded generator of hostile and malformed Human3.6M-style ``.npz`` files.

Each case is ``(name, kind, bytes)``: ``kind`` says which loader reads it
(``"npz"``: :func:`semgcn.data.safe_load.load_npz`, ``"3d"``:
``load_positions_3d``, ``"2d"``: ``load_keypoints_2d``).  The payloads that
would run code write into a folder the caller names, so a test can check that
nothing ran.  Nothing here is dangerous to
*write*: the bytes only do harm when an unsafe loader reads them.
"""
from __future__ import annotations

import io
import pickle
import random
import struct
import zipfile
import zlib

import numpy as np

MARKER = "/nonexistent/semgcn-marker"

P = pickle   # opcode constants: P.PROTO, P.GLOBAL, ...
MINUS1 = P.BININT + struct.pack("<i", -1)


def npy_header(descr="|O", shape=(), fortran=False, version=1, raw_text=None) -> bytes:
    text = raw_text if raw_text is not None else repr({"descr": descr, "fortran_order": fortran, "shape": shape})
    body = text.encode("latin1")
    pad = (-(len(body) + 1 + (10 if version == 1 else 12))) % 64
    body = body + b" " * pad + b"\n"
    if version == 1:
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(body)) + body
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack("<I", len(body)) + body


def npz(members: dict, compress=False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name + ".npy", data)
    return buf.getvalue()


def obj_member(pickle_bytes: bytes) -> bytes:
    return npy_header() + pickle_bytes


def pkl(*ops: bytes) -> bytes:
    return P.PROTO + b"\x04" + b"".join(ops) + P.STOP


def s(text: str) -> bytes:     # SHORT_BINUNICODE / BINUNICODE
    raw = text.encode()
    return (P.SHORT_BINUNICODE + bytes([len(raw)]) + raw) if len(raw) < 256 else (P.BINUNICODE + struct.pack("<I", len(raw)) + raw)


def b(data: bytes) -> bytes:   # BINBYTES
    return P.BINBYTES + struct.pack("<I", len(data)) + data


def glob(module: str, name: str) -> bytes:
    return s(module) + s(name) + P.STACK_GLOBAL


def call(module, name, *args: bytes) -> bytes:
    return glob(module, name) + P.MARK + b"".join(args) + P.TUPLE + P.REDUCE


def wrap(value_ops: bytes) -> bytes:
    """A 0-d object array holding the value (how np.savez stores a dict), as raw opcodes."""
    return pkl(call("numpy._core.multiarray", "_reconstruct", glob("numpy", "ndarray"),
                    P.BININT1 + b"\x00" + P.TUPLE1, b(b"b")),
               P.MARK, P.BININT1 + b"\x01", P.EMPTY_TUPLE,
               call("numpy", "dtype", s("O8"), P.NEWFALSE, P.NEWTRUE),
               P.MARK, P.BININT1 + b"\x03", s("|"), P.NONE * 3, MINUS1 * 2,
               P.BININT1 + b"\x3f", P.TUPLE, P.BUILD,
               P.NEWFALSE, P.EMPTY_LIST, value_ops, P.APPEND, P.TUPLE, P.BUILD)


def array_ops(code="f4", shape=(2, 3), raw=None, order="<", dtype_state=None, version=1, raw_ops=None) -> bytes:
    """Opcodes that rebuild an array as numpy pickles it (protocol 3/4), with every part replaceable."""
    shape_ops = P.MARK + b"".join(int_op(n) for n in shape) + P.TUPLE
    if raw_ops is None:
        raw_ops = b(raw if raw is not None else bytes(int(np.prod(shape)) * np.dtype(code).itemsize))
    state = dtype_state if dtype_state is not None else (
        P.MARK + P.BININT1 + b"\x03" + s(order) + P.NONE * 3 + MINUS1 * 2
        + P.BININT1 + b"\x00" + P.TUPLE)
    return (call("numpy._core.multiarray", "_reconstruct", glob("numpy", "ndarray"),
                 P.BININT1 + b"\x00" + P.TUPLE1, b(b"b"))
            + P.MARK + P.BININT1 + bytes([version]) + shape_ops
            + call("numpy", "dtype", s(code), P.NEWFALSE, P.NEWTRUE) + state + P.BUILD
            + P.NEWFALSE + raw_ops + P.TUPLE + P.BUILD)


def int_op(n: int) -> bytes:
    if -2 ** 31 <= n < 2 ** 31:
        return P.BININT + struct.pack("<i", n)
    raw = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
    return P.LONG1 + bytes([len(raw)]) + raw


def dict_ops(items) -> bytes:
    return P.EMPTY_DICT + P.MARK + b"".join(k + v for k, v in items) + P.SETITEMS


def h36m_3d(rng, joints=32, frames=(20, 20), subjects=("S1", "S5", "S6", "S7", "S8", "S9", "S11"), tweak=None):
    pos = {}
    for subj in subjects:
        pos[subj] = {}
        for i, action in enumerate(("Walking", "Eating 1")):
            arr = rng.normal(0, 0.5, (frames[i % len(frames)], joints, 3)).astype(np.float32)
            if tweak:
                arr = tweak(arr)
            pos[subj][action] = arr
    buf = io.BytesIO()
    np.savez(buf, positions_3d=np.array(pos, dtype=object))
    return buf.getvalue()


def h36m_2d(rng, joints=17, frames=20, cams=4, tweak=None, metadata=None):
    pos = {subj: {"Walking": [rng.normal(500, 100, (frames, joints, 2)).astype(np.float32) for _ in range(cams)]}
           for subj in ("S1", "S5", "S6", "S7", "S8", "S9", "S11")}
    if tweak:
        tweak(pos)
    buf = io.BytesIO()
    meta = metadata if metadata is not None else {"num_joints": joints}
    np.savez(buf, positions_2d=np.array(pos, dtype=object), metadata=np.array(meta, dtype=object))
    return buf.getvalue()


_CODE_ROUTES = [("os", "system"), ("posix", "system"), ("builtins", "eval"), ("builtins", "exec"),
                ("builtins", "open"), ("builtins", "getattr"), ("builtins", "__import__"), ("subprocess", "Popen"),
                ("subprocess", "call"), ("importlib", "import_module"), ("pickle", "loads"), ("numpy", "load"),
                ("numpy.lib.npyio", "load"), ("torch", "load"), ("torch.serialization", "load"),
                ("functools", "partial"), ("operator", "attrgetter"), ("operator", "methodcaller"),
                ("copyreg", "_reconstructor"), ("codecs", "open"), ("shutil", "rmtree"), ("pathlib", "Path"),
                ("numpy.testing._private.utils", "runstring"), ("runpy", "run_path"), ("code", "interact"),
                ("__builtin__", "eval"), ("collections", "OrderedDict"), ("builtins", "bytearray"),
                ("numpy", "frombuffer"), ("numpy._core.multiarray", "_reconstruct\nos")]


def cases(seed: int = 0, marker_dir: str = MARKER) -> list:
    """At least 300 hostile or malformed files, the same for the same seed; payloads that would run code
    write into ``marker_dir``."""
    rng = np.random.default_rng(seed)
    r = random.Random(seed)
    out = []
    add = lambda name, kind, data: out.append((name, kind, data))  # noqa: E731

    # 1. Routes to code execution: every global named, called with a marker-writing command.
    for module, name in _CODE_ROUTES:
        cmd = f"touch {marker_dir}/{module}.{name}".replace("\n", "_")
        add(f"code-{module}.{name}", "npz", npz({"positions_3d": obj_member(wrap(
            dict_ops([(s("S1"), call(module, name, s(cmd)))])))}))
        add(f"code-text-global-{module}.{name}", "npz", npz({"positions_3d": obj_member(pkl(
            P.GLOBAL + f"{module}\n{name}\n".encode() + P.MARK + s(cmd) + P.TUPLE + P.REDUCE))}))
    for op_name in ("INST", "OBJ", "NEWOBJ", "NEWOBJ_EX", "EXT1", "EXT2", "EXT4", "PERSID", "BINPERSID",
                    "NEXT_BUFFER"):
        op = getattr(P, op_name)
        add(f"opcode-{op_name}", "npz", npz({"positions_3d": obj_member(pkl(s("x"), s("y"), op + b"\x01\x00\x00\x00"))}))
    # Allowed names, abused: the dtype, array and scalar reconstructors with states of the attacker's choosing.
    add("dtype-object-inside", "npz", npz({"x": obj_member(wrap(dict_ops([(s("a"), array_ops("O8", (2,), raw=b"\x41" * 16))])))}))
    add("dtype-object-pointer-bytes", "npz", npz({"x": obj_member(wrap(array_ops("O8", (4,), raw=struct.pack("<4Q", *[0x4141414141414141] * 4))))}))
    for code in ("V8", "S10", "U5", "M8", "m8", "O", "c16", "f16", "i16", "a5", "?", "b", "O4"):
        add(f"dtype-code-{code}", "npz", npz({"x": obj_member(wrap(array_ops(code, (2,), raw=bytes(32))))}))
    for state in (P.MARK + P.BININT1 + b"\x03" + s("<") + s("fields") + P.NONE * 2 + MINUS1 * 2 + P.BININT1 + b"\x00" + P.TUPLE,
                  P.MARK + P.BININT1 + b"\x03" + s("<") + P.NONE * 3 + P.BININT1 + b"\x08" + P.BININT1 + b"\x08" + P.BININT1 + b"\x3f" + P.TUPLE,
                  P.MARK + P.BININT1 + b"\x03" + s("<") + P.NONE * 3 + MINUS1 * 2 + P.BININT1 + b"\x3f" + P.TUPLE,  # hasobject flags
                  P.MARK + P.BININT1 + b"\x04" + s("!") + P.TUPLE, P.NONE, s("state"), P.EMPTY_DICT):
        add(f"dtype-state-{len(out)}", "npz", npz({"x": obj_member(wrap(array_ops("f4", (2,), dtype_state=state)))}))
    add("array-state-list-data", "npz", npz({"x": obj_member(wrap(array_ops(raw_ops=P.EMPTY_LIST + s("a") + P.APPEND)))}))
    add("array-state-version-9", "npz", npz({"x": obj_member(wrap(array_ops(version=9)))}))
    add("array-build-twice", "npz", npz({"x": obj_member(wrap(array_ops() + P.MARK + P.BININT1 + b"\x01" + P.TUPLE + P.BUILD))}))
    add("scalar-object", "npz", npz({"x": obj_member(wrap(call("numpy._core.multiarray", "scalar",
                                                             call("numpy", "dtype", s("O8"), P.NEWFALSE, P.NEWTRUE), b(b"\x41" * 8))))}))
    add("reconstruct-other-class", "npz", npz({"x": obj_member(wrap(call("numpy._core.multiarray", "_reconstruct",
                                                                       glob("numpy", "dtype"), P.EMPTY_TUPLE, b(b"b"))))}))
    add("bytearray-builtin", "npz", npz({"x": obj_member(wrap(call("builtins", "bytearray", P.BININT + struct.pack("<i", 10 ** 9))))}))
    add("encode-utf8", "npz", npz({"x": obj_member(wrap(call("_codecs", "encode", s("x" * 100), s("utf-8"))))}))
    # 2. Shape and size tricks.
    for shape in ((10 ** 6, 10 ** 6), (2 ** 31, 2 ** 31, 16), (-1, 3), (3,) * 40, (0,), (1, 0, 3)):
        raw = bytes(12) if not all(n >= 0 for n in shape) or np.prod(shape, dtype=float) > 100 else None
        add(f"shape-{len(out)}", "npz", npz({"x": obj_member(wrap(array_ops("f4", shape, raw=raw)))}))
    add("bytes-length-lies", "npz", npz({"x": obj_member(wrap(P.BINBYTES + struct.pack("<I", 2 ** 31) + b"abc"))}))
    add("bytes8-length-lies", "npz", npz({"x": obj_member(wrap(P.BINBYTES8 + struct.pack("<Q", 2 ** 62) + b"abc"))}))
    add("bytearray8-length-lies", "npz", npz({"x": obj_member(wrap(P.BYTEARRAY8 + struct.pack("<Q", 2 ** 40) + b"abc"))}))
    add("unicode8-length-lies", "npz", npz({"x": obj_member(wrap(P.BINUNICODE8 + struct.pack("<Q", 2 ** 40) + b"abc"))}))
    add("long-int-huge", "npz", npz({"x": obj_member(wrap(P.LONG4 + struct.pack("<i", 2 ** 30) + b"\x01"))}))
    add("frame-huge", "npz", npz({"x": obj_member(P.PROTO + b"\x04" + P.FRAME + struct.pack("<Q", 2 ** 60) + P.NONE + P.STOP)}))
    add("memo-get-missing", "npz", npz({"x": obj_member(wrap(P.LONG_BINGET + struct.pack("<I", 2 ** 31)))}))
    add("memo-put-many", "npz", npz({"x": obj_member(pkl(P.NONE + P.MEMOIZE * 2_000_000))}))
    for size in (10 ** 5, 10 ** 7):   # plain arrays whose header promises more than the file holds
        add(f"npy-header-shape-{size}", "npz", npz({"x": npy_header("<f8", (size, size)) + bytes(64)}))
    add("npy-header-too-long", "npz", npz({"x": npy_header(raw_text="{" + " " * 200_000 + "}", version=2) + bytes(8)}))
    add("npy-header-length-lies", "npz", npz({"x": b"\x93NUMPY\x02\x00" + struct.pack("<I", 2 ** 31) + b"{}"}))
    add("npy-header-nested", "npz", npz({"x": npy_header(raw_text="(" * 3000 + ")" * 3000)}))
    add("npy-header-code", "npz", npz({"x": npy_header(raw_text="__import__('os').system('touch " + marker_dir + "/header')")}))
    add("npy-header-extra-keys", "npz", npz({"x": npy_header(raw_text="{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}") + bytes(8)}))
    for descr in ("|O", "<V8", "|S5", "<U3", "<M8[s]", "[('a', '<f4')]", "<f4x", "f4"):
        add(f"npy-descr-{descr}", "npz", npz({"x": npy_header(descr, (2,)) + bytes(64)}))
    add("npy-version-9", "npz", npz({"x": b"\x93NUMPY\x09\x00" + bytes(64)}))
    add("npy-bad-magic", "npz", npz({"x": b"NOTNUMPY" + bytes(64)}))
    add("object-array-2d", "npz", npz({"x": npy_header("|O", (2, 2)) + pickle.dumps(np.array([[1, 2], [3, 4]], dtype=object))}))
    # deflate bombs: one member that inflates far beyond its size
    bomb = zlib.compress(bytes(64 * 2 ** 20), 9)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("positions_3d.npy", npy_header("<f4", (16 * 2 ** 20,)) + bytes(64 * 2 ** 20))
    add("deflate-bomb-64MB", "npz", buf.getvalue())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("positions_3d.npy", obj_member(wrap(array_ops("f4", (4 * 2 ** 20,), raw=bytes(16 * 2 ** 20)))))
        zf.writestr("unused.npy", npy_header("<f4", (16 * 2 ** 20,)) + bytes(64 * 2 ** 20))
    add("unused-member-bomb", "3d", buf.getvalue())
    del bomb
    # 3. Keys: containers, shared tuples, nesting.
    add("key-tuple", "npz", npz({"x": obj_member(wrap(dict_ops([(P.MARK + s("a") + P.TUPLE, P.NONE)])))}))
    shared = s("k") + P.MEMOIZE + b"".join(P.BINGET + b"\x00" + P.BINGET + b"\x00" + P.TUPLE2 + P.MEMOIZE for _ in range(1))
    nested_tuple = s("k") + P.MEMOIZE + b"".join((P.BINGET if i < 256 else P.LONG_BINGET) + (bytes([i]) if i < 256 else struct.pack("<I", i))
                                                   + (P.BINGET if i < 256 else P.LONG_BINGET) + (bytes([i]) if i < 256 else struct.pack("<I", i))
                                                   + P.TUPLE2 + P.MEMOIZE for i in range(60))
    add("key-shared-tuple-hash-bomb", "npz", npz({"x": obj_member(wrap(P.EMPTY_DICT + nested_tuple + P.NONE + P.SETITEM))}))
    add("key-shared-small", "npz", npz({"x": obj_member(wrap(P.EMPTY_DICT + shared + P.NONE + P.SETITEM))}))
    add("key-float", "npz", npz({"x": obj_member(wrap(dict_ops([(P.BINFLOAT + struct.pack(">d", 1.5), P.NONE)])))}))
    add("key-bytes", "npz", npz({"x": obj_member(wrap(dict_ops([(b(b"k"), P.NONE)])))}))
    for depth in (40, 1000, 100_000):
        add(f"nested-lists-{depth}", "npz", npz({"x": obj_member(wrap(P.EMPTY_LIST * depth + P.APPEND * (depth - 1)))}))
        add(f"nested-tuples-{depth}", "npz", npz({"x": obj_member(wrap(P.EMPTY_TUPLE + P.TUPLE1 * depth))}))
        add(f"nested-marks-{depth}", "npz", npz({"x": obj_member(wrap(P.MARK * depth + P.NONE + P.TUPLE * depth))}))
    add("cycle-list", "npz", npz({"x": obj_member(wrap(P.EMPTY_LIST + P.MEMOIZE + P.BINGET + b"\x00" + P.APPEND))}))
    add("cycle-dict", "npz", npz({"x": obj_member(wrap(P.EMPTY_DICT + P.MEMOIZE + s("self") + P.BINGET + b"\x00" + P.SETITEM))}))
    add("shared-list", "npz", npz({"x": obj_member(wrap(P.EMPTY_LIST + P.MEMOIZE + P.EMPTY_LIST + P.BINGET + b"\x00" + P.APPEND + P.BINGET + b"\x00" + P.APPEND))}))
    add("dict-odd-items", "npz", npz({"x": obj_member(wrap(P.EMPTY_DICT + P.MARK + s("a") + P.SETITEMS))}))
    add("setitems-on-list", "npz", npz({"x": obj_member(wrap(P.EMPTY_LIST + P.MARK + s("a") + P.NONE + P.SETITEMS))}))
    add("appends-on-dict", "npz", npz({"x": obj_member(wrap(P.EMPTY_DICT + P.MARK + s("a") + P.APPENDS))}))
    add("stack-underflow", "npz", npz({"x": obj_member(pkl(P.APPEND))}))
    add("pop-mark-empty", "npz", npz({"x": obj_member(pkl(P.POP_MARK))}))
    add("stop-early", "npz", npz({"x": obj_member(P.PROTO + b"\x04" + P.STOP)}))
    add("no-stop", "npz", npz({"x": obj_member(P.PROTO + b"\x04" + P.NONE)}))
    add("two-values", "npz", npz({"x": obj_member(pkl(P.NONE + P.NONE))}))
    add("protocol-0", "npz", npz({"x": obj_member(b"(lp0\n.")}))
    add("protocol-99", "npz", npz({"x": obj_member(P.PROTO + b"\x63" + P.NONE + P.STOP)}))
    add("bare-dtype", "npz", npz({"x": obj_member(wrap(call("numpy", "dtype", s("f4"), P.NEWFALSE, P.NEWTRUE)))}))
    add("bare-global", "npz", npz({"x": obj_member(wrap(glob("numpy", "ndarray")))}))
    add("unbuilt-array", "npz", npz({"x": obj_member(wrap(call("numpy._core.multiarray", "_reconstruct", glob("numpy", "ndarray"),
                                                              P.BININT1 + b"\x00" + P.TUPLE1, b(b"b"))))}))
    add("bad-utf8", "npz", npz({"x": obj_member(wrap(P.SHORT_BINUNICODE + b"\x02\xff\xfe"))}))
    # 4. Archives: not a zip, truncated, bit flips, encrypted flag, unknown compression, CRC.
    rng_valid = h36m_3d(np.random.default_rng(seed))
    add("empty-file", "npz", b"")
    add("text-file", "npz", b"hello, this is not an archive\n" * 10)
    add("zip-empty", "npz", npz({}))
    for cut in sorted(r.sample(range(1, len(rng_valid)), 60)):
        add(f"truncated-at-{cut}", "3d", rng_valid[:cut])
    for i in range(70):
        flipped = bytearray(rng_valid)
        for _ in range(r.choice((1, 1, 2, 8))):
            pos = r.randrange(len(flipped))
            flipped[pos] ^= 1 << r.randrange(8)
        add(f"bitflip-{i}", "3d", bytes(flipped))
    compressed = h36m_2d(np.random.default_rng(seed))
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(compressed)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name))
    deflated = buf.getvalue()
    for i in range(30):
        flipped = bytearray(deflated)
        pos = r.randrange(len(flipped))
        flipped[pos] ^= 1 << r.randrange(8)
        add(f"deflated-bitflip-{i}", "2d", bytes(flipped))
    for name, offset, value in (("zip-encrypted-flag", 8, 1), ("zip-unknown-method", 10, 99)):
        data = bytearray(npz({"x": npy_header("<f4", (2,)) + bytes(8)}))
        central = data.find(b"PK\x01\x02")   # zipfile trusts the central directory's copy
        data[central + offset] |= value
        data[offset - 2] |= value             # and the local header's
        add(name, "npz", bytes(data))
    # 5. Valid archives with wrong contents for the Human3.6M loaders.
    add("3d-valid", "3d", rng_valid)
    add("3d-31-joints", "3d", h36m_3d(rng, joints=31))
    add("3d-17-joints", "3d", h36m_3d(rng, joints=17))
    add("3d-nan", "3d", h36m_3d(rng, tweak=lambda a: np.where(a > 1.0, np.nan, a).astype(np.float32)))
    add("3d-inf", "3d", h36m_3d(rng, tweak=lambda a: np.where(a > 1.0, np.inf, a).astype(np.float32)))
    add("3d-huge-values", "3d", h36m_3d(rng, tweak=lambda a: (a * 1e30).astype(np.float32)))
    add("3d-2d-arrays", "3d", h36m_3d(rng, tweak=lambda a: a[..., 0]))
    add("3d-ints", "3d", h36m_3d(rng, tweak=lambda a: a.astype(np.int32)))
    add("3d-float16", "3d", h36m_3d(rng, tweak=lambda a: a.astype(np.float16)))
    add("3d-no-frames", "3d", h36m_3d(rng, frames=(0,)))
    add("3d-missing-test-subject", "3d", h36m_3d(rng, subjects=("S1", "S5", "S6", "S7", "S8", "S9")))
    add("3d-only-unknown-subjects", "3d", h36m_3d(rng, subjects=("X1",)))
    add("3d-wrong-key", "3d", npz({"positions": obj_member(pickle.dumps(np.array({}, dtype=object), protocol=4))}))
    add("3d-list-not-dict", "3d", npz({"positions_3d": obj_member(pickle.dumps(np.array([1, 2], dtype=object)[:1].reshape(()), protocol=4))}))
    for i, meta in enumerate(({"num_joints": 99}, {"keypoints_symmetry": "nope"}, {"num_joints": "x"}, [1, 2],
                              {"keypoints_symmetry": [[1, 2], [3]]}, {"num_joints": 2 ** 70})):
        add(f"2d-metadata-{i}", "2d", h36m_2d(rng, metadata=meta))
    add("2d-3-cams", "2d", h36m_2d(rng, cams=3))
    add("2d-wrong-joints", "2d", h36m_2d(rng, joints=15))
    add("2d-nan", "2d", h36m_2d(rng, tweak=lambda p: p["S9"]["Walking"][0].__setitem__((0, 0, 0), np.nan)))
    add("2d-3-coords", "2d", h36m_2d(rng, tweak=lambda p: p["S9"]["Walking"].__setitem__(0, np.zeros((20, 17, 3), np.float32))))
    add("2d-mismatched-frames", "2d", h36m_2d(rng, tweak=lambda p: p["S9"]["Walking"].__setitem__(1, np.zeros((5, 17, 2), np.float32))))
    add("2d-not-list", "2d", h36m_2d(rng, tweak=lambda p: p["S9"].__setitem__("Walking", "text")))
    # 6. Random byte soup, pickles of random opcodes.
    opcodes = [bytes([c]) for c in range(256)]
    for i in range(40):
        body = b"".join(r.choice(opcodes) + bytes(r.randrange(3)) for _ in range(r.randrange(5, 60)))
        add(f"random-opcodes-{i}", "npz", npz({"x": obj_member(P.PROTO + b"\x04" + body + P.STOP)}))
    return out
