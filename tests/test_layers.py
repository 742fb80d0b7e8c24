"""Layer tests: every layer against an independent dense / loop computation of
its equation, softmax masking, start-as-GCN / start-as-identity, permutation
equivariance and input validation."""
import math

import pytest
import torch
import torch.nn.functional as F

from semgcn.graph import H36M_NONLOCAL_GROUPS, H36M_SKELETON
from semgcn.nn import (
    GRAPH_CONVS, GRID_MODES, PAIRWISE_FUNCTIONS, AttentionGraphConv, EdgeMaskGraphConv, GraphConv, GraphNonLocal,
    GridGraphConv, ModulatedGraphConv, SemGraphConv,
)

DT = torch.float64
ADJ = H36M_SKELETON.adjacency()


def _odd_graph():
    """A 7-node graph with cycles, uneven degrees, a node without a self-loop
    (node 2) and a node whose only neighbour is itself (node 6)."""
    a = torch.zeros(7, 7)
    for i, j in [(0, 1), (1, 2), (2, 3), (3, 0), (0, 2), (4, 5), (5, 1)]:
        a[i, j] = a[j, i] = 1
    for i in (0, 1, 3, 4, 5, 6):
        a[i, i] = 1
    return a


GRAPHS = {"h36m": ADJ, "odd": _odd_graph()}


@pytest.fixture(autouse=True)
def _seed_and_one_thread():
    """Deterministic randomness; one intra-op thread (tiny tensors, shared CPUs)."""
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _nbrs(adj, i):
    return [j for j in range(adj.shape[0]) if adj[i, j] > 0]


def _randomise(layer):
    """Give every parameter of a layer a random value (non-trivial edge weights)."""
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(torch.randn_like(p))
    return layer


def _dense_edges(layer, values):
    """Scatter per-edge ``values`` of a two-transform layer into a dense dict
    {(i, j): value} via the layer's own (row, col) bookkeeping."""
    return {(int(i), int(j)): values[..., e] for e, (i, j) in enumerate(zip(layer.edge_rows, layer.edge_cols))}


# ============================================================================ GraphConv (Eq. 1)

@pytest.mark.parametrize("graph", GRAPHS)
@pytest.mark.parametrize("bias", [True, False])
def test_graph_conv_matches_dense_equation(graph, bias):
    adj = GRAPHS[graph]
    k = adj.shape[0]
    layer = GraphConv(4, 5, adj, bias=bias).to(DT)
    x = torch.randn(3, k, 4, dtype=DT)
    deg = adj.to(DT).sum(1)
    d = torch.diag(deg ** -0.5)
    a_tilde = d @ adj.to(DT) @ d
    expected = a_tilde @ x @ layer.weight
    if bias:
        expected = expected + layer.bias
    torch.testing.assert_close(layer(x), expected)
    # row normalisation variant
    layer_row = GraphConv(4, 5, adj, bias=bias, normalization="row").to(DT)
    expected = torch.diag(1 / deg) @ adj.to(DT) @ x @ layer_row.weight
    if bias:
        expected = expected + layer_row.bias
    torch.testing.assert_close(layer_row(x), expected)


def test_graph_conv_parameters_and_state_dict():
    layer = GraphConv(2, 8, ADJ)
    assert sum(p.numel() for p in layer.parameters()) == 2 * 8 + 8
    assert "adj" in layer.state_dict()
    assert GraphConv(2, 8, ADJ, bias=False).bias is None


# ============================================================================ SemGraphConv (Eq. 2, 3)

def _semgconv_reference(layer, adj, x):
    """Eq. 2 by explicit loops: softmax over each row's neighbours, W[0] on
    the node itself, W[1] on its neighbours."""
    k = adj.shape[0]
    logits = _dense_edges(layer, layer.edge_logits.detach())
    w0, w1 = layer.weight[0].detach(), layer.weight[1].detach()
    out = torch.zeros(x.shape[0], k, layer.out_features, dtype=x.dtype)
    for i in range(k):
        nb = _nbrs(adj, i)
        denom = sum(torch.exp(logits[(i, j)]) for j in nb)
        for j in nb:
            rho = torch.exp(logits[(i, j)]) / denom  # scalar, or (C_out,) when channel-wise
            transform = w0 if i == j else w1
            out[:, i] += rho * (x[:, j] @ transform)  # channel-wise: rho_d multiplies output channel d
    if layer.bias is not None:
        out += layer.bias.detach()
    return out


@pytest.mark.parametrize("graph", GRAPHS)
@pytest.mark.parametrize("channelwise", [False, True])
def test_semgraphconv_matches_loop_equation(graph, channelwise):
    adj = GRAPHS[graph]
    layer = _randomise(SemGraphConv(3, 4, adj, channelwise=channelwise).to(DT))
    x = torch.randn(2, adj.shape[0], 3, dtype=DT)
    torch.testing.assert_close(layer(x), _semgconv_reference(layer, adj, x))


