"""The modulated GCN's released checkpoint format (Zou & Tang) loaded into build_model("modulated-gcn").

No file of theirs is needed: a random state dict with their tensor names is written, loaded by the package, and
compared with the forward pass of their network written out here from its equations (adjacency: neighbours 1/d,
self 1; plus the learned offset, symmetrised; M scales both transforms; batch norm over channels, ReLU; residual
blocks of two such layers; a last layer without batch norm)."""
import pytest
import torch

from semgcn.graph import H36M_SKELETON
from semgcn.models.released import MAX_HIDDEN, is_modulated_gcn_release, modulated_gcn_from_release
from semgcn.train import load_model

K = 16


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def _layer(prefix, c_in, c_out):
    return {prefix + "W": torch.randn(2, c_in, c_out) * 0.3, prefix + "M": 1 + 0.3 * torch.randn(K, c_out),
            prefix + "adj2": 0.05 * torch.randn(K, K), prefix + "bias": 0.1 * torch.randn(c_out)}


def _bn(prefix, c):
    return {prefix + "weight": 1 + 0.1 * torch.randn(c), prefix + "bias": 0.1 * torch.randn(c),
            prefix + "running_mean": 0.1 * torch.randn(c), prefix + "running_var": 0.5 + torch.rand(c),
            prefix + "num_batches_tracked": torch.tensor(7)}


def _release(hidden=8, blocks=2):
    sd = {**_layer("gconv_input.0.gconv.", 2, hidden), **_bn("gconv_input.0.bn.", hidden)}
    for i in range(blocks):
        for j in (1, 2):
            sd.update(_layer(f"gconv_layers.{i}.gconv{j}.gconv.", hidden, hidden))
            sd.update(_bn(f"gconv_layers.{i}.gconv{j}.bn.", hidden))
    sd.update(_layer("gconv_output.", hidden, 3))
    return {"epoch": 6, "step": 100, "lr": 1e-3, "error": 40.0, "state_dict": sd}


def _their_adjacency():
    a = H36M_SKELETON.adjacency().clone().float()
    a.fill_diagonal_(0)
    a = a / a.sum(1, keepdim=True)
    return a + torch.eye(K)


def _their_forward(sd, x, blocks):
    """Their network, from the equations (eval mode)."""
    e = torch.eye(K)

    def conv(p, h):
        a = _their_adjacency() + sd[p + "adj2"]
        a = (a + a.t()) / 2
        h0, h1 = h @ sd[p + "W"][0], h @ sd[p + "W"][1]
        return (a * e) @ (sd[p + "M"] * h0) + (a * (1 - e)) @ (sd[p + "M"] * h1) + sd[p + "bias"]

    def block(p, h):
        y = conv(p + "gconv.", h)
        y = (y - sd[p + "bn.running_mean"]) / torch.sqrt(sd[p + "bn.running_var"] + 1e-5)
        return torch.relu(y * sd[p + "bn.weight"] + sd[p + "bn.bias"])

    h = block("gconv_input.0.", x)
    for i in range(blocks):
        h = h + block(f"gconv_layers.{i}.gconv2.", block(f"gconv_layers.{i}.gconv1.", h))
    return conv("gconv_output.", h)


def test_released_checkpoint_gives_their_networks_output(tmp_path):
    ckpt = _release(hidden=8, blocks=2)
    path = tmp_path / "ckpt_Modulated_GCN.pth.tar"
    torch.save(ckpt, path)
    x = torch.randn(5, K, 2)
    expected = _their_forward(ckpt["state_dict"], x, blocks=2)
    for model in (modulated_gcn_from_release(path), load_model(path)):   # directly, and as `evaluate` loads it
        assert not model.training
        assert model.config["hidden"] == 8 and model.config["num_blocks"] == 2
        with torch.no_grad():
            torch.testing.assert_close(model(x), expected, rtol=1e-5, atol=1e-5)


def test_the_first_layer_convention_would_not_reproduce_it():
    """The package's first adjacency (D^-1 A with self-loops) gives another network on the same weights."""
    ckpt = _release()
    model = modulated_gcn_from_release(ckpt)
    x = torch.randn(5, K, 2)
    with torch.no_grad():
        for m in model.modules():
            if hasattr(m, "adj_norm"):
                m.adj_norm.copy_(H36M_SKELETON.adjacency() / H36M_SKELETON.adjacency().sum(1, keepdim=True))
        assert (model(x) - _their_forward(ckpt["state_dict"], x, blocks=2)).abs().max() > 1e-2


@pytest.mark.parametrize("edit, message", [
    (lambda sd: sd.pop("gconv_layers.1.gconv2.bn.running_var"), "lacks tensors"),
    (lambda sd: sd.update({"gconv_layers.0.gconv1.gconv.extra": torch.zeros(1)}), "unexpected tensor"),
    (lambda sd: sd.update({"gconv_output.W": torch.zeros(2, 8, 4)}), "has shape (2, 8, 4)"),
    (lambda sd: sd["gconv_input.0.gconv.M"].__setitem__((0, 0), float("nan")), "non-finite"),
    (lambda sd: sd.update({"gconv_input.0.gconv.W": torch.zeros(2, 2, MAX_HIDDEN + 1)}), "at most width"),
    (lambda sd: sd.update({"gconv_input.0.gconv.W": torch.zeros(2, 3, 8)}), "expected (2, 2, hidden)"),
    (lambda sd: sd.update({"gconv_input.0.bn.weight": "1"}), "must be a tensor"),
])
def test_hostile_release_files_are_refused_in_one_line(tmp_path, edit, message):
    ckpt = _release()
    edit(ckpt["state_dict"])
    path = tmp_path / "bad.pth"
    torch.save(ckpt, path)
    with pytest.raises(ValueError) as err:
        modulated_gcn_from_release(path)
    assert message in str(err.value) and str(path) in str(err.value) and "\n" not in str(err.value)


def test_other_checkpoints_are_not_taken_for_a_release():
    assert is_modulated_gcn_release(_release())
    assert is_modulated_gcn_release(_release()["state_dict"])
    assert not is_modulated_gcn_release({"state_dict": {"body.0.conv.weight": torch.zeros(1)}, "meta": {}})
    assert not is_modulated_gcn_release([1, 2])
    with pytest.raises(ValueError, match="not a released modulated GCN"):
        modulated_gcn_from_release({"state_dict": {}})
