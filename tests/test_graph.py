"""Tests for semgcn.graph: skeletons, adjacency construction/normalisation,
k-hop receptive fields and grid graphs."""
import itertools

import pytest
import torch

from semgcn.graph import (
    H36M_KEEP_32, H36M_LEFT, H36M_NONLOCAL_GROUPS, H36M_PARENTS, H36M_RIGHT, H36M_SKELETON, Skeleton,
    adjacency_from_edges, adjacency_from_parents, check_adjacency, grid_adjacency, grid_offsets,
    k_hop_adjacency, normalize_adjacency,
)
from semgcn.nn import GraphConv, SemGraphConv


@pytest.fixture(autouse=True)
def _seed_and_one_thread():
    """Deterministic randomness; one intra-op thread (tiny tensors, shared CPUs)."""
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _hop_distances(adj):
    """All-pairs shortest-path hop counts by BFS (inf when unreachable)."""
    k = adj.shape[0]
    nbrs = [[j for j in range(k) if adj[i, j] > 0 and j != i] for i in range(k)]
    dist = torch.full((k, k), float("inf"))
    for s in range(k):
        dist[s, s] = 0
        frontier, d = [s], 0
        while frontier:
            d += 1
            nxt = []
            for u in frontier:
                for v in nbrs[u]:
                    if dist[s, v] == float("inf"):
                        dist[s, v] = d
                        nxt.append(v)
            frontier = nxt
    return dist


# ----------------------------------------------------------------------------- skeleton

def test_h36m_skeleton_structure():
    sk = H36M_SKELETON
    assert sk.num_joints == 16 and sk.root == 0
    assert len(sk.bones) == 15
    assert all(H36M_PARENTS[c] == p for c, p in sk.bones)
    assert len(H36M_KEEP_32) == 16 and sorted(H36M_KEEP_32) == list(H36M_KEEP_32)
    # non-local groups partition the 16 joints in pairs
    flat = sorted(j for g in H36M_NONLOCAL_GROUPS for j in g)
    assert flat == list(range(16)) and {len(g) for g in H36M_NONLOCAL_GROUPS} == {2}
    assert sk.groups == H36M_NONLOCAL_GROUPS


def test_h36m_adjacency_degrees():
    a = H36M_SKELETON.adjacency()
    assert a.shape == (16, 16)
    assert torch.equal(a, a.t())
    assert torch.equal(torch.diagonal(a), torch.ones(16))
    assert a.sum() == 16 + 2 * 15
    deg = a.sum(1)  # self-loop included
    assert deg[0] == 4  # hip: RHip, LHip, Spine + self
    assert deg[8] == 5  # thorax: spine, head, both shoulders + self
    for leaf in (3, 6, 9, 12, 15):
        assert deg[leaf] == 2
    no_loops = H36M_SKELETON.adjacency(self_loops=False)
    assert torch.equal(torch.diagonal(no_loops), torch.zeros(16))
    assert torch.equal(no_loops + torch.eye(16), a)


def test_flip_permutation():
    perm = H36M_SKELETON.flip_permutation()
    assert sorted(perm) == list(range(16))
    assert [perm[p] for p in perm] == list(range(16))  # an involution
    for l, r in zip(H36M_LEFT, H36M_RIGHT):
        assert perm[l] == r and perm[r] == l
    for j in (0, 7, 8, 9):
        assert perm[j] == j
    # the flipped skeleton has the same adjacency
    a = H36M_SKELETON.adjacency()
    assert torch.equal(a[perm][:, perm], a)


def test_skeleton_errors():
    with pytest.raises(ValueError, match="names"):
        Skeleton(("a", "b"), (-1, 0, 1))
    with pytest.raises(ValueError, match="root"):
        Skeleton(("a", "b", "c"), (-1, -1, 1))
    with pytest.raises(ValueError, match="root"):
        Skeleton(("a", "b"), (1, 0))
    with pytest.raises(ValueError, match="out of range"):
        Skeleton(("a", "b", "c"), (-1, 0, 5))
    with pytest.raises(ValueError, match="cycle"):
        Skeleton(("a", "b", "c"), (-1, 2, 1))  # joints 1 and 2 form a loop cut off from the root
    with pytest.raises(ValueError, match="cycle"):
        Skeleton(("a", "b"), (-1, 1))  # a joint that is its own parent