def test_semgraphconv_channelwise_is_per_channel_semgconv():
    """Eq. 3: output channel d of the channel-wise layer equals a scalar
    SemGraphConv that uses the d-th set of edge logits and the d-th column of W."""
    cw = _randomise(SemGraphConv(3, 4, ADJ, channelwise=True).to(DT))
    x = torch.randn(2, 16, 3, dtype=DT)
    out = cw(x)
    for d in range(4):
        single = SemGraphConv(3, 1, ADJ).to(DT)
        with torch.no_grad():
            single.edge_logits.copy_(cw.edge_logits[d])
            single.weight.copy_(cw.weight[:, :, d:d + 1])
            single.bias.copy_(cw.bias[d:d + 1])
        torch.testing.assert_close(out[..., d:d + 1], single(x))


def test_semgraphconv_mixing_matrix_interleaves_neighbours_and_self():
    conv = _randomise(SemGraphConv(3, 4, H36M_SKELETON.adjacency()))
    a = conv.edge_weights().detach()
    s = conv.mixing_matrix(a).detach()
    k = a.shape[0]
    assert s.shape == (2 * k, k)
    torch.testing.assert_close(s[0::2], a - torch.diag(torch.diagonal(a)))   # neighbours, no self
    torch.testing.assert_close(s[1::2], torch.diag(torch.diagonal(a)))       # the node itself only
    torch.testing.assert_close(s[0::2] + s[1::2], a)


def test_semgraphconv_edge_bookkeeping():
    for adj in GRAPHS.values():
        layer = SemGraphConv(2, 3, adj)
        edges = set(zip(layer.edge_rows.tolist(), layer.edge_cols.tolist()))
        expected = {(i, j) for i in range(adj.shape[0]) for j in range(adj.shape[0]) if adj[i, j] > 0}
        assert edges == expected and layer.num_edges == len(expected)
    assert SemGraphConv(2, 3, ADJ).edge_logits.shape == (46,)
    assert SemGraphConv(2, 3, ADJ, channelwise=True).edge_logits.shape == (3, 46)
    # parameters: 2 transforms + bias + one logit per edge (per output channel if channel-wise)
    assert sum(p.numel() for p in SemGraphConv(2, 3, ADJ).parameters()) == 2 * 2 * 3 + 3 + 46
    assert sum(p.numel() for p in SemGraphConv(2, 3, ADJ, channelwise=True).parameters()) == 12 + 3 + 3 * 46


@pytest.mark.parametrize("channelwise", [False, True])
@pytest.mark.parametrize("graph", GRAPHS)
def test_semgraphconv_softmax_masking(channelwise, graph):
    adj = GRAPHS[graph]
    layer = SemGraphConv(2, 3, adj, channelwise=channelwise)
    with torch.no_grad():
        layer.edge_logits.copy_(torch.randn_like(layer.edge_logits) * 10)
        layer.edge_logits.view(-1)[::5] = -200.0  # saturated edges stay edges
        layer.edge_logits.view(-1)[1::7] = 80.0
    w = layer.edge_weights()
    assert w.shape == ((3, 7, 7) if channelwise and graph == "odd" else
                       (3, 16, 16) if channelwise else adj.shape)
    mask = (adj > 0).expand_as(w)
    assert (w[~mask] == 0.0).all()  # exactly zero, not ~1e-15
    assert torch.isfinite(w).all() and (w >= 0).all()
    torch.testing.assert_close(w.sum(-1), torch.ones(w.shape[:-1]))
    # gradients exist only for the edge logits (there is no parameter for a non-edge), finite
    x = torch.randn(2, adj.shape[0], 2)
    layer(x).square().sum().backward()
    g = layer.edge_logits.grad
    assert g.shape[-1] == int((adj > 0).sum()) and torch.isfinite(g).all()


def test_semgraphconv_every_edge_logit_gets_a_gradient():
    layer = SemGraphConv(3, 4, ADJ)
    with torch.no_grad():
        layer.edge_logits.copy_(torch.randn(46))
    x = torch.randn(4, 16, 3)
    (layer(x) * torch.randn(4, 16, 4)).sum().backward()
    assert (layer.edge_logits.grad != 0).all()


@pytest.mark.parametrize("graph", GRAPHS)
@pytest.mark.parametrize("channelwise", [False, True])
def test_semgraphconv_starts_as_row_normalised_gcn(graph, channelwise):
    adj = GRAPHS[graph]
    layer = SemGraphConv(3, 5, adj, channelwise=channelwise).to(DT)
    with torch.no_grad():
        layer.weight[1].copy_(layer.weight[0])
    x = torch.randn(2, adj.shape[0], 3, dtype=DT)
    a = adj.to(DT)
    expected = torch.diag(1 / a.sum(1)) @ a @ x @ layer.weight[0] + layer.bias
    torch.testing.assert_close(layer(x), expected)
    # ... and its edge weights are D^-1 A
    w = layer.edge_weights()
    torch.testing.assert_close(w, (torch.diag(1 / a.sum(1)) @ a).expand_as(w))


