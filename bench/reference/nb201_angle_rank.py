"""
Independent PyTorch check of the angle metric on NAS-Bench-201 (ABS-METHOD.md).

Builds the NB201 search supernet (stem conv3x3 + BN affine; 3 stages of N
search cells whose conv edges are ReLU-Conv-BN with BN affine=False, over
none / skip_connect / nor_conv_1x1 / nor_conv_3x3 / avg_pool_3x3 with
count_include_pad=False; residual reduction blocks; last BN+ReLU; global
average pooling; linear classifier; PyTorch default initialisation), trains
it uniformly single-path on CIFAR-10 read from the cached binary batches, and
after chosen step counts scores all 15,625 children by the angle between
V(W0) and V(Wt), built as the ABS reference code does for NB201:

  V = tail (last BN weight+bias, classifier weight+bias)
    + head (stem conv weight, stem BN weight+bias)
    + each reduction block (conv_a conv weight, BN weight+bias; conv_b the
      same; shortcut 1x1 conv weight)
    + for each path [0,3], [0,2,3], [0,1,2,3], [0,1,3] and each search cell:
      the concatenation of the path's operator weights, where `none` cuts
      the path (it contributes nothing), skip contributes nothing, 3x3
      average pooling a constant [C,3,3] tensor of 1/9 and a conv its weight.

angle = arccos(cos(V(W0), V(Wt))). A child with every path cut keeps only the
fixed parts in V (the reference has no special case for it).

It then prints Kendall's tau-b against a NAS-Bench-201 column (default
c10_test_200) and the operator-dropping count (operator score = mean angle of
the children containing it; drop the 20 lowest of the 30 globally, never an
edge's best; how many of the benchmark's 10 best operators, ranked by the mean
column value of the architectures containing them, survive).

The benchmark is read only after training, to evaluate the scores; it is never
an input of the angle.

Usage (Debian's PyTorch):
  /usr/bin/python3 bench/reference/nb201_angle_rank.py --channels 4 --cells 5 \
      --train-images 10000 --steps 624 --report 156,312,624

The official protocol of the reference code (AngleNAS NAS-Bench-201/exps/angle,
as absnas's presets/paper/nb201-ranking.json): --official, which sets
--sampling percell-redraw --unsampled zero-kept --clip 0, W0 after the first
epoch (--base-step) and the learning rate set once per epoch (--epoch-steps);
each can also be set alone, for an ablation one change at a time.
Prints one line per report step and, with --json PATH, writes all numbers.
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
# edges in the order of the arch string: (to, from)
EDGES = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]
EDGE_INDEX = {e: k for k, e in enumerate(EDGES)}
# the reference's path order (node sequences from the cell input to its output)
PATHS = [[0, 3], [0, 2, 3], [0, 1, 2, 3], [0, 1, 3]]
MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)
HERE = os.path.dirname(os.path.abspath(__file__))
# the NB201 building blocks are the speed benchmark's (bench/torch_models.py)
sys.path.insert(0, os.path.dirname(HERE))
from torch_models import ResNetBasicblock as BenchResNetBasicblock, nb201_op  # noqa: E402
# the NAS-Bench-201 table that ships with absnas (CSV or gzipped CSV)
DEFAULT_CSV = os.path.normpath(os.path.join(HERE, "..", "..", "core", "data", "nb201", "nb201.csv.gz"))
DEFAULT_CIFAR = os.path.expanduser("~/.cache/absnas/cifar-10-batches-bin")


# ------------------------------------------------------------------ model ---
class Zero(nn.Module):
    def forward(self, x):
        return x.mul(0.0)


def make_op(name, c):
    # the supernet holds `none` as a module too; the other operators are the benchmark's
    return Zero() if name == "none" else nb201_op(name, c)


class SearchCell(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.edges = nn.ModuleDict()
        for (i, j) in EDGES:
            self.edges["{}<-{}".format(i, j)] = nn.ModuleList([make_op(op, c) for op in OPS])

    def forward(self, x, arch):
        """arch: list of 6 op indices in EDGES order."""
        nodes = [x]
        for i in range(1, 4):
            terms = []
            for j in range(i):
                k = arch[EDGE_INDEX[(i, j)]]
                terms.append(self.edges["{}<-{}".format(i, j)][k](nodes[j]))
            nodes.append(sum(terms))
        return nodes[3]


class ResNetBasicblock(BenchResNetBasicblock):
    def forward(self, x, arch=None):  # the supernet hands every block the sampled child
        return super().forward(x)


class Supernet(nn.Module):
    def __init__(self, c, n, classes=10):
        super().__init__()
        self.c, self.n = c, n
        self.stem = nn.Sequential(nn.Conv2d(3, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
        cells, self.reductions, self.search_cells, self.cell_channels = [], [], [], {}
        cprev = c
        for s, cs in enumerate([c, 2 * c, 4 * c]):
            if s > 0:
                self.reductions.append(len(cells))
                cells.append(ResNetBasicblock(cprev, cs))
            for _ in range(n):
                self.search_cells.append(len(cells))
                self.cell_channels[len(cells)] = cs
                cells.append(SearchCell(cs))
            cprev = cs
        self.cells = nn.ModuleList(cells)
        self.lastact = nn.Sequential(nn.BatchNorm2d(cprev), nn.ReLU(inplace=True))
        self.classifier = nn.Linear(cprev, classes)

    def forward(self, x, archs):
        """archs: one arch per search cell (dict cell index -> arch)."""
        h = self.stem(x)
        for k, cell in enumerate(self.cells):
            h = cell(h, archs.get(k))
        h = self.lastact(h)
        return self.classifier(h.mean((2, 3)))


def redraw_cell(rng):
    """One cell by the reference's rule (forward_urs): node by node, draw every
    incoming edge uniformly, again while all of them are none (index 0)."""
    arch = [0] * 6
    for i in range(1, 4):
        incoming = [EDGE_INDEX[(i, j)] for j in range(i)]
        while True:
            for e in incoming:
                arch[e] = rng.randrange(5)
            if any(arch[e] != 0 for e in incoming):
                break
    return arch


# ------------------------------------------------------------------- data ---
def load_cifar(root, count, seed):
    recs = []
    for b in range(1, 6):
        raw = np.fromfile(os.path.join(root, "data_batch_{}.bin".format(b)), dtype=np.uint8)
        recs.append(raw.reshape(-1, 3073))
    recs = np.concatenate(recs)
    order = np.random.RandomState(seed).permutation(len(recs))[:count]
    recs = recs[order]
    labels = torch.from_numpy(recs[:, 0].astype(np.int64))
    x = torch.from_numpy(recs[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255.0)
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (x - mean) / std, labels


def augment(x):
    """Random crop 32 with 4 padding and horizontal flip (CIFAR standard)."""
    n = x.shape[0]
    padded = F.pad(x, (4, 4, 4, 4))
    out = torch.empty_like(x)
    dx = torch.randint(0, 9, (n,))
    dy = torch.randint(0, 9, (n,))
    flip = torch.rand(n) < 0.5
    for i in range(n):
        img = padded[i, :, dy[i]:dy[i] + 32, dx[i]:dx[i] + 32]
        out[i] = img.flip(2) if flip[i] else img
    return out


# ------------------------------------------------------------------ angle ---
def param_dict(model):
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def fixed_names(model):
    names = ["lastact.0.weight", "lastact.0.bias", "classifier.weight", "classifier.bias",
             "stem.0.weight", "stem.1.weight", "stem.1.bias"]
    for r in model.reductions:
        for br in ("conv_a", "conv_b"):
            names += ["cells.{}.{}.op.1.weight".format(r, br), "cells.{}.{}.op.2.weight".format(r, br),
                      "cells.{}.{}.op.2.bias".format(r, br)]
        names.append("cells.{}.downsample.1.weight".format(r))
    return names


def conv_name(cell, i, j, op_index):
    return "cells.{}.edges.{}<-{}.{}.op.1.weight".format(cell, i, j, op_index)


def child_vectors(model, w, arch):
    """The reference's V(child, w) as an explicit concatenation (for the cross-check)."""
    parts = [w[n].reshape(-1) for n in fixed_names(model)]
    for path in PATHS:
        for cell in model.search_cells:
            plist = []
            cut = False
            for t in range(1, len(path)):
                i, j = path[t], path[t - 1]
                op = OPS[arch[EDGE_INDEX[(i, j)]]]
                if op == "none":
                    cut = True
                    break
                if op == "avg_pool_3x3":
                    plist.append(torch.full((model.cell_channels[cell] * 9,), 1.0 / 9.0))
                elif op in ("nor_conv_1x1", "nor_conv_3x3"):
                    plist.append(w[conv_name(cell, i, j, OPS.index(op))].reshape(-1))
            if not cut and plist:
                parts.append(torch.cat(plist))
    return torch.cat(parts)


