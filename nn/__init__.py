"""nn: neurons, layers and MLPs built from autograd Values."""
