"""Speed benchmark (`python -m semgcn benchmark`; chapter 6's "How fast is it?", the reproducibility page).

Speeds are reported as ratios measured in one run, because the machines are
shared and noisy: the achieved training FLOP rate of SemGCN divided by this
machine's float32 matrix-multiply rate measured in the same process, beside
the same ratio for the step's matrix products replayed alone
(:func:`products_only_rate`), the most the step could reach on the machine.  Nominal
costs per pose (DESIGN.md): forward 15 MFLOP with non-local blocks and 9.6
without; a training step about three times that (45 and 29 MFLOP).
"""
from __future__ import annotations

import statistics
import time

import torch

from .losses import pose_loss
from .models import build_model
from .train import default_eval_batch_size, hardware_description, make_optimizer, pick_device, predict

__all__ = ["matmul_rate", "batch_rate", "training_rate", "products_only_rate", "inference_latency", "inference_rate",
           "subnormal_cost", "run_benchmark", "NOMINAL_TRAIN_FLOP"]

#: Nominal training FLOP per pose per step (forward + backward).
NOMINAL_TRAIN_FLOP = {"semgcn": 45e6, "semgcn-no-nonlocal": 29e6}


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


#: Clocks: ``"wall"`` (elapsed time) or ``"cpu"`` (this process's CPU time, all
#: threads summed: rates per CPU-second, robust when other jobs share the cores).
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def _clock(clock: str):
    if clock not in CLOCKS:
        raise ValueError(f"clock must be one of {sorted(CLOCKS)}, got {clock!r}")
    return CLOCKS[clock]


def _timeit(fn, device, min_seconds: float, warmup: int = 3, clock: str = "wall") -> float:
    """Median seconds per call over repeated timing rounds of at least ``min_seconds / 5`` each."""
    now = _clock(clock)
    for _ in range(warmup):
        fn()
    _sync(device)
    rounds, deadline = [], now() + min_seconds
    while now() < deadline or len(rounds) < 3:
        n, t0 = 0, now()
        while True:
            fn()
            n += 1
            _sync(device)
            if now() - t0 > min_seconds / 5:
                break
        rounds.append((now() - t0) / n)
    return statistics.median(rounds)


def matmul_rate(device="cpu", size: int = 2048, seconds: float = 2.0, clock: str = "wall") -> float:
    """float32 square matrix-multiply rate of this machine, FLOP/s."""
    device = torch.device(device)
    a, b = torch.randn(size, size, device=device), torch.randn(size, size, device=device)
    return 2 * size ** 3 / _timeit(lambda: a @ b, device, seconds, clock=clock)


def batch_rate(batch_size: int = 256, num_poses: int = 300_000, device="cpu", seconds: float = 1.0,
               clock: str = "wall") -> float:
    """Batches per second produced the way the training engine does it: slices
    of a shuffled index tensor gathered from device-resident ``(N, 16, 2)``
    inputs and ``(N, 16, 3)`` targets (``num_poses`` ~ Human3.6M at 10 fps)."""
    from .train import epoch_batches
    device = torch.device(device)
    inputs = torch.randn(num_poses, 16, 2, device=device)
    targets = torch.randn(num_poses, 16, 3, device=device)
    batches = epoch_batches(num_poses, batch_size, seed=0, epoch=1, device=device)
    it = iter(range(10 ** 9))

    def one():
        idx = batches[next(it) % len(batches)]
        return inputs[idx], targets[idx]

    return 1.0 / _timeit(one, device, seconds, clock=clock)


def _training_step(model_name: str, batch_size: int, device):
    torch.manual_seed(0)
    model = build_model(model_name).to(device).train()
    opt = make_optimizer(model, 1e-4, device)
    x = torch.randn(batch_size, 16, 2, device=device) * 0.3
    y = torch.randn(batch_size, 16, 3, device=device) * 0.3

    def step():
        loss = pose_loss(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0, foreach=True)
        opt.step()

    return step


def training_rate(model_name: str = "semgcn", batch_size: int = 256, device="cpu", seconds: float = 3.0,
                  clock: str = "wall") -> float:
    """Training poses per second (forward, joint loss, backward, gradient
    clipping, Adam step) on random data resident on ``device``."""
    device = torch.device(device)
    return batch_size / _timeit(_training_step(model_name, batch_size, device), device, seconds, clock=clock)


class _Layout(tuple):
    """Shape and strides of a recorded operand (expanded, stride-0 operands included)."""

    def __new__(cls, shape, stride):
        return super().__new__(cls, (shape, stride))

    def random(self, device) -> torch.Tensor:
        shape, stride = self
        size = 1 + sum((n - 1) * st for n, st in zip(shape, stride))
        return torch.randn(size, device=device).as_strided(shape, stride)


def _product_flop(func, args) -> int:
    """FLOP of one recorded matrix product (multiply-adds count two)."""
    (a, _), (b, _) = (args[1], args[2]) if func is torch.ops.aten.addmm.default else (args[0], args[1])
    batch = a[0] if len(a) == 3 else 1
    return 2 * batch * a[-2] * a[-1] * b[-1]


