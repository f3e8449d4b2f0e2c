/**
 * core's folders are layers: an import between two folders goes one way
 * only, so the folders can be read top (cli) to bottom (util) and no folder
 * needs another that needs it back. This reads every relative import of
 * core/src (type-only ones included) and checks that the graph of folders
 * has no cycle.
 */
import * as fs from 'fs';
import * as path from 'path';

const SRC = path.resolve(__dirname, '../../src');

/** The unit a file belongs to: its top folder under src, or the file itself for a top-level file. */
function unitOf(file: string): string {
  const parts = path.relative(SRC, file).split(path.sep);
  return parts.length === 1 ? parts[0].replace(/\.ts$/, '') : parts[0];
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'";]*?\bfrom\s*['"](\.[^'"]*)['"]|\b(?:import|require)\(\s*['"](\.[^'"]*)['"]\s*\)/g;

/** unit -> unit -> the files that make the edge. */
function folderGraph(): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const file of sourceFiles(SRC)) {
    const from = unitOf(file);
    // the entry point re-exports every layer: it is above them all
    if (from === 'index') continue;
    for (const m of fs.readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const to = unitOf(path.resolve(path.dirname(file), m[1] ?? m[2]));
      if (to === from) continue;
      const edges = graph.get(from) ?? new Map<string, string[]>();
      edges.set(to, [...(edges.get(to) ?? []), path.relative(SRC, file)]);
      graph.set(from, edges);
    }
  }
  return graph;
}

/** A cycle of units (first = last), or undefined; depth-first search. */
function findCycle(graph: Map<string, Map<string, string[]>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (u: string): string[] | undefined => {
    state.set(u, 'open');
    stack.push(u);
    for (const v of graph.get(u)?.keys() ?? []) {
      if (state.get(v) === 'open') return [...stack.slice(stack.indexOf(v)), v];
      if (!state.has(v)) {
        const found = visit(v);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(u, 'done');
    return undefined;
  };
  for (const u of graph.keys()) {
    if (!state.has(u)) {
      const found = visit(u);
      if (found) return found;
    }
  }
  return undefined;
}

describe("core's folders", () => {
  const graph = folderGraph();

  it('are read: every layer of the run imports others', () => {
    // a guard against a parser that sees no imports (and so no cycles)
    expect(graph.get('run')?.has('shrink')).toBe(true);
    expect(graph.get('search')?.has('train')).toBe(true);
    expect(graph.get('plugin')?.has('config')).toBe(true);
  });

  it('import each other without cycles', () => {
    const cycle = findCycle(graph);
    const explain = cycle?.slice(1).map((to, i) => `${cycle[i]} -> ${to} (${[...new Set(graph.get(cycle[i])!.get(to))].join(', ')})`);
    expect(explain ?? []).toEqual([]);
  });

  it('the cycle finder finds a cycle', () => {
    const g = new Map([
      ['a', new Map([['b', ['a.ts']]])],
      ['b', new Map([['c', ['b.ts']]])],
      ['c', new Map([['a', ['c.ts']]])],
    ]);
    expect(findCycle(g)).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', new Map([['b', ['a.ts']]])]]))).toBeUndefined();
  });
});