def angle_concat(model, w0, wt, arch):
    a = child_vectors(model, w0, arch).double()
    b = child_vectors(model, wt, arch).double()
    cos = torch.dot(a, b) / (a.norm() * b.norm())
    return math.acos(max(-1.0, min(1.0, cos.item())))


def all_archs():
    out = []
    for code in range(5 ** 6):
        arch, c = [], code
        for _ in range(6):
            arch.append(c % 5)
            c //= 5
        out.append(arch[::-1])
    return np.array(out, dtype=np.int64)


def angles_all(model, w0, wt, archs):
    """The same angles from per-tensor statistics (dot, |w0|^2, |wt|^2), summed; float64."""
    def stats(name):
        a, b = w0[name].double().reshape(-1), wt[name].double().reshape(-1)
        return np.array([torch.dot(a, b).item(), torch.dot(a, a).item(), torch.dot(b, b).item()])

    fixed = sum(stats(n) for n in fixed_names(model))
    # per edge and op: summed over the search cells (every cell holds the same arch)
    per_edge = np.zeros((6, 5, 3))
    for e, (i, j) in enumerate(EDGES):
        for k, op in enumerate(OPS):
            if op in ("nor_conv_1x1", "nor_conv_3x3"):
                per_edge[e, k] = sum(stats(conv_name(c, i, j, k)) for c in model.search_cells)
            elif op == "avg_pool_3x3":
                sq = sum(model.cell_channels[c] * 9 for c in model.search_cells) / 81.0
                per_edge[e, k] = [sq, sq, sq]
    tot = np.tile(fixed, (len(archs), 1))
    for path in PATHS:
        edges = [EDGE_INDEX[(path[t], path[t - 1])] for t in range(1, len(path))]
        alive = np.all(archs[:, edges] != 0, axis=1)
        contrib = np.zeros((len(archs), 3))
        for e in edges:
            contrib += per_edge[e, archs[:, e]]
        tot += contrib * alive[:, None]
    cos = tot[:, 0] / np.sqrt(tot[:, 1] * tot[:, 2])
    return np.arccos(np.clip(cos, -1, 1))


