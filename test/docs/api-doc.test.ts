/** docs/api.md names only what @absnas/core exports, and its hook table is hooks.ts's. */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { HOOK_MODES, PLUGIN_API_VERSION, SERIES_CONTROLS } from '@absnas/core';
import { ROOT } from './authoring';

const API = fs.readFileSync(path.join(ROOT, 'docs/api.md'), 'utf8');

/** The rows of the markdown table whose header row starts with `| <first> |`. */
function tableRows(first: string): string[][] {
  const lines = API.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${first} |`));
  if (start < 0) throw new Error(`docs/api.md: no table starting with '| ${first} |'`);
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length && lines[i].startsWith('|'); i++) {
    rows.push(lines[i].split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

/** Identifiers in backticks (`name` or `name(args)`). */
function names(cell: string): string[] {
  return [...cell.matchAll(/`([A-Za-z_$][A-Za-z0-9_$]*)(?:\([^`]*\))?`/g)].map((m) => m[1]);
}

/** Every name exported by the built entry point, types included. */
function coreExports(): Set<string> {
  const entry = path.join(ROOT, 'core/dist/index.d.ts');
  const program = ts.createProgram([entry], { skipLibCheck: true, noResolve: false, types: [] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const symbol = source && checker.getSymbolAtLocation(source);
  if (!symbol) throw new Error('cannot read core/dist/index.d.ts');
  return new Set(checker.getExportsOfModule(symbol).map((s) => s.name));
}

describe('docs/api.md', () => {
  it('names only exports of @absnas/core in its tables of exports, helpers and tokens', () => {
    const documented = [
      ...tableRows('group').flatMap((r) => names(r[1])),
      ...tableRows('export').flatMap((r) => names(r[0])),
      ...tableRows('token').flatMap((r) => [...names(r[0]), ...names(r[2])]),
    ];
    expect(documented.length).toBeGreaterThan(100);
    const exported = coreExports();
    expect(documented.filter((n) => !exported.has(n))).toEqual([]);
  });

  it('lists every hook with its mode, as hooks.ts declares them', () => {
    const rows = tableRows('hook').map((r) => [names(r[0])[0], r[1]]);
    expect(Object.fromEntries(rows)).toEqual(HOOK_MODES);
  });

  it('says what handlers of each series hook may return, as SERIES_CONTROLS declares it', () => {
    const returns = tableRows('hook')
      .filter((r) => r[1] === 'series')
      .map((r) => [names(r[0])[0], [.../\{([^}]*)\}/.exec(r[3])?.[1].split(',') ?? []].map((f) => f.trim())]);
    expect(Object.fromEntries(returns)).toEqual(SERIES_CONTROLS);
  });

  it('states the plugin API version core implements', () => {
    expect(API).toContain(`\`PLUGIN_API_VERSION\` (now \`'${PLUGIN_API_VERSION}'\`)`);
  });
});