# ============================================================================ ModulatedGraphConv

def _modulated_base(adj, normalization):
    """The normalised adjacency entry by entry: "row" D^-1 A (self-loops counted); "neighbours" (the authors'
    released code) 1/d_i for each of the d_i neighbours (self-loops not counted) and 1 for the joint itself."""
    k = adj.shape[0]
    if normalization == "row":
        deg = adj.sum(1)
        return [[float(adj[i, j]) / float(deg[i]) for j in range(k)] for i in range(k)]
    base = [[0.0] * k for _ in range(k)]
    for i in range(k):
        nbrs = [j for j in range(k) if j != i and adj[i, j] > 0]
        for j in nbrs:
            base[i][j] = float(adj[i, j]) / sum(float(adj[i, n]) for n in nbrs)
        base[i][i] = 1.0
    return base


@pytest.mark.parametrize("graph", GRAPHS)
@pytest.mark.parametrize("switches", [(True, True), (True, False), (False, True), (False, False)])
@pytest.mark.parametrize("normalization", ["neighbours", "row"])
def test_modulated_matches_loop_equation(graph, switches, normalization):
    """Node by node: out_i = a_ii m_i * (x_i W0) + sum_{j != i} a_ij m_j * (x_j W1) + b (each node's
    transformed features are scaled by its own vector m_j before they are mixed),
    a = ((Abar + Q) + (Abar + Q)^T) / 2, with random M and Q (Q dense: any pair of nodes)."""
    adj = GRAPHS[graph]
    k = adj.shape[0]
    layer = _randomise(ModulatedGraphConv(3, 5, adj, weight_modulation=switches[0],
                                          affinity_modulation=switches[1], normalization=normalization).to(DT))
    x = torch.randn(2, k, 3, dtype=DT)
    q = layer.affinity_offset if switches[1] else torch.zeros(k, k, dtype=DT)
    m = layer.modulation if switches[0] else torch.ones(k, 5, dtype=DT)
    base = _modulated_base(adj, normalization)
    a = [[0.5 * (base[i][j] + q[i, j] + base[j][i] + q[j, i]) for j in range(k)] for i in range(k)]
    out = torch.zeros(2, k, 5, dtype=DT)
    for i in range(k):
        out[:, i] = a[i][i] * m[i] * (x[:, i] @ layer.weight[0]) + layer.bias
        for j in range(k):
            if j != i:
                out[:, i] += a[i][j] * m[j] * (x[:, j] @ layer.weight[1])
    torch.testing.assert_close(layer(x), out)
    torch.testing.assert_close(layer.affinity(), layer.affinity().t())


def test_modulated_without_modulation_is_a_fresh_semgconv():
    """With the "row" normalisation, M = 1 and Q = 0: the layer is SemGConv with its edge weights at their start, D^-1 A (symmetrised,
    which changes nothing on a regular graph only, so compare on the skeleton with its own symmetrisation)."""
    plain = ModulatedGraphConv(3, 4, ADJ, weight_modulation=False, affinity_modulation=False,
                               normalization="row").to(DT)
    sem = SemGraphConv(3, 4, ADJ).to(DT)
    with torch.no_grad():
        sem.weight.copy_(plain.weight)
        sem.bias.copy_(plain.bias)
    x = torch.randn(3, 16, 3, dtype=DT)
    a = torch.diag(1 / ADJ.sum(1)).to(DT) @ ADJ.to(DT)
    sym = 0.5 * (a + a.t())
    eye = torch.eye(16, dtype=DT)
    expected = torch.diagonal(sym)[:, None] * (x @ plain.weight[0]) + (sym * (1 - eye)) @ (x @ plain.weight[1]) \
        + plain.bias
    torch.testing.assert_close(plain(x), expected)
    if torch.allclose(a, a.t()):   # where D^-1 A is symmetric the two layers agree exactly
        torch.testing.assert_close(plain(x), sem(x))


def test_modulated_affinity_can_connect_joints_that_are_not_neighbours():
    layer = ModulatedGraphConv(2, 3, ADJ)
    lw, rw = H36M_SKELETON.names.index("LWrist"), H36M_SKELETON.names.index("RWrist")
    assert ADJ[lw, rw] == 0
    x = torch.randn(1, 16, 2)
    x2 = x.clone()
    x2[:, rw] += 1.0                     # move the right wrist only
    assert (layer(x2)[:, lw] - layer(x)[:, lw]).abs().max() < 1e-5   # Q starts at 1e-6: almost deaf
    with torch.no_grad():
        layer.affinity_offset[lw, rw] = 0.3
    assert (layer(x2)[:, lw] - layer(x)[:, lw]).abs().max() > 1e-3   # the left wrist now hears the right one
    loss = layer(x).sum()
    loss.backward()
    assert layer.affinity_offset.grad is not None and layer.affinity_offset.grad.abs().sum() > 0


