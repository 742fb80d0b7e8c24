"""Networks released by other authors, loaded into the package's models.

:func:`modulated_gcn_from_release` reads the ground-truth-2D checkpoint that
Zou & Tang released with the modulated GCN (ICCV 2021; their repository's
``Modulated_GCN_gt/checkpoint/ckpt_Modulated_GCN_128_38.25_30.06.pth.tar``)
into ``build_model("modulated-gcn")``: the same equation with the package's
parameter names, so that ``python -m semgcn evaluate --checkpoint FILE``
scores it on this package's pipeline.  The file is read with
``weights_only=True`` and every tensor's name and shape is checked before
anything is built from it.
"""
from __future__ import annotations

import os
import re

import torch

from .semgcn import SemGCN, build_model

__all__ = ["is_modulated_gcn_release", "modulated_gcn_from_release", "MAX_HIDDEN", "MAX_BLOCKS"]

#: Limits on what a file may ask the loader to build (a hostile file decides no memory beyond them).
MAX_HIDDEN, MAX_BLOCKS = 1024, 16

_LAYER = re.compile(r"^gconv_layers\.(\d+)\.gconv([12])\.(gconv|bn)\.(\w+)$")
_INPUT = re.compile(r"^gconv_input\.0\.(gconv|bn)\.(\w+)$")
_OUTPUT = re.compile(r"^gconv_output\.(\w+)$")
_CONV = {"W": "weight", "M": "modulation", "adj2": "affinity_offset", "bias": "bias"}
_BN = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def _state_dict(obj):
    """The parameter dictionary of a loaded checkpoint: ``obj['state_dict']`` or ``obj`` itself."""
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        return obj["state_dict"]
    return obj if isinstance(obj, dict) else None


def is_modulated_gcn_release(obj) -> bool:
    """Whether a loaded checkpoint has the authors' parameter names (``gconv_input.0.gconv.W`` ...)."""
    sd = _state_dict(obj)
    return bool(sd) and "gconv_input.0.gconv.W" in sd and "gconv_output.W" in sd


def _our_name(key: str, source) -> str:
    m = _INPUT.match(key)
    if m:
        part, p = m.groups()
        prefix = "body.0."
    else:
        m = _LAYER.match(key)
        if m:
            i, j, part, p = m.groups()
            prefix = f"body.{int(i) + 1}.block{j}."
        else:
            m = _OUTPUT.match(key)
            if not m:
                raise ValueError(f"{source}: unexpected tensor {key!r} for a released modulated GCN")
            part, p, prefix = "gconv", m.group(1), "head."
    if part == "gconv":
        if p not in _CONV:
            raise ValueError(f"{source}: unexpected tensor {key!r} for a released modulated GCN")
        return prefix + ("" if prefix == "head." else "conv.") + _CONV[p]
    if p not in _BN:
        raise ValueError(f"{source}: unexpected tensor {key!r} for a released modulated GCN")
    return prefix + "bn." + p


def modulated_gcn_from_release(checkpoint, source: str | None = None) -> SemGCN:
    """``build_model("modulated-gcn")`` holding the weights of the authors' released checkpoint.

    ``checkpoint``: a path, or the object ``torch.load`` returned (a dict with
    ``state_dict``, or the state dict itself).  Their 16-joint Human3.6M
    network: width and number of residual blocks are read from the tensors'
    shapes (at most :data:`MAX_HIDDEN` and :data:`MAX_BLOCKS`); any other
    tensor, a missing one or a shape that does not fit raises a one-line
    ``ValueError`` naming it.  Returns the model in eval mode on the CPU.
    """
    if isinstance(checkpoint, (str, os.PathLike)):
        from ..train import load_checkpoint
        source = source or str(checkpoint)
        checkpoint = load_checkpoint(checkpoint)
    source = source or "checkpoint"
    sd = _state_dict(checkpoint)
    if not is_modulated_gcn_release(checkpoint):
        raise ValueError(f"{source}: not a released modulated GCN (no 'gconv_input.0.gconv.W' and "
                         f"'gconv_output.W' tensors)")
    if not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise ValueError(f"{source}: every entry of the state dict must be a tensor")
    w_in = sd["gconv_input.0.gconv.W"]
    if w_in.dim() != 3 or w_in.shape[0] != 2 or w_in.shape[1] != 2:
        raise ValueError(f"{source}: gconv_input.0.gconv.W has shape {tuple(w_in.shape)}, expected (2, 2, hidden)")
    hidden = int(w_in.shape[2])
    blocks = len({m.group(1) for m in map(_LAYER.match, sd) if m})
    if not 1 <= hidden <= MAX_HIDDEN or blocks > MAX_BLOCKS:
        raise ValueError(f"{source}: width {hidden} and {blocks} residual blocks; this loader builds at most "
                         f"width {MAX_HIDDEN} and {MAX_BLOCKS} blocks")
    model = build_model("modulated-gcn", hidden=hidden, num_blocks=blocks)
    ref = model.state_dict()
    state = {}
    for key, value in sd.items():
        name = _our_name(key, source)
        if name not in ref:
            raise ValueError(f"{source}: tensor {key!r} has no place in a network of {blocks} blocks")
        if tuple(value.shape) != tuple(ref[name].shape):
            raise ValueError(f"{source}: tensor {key!r} has shape {tuple(value.shape)}, expected "
                             f"{tuple(ref[name].shape)}")
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise ValueError(f"{source}: tensor {key!r} holds non-finite values")
        state[name] = value.to(ref[name].dtype)
    fixed = {k for k in ref if k.endswith((".adj_norm", ".eye"))}   # the skeleton's, not learned
    missing = sorted(set(ref) - set(state) - fixed)
    if missing:
        raise ValueError(f"{source}: lacks tensors for {missing[:3]} (package names)")
    model.load_state_dict({**{k: ref[k] for k in fixed}, **state})
    return model.eval()
