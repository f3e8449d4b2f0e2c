/**
 * Text notations of a DARTS architecture (28 operators: the 14 edges of the
 * normal cell, then the 14 of the reduction cell; `none` = no edge).
 *
 * - The DARTS genotype, when every intermediate node of both cells has
 *   exactly two inputs (what DARTS and PDARTS produce):
 *     Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ...],
 *              normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])
 *   (printed on one line) with the two (operator, input) pairs of node 2,
 *   then of node 3, 4 and 5. The printer lists a node's pairs by input;
 *   the parser also takes them in any order (DARTS orders them by weight),
 *   and `range(2, 6)` for the concat lists.
 * - Any other child (a node with 0, 1 or more than 2 inputs) in the edge
 *   notation, one `op~input` per edge and a `+`-separated group per node:
 *     Cells(normal=|op~0|op~1|+|op~0|op~1|op~2|+|...|+|...|, reduce=|...|)
 *
 * The space holds one operator per edge, so a genotype that takes the same
 * input twice for one node (NASNet, AmoebaNet) is refused, as are concat
 * lists other than [2, 3, 4, 5].
 */
import { Architecture, ArchitectureError } from '@absnas/core';
import { CELL_TYPES, CONCAT, CellType, DARTS_OPS, EDGES, NUM_EDGES, NUM_INPUTS, NUM_NODES, edgeIndex, isDartsOp } from './topology';

export const GENOTYPE_FORM =
  "Genotype(normal=[('op', input), ... 8 pairs], normal_concat=[2, 3, 4, 5], reduce=[... 8 pairs], reduce_concat=[2, 3, 4, 5])";
export const CELLS_FORM = 'Cells(normal=|op~0|op~1|+|op~0|op~1|op~2|+|...|+|...|, reduce=|...|)';

/** Check that `arch` is 28 known operators; throws ArchitectureError otherwise. */
export function validateArchitecture(arch: Architecture): void {
  if (!Array.isArray(arch) || arch.length !== 2 * NUM_EDGES) {
    throw new ArchitectureError(
      `a DARTS architecture has ${2 * NUM_EDGES} operators (14 normal-cell edges, then 14 reduction-cell edges), got ${
        Array.isArray(arch) ? arch.length : typeof arch
      }`,
    );
  }
  arch.forEach((op, i) => {
    if (!isDartsOp(op)) {
      const type = i < NUM_EDGES ? 'normal' : 'reduce';
      throw new ArchitectureError(
        `unknown operator '${op}' on ${type} edge ${EDGES[i % NUM_EDGES].id} (expected one of ${DARTS_OPS.join(', ')})`,
      );
    }
  });
}

/** Whether every intermediate node of both cells has exactly two non-`none` inputs. */
export function isGenotype(arch: Architecture): boolean {
  for (let cell = 0; cell < 2; cell++) {
    for (let to = NUM_INPUTS; to < NUM_NODES; to++) {
      let n = 0;
      EDGES.forEach((e, i) => {
        if (e.to === to && arch[cell * NUM_EDGES + i] !== 'none') n++;
      });
      if (n !== 2) return false;
    }
  }
  return true;
}

/** The (op, input) pairs of one cell, node by node, inputs ascending. */
function genes(arch: Architecture, cell: number): [string, number][] {
  const out: [string, number][] = [];
  for (let to = NUM_INPUTS; to < NUM_NODES; to++) {
    EDGES.forEach((e, i) => {
      const op = arch[cell * NUM_EDGES + i];
      if (e.to === to && op !== 'none') out.push([op, e.from]);
    });
  }
  return out;
}

export function formatArchitecture(arch: Architecture): string {
  validateArchitecture(arch);
  if (isGenotype(arch)) {
    const list = (cell: number): string => `[${genes(arch, cell).map(([op, i]) => `('${op}', ${i})`).join(', ')}]`;
    const concat = `[${CONCAT.join(', ')}]`;
    return `Genotype(normal=${list(0)}, normal_concat=${concat}, reduce=${list(1)}, reduce_concat=${concat})`;
  }
  const cells = [0, 1].map((cell) => {
    const groups: string[] = [];
    for (let to = NUM_INPUTS; to < NUM_NODES; to++) {
      const tokens = EDGES.map((e, i) => ({ e, op: arch[cell * NUM_EDGES + i] }))
        .filter(({ e }) => e.to === to)
        .map(({ e, op }) => `${op}~${e.from}`);
      groups.push(`|${tokens.join('|')}|`);
    }
    return groups.join('+');
  });
  return `Cells(normal=${cells[0]}, reduce=${cells[1]})`;
}