# ============================================================================ EdgeMaskGraphConv

@pytest.mark.parametrize("graph", GRAPHS)
def test_edge_mask_matches_loop_equation(graph):
    adj = GRAPHS[graph]
    k = adj.shape[0]
    layer = _randomise(EdgeMaskGraphConv(3, 4, adj).to(DT))
    x = torch.randn(2, k, 3, dtype=DT)
    mask = _dense_edges(layer, layer.edge_mask.detach())
    w0, w1 = layer.weight[0].detach(), layer.weight[1].detach()
    expected = torch.zeros(2, k, 4, dtype=DT)
    for i in range(k):
        nb = _nbrs(adj, i)
        deg = float(sum(adj[i, j] for j in nb))
        for j in nb:
            coeff = mask[(i, j)] * adj[i, j] / deg  # (M ⊙ D^-1 A)_ij
            expected[:, i] += coeff * (x[:, j] @ (w0 if i == j else w1))
    expected += layer.bias.detach()
    torch.testing.assert_close(layer(x), expected)
    # no softmax: rows need not sum to one, non-edges are zero
    w = layer.edge_weights()
    assert (w[adj == 0] == 0).all()
    assert not torch.allclose(w.sum(1), torch.ones(k, dtype=DT))


def test_edge_mask_starts_as_row_normalised_gcn():
    layer = EdgeMaskGraphConv(3, 5, ADJ).to(DT)
    with torch.no_grad():
        layer.weight[1].copy_(layer.weight[0])
    x = torch.randn(2, 16, 3, dtype=DT)
    a = ADJ.to(DT)
    torch.testing.assert_close(layer(x), torch.diag(1 / a.sum(1)) @ a @ x @ layer.weight[0] + layer.bias)
    # same parameter count as SemGraphConv (only the normalisation differs)
    assert sum(p.numel() for p in layer.parameters()) == sum(p.numel() for p in SemGraphConv(3, 5, ADJ).parameters())


# ============================================================================ AttentionGraphConv

@pytest.mark.parametrize("graph", GRAPHS)
@pytest.mark.parametrize("heads", [1, 2])
def test_attention_matches_gat_formula(graph, heads):
    adj = GRAPHS[graph]
    k, c_out = adj.shape[0], 6
    layer = _randomise(AttentionGraphConv(3, c_out, adj, heads=heads).to(DT))
    x = torch.randn(2, k, 3, dtype=DT)
    wt, a_s, a_n, b = (t.detach() for t in (layer.weight, layer.att_self, layer.att_nb, layer.bias))
    c = c_out // heads
    expected = torch.zeros(2, k, c_out, dtype=DT)
    alphas = torch.zeros(2, heads, k, k, dtype=DT)
    for bi in range(2):
        h = x[bi] @ wt  # (K, C_out)
        for hd in range(heads):
            hh = h[:, hd * c:(hd + 1) * c]
            for i in range(k):
                nb = _nbrs(adj, i)
                e = {}
                for j in nb:
                    z = float(a_s[hd] @ hh[i] + a_n[hd] @ hh[j])
                    e[j] = z if z > 0 else 0.2 * z  # LeakyReLU(0.2)
                denom = sum(math.exp(v) for v in e.values())
                for j in nb:
                    alpha = math.exp(e[j]) / denom
                    alphas[bi, hd, i, j] = alpha
                    expected[bi, i, hd * c:(hd + 1) * c] += alpha * hh[j]
    expected += b
    torch.testing.assert_close(layer(x), expected)
    att = layer.attention(x)
    torch.testing.assert_close(att, alphas)
    assert (att[..., adj == 0] == 0.0).all()
    torch.testing.assert_close(att.sum(-1), torch.ones(2, heads, k, dtype=DT))


def test_attention_depends_on_input_and_validates_heads():
    layer = AttentionGraphConv(3, 4, ADJ)
    a1, a2 = layer.attention(torch.randn(1, 16, 3)), layer.attention(torch.randn(1, 16, 3))
    assert not torch.allclose(a1, a2)
    with pytest.raises(ValueError, match="divisible by heads"):
        AttentionGraphConv(3, 5, ADJ, heads=2)


# ============================================================================ GraphNonLocal (Eq. 4)

def _randomise_nonlocal(block):
    _randomise(block)
    with torch.no_grad():
        block.out_bn.weight.uniform_(0.5, 1.5)
        block.out_bn.bias.uniform_(-1, 1)
        block.out_bn.running_mean.uniform_(-0.5, 0.5)
        block.out_bn.running_var.uniform_(0.5, 2.0)
    return block