# ----------------------------------------------------------------------------- adjacency

def test_adjacency_from_parents_and_edges():
    assert adjacency_from_parents([-1, 0, 1]).tolist() == [[1, 1, 0], [1, 1, 1], [0, 1, 1]]
    assert adjacency_from_parents([-1, 0, 1], self_loops=False).tolist() == [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    a = adjacency_from_edges([(0, 3), (2, 1)], 4)
    expected = torch.eye(4)
    expected[0, 3] = expected[3, 0] = expected[1, 2] = expected[2, 1] = 1
    assert torch.equal(a, expected)
    with pytest.raises(ValueError, match="outside"):
        adjacency_from_edges([(0, 4)], 4)
    with pytest.raises(ValueError, match="outside"):
        adjacency_from_edges([(-1, 0)], 4)


def _random_graph(k, p=0.3, seed=0):
    g = torch.Generator().manual_seed(seed)
    a = (torch.rand(k, k, generator=g) < p).float()
    a = ((a + a.t()) > 0).float()
    a.fill_diagonal_(1.0)
    return a


@pytest.mark.parametrize("adj", [H36M_SKELETON.adjacency(), _random_graph(9)], ids=["h36m", "random"])
def test_normalize_adjacency_against_loops(adj):
    k = adj.shape[0]
    deg = [float(sum(adj[i, j] for j in range(k))) for i in range(k)]
    sym = torch.zeros(k, k)
    row = torch.zeros(k, k)
    for i in range(k):
        for j in range(k):
            sym[i, j] = adj[i, j] / (deg[i] ** 0.5 * deg[j] ** 0.5)
            row[i, j] = adj[i, j] / deg[i]
    torch.testing.assert_close(normalize_adjacency(adj, "symmetric"), sym)
    torch.testing.assert_close(normalize_adjacency(adj, "row"), row)
    torch.testing.assert_close(normalize_adjacency(adj, "row").sum(1), torch.ones(k))
    torch.testing.assert_close(normalize_adjacency(adj, "symmetric"), normalize_adjacency(adj, "symmetric").t())
    none = normalize_adjacency(adj, "none")
    assert torch.equal(none, adj) and none.data_ptr() != adj.data_ptr()


def test_normalize_adjacency_unknown_mode():
    with pytest.raises(ValueError, match="unknown normalisation"):
        normalize_adjacency(torch.eye(3), "col")


def test_check_adjacency_errors():
    with pytest.raises(ValueError, match="square"):
        check_adjacency(torch.ones(3, 4))
    with pytest.raises(ValueError, match="square"):
        check_adjacency(torch.ones(3))
    with pytest.raises(ValueError, match="square"):
        check_adjacency(torch.ones(2, 3, 3))
    with pytest.raises(ValueError, match="5 nodes but the input has 16"):
        check_adjacency(torch.eye(5), num_nodes=16)
    with pytest.raises(ValueError, match="non-negative"):
        check_adjacency(-torch.eye(3))
    bad = torch.eye(3)
    bad[0, 1] = float("nan")
    with pytest.raises(ValueError, match="finite"):
        check_adjacency(bad)
    empty = torch.eye(3)
    empty[1, 1] = 0
    with pytest.raises(ValueError, match=r"nodes \[1\] have no neighbour"):
        check_adjacency(empty)
    out = check_adjacency([[1, 1], [1, 1]], num_nodes=2)
    assert out.dtype == torch.float32 and out.shape == (2, 2)


# ----------------------------------------------------------------------------- k-hop

@pytest.mark.parametrize("k", [0, 1, 2, 3, 5])
def test_k_hop_matches_bfs(k):
    adj = H36M_SKELETON.adjacency()
    dist = _hop_distances(adj)
    expected = (dist <= k).float()
    assert torch.equal(k_hop_adjacency(adj, k), expected)
    no_self = k_hop_adjacency(adj, k, self_loops=False)
    expected.fill_diagonal_(0)
    assert torch.equal(no_self, expected)


def test_k_hop_path_graph_and_errors():
    adj = adjacency_from_parents([-1, 0, 1, 2, 3, 4])  # a path of 6 nodes
    for k in range(7):
        expected = torch.tensor([[float(abs(i - j) <= k) for j in range(6)] for i in range(6)])
        assert torch.equal(k_hop_adjacency(adj, k), expected)
    # works even without self-loops in the input (the diagonal is reachable in 0 hops)
    assert torch.equal(k_hop_adjacency(adjacency_from_parents([-1, 0, 1], self_loops=False), 1),
                       adjacency_from_parents([-1, 0, 1]))
    with pytest.raises(ValueError, match="k must be"):
        k_hop_adjacency(adj, -1)


@pytest.mark.parametrize("layer", [GraphConv, SemGraphConv])
@pytest.mark.parametrize("depth", [1, 2, 3])
def test_stacked_graph_convs_receptive_field_is_k_hop(layer, depth):
    """The Jacobian of ``depth`` stacked graph convolutions is non-zero
    exactly on the ``depth``-hop neighbourhood of each node."""
    adj = H36M_SKELETON.adjacency()
    k, c = 16, 3
    layers = []
    for _ in range(depth):
        layers += [layer(c, c, adj).double(), torch.nn.Tanh()]
    net = torch.nn.Sequential(*layers)
    x = torch.randn(1, k, c, dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(net, x)  # (1, K, C, 1, K, C)
    dependency = (jac[0, :, :, 0].abs().sum(dim=(1, 3)) > 0).float()  # (K_out, K_in)
    assert torch.equal(dependency, k_hop_adjacency(adj, depth))
    if depth == 3:
        assert not torch.equal(dependency, torch.ones(k, k))  # the receptive field is genuinely limited


# ----------------------------------------------------------------------------- grid

def test_grid_offsets():
    offs = grid_offsets()
    assert offs == [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    assert offs[4] == (0, 0)
    offs.append((9, 9))  # a copy: mutating it does not change the module's list
    assert len(grid_offsets()) == 9


def test_grid_adjacency_3x3_degrees_and_positions():
    adj, pos = grid_adjacency(3, 3, return_positions=True)
    assert adj.shape == (9, 9) and pos.shape == (9, 9) and pos.dtype == torch.long
    assert torch.equal(adj, adj.t())
    deg = adj.sum(1)
    for corner in (0, 2, 6, 8):
        assert deg[corner] == 4
    for edge in (1, 3, 5, 7):
        assert deg[edge] == 6
    assert deg[4] == 9
    assert torch.equal(adj, (pos >= 0).float())
    # the centre pixel sees the whole image; node j sits at kernel position j
    assert pos[4].tolist() == list(range(9))
    # top-left corner: itself (centre, 4), right (5), below (7), diagonal (8)
    assert pos[0].tolist() == [4, 5, -1, 7, 8, -1, -1, -1, -1]
    # bottom-right corner: node 4 up-left (0), node 5 up (1), node 7 left (3), itself (4)
    assert pos[8].tolist() == [-1, -1, -1, -1, 0, 1, -1, 3, 4]
    # opposite offsets: pos[i, j] + pos[j, i] == 8 for every edge
    mask = pos >= 0
    assert torch.equal((pos + pos.t())[mask], torch.full((int(mask.sum()),), 8))
    offs = grid_offsets()
    for i, j in itertools.product(range(9), range(9)):
        if pos[i, j] >= 0:
            dy, dx = offs[pos[i, j]]
            assert (i // 3 + dy, i % 3 + dx) == (j // 3, j % 3)


@pytest.mark.parametrize("h,w", [(2, 4), (4, 3), (1, 5)])
def test_grid_adjacency_against_definition(h, w):
    adj = grid_adjacency(h, w)
    for i, j in itertools.product(range(h * w), range(h * w)):
        yi, xi, yj, xj = i // w, i % w, j // w, j % w
        assert adj[i, j] == float(max(abs(yi - yj), abs(xi - xj)) <= 1)
    no_loops, pos = grid_adjacency(h, w, self_loops=False, return_positions=True)
    assert torch.equal(no_loops, adj - torch.eye(h * w))
    assert not (pos == 4).any()


def test_grid_adjacency_errors():
    with pytest.raises(ValueError, match="positive"):
        grid_adjacency(0, 3)
    with pytest.raises(ValueError, match="positive"):
        grid_adjacency(3, -1)
