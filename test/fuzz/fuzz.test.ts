import { assemble, CandidateSet, isUserError, loadPreset, Rng } from '@absnas/core';
import { Nb201Space } from '@absnas/space-nb201';
import * as fs from 'fs';
import * as path from 'path';

/**
 * Seeded fuzzing of the inputs users type: presets and architecture strings.
 * Every case must either be accepted or be refused with a UserError (one
 * clear line, exit code 2 in the CLI) — never an uncaught exception.
 */
const ROOT = path.resolve(__dirname, '../..');

function presetFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? presetFiles(path.join(dir, e.name)) : e.name.endsWith('.json') ? [path.join(dir, e.name)] : [],
  );
}

/** Every (object, key) pair inside a JSON value, for picking mutation sites. */
function sites(value: unknown, out: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = []) {
  if (Array.isArray(value)) value.forEach((v, i) => { out.push({ parent: value, key: i }); sites(v, out); });
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) { out.push({ parent: value as Record<string, unknown>, key: k }); sites(v, out); }
  }
  return out;
}

const WEIRD_VALUES: unknown[] = [null, true, -1, 0, 1e308, -0.5, 3.7, '', 'abc', '64', [], [1, 'x'], {}, { x: 1 }, NaN];

function mutate(raw: Record<string, unknown>, rng: Rng): void {
  const all = sites(raw);
  if (all.length === 0) return;
  const s = rng.pick(all);
  const parent = s.parent as Record<string | number, unknown>;
  switch (rng.int(6)) {
    case 0: // a weird value
      parent[s.key] = rng.pick(WEIRD_VALUES);
      break;
    case 1: // delete the key
      if (Array.isArray(s.parent)) (s.parent as unknown[]).splice(s.key as number, 1);
      else delete parent[s.key];
      break;
    case 2: // a typo in the key
      if (!Array.isArray(s.parent) && typeof s.key === 'string' && s.key.length > 1) {
        const v = parent[s.key];
        delete parent[s.key];
        parent[s.key.slice(0, -1) + String.fromCharCode(97 + rng.int(26))] = v;
      }
      break;
    case 3: // numbers scaled far out of range
      if (typeof parent[s.key] === 'number') parent[s.key] = (parent[s.key] as number) * rng.pick([-1, 1e9, 0.001, -1e9]);
      break;
    case 4: // a plugin that does not exist or a path that does not exist
      parent[s.key] = rng.pick(['@absnas/nope', './missing-plugin', '/nonexistent/plugin.js', 'fs', 'tsyringe']);
      break;
    default: // an unknown key beside the others
      if (!Array.isArray(s.parent)) parent[`extra${rng.int(5)}`] = rng.pick(WEIRD_VALUES);
  }
}

describe('fuzzing', () => {
  it('mutated presets are accepted or refused with a UserError', () => {
    const files = presetFiles(path.join(ROOT, 'presets'));
    expect(files.length).toBeGreaterThan(0);
    const rng = new Rng(2024);
    const counts = { cases: 0, accepted: 0, refused: 0 };
    const reasons = new Map<string, number>();
    for (let i = 0; i < 1500; i++) {
      const file = rng.pick(files);
      // the preset as a run sees it: extends applied
      const raw = loadPreset(file).raw;
      const n = 1 + rng.int(3);
      for (let k = 0; k < n; k++) mutate(raw, rng);
      counts.cases++;
      try {
        assemble(raw, () => path.relative(ROOT, file));
        counts.accepted++;
      } catch (e) {
        if (!isUserError(e)) throw new Error(`case ${i} (${path.basename(file)}): ${JSON.stringify(raw)}\n-> ${(e as Error).stack}`);
        expect((e as Error).message.split('\n')).toHaveLength(1);
        counts.refused++;
        const kind = (e as Error).message.replace(/^[^:]*: /, '').replace(/'[^']*'|"[^"]*"|\d+(\.\d+)?(e[-+]?\d+)?/g, '_').slice(0, 60);
        reasons.set(kind, (reasons.get(kind) ?? 0) + 1);
      }
    }
    console.log(
      `preset fuzz: ${counts.cases} cases, ${counts.accepted} accepted, ${counts.refused} refused with a clear message, 0 uncaught\n` +
        [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, n]) => `  ${n} x ${k}`).join('\n'),
    );
    expect(counts.cases).toBeGreaterThan(1000);
    expect(counts.refused).toBeGreaterThan(0);
    expect(counts.accepted).toBeGreaterThan(0);
  });

  it('mutated NAS-Bench-201 strings are parsed or refused with an ArchitectureError', () => {
    const space = new Nb201Space({ channels: 4, cellsPerStage: 1 });
    const rng = new Rng(7);
    const alphabet = '|+~0123abcdefghijklmnopqrstuvwxyz_ ';
    const input = { height: 32, width: 32, channels: 3, numClasses: 10 };
    const full = new CandidateSet(space.choicePoints);
    const counts = { cases: 0, parsed: 0, refused: 0 };
    for (let i = 0; i < 3000; i++) {
      let text = space.format(space.sample(full, rng));
      const edits = 1 + rng.int(3);
      for (let k = 0; k < edits; k++) {
        const at = rng.int(text.length + 1);
        switch (rng.int(4)) {
          case 0: text = text.slice(0, at) + rng.pick([...alphabet]) + text.slice(at); break;
          case 1: text = text.slice(0, at) + text.slice(at + 1); break;
          case 2: text = text.slice(0, at) + rng.pick([...alphabet]) + text.slice(at + 1); break;
          default: text = rng.next() < 0.5 ? text.slice(0, at) : text.slice(at);
        }
      }
      counts.cases++;
      try {
        const arch = space.parse(text);
        counts.parsed++;
        // what parses must be usable everywhere
        expect(space.parse(space.format(arch))).toEqual(arch);
        space.cost(arch, input);
        space.weightLayout(arch);
      } catch (e) {
        if (!isUserError(e)) throw new Error(`'${text}': ${(e as Error).stack}`);
        counts.refused++;
      }
    }
    console.log(`architecture fuzz: ${counts.cases} cases, ${counts.parsed} parsed, ${counts.refused} refused with an ArchitectureError, 0 uncaught`);
    expect(counts.refused).toBeGreaterThan(counts.cases / 2);
  });
});
