import { ArchitectureError, CandidateSet, Rng } from '@absnas/core';
import { formatArchitecture, isGenotype, parseArchitecture } from '../src/genotype';
import { DartsSpace } from '../src/space';
import { EDGES, NUM_EDGES, edgeIndex } from '../src/topology';

const V2 =
  "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), " +
  "('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), " +
  "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), " +
  "('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";

describe('DARTS genotype notation', () => {
  const space = new DartsSpace();

  it('parses DARTS-V2 (pairs in weight order) and prints it with each node\'s pairs by input', () => {
    const arch = parseArchitecture(V2);
    expect(arch).toHaveLength(28);
    expect(arch[edgeIndex(0, 2)]).toBe('sep_conv_3x3');
    expect(arch[edgeIndex(0, 4)]).toBe('skip_connect');
    expect(arch[edgeIndex(1, 4)]).toBe('sep_conv_3x3');
    expect(arch[NUM_EDGES + edgeIndex(2, 3)]).toBe('skip_connect');
    expect(arch.filter((op) => op !== 'none')).toHaveLength(16);
    const printed = formatArchitecture(arch);
    // node 4 of the normal cell was listed (sep_conv_3x3, 1), (skip_connect, 0): printed by input
    expect(printed).toContain("('skip_connect', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), ('dil_conv_3x3', 2)");
    expect(parseArchitecture(printed)).toEqual(arch);
    expect(formatArchitecture(parseArchitecture(printed))).toBe(printed);
  });

  it('round-trips sampled children exactly, in both notations', () => {
    const rng = new Rng(3);
    const all = new CandidateSet(space.choicePoints);
    for (let i = 0; i < 30; i++) {
      const genotype = space.sample(all, rng);
      expect(isGenotype(genotype)).toBe(true);
      const text = space.format(genotype);
      expect(text.startsWith('Genotype(')).toBe(true);
      expect(space.parse(text)).toEqual(genotype);
      expect(space.format(space.parse(text))).toBe(text);
      // any op per edge: the edge notation
      const anyChild = all.sampleUniform(rng);
      const t2 = space.format(anyChild);
      expect(space.parse(t2)).toEqual(anyChild);
      expect(space.format(space.parse(t2))).toBe(t2);
    }
    const none = Array(28).fill('none');
    expect(space.format(none)).toMatch(/^Cells\(normal=\|none~0\|none~1\|\+/);
    expect(space.parse(space.format(none))).toEqual(none);
  });

  it('accepts whitespace, double quotes and range(2, 6)', () => {
    const text = V2.replace(/'/g, '"').replace(/normal_concat=\[2, 3, 4, 5\]/, 'normal_concat=range(2, 6)').replace(/, /g, ',\n   ');
    expect(parseArchitecture(text)).toEqual(parseArchitecture(V2));
  });

  const bad: [string, string, RegExp][] = [
    ['empty', '', /expected a DARTS genotype/],
    ['another notation', '|nor_conv_3x3~0|+|none~0|none~1|', /expected a DARTS genotype/],
    ['seven pairs', V2.replace("('dil_conv_3x3', 2)], normal_concat", '], normal_concat'), /normal lists 7 \(op, input\) pair\(s\), expected 8/],
    ['unknown op', V2.replace("('dil_conv_3x3', 2)", "('conv_7x1_1x7', 2)"), /normal node 5: unknown operator 'conv_7x1_1x7'/],
    ['none in a genotype', V2.replace("('dil_conv_3x3', 2)", "('none', 2)"), /'none' is not a genotype operator/],
    ['input not earlier', V2.replace("('dil_conv_3x3', 2)", "('dil_conv_3x3', 5)"), /normal node 5: input 5 is not an earlier node \(expected 0\.\.4\)/],
    ['same input twice', V2.replace("('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0)", "('sep_conv_3x3', 0), ('sep_conv_5x5', 0), ('sep_conv_3x3', 0)"), /normal node 2 takes input 0 twice/],
    ['concat', V2.replace('reduce_concat=[2, 3, 4, 5]', 'reduce_concat=[4, 5, 6]'), /reduce_concat must be \[2, 3, 4, 5\]/],
    ['missing field', V2.replace(", reduce_concat=[2, 3, 4, 5]", ''), /field 'reduce_concat' is missing/],
    ['unknown field', V2.replace('reduce_concat=', 'reduce_cat='), /unknown field 'reduce_cat'/],
    ['trailing text', V2 + ' extra', /unexpected 'extra'/],
    ['unterminated', "Genotype(normal=[('sep_conv_3x3, 0)", /unterminated string/],
    ['cells: wrong group count', 'Cells(normal=|none~0|none~1|, reduce=|none~0|none~1|)', /normal: expected 4 node groups/],
    ['cells: bad op', `Cells(normal=|bogus~0|none~1|+|none~0|none~1|none~2|+|none~0|none~1|none~2|none~3|+|none~0|none~1|none~2|none~3|none~4|, reduce=x)`, /normal edge 2<-0: unknown operator 'bogus'/],
  ];
  it.each(bad)('refuses %s with an ArchitectureError naming it', (_what, text, message) => {
    let err: unknown;
    try {
      parseArchitecture(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ArchitectureError);
    expect((err as Error).message).toMatch(message);
  });

  it('has 28 choice points named by cell type and edge', () => {
    expect(space.choicePoints.map((p) => p.id).slice(0, 3)).toEqual(['normal:2<-0', 'normal:2<-1', 'normal:3<-0']);
    expect(space.choicePoints[NUM_EDGES].id).toBe('reduce:2<-0');
    expect(space.choicePoints).toHaveLength(2 * EDGES.length);
  });
});
