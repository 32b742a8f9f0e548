"""The training lab: MLP(dropout=p), and the three lesson demos, each lesson checked on the
numbers run(fast=True) returns, for several seeds (a lesson that holds for one seed is luck)."""

import math

import pytest

import nn


# MLP(..., dropout=p): the public way to put dropout inside a model.

def test_mlp_dropout_acts_in_training_and_is_off_in_eval():
    plain = nn.MLP(3, [8, 8, 1], seed=0)
    dropped = nn.MLP(3, [8, 8, 1], seed=0, dropout=0.5)
    assert dropped.state_dict() == plain.state_dict()  # same weights, same keys: dropout has no parameters
    x = [0.5, -1.0, 2.0]
    outputs = {dropped(x).data for _ in range(10)}
    assert len(outputs) > 1  # a fresh mask each call in training mode
    dropped.eval()
    assert dropped(x).data == plain(x).data
    dropped.train()
    assert len({dropped(x).data for _ in range(10)}) > 1


def test_mlp_dropout_is_reproducible_for_a_seed_and_shows_in_the_repr():
    a, b = nn.MLP(2, [4, 1], seed=3, dropout=0.25), nn.MLP(2, [4, 1], seed=3, dropout=0.25)
    assert [a([1.0, 2.0]).data for _ in range(5)] == [b([1.0, 2.0]).data for _ in range(5)]
    assert repr(a).endswith("fused=True, dropout=0.25)")
    assert "dropout" not in repr(nn.MLP(2, [4, 1], seed=3))


@pytest.mark.parametrize("kwargs, message", [
    (dict(nouts=[4, 1], dropout=1.5), r"dropout probability must be a number in \[0, 1\], got 1.5"),
    (dict(nouts=[1], dropout=0.5), r"dropout=0.5 goes after hidden layers, and nouts=\[1\] has none"),
])
def test_mlp_dropout_rejects_what_it_cannot_do(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nn.MLP(2, **kwargs)
