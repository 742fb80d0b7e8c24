"""Left-right analysis (chapter 7): swap gap, depth order, the shipped-model table, the CLI."""
import json

import pytest
import torch

from semgcn.__main__ import main
from semgcn.analysis import (depth_order, left_right_markdown, left_right_rows, mirror_markdown, run_left_right,
                             swap_gap)
from semgcn.data import load_pose_data
from semgcn.data.augment import mirror_split
from semgcn.models import build_model
from semgcn.train import atomic_write_json, evaluate, export_weights, load_model

from test_h36m import REAL, needs_real


def _randomize(model):
    torch.manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "edge_logits" in name:
                p.normal_()
    return model.eval()


def test_swap_gap_separates_equivariant_networks():
    x = torch.randn(64, 16, 2) * 0.3
    assert swap_gap(_randomize(build_model("resgcn", hidden=16, num_blocks=1)), x) < 1e-2   # mm: rounding
    assert swap_gap(_randomize(build_model("gat", hidden=16, num_blocks=1)), x) < 1e-2
    assert swap_gap(_randomize(build_model("semgcn-no-nonlocal", hidden=16, num_blocks=1)), x) > 1.0


def test_depth_order_counts_the_side_of_the_hip():
    torch.manual_seed(1)
    targets = torch.randn(50, 16, 3) * 0.3
    targets[:, 0] = 0
    right, tested = depth_order(targets, targets)
    assert right == 100.0 and 0 < tested <= 50 * 8
    mirrored = targets * torch.tensor([1.0, 1.0, -1.0])
    assert depth_order(mirrored, targets) == (0.0, tested)
    with pytest.raises(ValueError, match=r"\(N, K, 3\)"):
        depth_order(targets[..., :2], targets[..., :2])
    with pytest.raises(ValueError, match="more than 0.1 m"):
        depth_order(targets * 0, targets * 0)


def test_left_right_rows_use_shipped_weights_only(tmp_path):
    data = load_pose_data("synthetic", num_train=100, num_val=50, num_test=200, seed=0)
    for name, model in (("h36m-resgcn", "resgcn"), ("h36m-semgcn-no-nonlocal", "semgcn-no-nonlocal")):
        kwargs = dict(hidden=8, num_blocks=1)
        export_weights(_randomize(build_model(model, **kwargs)), tmp_path / name / "model.pt",
                       meta={"model": model, "model_kwargs": kwargs})
        atomic_write_json({"test": {"mpjpe": 99.0}}, tmp_path / name / "record.json")
    rows = left_right_rows(["h36m-resgcn", "h36m-gat", "h36m-semgcn-no-nonlocal"], data, tmp_path)
    assert [r["name"] for r in rows] == ["h36m-resgcn", "h36m-semgcn-no-nonlocal"]   # gat: not shipped, skipped
    assert rows[0]["conv"] == "vanilla" and rows[0]["swap_gap_mm"] < 1e-2 and rows[1]["swap_gap_mm"] > 1.0
    assert all(0 <= r["depth_order"] <= 100 and r["joints_tested"] > 0 for r in rows)
    md = left_right_markdown(rows)
    assert "| ResGCN | vanilla |" in md and "mean per kind of graph convolution" in md
    assert left_right_markdown([]) == "No shipped network to test."
    # chapter 11's mirror columns: the same network on mirrored poses and flip-averaged
    net = load_model(tmp_path / "h36m-semgcn-no-nonlocal" / "model.pt")
    assert rows[1]["subset_mpjpe"] == pytest.approx(evaluate(net, data.test)["mpjpe"])
    assert rows[1]["mirror_mpjpe"] == pytest.approx(evaluate(net, mirror_split(data.test))["mpjpe"])
    assert rows[1]["flip_avg_mpjpe"] == pytest.approx(evaluate(net, data.test, flip=True)["mpjpe"])
    assert rows[1]["mirror_mpjpe"] != pytest.approx(rows[1]["subset_mpjpe"])
    assert rows[1]["flip_trained"] is False
    mm = mirror_markdown(rows)
    assert "| Ours w/o Non-Local (`h36m-semgcn-no-nonlocal`) | no |" in mm
    assert mirror_markdown([]) == "No shipped network with mirror measurements."


def test_cli_needs_human36m(monkeypatch, capsys):
    monkeypatch.delenv("SEMGCN_H36M", raising=False)
    assert main(["left-right"]) == 2
    assert "needs Human3.6M" in capsys.readouterr().err


@needs_real
def test_run_left_right_on_human36m(tmp_path):
    out = tmp_path / "lr.json"
    result = run_left_right(REAL, names=["h36m-semgcn", "h36m-resgcn"], out=out, test_stride=500)
    assert json.loads(out.read_text()) == result and "every 500th frame" in result["data"]
    assert result["command"].endswith("--test-stride 500")
    for row in result["rows"]:   # whichever of the two is shipped
        assert row["joints_tested"] > 1000 and 50 <= row["depth_order"] <= 100
