/**
 * The NAS-Bench-201 architecture string and its parser.
 *
 *   |op~0|+|op~0|op~1|+|op~0|op~1|op~2|
 *
 * One `+`-separated group per node 1..3; group j lists the operators of the
 * edges into node j, one `op~i` per input node i = 0..j-1, in that order.
 * The architecture is the list of the 6 operators in the same order (the
 * order of EDGES).
 */
import { Architecture, ArchitectureError } from '@absnas/core';
import { EDGES, NB201_OPS, NUM_NODES } from './topology';

/** The expected form, quoted in error messages. */
export const ARCH_STRING_FORM = '|op~0|+|op~0|op~1|+|op~0|op~1|op~2|';

/** Parse an architecture string; throws ArchitectureError naming what is wrong. */
export function parseArchString(text: string): Architecture {
  const fail = (what: string): never => {
    throw new ArchitectureError(`architecture '${text}': ${what} (expected ${ARCH_STRING_FORM})`);
  };
  if (typeof text !== 'string') {
    throw new ArchitectureError(`architecture must be a string like ${ARCH_STRING_FORM}, got ${typeof text}`);
  }
  if (text.length === 0) fail('empty string');

  const groups = text.split('+');
  if (groups.length !== NUM_NODES - 1) {
    fail(`expected ${NUM_NODES - 1} node groups separated by '+', got ${groups.length}`);
  }
  const arch: string[] = [];
  groups.forEach((group, g) => {
    const node = g + 1;
    if (group.length < 2 || !group.startsWith('|') || !group.endsWith('|')) {
      fail(`node ${node}: group '${group}' must start and end with '|'`);
    }
    const tokens = group.slice(1, -1).split('|');
    if (tokens.length !== node) {
      fail(`node ${node} needs ${node} input${node === 1 ? '' : 's'}, got ${tokens.length}`);
    }
    tokens.forEach((token, input) => {
      const edge = `${node}<-${input}`;
      const parts = token.split('~');
      if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
        fail(`edge ${edge}: malformed token '${token}', expected 'op~${input}'`);
      }
      const [op, from] = parts;
      if (from !== String(input)) fail(`edge ${edge} names input ~${from}`);
      if (!(NB201_OPS as readonly string[]).includes(op)) {
        throw new ArchitectureError(
          `architecture '${text}': unknown operator '${op}' on edge ${edge} (expected one of ${NB201_OPS.join(', ')})`,
        );
      }
      arch.push(op);
    });
  });
  return arch;
}

/** Check that `arch` is 6 known operators; throws ArchitectureError otherwise. */
export function validateArchitecture(arch: Architecture): void {
  if (!Array.isArray(arch) || arch.length !== EDGES.length) {
    throw new ArchitectureError(
      `an NB201 architecture has ${EDGES.length} operators (edges ${EDGES.map((e) => e.id).join(', ')}), got ${
        Array.isArray(arch) ? arch.length : typeof arch
      }`,
    );
  }
  // a plain loop: the angle metric validates every one of the 15,625 children
  for (let i = 0; i < arch.length; i++) {
    const op = arch[i];
    if (!(NB201_OPS as readonly string[]).includes(op)) {
      throw new ArchitectureError(
        `unknown operator '${op}' on edge ${EDGES[i].id} (expected one of ${NB201_OPS.join(', ')})`,
      );
    }
  }
}

/** The inverse of parseArchString. */
export function formatArchString(arch: Architecture): string {
  validateArchitecture(arch);
  const groups: string[] = [];
  for (let node = 1; node < NUM_NODES; node++) {
    const tokens = EDGES.map((e, i) => ({ e, op: arch[i] }))
      .filter(({ e }) => e.to === node)
      .map(({ e, op }) => `${op}~${e.from}`);
    groups.push(`|${tokens.join('|')}|`);
  }
  return groups.join('+');
}
