"""What the official SemGCN evaluation's root centring computes on the PyTorch installed here.

The official ``main_gcn.py`` centres each predicted pose with

    outputs_3d[:, :, :] -= outputs_3d[:, :1, :]

an in-place subtraction through a view that overlaps the tensor it reads.  These tests pin down the
answer (chapter 7): on the CPU, joint 0 is zeroed first and every later joint then subtracts that zero, so
the root is set to zero and the other joints are left where they were: the pose is *not* centred.  A
batch of one pose is refused outright.  The official data preparation does the same thing in NumPy, which
copies overlapping operands and does centre.  Our scoring (``semgcn.train.score``) centres out of place.
"""
import numpy as np
import pytest
import torch

from semgcn.metrics import mpjpe


def official_line(outputs_3d: torch.Tensor) -> torch.Tensor:
    """The official evaluation's line, applied to a copy."""
    outputs_3d = outputs_3d.clone()
    outputs_3d[:, :, :] -= outputs_3d[:, :1, :]  # verbatim from the official evaluate()
    return outputs_3d


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("n", [2, 3, 64, 1000])
def test_inplace_line_zeroes_the_root_and_moves_nothing_else(dtype, n):
    torch.manual_seed(n)
    pred = (torch.randn(n, 16, 3) * 0.3 + 0.05).to(dtype)   # a root away from zero
    out = official_line(pred)
    assert torch.equal(out[:, 0], torch.zeros_like(out[:, 0]))
    assert torch.equal(out[:, 1:], pred[:, 1:])                 # the other 15 joints: untouched
    assert not torch.equal(out, pred - pred[:, :1])             # so it is not root centring


def test_inplace_line_refuses_a_batch_of_one_pose():
    # one pose: the view (1, 1, 3) is dense, so PyTorch detects the partial overlap and raises
    with pytest.raises(RuntimeError, match="single memory location"):
        official_line(torch.randn(1, 16, 3))


def test_numpy_centres_where_torch_does_not():
    # the official data preparation writes the same line in NumPy (on the 3D targets): that one centres
    poses = np.random.default_rng(0).normal(size=(5, 16, 3))
    centred = poses.copy()
    centred[:, :] -= centred[:, :1]
    np.testing.assert_allclose(centred, poses - poses[:, :1])


def test_the_two_centrings_score_differently():
    """With the target's root at zero, the official line scores the raw prediction with a perfect root;
    centring moves every joint by the predicted root's error.  The two agree only when the predicted
    root is exactly zero."""
    torch.manual_seed(0)
    target = torch.randn(200, 16, 3, dtype=torch.float64) * 0.2
    target[:, 0] = 0
    pred = target + torch.randn_like(target) * 0.02
    centred = pred - pred[:, :1]
    official = official_line(pred)
    raw_with_exact_root = pred.clone()
    raw_with_exact_root[:, 0] = 0
    assert torch.equal(official, raw_with_exact_root)
    assert abs(float(mpjpe(official, target) - mpjpe(centred, target))) > 0.1          # mm
    pred[:, 0] = 0                                       # a root predicted exactly at zero: no difference
    assert torch.equal(official_line(pred), pred - pred[:, :1])
