"""
Float64 reference for GraSP on a small network with max pooling and ReLU6
(plugins/metric-grasp/test/grasp.test.ts): the Hessian-gradient product H g
by PyTorch's double backward, as the zero-cost-nas code takes it
(compute_grasp_per_weight: autograd.grad with create_graph=True).

The network, NHWC in absnas, NCHW here; batch norm with batch statistics,
not affine, eps 1e-5; weights and images from the formula below, rounded to
float32 so that both load the same values:

  conv1 3x3 3->6, pad 1 -> BN -> x4 -> ReLU6 -> max pool 3x3 stride 1 pad 1
  conv2 3x3 6->6, pad 1 -> BN -> ReLU -> max pool 3x3 stride 2 pad 1 (9x9 -> 5x5)
  conv3 1x1 6->8 -> BN -> x3 -> ReLU6 -> max pool 2x2 stride 2 (5x5 -> 2x2)
  global mean -> linear 8->5 (+ bias) -> mean cross-entropy

on 4 images of 9x9x3, labels 0, 3, 1, 4. With stride 2 and pad 1 on 9x9,
PyTorch's symmetric padding is tfjs's 'same'. Prints, per kernel W, the
GraSP term -sum W * (H g)_W, the sum of |W * (H g)_W| and the norm of
(H g)_W, and g's norm:

  /usr/bin/python3 bench/reference/grasp_pooling_child.py
"""
import math

import numpy as np
import torch
import torch.autograd as autograd
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def formula(n, seed, scale):
    """scale * sin(0.7391 i + 1.3 seed), rounded to float32 (absnas's test computes the same)."""
    return np.array([scale * math.sin(0.7391 * i + 1.3 * seed) for i in range(n)], dtype=np.float32).astype(np.float64)


def kernel(shape, seed):
    """A conv kernel in absnas's layout [kh, kw, cin, cout], as PyTorch's [cout, cin, kh, kw]."""
    kh, kw, cin, cout = shape
    values = formula(kh * kw * cin * cout, seed, 1 / math.sqrt(kh * kw * cin)).reshape(shape)
    return torch.tensor(values.transpose(3, 2, 0, 1).copy(), requires_grad=True)


w1 = kernel((3, 3, 3, 6), 1)
w2 = kernel((3, 3, 6, 6), 2)
w3 = kernel((1, 1, 6, 8), 3)
lin = torch.tensor(formula(8 * 5, 4, 1 / math.sqrt(8)).reshape(8, 5).T.copy(), requires_grad=True)  # absnas [in, out]
bias = torch.tensor(formula(5, 5, 1 / math.sqrt(8)))
x = torch.tensor(formula(4 * 9 * 9 * 3, 6, 2.0).reshape(4, 9, 9, 3).transpose(0, 3, 1, 2).copy())
y = torch.tensor([0, 3, 1, 4])
weights = [w1, w2, w3, lin]


def bn(t):
    return F.batch_norm(t, None, None, training=True, eps=1e-5)


def loss():
    h = F.max_pool2d(F.relu6(4 * bn(F.conv2d(x, w1, padding=1))), 3, 1, 1)
    h = F.max_pool2d(F.relu(bn(F.conv2d(h, w2, padding=1))), 3, 2, 1)
    h = F.max_pool2d(F.relu6(3 * bn(F.conv2d(h, w3))), 2, 2)
    return F.cross_entropy(F.linear(h.mean((2, 3)), lin, bias), y)


g = [t.detach() for t in autograd.grad(loss(), weights)]
first = autograd.grad(loss(), weights, create_graph=True)
hg = autograd.grad(sum((a * b).sum() for a, b in zip(g, first)), weights)
for name, w, gw, h in zip(["conv1", "conv2", "conv3", "linear"], weights, g, hg):
    terms = -w.detach() * h
    print(f"{name}: grasp {float(terms.sum())!r}, |terms| {float(terms.abs().sum())!r}, |Hg| {float(h.norm())!r}, |g| {float(gw.norm())!r}")
