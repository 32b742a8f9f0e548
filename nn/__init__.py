"""nn: neurons, layers, MLPs, Sequential, RNN and Conv2d built from autograd Values, with losses, optimizers and datasets.

>>> import nn
>>> model = nn.MLP(2, [8, 1], seed=0)
>>> loss = nn.mse_loss(model([0.5, -1.0]), 1.0)
>>> loss.backward()
>>> opt = nn.optim.SGD(model.parameters(), lr=0.1)
>>> opt.step()
"""

from nn import datasets, init, losses, optim
from nn.contributions import Contribution, explain_grad_sum, grad_contributions, positions, time_steps
from nn.conv import Conv2d, MaxPool2d
from nn.interop import from_torch, to_torch
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
from nn.recurrent import RNN, RNNCell
from nn.sequential import Flatten, Linear, ReLU, Sequential, Sigmoid, Tanh

__all__ = [
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "Dropout",
    "Sequential",
    "Linear",
    "ReLU",
    "Tanh",
    "Sigmoid",
    "Flatten",
    "RNNCell",
    "RNN",
    "Conv2d",
    "MaxPool2d",
    "to_torch",
    "from_torch",
    "grad_contributions",
    "explain_grad_sum",
    "Contribution",
    "time_steps",
    "positions",
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