# ------------------------------------------------------------- benchmark ---
def arch_string(arch):
    nodes = []
    for i in range(1, 4):
        toks = ["{}~{}".format(OPS[arch[EDGE_INDEX[(i, j)]]], j) for j in range(i)]
        nodes.append("|" + "|".join(toks) + "|")
    return "+".join(nodes)


def load_truth(csv_path, column, archs):
    import csv
    import gzip
    table = {}
    opener = gzip.open if csv_path.endswith(".gz") else open
    with opener(csv_path, "rt") as f:
        for row in csv.DictReader(f):
            table[row["arch"]] = float(row[column])
    return np.array([table[arch_string(a)] for a in archs])


def kendall_tau_b(x, y):
    try:
        from scipy.stats import kendalltau
        return float(kendalltau(x, y).correlation)
    except ImportError:  # O(n^2) fallback
        n, conc, disc, tx, ty = len(x), 0, 0, 0, 0
        for i in range(n):
            dx = np.sign(x[i + 1:] - x[i])
            dy = np.sign(y[i + 1:] - y[i])
            conc += np.sum(dx * dy > 0)
            disc += np.sum(dx * dy < 0)
            tx += np.sum((dx == 0) & (dy != 0))
            ty += np.sum((dy == 0) & (dx != 0))
        return (conc - disc) / math.sqrt((conc + disc + tx) * (conc + disc + ty))


