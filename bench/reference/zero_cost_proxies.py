"""
Independent float64 reference of the six zero-cost proxies of absnas's
metric plugins, computed the way their published code computes them, on a
small NAS-Bench-201 supernet with random weights and random images.

- synflow, grad_norm, snip, grasp, fisher: the measures of Abdelfattah et
  al., "Zero-Cost Proxies for Lightweight NAS" (ICLR 2021), as in their
  foresight/pruners/measures/*.py (github.com/SamsungLabs/zero-cost-nas): the
  same hooks and autograd calls, summed over every Conv2d and Linear weight as
  their find_measures does. synflow runs with every BatchNorm replaced by the
  identity (their copynet with bn=False), all parameters made absolute, in
  float64, on one all-ones image; the others with BatchNorm in training mode
  on the batch, loss F.cross_entropy.
- naswot: Mellor et al., "Neural Architecture Search without Training"
  (ICML 2021), as in score_networks.py of github.com/BayesWatch/nas-without-training:
  forward and backward hooks on every ReLU module, a backward pass of the
  summed output (their Jacobian pass) marks the ReLUs on the graph, a second
  forward accumulates K = sum over those ReLUs of c c^T + (1 - c)(1 - c)^T
  with c = (input > 0) per image, score = log|det K| (numpy's slogdet).
  One deviation: their hooks go on every module whose class name contains
  'ReLU', which in NB201 also matches the ReLUConvBN operators, so the code of
  each ReLU-Conv-BN input enters K twice there (once for the nn.ReLU inside);
  here, as in the paper's definition of K_H, every ReLU counts once.

The model is bench/reference/nb201_angle_rank.py's NB201 supernet (the
speed benchmark's NB201 operators, `none` as x * 0), in float64, with weights
drawn by PyTorch's default initialisation and rounded to float32, so that
absnas (float32) loads exactly the same values. Images are N(0, 1), labels
uniform. Each proxy is computed for a list of children, with the supernet
running only the child's operators.

Writes the JSON fixture that the proxies' tests read (weights in absnas's
parameter names and layouts: conv [kh, kw, cin, cout], linear [in, out];
images NHWC; tensors as base64 little-endian float32):

  /usr/bin/python3 bench/reference/zero_cost_proxies.py --out test/fixtures/zero-cost-nb201.json
"""
import argparse
import base64
import copy
import json
import os
import sys
import types

import numpy as np
import torch
import torch.autograd as autograd
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nb201_angle_rank as nb  # noqa: E402

# children: op indices (nb.OPS = none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3) in edge order
# (1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2): all-conv, mixed, only skips and pools, a dead node, every path cut
FIXED_CHILDREN = [
    [3, 3, 3, 3, 3, 3],
    [3, 2, 4, 1, 3, 2],
    [1, 1, 1, 1, 1, 1],
    [4, 4, 4, 4, 4, 4],
    [3, 0, 0, 2, 0, 3],
    [2, 3, 0, 0, 0, 4],
    [0, 0, 0, 0, 0, 0],
]


def forward(net, x, arch):
    return net(x, {k: arch for k in net.search_cells})


