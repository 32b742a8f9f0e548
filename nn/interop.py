"""nn.to_torch and nn.from_torch: the same model as ``torch.nn`` modules with the same weights, and back.

PyTorch is imported only when one of these is called. The torch modules come in float64.
chainrule's layers take one sample; torch's Linear, RNN and Conv2d take one sample too
(``(in,)``, ``(T, in)``, ``(C, H, W)``), but torch's Flatten keeps dimension 0 as the batch, so
feed a converted CNN a batch: ``torch_model(images[None])``.

Both keep every layer, Dropout included, and each module's train/eval mode. An MLP with
``dropout=p`` becomes Linear, activation, Dropout(p) for each hidden layer, so its Linear
layers sit at the keys 0, 3, 6, ... (without dropout: 0, 2, 4, ..., the MLP's own state-dict
keys). A Dropout draws its masks from torch's generator there and from its own here.
"""

from nn.conv import Conv2d, MaxPool2d
from nn.layers import MLP, Dropout
from nn.recurrent import RNN, RNNCell
from nn.sequential import Flatten, Linear, ReLU, Sequential, Sigmoid, Tanh

SUPPORTED = "Sequential, Linear, RNN, RNNCell, Conv2d, MaxPool2d, ReLU, Tanh, Sigmoid, Flatten, Dropout (and MLP to torch)"


def _import_torch(func_name):
    try:
        import torch
    except ImportError:
        raise ImportError(f"nn.{func_name} needs PyTorch, which is not installed: pip install torch "
                          f"(chainrule itself needs no PyTorch)") from None
    return torch


def _load(torch, torch_module, module):
    """Copy module's weights into torch_module (float64)."""
    torch_module.double()
    state = {key: torch.tensor(value, dtype=torch.float64) for key, value in module.state_dict().items()}
    torch_module.load_state_dict(state)
    return torch_module


_MLP_ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "leaky_relu": "LeakyReLU", "linear": "Identity"}


def to_torch(module):
    """The equivalent ``torch.nn`` module with the same weights and train/eval mode, in float64 (imports torch)."""
    torch = _import_torch("to_torch")
    twin = _to_torch(torch, module)
    twin.training = module.training  # this module's mode; each sub-module was given its own
    return twin


def _to_torch(torch, module):
    tnn = torch.nn
    if isinstance(module, Sequential):
        return tnn.Sequential(*[to_torch(m) for m in module])
    if isinstance(module, MLP):
        return _mlp_to_torch(torch, module)
    if isinstance(module, Linear):
        return _load(torch, tnn.Linear(module.in_features, module.out_features, bias=module.bias is not None), module)
    if isinstance(module, RNN):
        return _load(torch, tnn.RNN(module.input_size, module.hidden_size, num_layers=module.num_layers,
                                    nonlinearity=module.nonlinearity, bias=module.bias), module)
    if isinstance(module, RNNCell):
        return _load(torch, tnn.RNNCell(module.input_size, module.hidden_size, bias=module.bias_ih is not None,
                                        nonlinearity=module.nonlinearity), module)
    if isinstance(module, Conv2d):
        return _load(torch, tnn.Conv2d(module.in_channels, module.out_channels, module.kernel_size,
                                       stride=module.stride, padding=module.padding,
                                       bias=module.bias is not None), module)
    if isinstance(module, MaxPool2d):
        return tnn.MaxPool2d(module.kernel_size, stride=module.stride, padding=module.padding)
    simple = {ReLU: tnn.ReLU, Tanh: tnn.Tanh, Sigmoid: tnn.Sigmoid}
    if type(module) in simple:
        return simple[type(module)]()
    if isinstance(module, Flatten):
        return tnn.Flatten()
    if isinstance(module, Dropout):
        return tnn.Dropout(module.p)
    raise TypeError(f"nn.to_torch: no torch equivalent for {type(module).__name__} ({module!r:.60}); "
                    f"it converts {SUPPORTED}")


def _mlp_to_torch(torch, mlp):
    """Sequential(Linear, activation[, Dropout], ..., Linear[, activation]) with each part's mode."""
    tnn = torch.nn
    layers = []
    for i, layer in enumerate(mlp.layers):
        linear = _load(torch, tnn.Linear(layer.nin, layer.nout), layer)
        linear.training = layer.training
        activation = getattr(tnn, _MLP_ACTIVATIONS[layer.activation])()
        activation.training = mlp.training
        layers += [linear, activation]
        if mlp.dropout and i < len(mlp.dropouts):
            dropout = tnn.Dropout(mlp.dropout)
            dropout.training = mlp.training and mlp.dropouts[i].training  # (the MLP applies it only then)
            layers.append(dropout)
    if mlp.layers[-1].activation == "linear":
        layers.pop()  # without dropout, keeps the keys 0, 2, 4, ... that MLP's state dict uses
    return tnn.Sequential(*layers)


def _unsupported(torch_module, why):
    return ValueError(f"nn.from_torch: cannot convert {torch_module!r}: {why}")


def from_torch(torch_module):
    """The equivalent chainrule module with the same weights (as Python floats) and train/eval mode."""
    torch = _import_torch("from_torch")
    module = _from_torch(torch, torch_module)
    module.training = torch_module.training  # this module's mode; each sub-module was given its own
    return module


def _from_torch(torch, torch_module):
    tnn = torch.nn
    m = torch_module
    if isinstance(m, tnn.Sequential):
        return Sequential(*[from_torch(child) for child in m])
    if isinstance(m, tnn.Linear):
        module = Linear(m.in_features, m.out_features, bias=m.bias is not None)
    elif isinstance(m, tnn.RNN):
        if m.bidirectional or m.proj_size or m.dropout:
            raise _unsupported(m, "bidirectional, proj_size and dropout between layers are not supported")
        module = RNN(m.input_size, m.hidden_size, num_layers=m.num_layers, nonlinearity=m.nonlinearity, bias=m.bias)
    elif isinstance(m, tnn.RNNCell):
        module = RNNCell(m.input_size, m.hidden_size, bias=m.bias, nonlinearity=m.nonlinearity)
    elif isinstance(m, tnn.Conv2d):
        if isinstance(m.padding, str) or m.dilation != (1, 1) or m.groups != 1 or m.padding_mode != "zeros":
            raise _unsupported(m, "only numeric zero padding, dilation 1 and groups 1 are supported")
        module = Conv2d(m.in_channels, m.out_channels, m.kernel_size, stride=m.stride, padding=m.padding,
                        bias=m.bias is not None)
    elif isinstance(m, tnn.MaxPool2d):
        if m.dilation not in (1, (1, 1)) or m.ceil_mode or m.return_indices:
            raise _unsupported(m, "only dilation 1, ceil_mode=False and return_indices=False are supported")
        return MaxPool2d(m.kernel_size, stride=m.stride, padding=m.padding)
    elif type(m) in (tnn.ReLU, tnn.Tanh, tnn.Sigmoid):
        return {tnn.ReLU: ReLU, tnn.Tanh: Tanh, tnn.Sigmoid: Sigmoid}[type(m)]()
    elif isinstance(m, tnn.Flatten):
        return Flatten()
    elif isinstance(m, tnn.Dropout):
        return Dropout(m.p)
    else:
        raise TypeError(f"nn.from_torch: no chainrule equivalent for {type(m).__name__}; it converts "
                        f"torch.nn.{SUPPORTED.replace(' (and MLP to torch)', '').replace(', ', ', torch.nn.')}")
    state = {key: tensor.detach().double().tolist() for key, tensor in m.state_dict().items()}
    return module.load_state_dict(state, where=f"nn.from_torch({type(m).__name__})")
