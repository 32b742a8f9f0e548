"""The benchmark measures speed (python -m demos.benchmark); these tests only check what it
compares is the same computation, and the memory per node, which does not depend on timing."""

from demos import benchmark


def test_the_floor_and_both_engine_graphs_compute_the_same_step():
    X, y = benchmark.two_moons(20)
    spread, worst = benchmark._same_step_everywhere(X, y)
    assert spread <= 1e-9 and worst <= 1e-9


def test_nn_mlp_step_matches_the_hand_built_graph():
    X, y = benchmark.two_moons(20)
    fused, unfused = benchmark.make_mlp(fused=True), benchmark.make_mlp(fused=False)
    assert benchmark.nn_step(fused, X, y) == benchmark.nn_step(unfused, X, y)


def test_a_node_keeps_at_most_220_bytes_alive():
    for make in (benchmark.mul_chain, benchmark.add_chain):
        assert benchmark.bytes_per_node(make, n=5000) <= 220
    assert benchmark.bytes_per_node(benchmark.leaves, n=5000) - 8 <= 220


def test_the_compiled_step_is_the_nn_mlp_step_bit_for_bit():
    X, y = benchmark.two_moons(20)
    assert benchmark._compiled_step_is_the_graphs(X, y)


def test_the_compiled_chain_is_timed_per_node():
    compiling, call = benchmark.compiled_chain_cost(200, 1)
    assert compiling > call > 0


def test_compiling_m_is_timed_from_a_fresh_step():
    X, y = benchmark.two_moons(10)
    seconds, step = benchmark.compiling_seconds(X, y, 1)
    assert seconds > 0 and isinstance(step(), float)