def products_only_rate(model_name: str = "semgcn", batch_size: int = 256, device="cpu", seconds: float = 3.0,
                       clock: str = "wall") -> dict:
    """The matrix products of one training step, replayed with nothing between them.

    Records every ``mm`` / ``addmm`` / ``bmm`` call of one training step
    (forward and backward, with their operands' shapes and memory layouts),
    then times the same calls back to back on resident random operands.  The
    time per step is a floor for the real step on this machine, so
    ``poses_per_second`` is a ceiling for :func:`training_rate`: the rate the
    step would reach if batch norm, activations, copies and the optimiser
    took no time.  ``flop_per_pose`` counts the products actually computed.
    Every call gets its own operands, as in the real step (sharing operands
    between calls of equal shape lets them stay in cache and made the replay
    ~20% faster on a CPU, which would overstate the ceiling); they take about
    as much memory as the activations of a few training steps.
    """
    from torch.utils._python_dispatch import TorchDispatchMode

    products = (torch.ops.aten.mm.default, torch.ops.aten.addmm.default, torch.ops.aten.bmm.default)
    calls = []

    class _Record(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if func in products:
                calls.append((func, [_Layout(tuple(a.shape), a.stride()) if isinstance(a, torch.Tensor) else a
                                     for a in args], dict(kwargs or {})))
            return func(*args, **(kwargs or {}))

    device = torch.device(device)
    step = _training_step(model_name, batch_size, device)
    step()   # the optimiser's state exists from the second step on, as in training
    with _Record():
        step()
    if not calls:
        raise ValueError(f"no matrix products recorded in a training step of {model_name!r}")
    replay = [(func, [a.random(device) if isinstance(a, _Layout) else a for a in args], kwargs)
              for func, args, kwargs in calls]

    def run():
        for func, args, kwargs in replay:
            func(*args, **kwargs)

    seconds_per_step = _timeit(run, device, seconds, clock=clock)
    flop = sum(_product_flop(func, args) for func, args, _ in calls)
    return {"poses_per_second": batch_size / seconds_per_step, "flop_per_pose": flop / batch_size,
            "calls": len(calls), "gflops": flop / seconds_per_step / 1e9}


@torch.no_grad()
def inference_latency(model_name: str = "semgcn", device="cpu", seconds: float = 1.0, clock: str = "wall") -> float:
    """Seconds to lift one pose (batch of 1, eval mode)."""
    device = torch.device(device)
    model = build_model(model_name).to(device).eval()
    x = torch.randn(1, 16, 2, device=device)
    return _timeit(lambda: model(x), device, seconds, clock=clock)


@torch.no_grad()
def inference_rate(model_name: str = "semgcn", num_poses: int = 8192, device="cpu", seconds: float = 2.0,
                   clock: str = "wall", chunk: int | None = None) -> float:
    """Poses per second lifting ``num_poses`` poses at once with
    :func:`semgcn.train.predict`, which feeds the network ``chunk`` poses per
    forward pass (``None``: :func:`semgcn.train.default_eval_batch_size`)."""
    device = torch.device(device)
    model = build_model(model_name).to(device).eval()
    x = torch.randn(num_poses, 16, 2, device=device)
    return num_poses / _timeit(lambda: predict(model, x, chunk), device, seconds, clock=clock)


def subnormal_cost(fraction: float = 0.135, seconds: float = 1.0, clock: str = "wall") -> dict:
    """Seconds per Adam step (CPU) of the FC network (4.3M parameters) when a
    ``fraction`` of its second-moment estimates has sunk below float32's
    normal range (1.2e-38), with the CPU's flush-to-zero off and on
    (:func:`semgcn.train.train` turns it on).  For scale: a Human3.6M FC run
    trained without flushing had 13.5% of all its optimiser values (both
    moments) subnormal after 9 epochs.  Restores the process default (off)
    afterwards."""
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be in [0, 1], got {fraction}")
    device = torch.device("cpu")
    torch.manual_seed(0)
    model = build_model("fc")
    opt = make_optimizer(model, 1e-4, device)
    for p in model.parameters():
        p.grad = torch.randn_like(p) * 1e-3
        p.grad[torch.rand_like(p) < fraction] = 1e-21       # its square, 1e-42, is subnormal
    opt.step()
    for p in model.parameters():  # and so are the running squared gradients of those entries
        sq = opt.state[p]["exp_avg_sq"]
        sq[p.grad == 1e-21] = 1e-39
    out = {"fraction": fraction}
    try:
        for key, flush in (("seconds_per_step", False), ("seconds_per_step_flushed", True)):
            if not torch.set_flush_denormal(flush) and flush:
                return {**out, "unsupported": True}   # this CPU cannot flush subnormals
            out[key] = _timeit(opt.step, device, seconds, warmup=1, clock=clock)
    finally:
        torch.set_flush_denormal(False)
    out["slowdown"] = out["seconds_per_step"] / out["seconds_per_step_flushed"]
    return out


def run_benchmark(models=("semgcn", "semgcn-no-nonlocal"), batch_sizes=(64, 256), device="auto",
                  seconds: float = 3.0, print_fn=print, threads: int | None = None, clock: str = "wall",
                  inference_poses: int = 8192) -> dict:
    """Measure everything and print a table; returns the numbers as a dict.

    ``inference_poses``: how many poses the inference-rate measurement lifts
    at once (in the engine's chunks, and in one forward pass).

    ``threads``: CPU threads for every measurement (``None``: torch's default).
    ``clock="cpu"`` times with this process's CPU time (CPU only): rates per
    CPU-second, which stay meaningful while other jobs share the machine.
    The fractions of the matmul rate use the mean of the matmul readings taken
    at the start and at the end of the run.
    """
    device = pick_device(device)
    _clock(clock)
    if isinstance(inference_poses, bool) or not isinstance(inference_poses, int) or inference_poses < 1:
        raise ValueError(f"inference_poses must be a positive integer, got {inference_poses!r}")
    if clock == "cpu" and device.type != "cpu":
        raise ValueError("clock='cpu' measures CPU time and is meaningless on a GPU: use clock='wall'")
    if threads is not None:
        if threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        torch.set_num_threads(threads)
    kw = dict(device=device, clock=clock)
    rate = matmul_rate(seconds=seconds, **kw)
    out = {"device": hardware_description(device), "threads": torch.get_num_threads(), "clock": clock,
           "matmul_gflops": rate / 1e9, "inference_chunk": default_eval_batch_size(device),
           "inference_poses": inference_poses, "models": {}}
    per = " per CPU-second" if clock == "cpu" else ""
    print_fn(f"{out['device']}, {clock} clock: float32 matmul {rate / 1e9:.1f} "
             f"GFLOP/s{per} (2048x2048)")
    step_rate = training_rate("semgcn", 256, seconds=seconds, **kw) / 256
    gather = batch_rate(256, seconds=seconds / 2, **kw)
    out["batch_cost_fraction"] = step_rate / gather
    print_fn(f"  batching: {gather:,.0f} batches/s of 256 poses = {out['batch_cost_fraction']:.2%} of a "
             f"SemGCN training step at batch 256")
    for name in models:
        res = {"train": {}}
        for bs in batch_sizes:
            poses = training_rate(name, bs, seconds=seconds, **kw)
            ceiling = products_only_rate(name, bs, seconds=seconds / 2, **kw)
            res["train"][bs] = {"poses_per_second": poses, "products_only": ceiling}
            print_fn(f"  {name:<20} train batch {bs:>4}: {poses:>9,.0f} poses/s{per}; its {ceiling['calls']} "
                     f"matrix products alone: {ceiling['poses_per_second']:,.0f} poses/s ({ceiling['gflops']:.1f} GFLOP/s)")
        res["latency_ms"] = inference_latency(name, seconds=seconds / 3, **kw) * 1e3
        res["inference_poses_per_second"] = inference_rate(name, inference_poses, seconds=seconds / 2, **kw)
        res["inference_poses_per_second_one_pass"] = inference_rate(name, inference_poses, seconds=seconds / 2,
                                                                    chunk=inference_poses, **kw)
        print_fn(f"  {name:<20} inference: {res['latency_ms']:.2f} ms for one pose; {inference_poses} poses: "
                 f"{res['inference_poses_per_second']:,.0f} poses/s in chunks of {default_eval_batch_size(device)} "
                 f"(predict's default here), {res['inference_poses_per_second_one_pass']:,.0f} in one forward pass")
        out["models"][name] = res
    if device.type == "cpu":
        sub = out["subnormals"] = subnormal_cost(seconds=seconds / 2, clock=clock)
        if not sub.get("unsupported"):
            print_fn(f"  subnormals: an FC Adam step with {sub['fraction']:.1%} subnormal second moments takes "
                     f"{sub['seconds_per_step'] * 1e3:.1f} ms, {sub['seconds_per_step_flushed'] * 1e3:.1f} ms with "
                     f"flush-to-zero (train() turns it on): {sub['slowdown']:.1f}x")
    rate2 = matmul_rate(seconds=seconds, **kw)
    out["matmul_gflops_end"] = rate2 / 1e9
    reference = (rate + rate2) / 2
    print_fn(f"float32 matmul again at the end: {rate2 / 1e9:.1f} GFLOP/s; reference = mean "
             f"{reference / 1e9:.1f} GFLOP/s")
    for name, res in out["models"].items():
        if name not in NOMINAL_TRAIN_FLOP:
            continue
        for bs, entry in res["train"].items():
            entry["gflops"] = entry["poses_per_second"] * NOMINAL_TRAIN_FLOP[name] / 1e9
            entry["fraction_of_matmul"] = entry["gflops"] * 1e9 / reference
            # The same nominal FLOP at the products-only rate: the most the step could reach here.
            ceiling = entry["products_only"]["poses_per_second"] * NOMINAL_TRAIN_FLOP[name] / reference
            entry["products_only"]["fraction_of_matmul"] = ceiling
            print_fn(f"  {name:<20} train batch {bs:>4}: {entry['gflops']:.1f} GFLOP/s = "
                     f"{entry['fraction_of_matmul']:.0%} of matmul (matrix products alone: {ceiling:.0%})")
    return out
