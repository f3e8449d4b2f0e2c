/**
 * Text notation of a child: the operator of every layer, comma-separated,
 * layer 0 first, e.g. `k3_e6,identity,k5_e3,...` (21 names for the SPOS
 * space, 19 for FairNAS). Spaces around names are ignored.
 */
import { Architecture, ArchitectureError, ChoicePoint } from '@absnas/core';

export function formatArchitecture(arch: Architecture): string {
  return arch.join(',');
}

/** Throws ArchitectureError naming the first layer whose operator is not one of its candidates. */
export function validateArchitecture(arch: Architecture, points: readonly ChoicePoint[]): void {
  if (!Array.isArray(arch) || arch.length !== points.length) {
    throw new ArchitectureError(
      `space-mobilenet: expected ${points.length} operators (one per layer), got ${Array.isArray(arch) ? arch.length : typeof arch}`,
    );
  }
  arch.forEach((op, i) => {
    if (!points[i].candidates.includes(op)) {
      throw new ArchitectureError(
        `space-mobilenet: ${points[i].id}: '${op}' is not allowed here; allowed: ${points[i].candidates.join(', ')}`,
      );
    }
  });
}

export function parseArchitecture(text: string, points: readonly ChoicePoint[]): Architecture {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new ArchitectureError(`space-mobilenet: empty architecture; expected ${points.length} comma-separated operators, e.g. ${example(points)}`);
  }
  const ops = text.split(',').map((s) => s.trim());
  if (ops.length !== points.length) {
    throw new ArchitectureError(
      `space-mobilenet: expected ${points.length} comma-separated operators (one per layer), got ${ops.length} in '${text}'`,
    );
  }
  validateArchitecture(ops, points);
  return ops;
}

function example(points: readonly ChoicePoint[]): string {
  return points.map((p) => p.candidates[0]).join(',');
}