def operator_means(archs, values):
    """mean of `values` over the children containing each (edge, op): [6, 5]."""
    out = np.zeros((6, 5))
    for e in range(6):
        for k in range(5):
            out[e, k] = values[archs[:, e] == k].mean()
    return out


def drop_count(op_scores, op_truth, drop=20, top=10):
    """The reference's global drop (ascending score; an op is droppable while a
    better-scored op of its edge exists) and how many true top-`top` survive."""
    ops = [(e, k) for e in range(6) for k in range(5)]
    true_top = set(sorted(ops, key=lambda o: -op_truth[o])[:top])
    ranked = sorted(ops, key=lambda o: op_scores[o])
    dropped = []
    for idx, (e, k) in enumerate(ranked):
        if any(e2 == e for (e2, _) in ranked[idx + 1:]):
            dropped.append((e, k))
        if len(dropped) >= drop:
            break
    kept = [o for o in ops if o not in dropped]
    return sum(1 for o in kept if o in true_top), kept


def absnas_names(model):
    """PyTorch parameter name -> absnas parameter name, for the parameters the angle reads."""
    rename = {"stem.0.weight": "stem.conv.weight", "stem.1.weight": "stem.bn.gamma", "stem.1.bias": "stem.bn.beta",
              "lastact.0.weight": "final.bn.gamma", "lastact.0.bias": "final.bn.beta",
              "classifier.weight": "classifier.weight", "classifier.bias": "classifier.bias"}
    for r, k in enumerate(model.reductions):
        for br in ("conv_a", "conv_b"):
            rename["cells.{}.{}.op.1.weight".format(k, br)] = "reduction.{}.{}.conv.weight".format(r, br)
            rename["cells.{}.{}.op.2.weight".format(k, br)] = "reduction.{}.{}.bn.gamma".format(r, br)
            rename["cells.{}.{}.op.2.bias".format(k, br)] = "reduction.{}.{}.bn.beta".format(r, br)
        rename["cells.{}.downsample.1.weight".format(k)] = "reduction.{}.shortcut.conv.weight".format(r)
    for g, k in enumerate(model.search_cells):
        for (i, j) in EDGES:
            for o in (2, 3):
                rename[conv_name(k, i, j, o)] = "cells.{}.edge.{}<-{}.{}.conv.weight".format(g, i, j, OPS[o])
    return rename


def export_weights(model, w0, wt, prefix):
    """Weights under absnas's parameter names (tensor layout kept as PyTorch's: the angle only
    uses inner products of whole tensors, which do not depend on the element order)."""
    rename = absnas_names(model)
    entries, off = [], 0
    with open(prefix + "-w0.bin", "wb") as f0, open(prefix + "-wt.bin", "wb") as ft:
        for name, absname in rename.items():
            a, b = w0[name].numpy().astype(np.float32).ravel(), wt[name].numpy().astype(np.float32).ravel()
            f0.write(a.tobytes())
            ft.write(b.tobytes())
            entries.append({"name": absname, "offset": off, "size": int(a.size)})
            off += int(a.size)
    with open(prefix + ".json", "w") as f:
        json.dump({"channels": model.c, "cellsPerStage": model.n, "params": entries}, f)


