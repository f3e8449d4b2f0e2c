#!/usr/bin/env node
/**
 * The share of parametric operators (those with weights) among the
 * operators kept after each ABS round, from the shrunk-space.json of runs:
 * how the angle's ranking moves from "by weight norm" (parameter-free
 * operators kept first) as supernet training lengthens.
 *
 *   node bench/kept-operators.js runs/<run-a> runs/<run-b> ...
 *
 * One line per run and round: run, round, supernet epochs trained before the
 * round's scoring, operators kept, parametric share. Parameter-free: the
 * DARTS space's none, skip_connect and poolings, the chain spaces' identity.
 */
const fs = require('fs');
const path = require('path');

const PARAMETER_FREE = new Set(['none', 'skip_connect', 'max_pool_3x3', 'avg_pool_3x3', 'identity']);

function main(dirs) {
  if (dirs.length === 0) {
    console.error('usage: node bench/kept-operators.js <run dir> [<run dir> ...]');
    process.exit(2);
  }
  console.log('run\tround\tepochs\tkept\tparametric share');
  for (const dir of dirs) {
    const file = path.join(dir, 'shrunk-space.json');
    const shrunk = JSON.parse(fs.readFileSync(file, 'utf8'));
    // replay the drops from the original lists: the kept operators after every round
    const lists = new Map();
    const add = (point, op) => (lists.get(point) ?? lists.set(point, new Set()).get(point)).add(op);
    for (const [point, ops] of Object.entries(shrunk.candidates)) for (const op of ops) add(point, op);
    for (const r of shrunk.rounds) for (const d of r.dropped) add(d.choicePoint, d.op);
    const row = (round, epochs) => {
      const kept = [...lists.values()].flatMap((s) => [...s]);
      const share = kept.filter((op) => !PARAMETER_FREE.has(op)).length / kept.length;
      console.log(`${dir}\t${round}\t${epochs}\t${kept.length}\t${share.toFixed(3)}`);
    };
    row(0, 0);
    for (const r of shrunk.rounds) {
      for (const d of r.dropped) lists.get(d.choicePoint).delete(d.op);
      row(r.round, r.epochs);
    }
  }
}

main(process.argv.slice(2));
