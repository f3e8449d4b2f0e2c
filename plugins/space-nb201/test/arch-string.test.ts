import { ArchitectureError } from '@absnas/core';
import { formatArchString, parseArchString } from '../src/arch-string';
import { Nb201Space } from '../src/space';
import { NB201_OPS } from '../src/topology';
import { readArchStrings } from './nb201-csv';

const INDEX0 = '|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|';

describe('architecture string', () => {
  it('parses into the 6 edge operators in choice-point order', () => {
    expect(parseArchString(INDEX0)).toEqual([
      'avg_pool_3x3', // 1<-0
      'nor_conv_1x1', // 2<-0
      'skip_connect', // 2<-1
      'nor_conv_1x1', // 3<-0
      'skip_connect', // 3<-1
      'skip_connect', // 3<-2
    ]);
    const space = new Nb201Space();
    expect(space.choicePoints.map((p) => p.id)).toEqual(['1<-0', '2<-0', '2<-1', '3<-0', '3<-1', '3<-2']);
    for (const p of space.choicePoints) expect(p.candidates).toEqual([...NB201_OPS]);
  });

  const bad: [string, string, RegExp][] = [
    ['empty string', '', /architecture '': empty string/],
    ['too few node groups', '|none~0|+|none~0|none~1|', /expected 3 node groups separated by '\+', got 2/],
    ['too many node groups', `${INDEX0}+|none~0|`, /expected 3 node groups.*got 4/],
    ['missing leading bar', 'none~0|+|none~0|none~1|+|none~0|none~1|none~2|', /node 1: group 'none~0\|' must start and end with '\|'/],
    ['missing trailing bar', '|none~0|+|none~0|none~1|+|none~0|none~1|none~2', /node 3: group .* must start and end with '\|'/],
    ['no bars at all', 'none~0+none~0', /expected 3 node groups/],
    ['node with too few inputs', '|none~0|+|none~0|+|none~0|none~1|none~2|', /node 2 needs 2 inputs, got 1/],
    ['node with too many inputs', '|none~0|none~1|+|none~0|none~1|+|none~0|none~1|none~2|', /node 1 needs 1 input, got 2/],
    [
      'unknown operator',
      '|none~0|+|none~0|conv_3x3~1|+|none~0|none~1|none~2|',
      /unknown operator 'conv_3x3' on edge 2<-1 \(expected one of none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3\)/,
    ],
    ['wrong input index', '|none~0|+|none~0|none~1|+|none~0|none~2|none~2|', /edge 3<-1 names input ~2/],
    ['token without input', '|none~0|+|none~0|none|+|none~0|none~1|none~2|', /edge 2<-1: malformed token 'none'/],
    ['empty token', '|none~0|+|none~0||+|none~0|none~1|none~2|', /edge 2<-1: malformed token ''/],
    ['surrounding whitespace', ` ${INDEX0}`, /node 1: group ' \|avg_pool_3x3~0\|' must start and end/],
  ];
  it.each(bad)('rejects %s with an ArchitectureError', (_what, text, message) => {
    let err: unknown;
    try {
      parseArchString(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ArchitectureError);
    expect((err as Error).message).toMatch(message);
    // every message quotes the string it rejects
    expect((err as Error).message).toContain(`architecture '${text}'`);
  });

  it('format rejects malformed architectures', () => {
    expect(() => formatArchString(['none'])).toThrow(ArchitectureError);
    expect(() => formatArchString(['none', 'none', 'none', 'none', 'none', 'conv'])).toThrow(
      /unknown operator 'conv' on edge 3<-2/,
    );
  });
});

describe('architecture string over the whole benchmark', () => {
  it('round-trips all 15,625 strings of nb201.csv, each a distinct architecture', () => {
    const archs = readArchStrings();
    expect(archs.size).toBe(15625);
    const seen = new Set<string>();
    for (const text of archs.values()) {
      const arch = parseArchString(text);
      expect(arch).toHaveLength(6);
      expect(formatArchString(arch)).toBe(text);
      seen.add(arch.join(','));
    }
    expect(seen.size).toBe(15625);
  });
});