def export_fixture(model, w0, wt, archs, args):
    pick = random.Random(1234).sample(range(len(archs)), 36)
    # and four with every path cut, only skips, only pools, only 3x3 convs
    pick += [int(np.flatnonzero((archs[:, 0] == 0) & (archs[:, 1] == 0) & (archs[:, 3] == 0))[0]),
             int(np.flatnonzero(np.all(archs == 1, axis=1))[0]), int(np.flatnonzero(np.all(archs == 4, axis=1))[0]),
             int(np.flatnonzero(np.all(archs == 3, axis=1))[0])]
    children = [{"arch": arch_string(archs[i]), "angle": angle_concat(model, w0, wt, archs[i])} for i in pick]
    import base64

    def b64(t):
        return base64.b64encode(t.reshape(-1).numpy().astype("<f4").tobytes()).decode("ascii")

    params = [{"name": n, "w0": b64(w0[p]), "wt": b64(wt[p])} for p, n in absnas_names(model).items()]
    with open(args.export_fixture, "w") as f:
        json.dump({"description": "NB201 supernet C={} N={} trained {} steps by bench/reference/nb201_angle_rank.py "
                   "(seed {}); angles from the ABS reference algorithm by explicit concatenation, float64; tensors as "
                   "base64 little-endian float32 in PyTorch's element order".format(args.channels, args.cells, args.steps, args.seed),
                   "channels": args.channels, "cellsPerStage": args.cells, "params": params, "children": children}, f)


