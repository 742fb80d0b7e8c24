"""Fit the optional joint-angle prior of the synthetic generator (chapter 1).

Run (needs the real Human3.6M 3D file, which is never shipped)::

    python -m semgcn.data.fit_pose_prior --data ../shared/data/h36m [--out semgcn/data/pose_prior.npz]
    python -m semgcn.data.fit_pose_prior --data ../shared/data/h36m --report   # realism statistics only

The prior is one Gaussian mixture per Human3.6M action over the 24 body
angles of :func:`semgcn.data.synthetic.pose_to_angles` (everything but the
heading ``yaw``), fitted **only on the training subjects S1, S5, S6, S7, S8**.
Only the mixture parameters are saved (weights, means, Cholesky factors;
well under 1 MB): no real pose is stored.  :func:`semgcn.data.synthetic.generate_poses`
with ``style="prior"`` or ``"mixed"`` samples angles from it and builds
bodies of the virtual subjects with them.

``--report`` measures how realistic the synthetic poses are against the real
test subjects S9 and S11 (nearest-neighbour distance after root and heading
alignment, hip heights, knee and elbow angles, bone lengths).
"""
from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

from ..graph import H36M_KEEP_32, H36M_PARENTS
from . import synthetic as syn
from .safe_load import load_npz

TRAIN = ("S1", "S5", "S6", "S7", "S8")
TEST = ("S9", "S11")
DEFAULT_OUT = Path(__file__).with_name("pose_prior.npz")


def load_real_poses(data_dir, subjects, step: int = 1):
    """Real 16-joint world poses ``(N, 16, 3)`` float64 metres, action index
    ``(N,)`` into :data:`semgcn.data.synthetic.ACTIONS`, every ``step``-th frame."""
    raw = load_npz(Path(data_dir) / "data_3d_h36m.npz", keys=["positions_3d"])["positions_3d"]
    poses, actions = [], []
    for s in subjects:
        for name, arr in raw[s].items():
            p = np.asarray(arr)[::step][:, list(H36M_KEEP_32)].astype(np.float64)
            poses.append(p)
            actions.append(np.full(len(p), syn.ACTIONS.index(name.split(" ")[0])))
    return np.concatenate(poses), np.concatenate(actions)


def fit_gmm(X: np.ndarray, k: int, iters: int = 80, seed: int = 0, reg: float = 1e-3):
    """Full-covariance Gaussian mixture by EM.  ``X`` ``(N, D)``; returns
    ``(weights (k,), means (k, D), chol (k, D, D))`` with ``reg`` added to
    every covariance's diagonal."""
    rng = np.random.default_rng(seed)
    n, d = X.shape
    means = X[rng.choice(n, k, replace=False)]
    cov = np.cov(X.T) + reg * np.eye(d)
    chol = np.repeat(np.linalg.cholesky(cov)[None], k, 0)
    w = np.full(k, 1.0 / k)
    prev = -np.inf
    for _ in range(iters):
        logp = np.empty((n, k))
        for j in range(k):
            z = np.linalg.solve(chol[j], (X - means[j]).T)
            logp[:, j] = (math.log(w[j]) - 0.5 * (z ** 2).sum(0) - np.log(np.diag(chol[j])).sum()
                          - 0.5 * d * math.log(2 * math.pi))
        top = logp.max(1, keepdims=True)
        ll = (top[:, 0] + np.log(np.exp(logp - top).sum(1))).mean()
        resp = np.exp(logp - top)
        resp /= resp.sum(1, keepdims=True)
        nk = resp.sum(0) + 1e-9
        w = nk / n
        means = (resp.T @ X) / nk[:, None]
        for j in range(k):
            xc = X - means[j]
            chol[j] = np.linalg.cholesky((resp[:, j, None] * xc).T @ xc / nk[j] + reg * np.eye(d))
        if ll - prev < 1e-5:
            break
        prev = ll
    return w, means, chol