def _nonlocal_reference(block, x, groups, bn_mode="eval"):
    """Eq. 4 by explicit loops: x + BN(W y), y_i = 1/C sum_j f(x_i, x_j) g(x_j),
    phi and g max-pooled over each group's members."""
    bsz, k, _ = x.shape
    ci = block.inter_channels
    lin = lambda m, v: v @ m.weight.detach().t() + m.bias.detach()  # noqa: E731
    members = [list(g) for g in groups] if groups else [[j] for j in range(k)]
    n = len(members)  # number of pooled positions
    out = torch.zeros(bsz, k, block.channels, dtype=x.dtype)
    z_all = torch.zeros(bsz, k, block.channels, dtype=x.dtype)
    for b in range(bsz):
        theta = lin(block.theta, x[b])
        phi_full, g_full = lin(block.phi, x[b]), lin(block.g, x[b])
        phi = torch.stack([torch.stack([phi_full[m] for m in grp]).max(0).values for grp in members])
        gp = torch.stack([torch.stack([g_full[m] for m in grp]).max(0).values for grp in members])
        for i in range(k):
            if block.pairwise == "concatenation":
                w = block.concat_weight.detach()
                f = [max(float(w @ torch.cat([theta[i], phi[j]])), 0.0) / n for j in range(n)]
            elif block.pairwise == "dot_product":
                f = [float(theta[i] @ phi[j]) / n for j in range(n)]
            else:  # embedded gaussian: softmax over j
                s = [math.exp(float(theta[i] @ phi[j])) for j in range(n)]
                f = [v / sum(s) for v in s]
            y = sum(f[j] * gp[j] for j in range(n))
            z_all[b, i] = lin(block.out, y)
    bn = block.out_bn
    if bn_mode == "eval":
        mean, var = bn.running_mean, bn.running_var
    else:  # batch statistics over batch and nodes, biased variance
        flat = z_all.reshape(-1, block.channels)
        mean, var = flat.mean(0), flat.var(0, unbiased=False)
    z = (z_all - mean) / torch.sqrt(var + bn.eps) * bn.weight.detach() + bn.bias.detach()
    out = x + z
    return out


@pytest.mark.parametrize("pairwise", PAIRWISE_FUNCTIONS)
@pytest.mark.parametrize("grouped", [True, False], ids=["groups", "nogroups"])
def test_nonlocal_matches_loop_equation_eval(pairwise, grouped):
    groups = H36M_NONLOCAL_GROUPS if grouped else None
    block = _randomise_nonlocal(GraphNonLocal(6, 3, pairwise=pairwise, groups=groups, num_nodes=16)).to(DT).eval()
    x = torch.randn(2, 16, 6, dtype=DT)
    torch.testing.assert_close(block(x), _nonlocal_reference(block, x, groups))


def test_nonlocal_matches_loop_equation_train_mode_bn():
    block = _randomise_nonlocal(GraphNonLocal(6, 3, groups=H36M_NONLOCAL_GROUPS)).to(DT).train()
    x = torch.randn(3, 16, 6, dtype=DT)
    torch.testing.assert_close(block(x), _nonlocal_reference(block, x, H36M_NONLOCAL_GROUPS, bn_mode="train"))


@pytest.mark.parametrize("groups", [H36M_NONLOCAL_GROUPS, [list(range(4 * i, 4 * i + 4)) for i in range(4)]],
                         ids=["pairs", "fours"])
def test_nonlocal_gradients_match_plain_autograd(groups):
    """The pair fast path (member-major gather, _HalvesMax) and the generic amax path
    give the gradients of the same block written with plain per-module calls."""
    block = _randomise_nonlocal(GraphNonLocal(6, 3, groups=groups, num_nodes=16)).to(DT).train()
    assert block.pool == len(groups[0])
    x = torch.randn(3, 16, 6, dtype=DT, requires_grad=True)
    weights = torch.randn(3, 16, 6, dtype=DT)

    def plain(inp):
        index = torch.tensor(groups).t().reshape(-1)
        pool = lambda h: h[:, index].view(3, len(groups[0]), len(groups), -1).amax(1)
        theta, phi, g = block.theta(inp), pool(block.phi(inp)), pool(block.g(inp))
        y = block._affinity(theta, phi) @ g
        return inp + block.out_bn(block.out(y).reshape(48, -1)).view(3, 16, -1)

    params = [x] + list(block.parameters())
    fast = torch.autograd.grad((block(x) * weights).sum(), params)
    ref = torch.autograd.grad((plain(x) * weights).sum(), params)
    for a, b in zip(fast, ref):
        torch.testing.assert_close(a, b)
    assert torch.autograd.gradcheck(lambda t: block(t), (x,))