/** Parse either notation; throws ArchitectureError naming what is wrong. */
export function parseArchitecture(text: string): Architecture {
  if (typeof text !== 'string') {
    throw new ArchitectureError(`a DARTS architecture must be a string like ${GENOTYPE_FORM}, got ${typeof text}`);
  }
  const t = text.trim();
  if (t.startsWith('Cells')) return parseCells(text);
  if (t.startsWith('Genotype')) return parseGenotype(text);
  throw new ArchitectureError(
    `architecture '${shorten(text)}': expected a DARTS genotype ${GENOTYPE_FORM} or the edge notation ${CELLS_FORM}`,
  );
}

function shorten(s: string, max = 80): string {
  return s.length > max ? s.slice(0, max - 3) + '...' : s;
}

// ---------------------------------------------------------------- genotype

type Token = { kind: 'ident' | 'number' | 'string' | 'punct'; value: string; at: number };

function tokenize(text: string, fail: (what: string) => never): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i)) as RegExpExecArray;
      tokens.push({ kind: 'ident', value: m[0], at: i });
      i += m[0].length;
    } else if (/[0-9-]/.test(c)) {
      const m = /^-?[0-9]+/.exec(text.slice(i));
      if (!m) fail(`unexpected '${c}' at character ${i + 1}`);
      tokens.push({ kind: 'number', value: (m as RegExpExecArray)[0], at: i });
      i += (m as RegExpExecArray)[0].length;
    } else if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail(`unterminated string at character ${i + 1}`);
      tokens.push({ kind: 'string', value: text.slice(i + 1, end), at: i });
      i = end + 1;
    } else if ('()[],='.includes(c)) {
      tokens.push({ kind: 'punct', value: c, at: i });
      i++;
    } else {
      fail(`unexpected '${c}' at character ${i + 1}`);
    }
  }
  return tokens;
}

type Value = { kind: 'pairs'; pairs: [string, number][] } | { kind: 'ints'; ints: number[] };

function parseGenotype(text: string): Architecture {
  const fail = (what: string): never => {
    throw new ArchitectureError(`genotype '${shorten(text)}': ${what} (expected ${GENOTYPE_FORM})`);
  };
  const tokens = tokenize(text, fail);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const describe = (t: Token | undefined): string => (t ? `'${t.value}' at character ${t.at + 1}` : 'the end of the text');
  const expect = (value: string): void => {
    const t = tokens[pos];
    if (!t || t.value !== value || t.kind === 'string') fail(`expected '${value}', found ${describe(t)}`);
    pos++;
  };
  const number = (): number => {
    const t = tokens[pos];
    if (!t || t.kind !== 'number') fail(`expected a number, found ${describe(t)}`);
    pos++;
    return Number((t as Token).value);
  };

  const value = (field: string): Value => {
    const t = peek();
    if (t?.kind === 'ident' && t.value === 'range') {
      pos++;
      expect('(');
      const a = number();
      expect(',');
      const b = number();
      expect(')');
      return { kind: 'ints', ints: Array.from({ length: Math.max(b - a, 0) }, (_, k) => a + k) };
    }
    expect('[');
    const pairs: [string, number][] = [];
    const ints: number[] = [];
    while (peek()?.value !== ']') {
      const item = peek();
      if (item?.value === '(') {
        pos++;
        const op = tokens[pos];
        if (!op || op.kind !== 'string') fail(`${field}: expected a quoted operator name, found ${describe(op)}`);
        pos++;
        expect(',');
        const input = number();
        expect(')');
        pairs.push([(op as Token).value, input]);
      } else if (item?.kind === 'number') {
        ints.push(number());
      } else {
        fail(`${field}: expected ('op', input) or a node number, found ${describe(item)}`);
      }
      if (peek()?.value === ',') pos++;
      else if (peek()?.value !== ']') fail(`${field}: expected ',' or ']', found ${describe(peek())}`);
    }
    expect(']');
    if (pairs.length > 0 && ints.length > 0) fail(`${field}: mixes (op, input) pairs and node numbers`);
    return ints.length > 0 ? { kind: 'ints', ints } : { kind: 'pairs', pairs };
  };

  const head = tokens[pos];
  if (!head || head.value !== 'Genotype') fail(`expected 'Genotype', found ${describe(head)}`);
  pos++;
  expect('(');
  const fields = new Map<string, Value>();
  const known = ['normal', 'normal_concat', 'reduce', 'reduce_concat'];
  while (peek()?.value !== ')') {
    const key = tokens[pos];
    if (!key || key.kind !== 'ident') fail(`expected a field name (${known.join(', ')}), found ${describe(key)}`);
    const name = (key as Token).value;
    if (!known.includes(name)) fail(`unknown field '${name}' (expected ${known.join(', ')})`);
    if (fields.has(name)) fail(`field '${name}' appears twice`);
    pos++;
    expect('=');
    fields.set(name, value(name));
    if (peek()?.value === ',') pos++;
    else if (peek()?.value !== ')') fail(`expected ',' or ')', found ${describe(peek())}`);
  }
  expect(')');
  if (pos < tokens.length) fail(`unexpected ${describe(tokens[pos])} after the closing ')'`);
  for (const k of known) if (!fields.has(k)) fail(`field '${k}' is missing`);

  const arch: string[] = Array(2 * NUM_EDGES).fill('none');
  CELL_TYPES.forEach((type: CellType, cell) => {
    const concat = fields.get(`${type}_concat`) as Value;
    const got = concat.kind === 'ints' ? concat.ints : [];
    if (concat.kind !== 'ints' || got.join(',') !== CONCAT.join(',')) {
      fail(`${type}_concat must be [${CONCAT.join(', ')}] (the space concatenates all four nodes), got [${got.join(', ')}]`);
    }
    const list = fields.get(type) as Value;
    const pairs = list.kind === 'pairs' ? list.pairs : [];
    const want = 2 * (NUM_NODES - NUM_INPUTS);
    if (pairs.length !== want) {
      fail(`${type} lists ${pairs.length} (op, input) pair(s), expected ${want} (two for each of the nodes 2..5)`);
    }
    pairs.forEach(([op, input], k) => {
      const node = NUM_INPUTS + Math.floor(k / 2);
      if (!isDartsOp(op)) fail(`${type} node ${node}: unknown operator '${op}' (expected one of ${DARTS_OPS.slice(1).join(', ')})`);
      if (op === 'none') fail(`${type} node ${node}: 'none' is not a genotype operator (a genotype lists the edges that exist)`);
      if (!Number.isInteger(input) || input < 0 || input >= node) {
        fail(`${type} node ${node}: input ${input} is not an earlier node (expected 0..${node - 1})`);
      }
      const e = cell * NUM_EDGES + edgeIndex(input, node);
      if (arch[e] !== 'none') {
        fail(`${type} node ${node} takes input ${input} twice ('${arch[e]}' and '${op}'); this space has one operator per edge`);
      }
      arch[e] = op;
    });
  });
  return arch;
}