def fit_pose_prior(data_dir, components: int = 8, step: int = 2, seed: int = 0) -> dict:
    """Per-action angle mixtures from the training subjects S1, S5, S6, S7, S8."""
    X, act = load_real_poses(data_dir, TRAIN, step)
    ang = syn.pose_to_angles(X)
    ang = np.clip(ang, syn._LO, syn._HI)[:, 1:]          # drop yaw, keep inside the joint limits
    weights, means, chols = [], [], []
    for a in range(len(syn.ACTIONS)):
        w, m, c = fit_gmm(ang[act == a], components, seed=seed + a)
        weights.append(w)
        means.append(m)
        chols.append(c)
    return {"weights": np.array(weights, np.float32), "means": np.array(means, np.float32),
            "chol": np.array(chols, np.float32), "angle_names": np.array(syn.ANGLE_NAMES[1:]),
            "actions": np.array(syn.ACTIONS), "fitted_on": np.array(TRAIN),
            "frames_used": np.array(len(ang))}


# --------------------------------------------------------------------------- realism report
def _heading_aligned(P: np.ndarray) -> np.ndarray:
    """Root-relative poses turned about z so that the hips lie along +x."""
    P = P - P[:, :1]
    v = P[:, 1] - P[:, 4]
    a = -np.arctan2(v[:, 1], v[:, 0])
    c, s = np.cos(a), np.sin(a)
    x, y = P[..., 0], P[..., 1]
    return np.stack([c[:, None] * x - s[:, None] * y, s[:, None] * x + c[:, None] * y, P[..., 2]], -1)


def nearest_pose_distance(queries: np.ndarray, bank: np.ndarray, candidates: int = 8) -> np.ndarray:
    """For each query pose ``(Q, 16, 3)``, the smallest mean per-joint distance
    (metres) to a pose of ``bank`` ``(B, 16, 3)`` (exact among the
    ``candidates`` nearest by Euclidean distance)."""
    import torch

    q = torch.as_tensor(queries.reshape(len(queries), -1), dtype=torch.float32)
    b = torch.as_tensor(bank.reshape(len(bank), -1), dtype=torch.float32)
    out = []
    for i in range(0, len(q), 500):
        idx = torch.cdist(q[i:i + 500], b).topk(candidates, largest=False).indices
        cand = b[idx].reshape(len(idx), candidates, -1, 3)
        diff = (cand - q[i:i + 500].reshape(-1, 1, cand.shape[2], 3)).norm(dim=-1).mean(-1)
        out.append(diff.min(1).values)
    return torch.cat(out).numpy()


def _interior(P, a, b, c):
    u, v = P[:, a] - P[:, b], P[:, c] - P[:, b]
    cos = (u * v).sum(-1) / np.linalg.norm(u, axis=-1) / np.linalg.norm(v, axis=-1)
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


def _w1(a, b):
    q = np.linspace(0.005, 0.995, 199)
    return float(np.abs(np.quantile(a, q) - np.quantile(b, q)).mean())