def weight_layers(net):
    return [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def no_op(self, x):
    return x


# ---------------------------------------------------------------- synflow ---
def synflow(model, arch, shape, scale=1.0):
    net = copy.deepcopy(model)
    for m in net.modules():  # copynet(bn=False)
        if isinstance(m, nn.BatchNorm2d):
            m.forward = types.MethodType(no_op, m)
    with torch.no_grad():
        for p in net.state_dict().values():  # their linearize(), and the scale on floating-point entries
            if p.is_floating_point():
                p.mul_(scale)
            p.abs_()
    net.zero_grad()
    out = forward(net, torch.ones([1] + list(shape), dtype=torch.float64), arch)
    torch.sum(out).backward()
    return sum(float(torch.abs(m.weight * m.weight.grad).sum()) for m in weight_layers(net) if m.weight.grad is not None)


# -------------------------------------------------------------- grad_norm ---
def grad_norm(model, arch, x, y):
    net = copy.deepcopy(model).train()
    net.zero_grad()
    F.cross_entropy(forward(net, x, arch), y).backward()
    return sum(float(m.weight.grad.norm()) for m in weight_layers(net) if m.weight.grad is not None)


# ------------------------------------------------------------------- snip ---
def snip_forward_conv2d(self, x):
    return F.conv2d(x, self.weight * self.weight_mask, self.bias, self.stride, self.padding, self.dilation, self.groups)


def snip_forward_linear(self, x):
    return F.linear(x, self.weight * self.weight_mask, self.bias)


def snip(model, arch, x, y):
    net = copy.deepcopy(model).train()
    for layer in weight_layers(net):
        layer.weight_mask = nn.Parameter(torch.ones_like(layer.weight))
        layer.weight.requires_grad = False
        layer.forward = types.MethodType(snip_forward_conv2d if isinstance(layer, nn.Conv2d) else snip_forward_linear, layer)
    net.zero_grad()
    F.cross_entropy(forward(net, x, arch), y).backward()
    return sum(float(torch.abs(l.weight_mask.grad).sum()) for l in weight_layers(net) if l.weight_mask.grad is not None)


# ------------------------------------------------------------------ grasp ---
def grasp(model, arch, x, y):
    net = copy.deepcopy(model).train()
    weights = [l.weight for l in weight_layers(net)]
    net.zero_grad()
    grad_w = list(autograd.grad(F.cross_entropy(forward(net, x, arch), y), weights, allow_unused=True))
    grad_f = autograd.grad(F.cross_entropy(forward(net, x, arch), y), weights, create_graph=True, allow_unused=True)
    z = 0
    for gw, gf in zip(grad_w, grad_f):
        if gw is not None:
            z += (gw.data * gf).sum()
    z.backward()
    terms = [-l.weight.data * l.weight.grad for l in weight_layers(net) if l.weight.grad is not None]
    # the score, and the sum of its terms' sizes (how much cancels: float32 rounding scales with it)
    return sum(float(t.sum()) for t in terms), sum(float(t.abs().sum()) for t in terms)


# ----------------------------------------------------------------- fisher ---
def fisher_forward_conv2d(self, x):
    x = F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
    self.act = self.dummy(x)
    return self.act


def fisher_forward_linear(self, x):
    x = F.linear(x, self.weight, self.bias)
    self.act = self.dummy(x)
    return self.act


def fisher(model, arch, x, y):
    net = copy.deepcopy(model).train()
    for layer in weight_layers(net):
        layer.fisher = None
        layer.act = 0.0
        layer.dummy = nn.Identity()
        layer.forward = types.MethodType(fisher_forward_conv2d if isinstance(layer, nn.Conv2d) else fisher_forward_linear, layer)

        def hook_factory(layer):
            def hook(module, grad_input, grad_output):
                act = layer.act.detach()
                grad = grad_output[0].detach()
                g_nk = torch.sum(act * grad, list(range(2, len(act.shape)))) if len(act.shape) > 2 else act * grad
                del_k = g_nk.pow(2).mean(0).mul(0.5)
                layer.fisher = del_k if layer.fisher is None else layer.fisher + del_k
                del layer.act
            return hook

        layer.dummy.register_backward_hook(hook_factory(layer))
    net.zero_grad()
    F.cross_entropy(forward(net, x, arch), y).backward()
    total = 0.0
    for layer in weight_layers(net):
        if layer.fisher is not None:
            # the channel value broadcast over the channel's weights (their reshape_elements), then summed
            total += float(torch.abs(layer.fisher).sum()) * int(np.prod(layer.weight.shape[1:]))
    return total


# ----------------------------------------------------------------- naswot ---
def naswot(model, arch, x):
    net = copy.deepcopy(model)
    n = x.shape[0]
    net.K = np.zeros((n, n))

    def counting_forward_hook(module, inp, out):
        if not getattr(module, "visited_backwards", False):
            return
        inp = inp[0] if isinstance(inp, tuple) else inp
        inp = inp.view(inp.size(0), -1)
        c = (inp > 0).double()
        net.K = net.K + (c @ c.t()).numpy() + ((1.0 - c) @ (1.0 - c.t())).numpy()

    def counting_backward_hook(module, inp, out):
        module.visited_backwards = True

    for module in net.modules():
        # their test is `'ReLU' in str(type(module))`, which also matches NB201's ReLUConvBN class (see above)
        if isinstance(module, nn.ReLU):
            module.register_forward_hook(counting_forward_hook)
            module.register_backward_hook(counting_backward_hook)
    x1 = x.clone().requires_grad_(True)
    out = forward(net, x1, arch)
    out.backward(torch.ones_like(out))
    forward(net, x.clone(), arch)
    relus = sum(1 for m in net.modules() if isinstance(m, nn.ReLU) and getattr(m, "visited_backwards", False))
    sign, logdet = np.linalg.slogdet(net.K)
    return float(logdet), relus


def naswot_row(model, arch, x):
    score, relus = naswot(model, arch, x)
    # null: a singular kernel (log|det| = -inf)
    return {"naswot": score if np.isfinite(score) else None, "relus": relus}


PROXIES = ["synflow", "gradNorm", "snip", "grasp", "fisher", "naswot"]


# ------------------------------------------------------------------ export ---
def absnas_layout(name, t):
    """A PyTorch tensor in absnas's layout: conv [cout, cin, kh, kw] -> [kh, kw, cin, cout]; linear [out, in] -> [in, out]."""
    if t.dim() == 4:
        return t.permute(2, 3, 1, 0)
    if t.dim() == 2:
        return t.t()
    return t


def b64(t):
    return base64.b64encode(t.detach().contiguous().reshape(-1).numpy().astype("<f4").tobytes()).decode("ascii")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--channels", type=int, default=2)
    ap.add_argument("--cells", type=int, default=1)
    ap.add_argument("--size", type=int, default=8, help="image height and width")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--random-children", type=int, default=5)
    ap.add_argument("--synflow-scale", type=float, default=1024.0,
                    help="also synflow with every parameter multiplied by this (a power of 2): a network whose synflow overflows float32")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--children", default=None,
                    help="comma-separated children as six operator indices each (e.g. 333333,324132) instead of the "
                         "fixed list and --random-children")
    ap.add_argument("--proxies", default=",".join(PROXIES),
                    help="comma-separated subset of {} (the others are written as null)".format(",".join(PROXIES)))
    ap.add_argument("--out", default="test/fixtures/zero-cost-nb201.json")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    model = nb.Supernet(args.channels, args.cells, classes=10)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.float())
    model = model.double()
    x = torch.randn(args.batch, 3, args.size, args.size).float().double()
    y = torch.randint(0, 10, (args.batch,))
    rng = np.random.RandomState(args.seed)
    if args.children:
        children = [[int(c) for c in spec] for spec in args.children.split(",")]
        if any(len(a) != 6 or max(a) >= len(nb.OPS) for a in children):
            ap.error("--children: six operator indices 0-{} per child".format(len(nb.OPS) - 1))
    else:
        children = FIXED_CHILDREN + [list(map(int, rng.randint(0, 5, size=6))) for _ in range(args.random_children)]
    wanted = args.proxies.split(",")
    unknown = sorted(set(wanted) - set(PROXIES))
    if unknown:
        ap.error("--proxies: unknown {}".format(", ".join(unknown)))

    measures = {
        "synflow": lambda arch: {"synflow": synflow(model, arch, x.shape[1:]),
                                 "synflowScaled": synflow(model, arch, x.shape[1:], args.synflow_scale)},
        "gradNorm": lambda arch: {"gradNorm": grad_norm(model, arch, x, y)},
        "snip": lambda arch: {"snip": snip(model, arch, x, y)},
        "grasp": lambda arch: dict(zip(("grasp", "graspAbs"), grasp(model, arch, x, y))),
        "fisher": lambda arch: {"fisher": fisher(model, arch, x, y)},
        "naswot": lambda arch: naswot_row(model, arch, x),
    }
    rows = []
    for arch in children:
        row = {"arch": nb.arch_string(arch)}
        for name in PROXIES:
            if name in wanted:
                row.update(measures[name](arch))
        rows.append(row)
        print(rows[-1]["arch"], " ".join("{} {}".format(k, v) for k, v in rows[-1].items() if k != "arch"))

    state = dict(model.named_parameters())
    params = [{"name": absname, "values": b64(absnas_layout(name, state[name].float()))} for name, absname in nb.absnas_names(model).items()]
    assert len(params) == len(state), "every parameter has an absnas name"
    fixture = {
        "description": "zero-cost proxies of children of an NB201 supernet C={} N={} (PyTorch default initialisation, seed {}, "
                       "rounded to float32), computed in float64 by bench/reference/zero_cost_proxies.py as the published code "
                       "computes them; images N(0,1) NHWC, labels uniform; tensors base64 little-endian float32 in absnas's "
                       "layouts".format(args.channels, args.cells, args.seed),
        "channels": args.channels,
        "cellsPerStage": args.cells,
        "input": {"height": args.size, "width": args.size, "channels": 3, "numClasses": 10},
        "synflowScale": args.synflow_scale,
        "params": params,
        "images": b64(x.permute(0, 2, 3, 1).float()),
        "labels": [int(v) for v in y],
        "children": rows,
    }
    with open(args.out, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
