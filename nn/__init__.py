"""nn: neurons, layers and MLPs built from autograd Values, with losses, optimizers and datasets.

>>> import nn
>>> model = nn.MLP(2, [8, 1], seed=0)
>>> loss = nn.mse_loss(model([0.5, -1.0]), 1.0)
>>> loss.backward()
>>> opt = nn.optim.SGD(model.parameters(), lr=0.1)
>>> opt.step()
"""

from nn import datasets, init, losses, optim
from nn.layers import MLP, Dropout, Layer, Neuron
from nn.losses import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l1_penalty,
    l2_penalty,
    mse_loss,
)
from nn.module import Module

__all__ = [
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "Dropout",
    "mse_loss",
    "hinge_loss",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "l1_penalty",
    "l2_penalty",
    "optim",
    "datasets",
    "losses",
    "init",
]
