import * as fs from 'fs';
import type { ShrinkRoundRecord } from '../shrink/shrinker';
import { CandidateSet } from '../space/candidates';
import type { SearchSpace } from '../space/search-space';
import { DataError } from '../util/errors';
import { writeJsonAtomic } from '../util/fs';

const FORMAT = 'absnas.shrunk-space';
const VERSION = 1;

/** The versioned artifact of ABS: what remains at every choice point, and how it got there. */
export interface ShrunkSpaceFile {
  format: typeof FORMAT;
  version: typeof VERSION;
  space: string;
  metric: string;
  sizeBefore: number;
  sizeAfter: number;
  candidates: Record<string, string[]>;
  rounds: ShrinkRoundRecord[];
}

export function writeShrunkSpace(file: string, space: SearchSpace, metric: string, full: CandidateSet, shrunk: CandidateSet, rounds: ShrinkRoundRecord[]): void {
  const content: ShrunkSpaceFile = {
    format: FORMAT,
    version: VERSION,
    space: space.name,
    metric,
    sizeBefore: full.size(),
    sizeAfter: shrunk.size(),
    candidates: shrunk.toJSON(),
    rounds,
  };
  writeJsonAtomic(file, content);
}

/** Read a shrunk-space.json for `space`; a DataError names the file and what is wrong. */
export function readShrunkSpace(file: string, space: SearchSpace): CandidateSet {
  let json: Partial<ShrunkSpaceFile>;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DataError(`shrunk space ${file}: cannot be read as JSON (${(e as Error).message})`);
  }
  if (json.format !== FORMAT || json.version !== VERSION) {
    throw new DataError(`shrunk space ${file}: expected format '${FORMAT}' version ${VERSION}, got '${String(json.format)}' version ${String(json.version)}`);
  }
  if (json.space !== space.name) {
    throw new DataError(`shrunk space ${file}: it shrinks space '${String(json.space)}', this run searches '${space.name}'`);
  }
  try {
    return CandidateSet.fromJSON(space.choicePoints, json.candidates ?? {});
  } catch (e) {
    throw new DataError(`shrunk space ${file}: ${(e as Error).message}`);
  }
}
