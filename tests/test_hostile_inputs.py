"""Hostile and malformed data files: every one ends in a one-line error or a
correct load; none crashes, hangs, allocates beyond a bound or runs code.

Each file is read in a worker process with a memory limit (``RLIMIT_AS``);
the parent gives every file a time limit and restarts the worker after a
crash, so one bad file cannot hide the others."""
import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hostile_files import cases

REPO = Path(__file__).resolve().parents[1]
TIME_LIMIT = 20.0          # seconds per file (the largest legitimate case loads in well under a second)
MEMORY_HEADROOM = 1 << 30  # address space the worker may add to what its imports took
PEAK_BOUND = 256 << 20     # resident memory any one file may add

WORKER = r"""
import json, os, resource, sys, traceback
sys.path.insert(0, sys.argv[1])
from semgcn.data.safe_load import load_npz
from semgcn.data.h36m import load_keypoints_2d, load_positions_3d
loaders = {"npz": load_npz, "3d": load_positions_3d, "2d": load_keypoints_2d}
with open("/proc/self/status") as f:
    vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize"))
resource.setrlimit(resource.RLIMIT_AS, (vm + int(sys.argv[2]), vm + int(sys.argv[2])))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"ready": base}), flush=True)
for line in sys.stdin:
    i, path, kind = json.loads(line)
    try:
        loaders[kind](path)
        out = {"i": i, "result": "loaded"}
    except (ValueError, FileNotFoundError) as err:
        text = str(err)
        out = {"i": i, "result": "error", "one_line": "\n" not in text, "names_file": os.path.basename(path) in text,
               "message": text[:300]}
    except MemoryError:
        out = {"i": i, "result": "memory"}
    except BaseException as err:
        out = {"i": i, "result": "traceback", "message": f"{type(err).__name__}: {err}"[:300]}
    out["maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(out), flush=True)
"""


class _Worker:
    def __init__(self, script):
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        self.proc = subprocess.Popen([sys.executable, str(script), str(REPO), str(MEMORY_HEADROOM)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, bufsize=1, env=env)
        self.base = self.read(120)["ready"]

    def read(self, timeout):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.proc.stdout.readline()
        return json.loads(line) if line else {"died": True}

    def kill(self):
        self.proc.kill()
        self.proc.wait()


@pytest.mark.slow
def test_hostile_files_never_crash_hang_inflate_or_run_code(tmp_path):
    marker_dir = tmp_path / "markers"
    marker_dir.mkdir()
    files = []
    for i, (name, kind, data) in enumerate(cases(seed=0, marker_dir=str(marker_dir))):
        path = tmp_path / f"{i:03d}-{''.join(c if c.isalnum() or c in '.-_' else '_' for c in name)}.npz"
        path.write_bytes(data)
        files.append((i, str(path), kind))
    assert len(files) >= 300
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    results, worker, t0 = {}, _Worker(script), time.time()
    for i, path, kind in files:
        worker.proc.stdin.write(json.dumps([i, path, kind]) + "\n")
        worker.proc.stdin.flush()
        done = worker.read(TIME_LIMIT)   # one request at a time: at most one line is ever in flight
        if done is None or done.get("died") or "result" not in done:
            results[i] = {"result": "hang" if done is None else "crash"}
            worker.kill()
            worker = _Worker(script)
            continue
        done["added_rss"] = done["maxrss"] - worker.base
        results[i] = done
    worker.kill()
    names = {i: Path(p).name for i, p, _ in files}
    by = {}
    for i, r in results.items():
        by.setdefault(r["result"], []).append(names[i])
    worst = max(results, key=lambda i: results[i].get("added_rss", 0))
    print(f"\n{len(files)} files in {time.time() - t0:.0f} s: " + ", ".join(f"{k} {len(v)}" for k, v in sorted(by.items()))
          + f"; largest resident memory added: {results[worst].get('added_rss', 0) / 2**20:.0f} MB ({names[worst]})")
    bad_errors = [names[i] for i, r in results.items() if r["result"] == "error"
                  and not (r["one_line"] and r["names_file"])]
    assert not by.get("crash") and not by.get("hang") and not by.get("memory"), by
    assert not by.get("traceback"), [(names[i], r["message"]) for i, r in results.items() if r["result"] == "traceback"]
    assert not bad_errors, bad_errors
    assert list(marker_dir.iterdir()) == []           # nothing ran
    assert results[worst].get("added_rss", 0) < PEAK_BOUND
    loaded = set(by.get("loaded", []))
    assert any("3d-valid" in n for n in loaded)        # the generator's valid file does load
    assert not any("code-" in n or "dtype-object" in n or "bomb" in n for n in loaded)