def realism_report(data_dir, n: int = 100_000, seed: int = 0, test_step: int = 25, styles=None) -> str:
    """Compare synthetic poses with the real test subjects S9, S11 (and, as a
    reference, real training poses) and return a text table."""
    rng = np.random.default_rng(seed)
    Xte, ate = load_real_poses(data_dir, TEST, test_step)
    Xtr, _ = load_real_poses(data_dir, TRAIN, 3)
    Xtr = Xtr[rng.choice(len(Xtr), min(n, len(Xtr)), replace=False)]
    banks = {"real train S1-S8": Xtr}
    styles = styles or (["families", "prior", "mixed"] if syn.load_pose_prior() is not None else ["families"])
    for style in styles:
        t = time.perf_counter()
        banks[f"synthetic {style}"] = syn.generate_poses(n, seed=seed, style=style)["positions_world"]
        print(f"generated {n} poses ({style}) in {time.perf_counter() - t:.2f} s", flush=True)
    lo, hi = syn._LO.copy(), syn._HI.copy()
    lo[0], hi[0] = -np.pi, np.pi
    body = np.stack([s.as_array() for s in syn.VIRTUAL_SUBJECTS])[np.arange(n) % 7]
    uniform = syn.forward_kinematics(rng.uniform(lo, hi, (n, len(lo))), body)
    uniform[..., 2] -= uniform[..., 2].min(1, keepdims=True) - 0.05   # lowest joint 5 cm above the floor
    banks["uniform angles in limits"] = uniform
    lines = [f"real test poses (S9, S11, every {test_step}th frame): {len(Xte)}; banks of {n} poses", ""]
    lines.append(f"{'bank':26s} {'NN root':>8s} {'NN root+yaw':>12s} {'hip z W1':>9s} {'knee W1':>8s} "
                 f"{'elbow W1':>9s}  (mm, mm, cm, deg, deg)")
    knee = lambda P: np.concatenate([_interior(P, 1, 2, 3), _interior(P, 4, 5, 6)])
    elbow = lambda P: np.concatenate([_interior(P, 13, 14, 15), _interior(P, 10, 11, 12)])
    per_action = {}
    for name, P in banks.items():
        d1 = nearest_pose_distance(Xte - Xte[:, :1], P - P[:, :1])
        d2 = nearest_pose_distance(_heading_aligned(Xte), _heading_aligned(P))
        per_action[name] = [1000 * d2[ate == a].mean() for a in range(len(syn.ACTIONS))]
        lines.append(f"{name:26s} {1000 * d1.mean():8.1f} {1000 * d2.mean():12.1f} "
                     f"{100 * _w1(Xte[:, 0, 2], P[:, 0, 2]):9.1f} {_w1(knee(Xte), knee(P)):8.1f} "
                     f"{_w1(elbow(Xte), elbow(P)):9.1f}")
    lines += ["", "per action, NN root+yaw (mm): " + " ".join(f"{a[:7]:>7s}" for a in syn.ACTIONS)]
    for name, vals in per_action.items():
        lines.append(f"  {name:26s} " + " ".join(f"{v:7.0f}" for v in vals))
    lines += ["", "hip height percentiles 5/25/50/75/95 (m):",
              f"  real test {np.percentile(Xte[:, 0, 2], [5, 25, 50, 75, 95]).round(2)}"]
    for name, P in banks.items():
        lines.append(f"  {name:24s}{np.percentile(P[:, 0, 2], [5, 25, 50, 75, 95]).round(2)}")
    parents = list(H36M_PARENTS[1:])
    real_bones = np.linalg.norm(Xtr[:, 1:] - Xtr[:, parents], axis=-1)
    lines += ["", "bone lengths (m), joints 1..15: real train mean / virtual subjects min..max",
              "  " + " ".join(f"{v:.3f}" for v in real_bones.mean(0)),
              "  " + " ".join(f"{lo_:.3f}" for lo_ in np.min([s.bone_lengths() for s in syn.VIRTUAL_SUBJECTS], 0)),
              "  " + " ".join(f"{hi_:.3f}" for hi_ in np.max([s.bone_lengths() for s in syn.VIRTUAL_SUBJECTS], 0))]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="folder holding data_3d_h36m.npz")
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="where to write the prior (.npz)")
    ap.add_argument("--components", type=int, default=8, help="mixture components per action")
    ap.add_argument("--report", action="store_true", help="only print the realism report")
    ap.add_argument("--n", type=int, default=100_000, help="synthetic poses in the report")
    args = ap.parse_args(argv)
    if args.report:
        print(realism_report(args.data, n=args.n))
        return
    t = time.perf_counter()
    prior = fit_pose_prior(args.data, components=args.components)
    np.savez_compressed(args.out, **prior)
    size = Path(args.out).stat().st_size
    print(f"fitted {len(syn.ACTIONS)} x {args.components} components on {int(prior['frames_used'])} frames "
          f"of {', '.join(TRAIN)} in {time.perf_counter() - t:.1f} s; wrote {args.out} ({size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