// ------------------------------------------------------------------- cells

function parseCells(text: string): Architecture {
  const fail = (what: string): never => {
    throw new ArchitectureError(`architecture '${shorten(text)}': ${what} (expected ${CELLS_FORM})`);
  };
  const m = /^\s*Cells\s*\(\s*normal\s*=\s*([^,\s]*)\s*,\s*reduce\s*=\s*([^,\s)]*)\s*\)\s*$/.exec(text);
  if (!m) fail("expected 'Cells(normal=<groups>, reduce=<groups>)'");
  const arch: string[] = [];
  CELL_TYPES.forEach((type, cell) => {
    const groups = (m as RegExpExecArray)[cell + 1].split('+');
    if (groups.length !== NUM_NODES - NUM_INPUTS) {
      fail(`${type}: expected ${NUM_NODES - NUM_INPUTS} node groups separated by '+', got ${groups.length}`);
    }
    groups.forEach((group, g) => {
      const node = NUM_INPUTS + g;
      if (group.length < 2 || !group.startsWith('|') || !group.endsWith('|')) {
        fail(`${type} node ${node}: group '${group}' must start and end with '|'`);
      }
      const tokens = group.slice(1, -1).split('|');
      if (tokens.length !== node) fail(`${type} node ${node} needs ${node} inputs (0..${node - 1}), got ${tokens.length}`);
      tokens.forEach((token, input) => {
        const parts = token.split('~');
        if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
          fail(`${type} edge ${node}<-${input}: malformed token '${token}', expected 'op~${input}'`);
        }
        const [op, from] = parts;
        if (from !== String(input)) fail(`${type} edge ${node}<-${input} names input ~${from}`);
        if (!isDartsOp(op)) {
          fail(`${type} edge ${node}<-${input}: unknown operator '${op}' (expected one of ${DARTS_OPS.join(', ')})`);
        }
        arch.push(op);
      });
    });
  });
  return arch;
}

/** The ops of one cell type, as a readable list for messages. */
export function describeCell(arch: Architecture, type: CellType): string {
  const offset = type === 'normal' ? 0 : NUM_EDGES;
  return EDGES.map((e, i) => `${e.id}:${arch[offset + i]}`).join(' ');
}
