"""The benchmark measures speed (python -m demos.benchmark); these tests only check what it
compares is the same computation, and the memory per node, which does not depend on timing."""

import pytest

import autograd
from autograd import Value
from demos import benchmark


def test_every_plain_step_is_the_graphs_step_to_rounding():
    X, y = benchmark.two_moons(20)
    steps, _ = benchmark.plain_steps(X, y)
    loss_off, weight_off = benchmark._same_step_everywhere(X, y, steps)
    assert loss_off <= benchmark.TOLERANCE and weight_off <= benchmark.TOLERANCE


def test_the_floor_is_the_per_sample_step_with_more_hidden_layers_too(monkeypatch):
    monkeypatch.setattr(benchmark, "HIDDEN", (8, 4, 3))
    X, y = benchmark.two_moons(15)
    fast, slow = benchmark.init_weights(), benchmark.init_weights()
    for _ in range(3):
        assert benchmark.floor_step(fast, X, y) == pytest.approx(benchmark.per_sample_step(slow, X, y), abs=1e-12)
    assert benchmark.as_floats(fast) == pytest.approx(benchmark.as_floats(slow), abs=1e-12)


def steps_like_the_floor(made, X, y, steps=3):
    """made = (step, fresh params, version): its losses and weights stay the floor's, step after step."""
    step, fresh, _ = made
    params, plain = fresh(), benchmark.init_weights()
    for _ in range(steps):
        assert step(params) == pytest.approx(benchmark.floor_step(plain, X, y), abs=1e-12)
    return benchmark.as_floats(params) == pytest.approx(benchmark.as_floats(plain), abs=1e-12)


def test_pytorchs_step_is_the_floors(torch):
    X, y = benchmark.two_moons(20)
    made = benchmark.torch_step(X, y)
    assert steps_like_the_floor(made, X, y)
    assert torch.get_num_threads() == 1 and made[2] == torch.__version__


def test_numpys_step_is_the_floors():
    pytest.importorskip("numpy", reason="numpy's row is optional; matplotlib, a test dependency, brings numpy")
    X, y = benchmark.two_moons(20)
    assert steps_like_the_floor(benchmark.numpy_step(X, y), X, y)


def test_a_wrong_step_stops_the_benchmark():
    X, y = benchmark.two_moons(20)

    def off_by_a_little(layers):
        loss = benchmark.floor_step(layers, X, y)
        layers[0][1][0] += 1e-9
        return loss

    with pytest.raises(SystemExit, match=r"step 'off' is not the graph's.*off by 1e-09"):
        benchmark._same_step_everywhere(X, y, {"off": (off_by_a_little, benchmark.init_weights, "")})


def test_nn_mlp_step_matches_the_hand_built_graph():
    X, y = benchmark.two_moons(20)
    fused, unfused = benchmark.make_mlp(fused=True), benchmark.make_mlp(fused=False)
    assert benchmark.nn_step(fused, X, y) == benchmark.nn_step(unfused, X, y)


def test_a_node_keeps_at_most_220_bytes_alive():
    for make in (benchmark.mul_chain, benchmark.add_chain):
        assert benchmark.bytes_per_node(make, n=5000) <= 220
    assert benchmark.bytes_per_node(benchmark.leaves, n=5000) - 8 <= 220


@pytest.mark.parametrize("fused", [True, False])
def test_the_compiled_step_is_the_nn_mlp_step_bit_for_bit(fused):
    X, y = benchmark.two_moons(20)
    assert benchmark._compiled_step_is_the_graphs(X, y, fused=fused)


def test_both_compiled_forms_of_m_are_ready_to_time():
    X, y = benchmark.two_moons(10)
    ready, problems = benchmark.compiled_rows(X, y, quick=True)
    assert problems == {}
    assert list(ready) == list(benchmark.COMPILED)  # each form as a batch loop and as straight-line code
    assert [nodes for _, _, nodes in ready.values()] == [1042, 6792] * 2  # 10 samples: nn.MLP, nn.MLP(fused=False)
    for step, compiling, _ in ready.values():
        assert compiling > 0 and isinstance(step(), float)


def test_the_compiled_chain_is_measured_in_a_new_process():
    probe = benchmark.in_a_new_process("compiled_chain_probe(200, 1)")
    assert probe["same"] is True
    assert probe["compile"] > probe["call"] > 0 and probe["again"] > 0
    assert 0 < probe["start_mb"] <= probe["compile_mb"] <= probe["again_mb"] < 500


def test_a_failure_in_the_new_process_names_the_call_and_the_error():
    with pytest.raises(RuntimeError, match=r"chain_cost\(-1, 0\) failed in a new process: .*Error"):
        benchmark.in_a_new_process("chain_cost(-1, 0)")