def test_halves_max_ties_and_state_dict():
    from semgcn.nn.nonlocal_block import _HalvesMax
    h = torch.tensor([[[1.0, 5.0], [2.0, 2.0], [3.0, 5.0], [2.0, 1.0]]], requires_grad=True)  # (1, 4, 2)
    out = _HalvesMax.apply(h)
    assert out.tolist() == [[[3.0, 5.0], [2.0, 2.0]]]
    out.backward(torch.tensor([[[10.0, 20.0], [30.0, 40.0]]]))
    # each output's gradient goes to the larger member; a tie (5 vs 5, 2 vs 2) to the first half
    assert h.grad.tolist() == [[[0.0, 20.0], [30.0, 40.0], [10.0, 0.0], [0.0, 0.0]]]
    # the permutation buffers of the fast path are derived, not saved
    block = GraphNonLocal(8, 4, groups=H36M_NONLOCAL_GROUPS, num_nodes=16)
    assert not any("node_order" in key for key in block.state_dict())
    order = block.node_order
    assert torch.equal(order[block.node_order_inverse], torch.arange(16))


def test_nonlocal_affinity_normalisation():
    x = torch.randn(2, 16, 6)
    grouped = _randomise(GraphNonLocal(6, 3, pairwise="embedded_gaussian", groups=H36M_NONLOCAL_GROUPS))
    aff = grouped.affinity(x)
    assert aff.shape == (2, 16, 8)  # 16 queries attend to 8 pooled keys
    torch.testing.assert_close(aff.sum(-1), torch.ones(2, 16))
    concat = _randomise(GraphNonLocal(6, 3, pairwise="concatenation"))
    aff = concat.affinity(x)
    assert aff.shape == (2, 16, 16) and (aff >= 0).all()


@pytest.mark.parametrize("pairwise", PAIRWISE_FUNCTIONS)
@pytest.mark.parametrize("groups", [H36M_NONLOCAL_GROUPS, None])
def test_nonlocal_starts_as_identity(pairwise, groups):
    block = GraphNonLocal(8, pairwise=pairwise, groups=groups)
    x = torch.randn(4, 16, 8)
    for mode in (True, False):
        block.train(mode)
        assert torch.equal(block(x), x)
    assert block.inter_channels == 4


# ============================================================================ permutation equivariance

def _perm_layer(layer_cls, adj, perm, src, **kw):
    """A copy of ``src`` built on the permuted graph P A P^T, with per-edge
    parameters moved along with their edges."""
    adj_p = adj[perm][:, perm]
    dst = layer_cls(src.in_features, src.out_features, adj_p, **kw).to(DT)
    state = {k: v for k, v in src.state_dict().items()}
    for name in ("edge_logits", "edge_mask"):
        if hasattr(src, name):
            dense = torch.zeros(getattr(src, name).shape[:-1] + adj.shape, dtype=DT)
            dense[..., src.edge_rows, src.edge_cols] = getattr(src, name).detach()
            dense_p = dense[..., perm, :][..., perm]
            state[name] = dense_p[..., dst.edge_rows, dst.edge_cols]
    for name in list(state):
        if name in dict(dst.named_buffers()):
            state[name] = dst.state_dict()[name]  # graph buffers of the permuted graph
    dst.load_state_dict(state)
    return dst


@pytest.mark.parametrize("name,cls,kw", [
    ("vanilla", GraphConv, {}),
    ("semantic", SemGraphConv, {}),
    ("channelwise", SemGraphConv, {"channelwise": True}),
    ("mask", EdgeMaskGraphConv, {}),
    ("attention", AttentionGraphConv, {"heads": 2}),
])
@pytest.mark.parametrize("graph", GRAPHS)
def test_graph_layers_are_permutation_equivariant(name, cls, kw, graph):
    adj = GRAPHS[graph]
    k = adj.shape[0]
    perm = torch.randperm(k)
    src = _randomise(cls(3, 4, adj, **kw).to(DT))
    dst = _perm_layer(cls, adj, perm, src, **kw)
    x = torch.randn(2, k, 3, dtype=DT)
    torch.testing.assert_close(dst(x[:, perm]), src(x)[:, perm])
    # sanity: the permuted layer really differs from the original when the graph changed
    if not torch.equal(adj[perm][:, perm], adj):
        assert not torch.allclose(src(x[:, perm]), src(x)[:, perm])


@pytest.mark.parametrize("pairwise", PAIRWISE_FUNCTIONS)
def test_nonlocal_without_groups_is_permutation_equivariant(pairwise):
    block = _randomise_nonlocal(GraphNonLocal(6, 3, pairwise=pairwise)).to(DT)
    perm = torch.randperm(16)
    x = torch.randn(3, 16, 6, dtype=DT)
    for mode in (False, True):
        block.train(mode)
        torch.testing.assert_close(block(x[:, perm]), block(x)[:, perm])