# ------------------------------------------------------------------ main ---
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--channels", type=int, default=4)
    ap.add_argument("--cells", type=int, default=5)
    ap.add_argument("--train-images", type=int, default=10000)
    ap.add_argument("--steps", type=int, default=624)
    ap.add_argument("--report", default="", help="comma-separated step counts to score at (default: --steps)")
    ap.add_argument("--schedule-steps", type=int, default=0,
                    help="length of the cosine schedule in steps (default --steps; larger = the start of a longer run)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.025)
    ap.add_argument("--lr-min", type=float, default=0.001)
    ap.add_argument("--wd", type=float, default=5e-4)
    ap.add_argument("--clip", type=float, default=5.0, help="global gradient-norm clip (0: none)")
    ap.add_argument("--sampling", choices=["shared", "percell", "percell-redraw"], default="shared",
                    help="one random op per edge for all cells (shared), per cell uniformly (percell), or per cell "
                         "with the reference's redraw rule: each node redraws its incoming edges while all are none "
                         "(percell-redraw: XAutoDL's forward_urs, absnas's sampling 'per-cell')")
    ap.add_argument("--unsampled", choices=["frozen", "zero-grad", "zero-kept"], default="frozen",
                    help="frozen: parameters off the sampled path get no update (grad None, as absnas by default); "
                         "zero-grad: every parameter gets a zero gradient from the first step, so SGD's momentum and "
                         "weight decay still move it; zero-kept: PyTorch <= 1.5's zero_grad (the reference's): a "
                         "parameter keeps a zeroed gradient once it has had one (absnas's train.offPathUpdates)")
    ap.add_argument("--base-step", type=int, default=None,
                    help="take W0 after this many steps (0, the default: the initial weights; the released ranking "
                         "pipeline: one epoch, which --official sets unless this is given)")
    ap.add_argument("--epoch-steps", type=int, default=None,
                    help="set the learning rate once per this many steps, from the epoch's start (0: every step); "
                         "--schedule-steps still gives the schedule's length in steps; --official sets one epoch "
                         "unless this is given)")
    ap.add_argument("--official", action="store_true",
                    help="the reference's protocol: --sampling percell-redraw --unsampled zero-kept --clip 0 "
                         "--augment, the learning rate set once per epoch and W0 after one epoch (train-images // batch "
                         "steps; --base-step 0 keeps the initial weights, as the reference's operator dropping does)")
    ap.add_argument("--augment", action="store_true", help="random crop + flip")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--check-concat", type=int, default=50,
                    help="children whose angle is recomputed from explicit concatenated vectors")
    ap.add_argument("--column", default="c10_test_200")
    ap.add_argument("--csv", default=DEFAULT_CSV)
    ap.add_argument("--cifar", default=DEFAULT_CIFAR)
    ap.add_argument("--json", default="")
    ap.add_argument("--save-angles", default="", help="write the 15,625 angles of each report step to PREFIX-STEP.npy")
    ap.add_argument("--export-weights", default="",
                    help="at the last step write PREFIX.json (names, shapes) and PREFIX-w0.bin / PREFIX-wt.bin "
                         "(float32) for bench/reference/absnas_angle_check.js")
    ap.add_argument("--export-fixture", default="",
                    help="at the last step write a JSON test fixture: W0, Wt under absnas's names and the angles of "
                         "40 children from explicit concatenation (plugins/metric-angle/test)")
    ap.add_argument("--save", default="", help="write a checkpoint (weights, W0, optimiser, RNG, step) here at the end")
    ap.add_argument("--resume", default="", help="continue from a --save checkpoint of the same settings")
    args = ap.parse_args()
    if args.official:
        epoch = args.train_images // args.batch
        args.sampling, args.unsampled, args.clip, args.augment = "percell-redraw", "zero-kept", 0.0, True
        if args.epoch_steps is None:
            args.epoch_steps = epoch
        if args.base_step is None:
            args.base_step = epoch
    args.base_step = args.base_step or 0
    args.epoch_steps = args.epoch_steps or 0

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    report = sorted(set(int(s) for s in args.report.split(",") if s)) or [args.steps]
    if args.base_step > 0 and report[0] <= args.base_step:
        ap.error("--report: every report step must come after --base-step {}".format(args.base_step))
    sched = args.schedule_steps or args.steps

    x_all, y_all = load_cifar(args.cifar, args.train_images, args.seed)
    model = Supernet(args.channels, args.cells)
    w0 = param_dict(model)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=args.wd)
    archs = all_archs()
    truth = load_truth(args.csv, args.column, archs)
    op_truth = operator_means(archs, truth)
    all_cut = np.ones(len(archs), dtype=bool)
    for path in PATHS:
        all_cut &= ~np.all(archs[:, [EDGE_INDEX[(path[t], path[t - 1])] for t in range(1, len(path))]] != 0, axis=1)
    rng = random.Random(args.seed)

    print("# C={} N={} images={} steps={} schedule={} batch={} sampling={} unsampled={} augment={} clip={} base={} "
          "epoch-steps={} seed={}".format(
              args.channels, args.cells, args.train_images, args.steps, sched, args.batch, args.sampling,
              args.unsampled, args.augment, args.clip, args.base_step, args.epoch_steps, args.seed), flush=True)
    results = []
    perm, pos = torch.randperm(len(y_all)), 0
    first = 1
    if args.resume:
        ck = torch.load(args.resume)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        w0 = ck["w0"]
        rng.setstate(ck["rng"])
        torch.set_rng_state(ck["torch_rng"])
        perm, pos, first = ck["perm"], ck["pos"], ck["step"] + 1
        print("# resumed at step {}".format(ck["step"]), flush=True)
    model.train()
    t0 = time.time()
    loss_sum, correct, seen = 0.0, 0, 0
    for step in range(first, args.steps + 1):
        if pos + args.batch > len(perm):
            perm, pos = torch.randperm(len(y_all)), 0
        idx = perm[pos:pos + args.batch]
        pos += args.batch
        x, y = x_all[idx], y_all[idx]
        if args.augment:
            x = augment(x)
        at = step - 1 if args.epoch_steps == 0 else (step - 1) // args.epoch_steps * args.epoch_steps
        lr = args.lr_min + 0.5 * (args.lr - args.lr_min) * (1 + math.cos(math.pi * at / sched))
        for g in opt.param_groups:
            g["lr"] = lr
        if args.sampling == "shared":
            a = [rng.randrange(5) for _ in range(6)]
            cell_archs = {c: a for c in model.search_cells}
        elif args.sampling == "percell":
            cell_archs = {c: [rng.randrange(5) for _ in range(6)] for c in model.search_cells}
        else:
            cell_archs = {c: redraw_cell(rng) for c in model.search_cells}
        if args.unsampled == "frozen":
            opt.zero_grad(set_to_none=True)
        elif args.unsampled == "zero-kept":
            for p in model.parameters():
                if p.grad is not None:
                    p.grad.zero_()
        else:
            for p in model.parameters():
                if p.grad is None:
                    p.grad = torch.zeros_like(p)
                else:
                    p.grad.zero_()
        logits = model(x, cell_archs)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        if args.unsampled == "frozen":
            # parameters whose output was multiplied by zero (behind `none`) or
            # unreachable get zero/None gradients; absnas leaves every parameter
            # off the live path untouched, so drop exact-zero gradients too
            for p in model.parameters():
                if p.grad is not None and not torch.any(p.grad != 0):
                    p.grad = None
        if args.clip > 0:
            torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.grad is not None], args.clip)
        opt.step()
        if step == args.base_step:
            w0 = param_dict(model)
            print("# W0 taken after step {}".format(step), flush=True)
        loss_sum += loss.item() * len(y)
        correct += (logits.argmax(1) == y).sum().item()
        seen += len(y)
        if step in report:
            train_s = time.time() - t0
            wt = param_dict(model)
            ang = angles_all(model, w0, wt, archs)
            # cross-check the fast angles against explicit concatenation
            check = random.Random(step).sample(range(len(archs)), min(args.check_concat, len(archs)))
            err = max((abs(angle_concat(model, w0, wt, archs[i]) - ang[i]) for i in check), default=0.0)
            tau = kendall_tau_b(ang, truth)
            # absnas's documented choice: a child with every path cut scores 0 (the worst)
            tau_cut0 = kendall_tau_b(np.where(all_cut, 0.0, ang), truth)
            kept_cut0, _ = drop_count(operator_means(archs, np.where(all_cut, 0.0, ang)), op_truth)
            if args.save_angles:
                np.save("{}-{}.npy".format(args.save_angles, step), ang)
            kept, kept_ops = drop_count(operator_means(archs, ang), op_truth)
            row = {
                "step": step, "lr": lr, "train_loss": loss_sum / seen, "train_acc": correct / seen,
                "tau": tau, "kept_of_top10": kept, "tau_cut0": tau_cut0, "kept_of_top10_cut0": kept_cut0, "concat_max_abs_err": err,
                "angle_min": float(ang.min()), "angle_max": float(ang.max()), "train_seconds": train_s,
                "kept": [[EDGES[e][0], EDGES[e][1], OPS[k]] for (e, k) in kept_ops],
            }
            results.append(row)
            print("step {:5d} lr {:.4f} loss {:.3f} acc {:5.1f}% | angle tau {:+.3f} kept {}/10 | cut->0: tau {:+.3f} kept {}/10 | angles {:.4f}..{:.4f} | concat err {:.1e} | {:.0f}s".format(
                step, lr, row["train_loss"], 100 * row["train_acc"], tau, kept, tau_cut0, kept_cut0, row["angle_min"],
                row["angle_max"], err, train_s), flush=True)
            loss_sum, correct, seen = 0.0, 0, 0
    if args.export_weights:
        export_weights(model, w0, param_dict(model), args.export_weights)
    if args.export_fixture:
        export_fixture(model, w0, param_dict(model), archs, args)
    if args.save:
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "w0": w0, "rng": rng.getstate(),
                    "torch_rng": torch.get_rng_state(), "perm": perm, "pos": pos, "step": args.steps}, args.save)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
