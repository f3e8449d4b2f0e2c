"""
The PyTorch side of `npm run bench`: the same models as bench/absnas-models.js,
timed the same way (warm-up, then the median of repeated steps).

Usage: /usr/bin/python3 bench/torch_models.py WORKLOAD [--steps N] [--warmup N] [--threads N]
WORKLOAD: nb201 | mbconv | darts | angle. Prints one JSON line.

The NB201 model follows XAutoDL's TinyNetwork search model along one path:
ReLU-Conv-BN(affine=False) operators, 3x3 average pooling with
count_include_pad=False, and the residual reduction block (ResNetBasicblock
with stride 2: ReLU-Conv3x3(s2)-BN, ReLU-Conv3x3-BN, shortcut AvgPool2d(2)
then Conv1x1, both BN affine).
"""
import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

NB201_ARCH = "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
NB201_OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]


def parse_arch(text):
    """'|op~0|+|op~0|op~1|+|...|' -> [(to, from, op)] in edge order."""
    edges = []
    for to, node in enumerate(text.split("+"), start=1):
        for tok in [t for t in node.split("|") if t]:
            op, src = tok.split("~")
            edges.append((to, int(src), op))
    return edges


# ---------------------------------------------------------------- NB201 ----
class ReLUConvBN(nn.Module):
    def __init__(self, cin, cout, k, stride, pad, affine):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(cin, cout, k, stride=stride, padding=pad, bias=False),
            nn.BatchNorm2d(cout, affine=affine),
        )

    def forward(self, x):
        return self.op(x)


def nb201_op(name, c):
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_1x1":
        return ReLUConvBN(c, c, 1, 1, 0, affine=False)
    if name == "nor_conv_3x3":
        return ReLUConvBN(c, c, 3, 1, 1, affine=False)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    raise ValueError(name)


class Cell(nn.Module):
    """One NB201 cell along a fixed path (no `none` edge in the benchmark's arch)."""

    def __init__(self, c, edges):
        super().__init__()
        self.edges = edges
        self.ops = nn.ModuleList([nb201_op(op, c) for (_, _, op) in edges])

    def forward(self, x):
        nodes = [x]
        for to in range(1, 4):
            terms = [self.ops[i](nodes[src]) for i, (t, src, _) in enumerate(self.edges) if t == to]
            nodes.append(sum(terms))
        return nodes[3]


class ResNetBasicblock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv_a = ReLUConvBN(cin, cout, 3, 2, 1, affine=True)
        self.conv_b = ReLUConvBN(cout, cout, 3, 1, 1, affine=True)
        self.downsample = nn.Sequential(nn.AvgPool2d(2, 2, 0), nn.Conv2d(cin, cout, 1, bias=False))

    def forward(self, x):
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class TinyNetwork(nn.Module):
    def __init__(self, c=16, n=5, classes=10, arch=NB201_ARCH):
        super().__init__()
        edges = parse_arch(arch)
        self.stem = nn.Sequential(nn.Conv2d(3, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
        layers = []
        cprev = c
        for s, cs in enumerate([c, 2 * c, 4 * c]):
            if s > 0:
                layers.append(ResNetBasicblock(cprev, cs))
            layers += [Cell(cs, edges) for _ in range(n)]
            cprev = cs
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(cprev), nn.ReLU(inplace=True))
        self.classifier = nn.Linear(cprev, classes)

    def forward(self, x):
        h = self.lastact(self.cells(self.stem(x)))
        return self.classifier(h.mean((2, 3)))


# --------------------------------------------------------------- MBConv ----
# (cin, cout, expand, kernel, stride), shared with bench/absnas-models.js
MBCONV_BLOCKS = [(16, 24, 3, 3, 2), (24, 24, 6, 5, 1), (24, 40, 3, 3, 2), (40, 40, 6, 5, 1)]
MBCONV_STEM = 16
MBCONV_HEAD = 128


class MBConv(nn.Module):
    def __init__(self, cin, cout, expand, k, stride):
        super().__init__()
        mid = cin * expand
        self.residual = stride == 1 and cin == cout
        self.body = nn.Sequential(
            nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU6(inplace=True),
            nn.Conv2d(mid, mid, k, stride=stride, padding=k // 2, groups=mid, bias=False),
            nn.BatchNorm2d(mid), nn.ReLU6(inplace=True),
            nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout),
        )

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class MBConvChain(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, MBCONV_STEM, 3, padding=1, bias=False), nn.BatchNorm2d(MBCONV_STEM), nn.ReLU6(inplace=True))
        self.blocks = nn.Sequential(*[MBConv(*b) for b in MBCONV_BLOCKS])
        last = MBCONV_BLOCKS[-1][1]
        self.head = nn.Sequential(nn.Conv2d(last, MBCONV_HEAD, 1, bias=False), nn.BatchNorm2d(MBCONV_HEAD), nn.ReLU6(inplace=True))
        self.classifier = nn.Linear(MBCONV_HEAD, classes)

    def forward(self, x):
        h = self.head(self.blocks(self.stem(x)))
        return self.classifier(h.mean((2, 3)))