def test_fresh_semgraphconv_is_equivariant_without_moving_logits():
    """With the equal-weight initialisation no parameter depends on the edge order."""
    perm = torch.randperm(16)
    src = SemGraphConv(3, 4, ADJ).to(DT)
    dst = SemGraphConv(3, 4, ADJ[perm][:, perm]).to(DT)
    with torch.no_grad():
        dst.weight.copy_(src.weight)
        dst.bias.copy_(src.bias)
    x = torch.randn(2, 16, 3, dtype=DT)
    torch.testing.assert_close(dst(x[:, perm]), src(x)[:, perm])


# ============================================================================ grid operators (Fig. 1)

def _grid_layer(mode, c_in=2, c_out=3, h=4, w=5):
    layer = GridGraphConv(c_in, c_out, mode=mode, height=h, width=w).to(DT)
    _randomise(layer)
    return layer


def test_grid_conv_is_a_3x3_convolution():
    layer = _grid_layer("conv")
    x = torch.randn(2, 2, 4, 5, dtype=DT)
    out = layer(x)
    torch.testing.assert_close(out, F.conv2d(x, layer.weight, layer.bias, padding=1))
    # explicit loops with zero padding
    wt, b = layer.weight.detach(), layer.bias.detach()
    ref = torch.zeros_like(out)
    for y in range(4):
        for xx in range(5):
            for ky in range(3):
                for kx in range(3):
                    yy, xs = y + ky - 1, xx + kx - 1
                    if 0 <= yy < 4 and 0 <= xs < 5:
                        ref[:, :, y, xx] += x[:, :, yy, xs] @ wt[:, :, ky, kx].t()
    torch.testing.assert_close(out, ref + b.view(1, -1, 1, 1))


