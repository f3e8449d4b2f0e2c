#!/usr/bin/env node
/**
 * The DARTS cells that runs found beside the ABS genotypes the reference
 * publishes (bench/reference/abs-darts-genotypes.json, with its provenance),
 * and the runs' shrunk operator lists, as markdown tables:
 *
 *   node bench/compare-genotypes.js runs/<run-a> [runs/<run-b> ...]
 *
 * Reads each run's result.json (`architecture`, `shrink.candidates`). Per
 * cell type, one row per intermediate node with its (operator, input)
 * pairs, inputs ascending (the reference's DARTS_ABS lists them in DARTS's
 * weight order; node 0 and 1 are the cell's inputs). Then, per run and
 * published genotype: how many of the published cells' 16 operators (normal
 * + reduce) the run's shrunk lists hold on their edge, and how many of the
 * run's 16 are the published one's on the same edge. Then, per edge, the
 * operators the published
 * genotypes use there (the reference searches both cells of both over one
 * list per edge, so its shrunk list holds at least these) beside each run's
 * lists (`normal | reduce` where the two cell types' lists differ).
 *
 * Needs the build (`npx tsc -b`).
 */
'use strict';
const fs = require('fs');
const path = require('path');
const root = path.resolve(__dirname, '..');
const { parseArchitecture, DARTS_OPS, EDGES, NUM_EDGES, NUM_INPUTS, NUM_NODES } = require(path.join(root, 'plugins/space-darts/dist'));

const REFERENCE = path.join(__dirname, 'reference/abs-darts-genotypes.json');
const CELLS = ['normal', 'reduce'];
const PARAMETER_FREE = new Set(['none', 'skip_connect', 'max_pool_3x3', 'avg_pool_3x3']);

function loadReference(file = REFERENCE) {
  const ref = JSON.parse(fs.readFileSync(file, 'utf8'));
  return Object.entries(ref.genotypes).map(([name, text]) => ({ name, arch: parseArchitecture(text) }));
}

/** A run's found architecture (28 operators) and shrunk lists ({ "normal:2<-0": [...] }). */
function loadRun(dir) {
  const result = JSON.parse(fs.readFileSync(path.join(dir, 'result.json'), 'utf8'));
  if (result.space !== 'darts') throw new Error(`${dir}: space '${result.space}', not darts`);
  return { name: dir, arch: parseArchitecture(result.architecture), candidates: result.shrink.candidates };
}

/** The "op (input)" pairs entering `node` of one cell, inputs ascending. */
function nodeCell(arch, cell, node) {
  const c = CELLS.indexOf(cell);
  const pairs = EDGES.map((e, i) => ({ e, op: arch[c * NUM_EDGES + i] })).filter(({ e, op }) => e.to === node && op !== 'none');
  return pairs.map(({ e, op }) => `${op} (${e.from})`).join(', ') || '-';
}

/** Counts over both cells: published operators the lists hold; run operators equal to the published ones. */
function compare(run, published) {
  let held = 0;
  let total = 0;
  let same = 0;
  let used = 0;
  CELLS.forEach((cell, c) => {
    EDGES.forEach((e, i) => {
      const p = published.arch[c * NUM_EDGES + i];
      const r = run.arch[c * NUM_EDGES + i];
      if (p !== 'none') {
        total++;
        if ((run.candidates[`${cell}:${e.id}`] ?? []).includes(p)) held++;
      }
      if (r !== 'none') {
        used++;
        if (r === p) same++;
      }
    });
  });
  return { held, total, same, used };
}

/** Per edge id, the operators any cell of the published genotypes puts on that edge. */
function usedPerEdge(published) {
  return EDGES.map((e, i) => {
    const ops = new Set();
    for (const g of published) for (let c = 0; c < CELLS.length; c++) if (g.arch[c * NUM_EDGES + i] !== 'none') ops.add(g.arch[c * NUM_EDGES + i]);
    return { edge: e.id, ops: DARTS_OPS.filter((op) => ops.has(op)) };
  });
}

const parametric = (arch) => arch.filter((op) => !PARAMETER_FREE.has(op)).length;
const table = (head, rows) => [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');

function report(runs, published) {
  const all = [...published, ...runs];
  const out = [];
  for (const cell of CELLS) {
    out.push(`${cell} cell: (operator, input) pairs per node`, '');
    const rows = [];
    for (let node = NUM_INPUTS; node < NUM_NODES; node++) rows.push([String(node), ...all.map((g) => nodeCell(g.arch, cell, node))]);
    out.push(table(['node', ...all.map((g) => g.name)], rows), '');
  }
  out.push('parametric operators (of the operators both cells use):', '');
  out.push(table(['genotype', 'parametric'], all.map((g) => [g.name, `${parametric(g.arch)} of ${g.arch.filter((op) => op !== 'none').length}`])), '');
  const rows = [];
  for (const run of runs) {
    for (const p of published) {
      const c = compare(run, p);
      rows.push([run.name, p.name, `${c.held} of ${c.total}`, `${c.same} of ${c.used}`]);
    }
  }
  out.push(table(['run', 'published', "published operators in the run's shrunk lists", "run's operators equal to the published on their edge"], rows), '');
  out.push('shrunk lists per edge', '');
  const used = usedPerEdge(published);
  const lists = (run, edge) => {
    const [normal, reduce] = CELLS.map((cell) => (run.candidates[`${cell}:${edge}`] ?? []).join(', '));
    return normal === reduce ? normal : `${normal} \\| ${reduce}`;
  };
  const rows2 = used.map(({ edge, ops }) => [edge, ops.join(', ') || '-', ...runs.map((run) => lists(run, edge))]);
  out.push(table(['edge', `used by ${published.map((g) => g.name).join(' or ')}`, ...runs.map((r) => r.name)], rows2), '');
  return out.join('\n');
}

if (require.main === module) {
  const dirs = process.argv.slice(2);
  if (dirs.length === 0) {
    console.error('usage: node bench/compare-genotypes.js <run dir> [<run dir> ...]');
    process.exit(2);
  }
  console.log(report(dirs.map(loadRun), loadReference()));
}

module.exports = { compare, loadReference, loadRun, nodeCell, report, usedPerEdge };