# ---------------------------------------------------------------- DARTS ----
DARTS_C = 16
DARTS_OPS = ["max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "dil_conv_3x3"]


class SepConv(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False), nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c, affine=False),
            nn.ReLU(inplace=False),
            nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False), nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c, affine=False),
        )

    def forward(self, x):
        return self.op(x)


class DilConv(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c, c, 3, padding=2, dilation=2, groups=c, bias=False), nn.Conv2d(c, c, 1, bias=False),
            nn.BatchNorm2d(c, affine=False),
        )

    def forward(self, x):
        return self.op(x)


def darts_op(name, c):
    # as in DARTS's search MixedOp: pooling followed by a non-affine BN
    if name == "max_pool_3x3":
        return nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.BatchNorm2d(c, affine=False))
    if name == "avg_pool_3x3":
        return nn.Sequential(nn.AvgPool2d(3, 1, 1, count_include_pad=False), nn.BatchNorm2d(c, affine=False))
    if name == "skip_connect":
        return nn.Identity()
    if name == "sep_conv_3x3":
        return SepConv(c)
    if name == "dil_conv_3x3":
        return DilConv(c)
    raise ValueError(name)


class DartsEdge(nn.Module):
    """stem (Conv3x3 + BN), one mixed edge sum_i softmax(alpha)_i op_i(x), GAP, linear."""

    def __init__(self, classes=10):
        super().__init__()
        c = DARTS_C
        self.stem = nn.Sequential(nn.Conv2d(3, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
        self.ops = nn.ModuleList([darts_op(o, c) for o in DARTS_OPS])
        self.alpha = nn.Parameter(1e-3 * torch.randn(len(DARTS_OPS)))
        self.classifier = nn.Linear(c, classes)

    def forward(self, x):
        h = self.stem(x)
        w = F.softmax(self.alpha, dim=0)
        h = sum(wi * op(h) for wi, op in zip(w, self.ops))
        return self.classifier(h.mean((2, 3)))


# ------------------------------------------------------------- timing ------
def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def time_steps(model, batch, size, warmup, steps):
    torch.manual_seed(0)
    x = torch.randn(batch, 3, size, size)
    y = torch.arange(batch) % 10
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    model.train()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        return loss.item()

    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def angle_all_children(c=16, n=5):
    """
    Angle of every NB201 child from per-parameter statistics (the same
    algorithm as absnas's AngleMetric): inner products and norms per weight
    segment once, then sums per child in Python.
    """
    import itertools

    torch.manual_seed(0)
    # one conv weight per (cell, edge, conv op); fixed parts as one segment
    chans = [c] * n + [2 * c] * n + [4 * c] * n
    w0 = {}
    wt = {}
    for cell, ch in enumerate(chans):
        for e in range(6):
            for op, k in (("nor_conv_1x1", 1), ("nor_conv_3x3", 3)):
                w0[(cell, e, op)] = torch.randn(ch * ch * k * k)
                wt[(cell, e, op)] = w0[(cell, e, op)] + 0.1 * torch.randn(ch * ch * k * k)
    fixed0 = torch.randn(40000)
    fixedt = fixed0 + 0.1 * torch.randn(40000)
    t0 = time.perf_counter()
    stats = {key: (float(torch.dot(w0[key], wt[key])), float(torch.dot(w0[key], w0[key])), float(torch.dot(wt[key], wt[key]))) for key in w0}
    fixed = (float(torch.dot(fixed0, fixedt)), float(torch.dot(fixed0, fixed0)), float(torch.dot(fixedt, fixedt)))
    paths = [[3], [0, 4], [1, 5], [0, 2, 5]]
    best = -1.0
    count = 0
    for arch in itertools.product(NB201_OPS, repeat=6):
        live = [p for p in paths if all(arch[e] != "none" for e in p)]
        if not live:
            count += 1
            continue
        dot, base, cur = fixed
        for cell, ch in enumerate(chans):
            for p in live:
                for e in p:
                    op = arch[e]
                    if op in ("nor_conv_1x1", "nor_conv_3x3"):
                        s = stats[(cell, e, op)]
                        dot += s[0]
                        base += s[1]
                        cur += s[2]
                    elif op == "avg_pool_3x3":
                        sq = (1 / 81) * ch * 9
                        dot += sq
                        base += sq
                        cur += sq
        a = math.acos(max(-1.0, min(1.0, dot / math.sqrt(base * cur))))
        best = max(best, a)
        count += 1
    return time.perf_counter() - t0, count


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("workload", choices=["nb201", "mbconv", "darts", "angle"])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch threads; 0 = one per CPU core")
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()
    threads = args.threads or os.cpu_count()
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    out = {
        "side": "pytorch",
        "workload": args.workload,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "backend": "cpu (mkldnn %s)" % ("on" if torch.backends.mkldnn.is_available() else "off"),
    }
    if args.workload == "angle":
        secs, count = angle_all_children()
        out.update({"seconds": secs, "children": count})
    else:
        model = {"nb201": TinyNetwork, "mbconv": MBConvChain, "darts": DartsEdge}[args.workload]()
        median, times = time_steps(model, args.batch, 32, args.warmup, args.steps)
        out.update({"batch": args.batch, "medianMs": median * 1000, "imagesPerSecond": args.batch / median, "stepsMs": [t * 1000 for t in times]})
    out["peakRssMiB"] = peak_rss_mib()
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