def _grid_reference(layer, x):
    """Hand-computed neighbour sums on the pixel grid for shared/scalar/vector."""
    bsz, _, h, w = x.shape
    wt, b = layer.weight.detach(), layer.bias.detach()
    ref = torch.zeros(bsz, layer.out_channels, h, w, dtype=x.dtype)

    def nbrs(y, xx):  # (kernel position p, y', x') of the pixels inside the 3x3 window
        return [(3 * (dy + 1) + (dx + 1), y + dy, xx + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                if 0 <= y + dy < h and 0 <= xx + dx < w]

    for y in range(h):
        for xx in range(w):
            nb = nbrs(y, xx)
            if layer.mode == "shared":
                for _, yy, xs in nb:
                    coeff = 1.0 / math.sqrt(len(nb) * len(nbrs(yy, xs)))  # D^-1/2 A D^-1/2
                    ref[:, :, y, xx] += coeff * (x[:, :, yy, xs] @ wt.t())
            else:
                logits = layer.position_logits.detach().view(-1, 9)  # (1 or C_out, 9)
                denom = sum(torch.exp(logits[:, p]) for p, _, _ in nb)
                for p, yy, xs in nb:
                    ref[:, :, y, xx] += torch.exp(logits[:, p]) / denom * (x[:, :, yy, xs] @ wt.t())
    return ref + b.view(1, -1, 1, 1)


@pytest.mark.parametrize("mode", ["shared", "scalar", "vector"])
def test_grid_graph_modes_match_hand_computation(mode):
    layer = _grid_layer(mode)
    x = torch.randn(2, 2, 4, 5, dtype=DT)
    torch.testing.assert_close(layer(x), _grid_reference(layer, x))


def test_grid_shared_mode_is_gcn_on_grid_adjacency():
    from semgcn.graph import grid_adjacency, normalize_adjacency
    layer = _grid_layer("shared", h=3, w=3)
    x = torch.randn(2, 2, 3, 3, dtype=DT)
    gc = GraphConv(2, 3, grid_adjacency(3, 3)).to(DT)
    with torch.no_grad():
        gc.weight.copy_(layer.weight.t())
        gc.bias.copy_(layer.bias)
    nodes = x.flatten(2).transpose(1, 2)  # (B, HW, C)
    torch.testing.assert_close(layer(x), gc(nodes).transpose(1, 2).reshape(2, 3, 3, 3))
    assert torch.equal(layer.adj, normalize_adjacency(grid_adjacency(3, 3)).to(DT))


@pytest.mark.parametrize("mode", ["scalar", "vector"])
def test_grid_weighted_modes_equal_factorised_conv_in_the_interior(mode):
    """Away from the border, scalar/vector modes are a 3x3 convolution whose
    kernel at position p is softmax(a)_p * W (Fig. 1c/d)."""
    layer = _grid_layer(mode, h=5, w=6)
    x = torch.randn(2, 2, 5, 6, dtype=DT)
    a = torch.softmax(layer.position_logits.detach().view(-1, 9), dim=-1)  # (1 or C_out, 9)
    kernel = (layer.weight.detach()[:, :, None] * a[:, None, :]).view(3, 2, 3, 3)
    conv = F.conv2d(x, kernel, layer.bias.detach(), padding=1)
    torch.testing.assert_close(layer(x)[..., 1:-1, 1:-1], conv[..., 1:-1, 1:-1])
    # on the border the weights are renormalised over the existing neighbours
    assert not torch.allclose(layer(x)[..., 0, 0], conv[..., 0, 0])


@pytest.mark.parametrize("mode", ["scalar", "vector"])
def test_grid_position_weights_masking(mode):
    layer = _grid_layer(mode, h=3, w=4)
    pw = layer.position_weights(3, 4)  # (C, 9, HW)
    assert pw.shape == ((1 if mode == "scalar" else 3), 9, 12)
    torch.testing.assert_close(pw.sum(1), torch.ones(pw.shape[0], 12, dtype=DT))
    # pixel 0 (top-left) has neighbours only at positions 4, 5, 7, 8
    assert (pw[:, [0, 1, 2, 3, 6], 0] == 0.0).all() and (pw[:, [4, 5, 7, 8], 0] > 0).all()


def test_grid_parameter_counts():
    counts = {m: sum(p.numel() for p in GridGraphConv(4, 8, m, height=3, width=3).parameters()) for m in GRID_MODES}
    assert counts == {"conv": 8 * 4 * 9 + 8, "shared": 32 + 8, "scalar": 32 + 9 + 8, "vector": 32 + 72 + 8}


# ============================================================================ errors

LAYER_FACTORIES = {
    "vanilla": lambda adj: GraphConv(3, 4, adj),
    "semantic": lambda adj: SemGraphConv(3, 4, adj),
    "channelwise": lambda adj: SemGraphConv(3, 4, adj, channelwise=True),
    "mask": lambda adj: EdgeMaskGraphConv(3, 4, adj),
    "attention": lambda adj: AttentionGraphConv(3, 4, adj),
    "modulated": lambda adj: ModulatedGraphConv(3, 4, adj),
}


def test_graph_convs_registry():
    assert set(GRAPH_CONVS) == set(LAYER_FACTORIES)
    layer = GRAPH_CONVS["channelwise"](3, 4, ADJ)
    assert isinstance(layer, SemGraphConv) and layer.channelwise


@pytest.mark.parametrize("name", LAYER_FACTORIES)
def test_graph_layer_errors(name):
    make = LAYER_FACTORIES[name]
    with pytest.raises(ValueError, match="square"):
        make(torch.ones(16, 15))
    with pytest.raises(ValueError, match="no neighbour"):
        make(torch.zeros(4, 4))
    layer = make(ADJ)
    for bad in (torch.randn(2, 15, 3), torch.randn(2, 16, 2), torch.randn(16, 3), torch.randn(1, 2, 16, 3)):
        with pytest.raises(ValueError, match=r"expects input of shape \(B, 16, 3\)"):
            layer(bad)
    assert layer(torch.randn(2, 16, 3)).shape == (2, 16, 4)


def test_nonlocal_errors():
    with pytest.raises(ValueError, match="unknown pairwise function"):
        GraphNonLocal(8, pairwise="gaussian")
    with pytest.raises(ValueError, match="same size"):
        GraphNonLocal(8, groups=[(0, 1), (2,)])
    with pytest.raises(ValueError, match="partition"):
        GraphNonLocal(8, groups=[(0, 1), (1, 2)])  # overlapping
    with pytest.raises(ValueError, match="partition"):
        GraphNonLocal(8, groups=[(0, 1), (3, 4)])  # node 2 missing
    with pytest.raises(ValueError, match="cover 4 nodes but the graph has 16"):
        GraphNonLocal(8, groups=[(0, 1), (2, 3)], num_nodes=16)
    block = GraphNonLocal(8, groups=H36M_NONLOCAL_GROUPS)
    for bad in (torch.randn(2, 15, 8), torch.randn(2, 16, 7), torch.randn(16, 8)):
        with pytest.raises(ValueError, match="GraphNonLocal expects"):
            block(bad)
    free = GraphNonLocal(8)  # no groups, no node count: any K
    assert free(torch.randn(2, 5, 8)).shape == (2, 5, 8)
    with pytest.raises(ValueError, match="GraphNonLocal expects"):
        free(torch.randn(2, 5, 7))


def test_grid_errors():
    with pytest.raises(ValueError, match="unknown grid operator"):
        GridGraphConv(2, 3, mode="dilated")
    with pytest.raises(ValueError, match="needs the grid size"):
        GridGraphConv(2, 3, mode="shared")
    shared = GridGraphConv(2, 3, mode="shared", height=3, width=3)
    with pytest.raises(ValueError, match="was built for"):
        shared(torch.randn(1, 2, 4, 4))
    for mode in GRID_MODES:
        layer = GridGraphConv(2, 3, mode=mode, height=3, width=3)
        for bad in (torch.randn(1, 3, 3, 3), torch.randn(2, 3, 3)):
            with pytest.raises(ValueError, match="GridGraphConv expects"):
                layer(bad)
        assert layer(torch.randn(1, 2, 3, 3)).shape == (1, 3, 3, 3)
