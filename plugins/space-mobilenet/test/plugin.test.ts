import { ArchitectureError, CandidateSet, ConfigError, PLUGIN_API_VERSION, Rng, SEARCH_SPACE } from '@absnas/core';
import defaultExport, { IDENTITY, MobileNetSpace, plugin } from '../src/index';

describe('the plugin object', () => {
  it('is exported as default and as plugin, for the space kind of this API', () => {
    expect(defaultExport).toBe(plugin);
    expect(plugin.name).toBe('@absnas/space-mobilenet');
    expect(plugin.kind).toBe('space');
    expect(plugin.apiVersion.split('.')[0]).toBe(PLUGIN_API_VERSION.split('.')[0]);
    expect(plugin.schema).toMatchObject({
      type: 'object',
      additionalProperties: false,
      properties: {
        variant: { enum: ['spos', 'fairnas'], default: 'spos' },
        widthMultiplier: { default: 1 },
        stemStride: { enum: [1, 2], default: 2 },
        minFeatureSize: { default: 4 },
        maxFlops: { default: 0 },
      },
    });
  });

  it('registers a MobileNetSpace under SEARCH_SPACE with the given options', () => {
    const registered: [unknown, { useValue: MobileNetSpace }][] = [];
    const container = { register: (token: unknown, provider: { useValue: MobileNetSpace }) => registered.push([token, provider]) };
    plugin.register(container as never, { variant: 'fairnas', widthMultiplier: 0.5 });
    expect(registered[0][0]).toBe(SEARCH_SPACE);
    const space = registered[0][1].useValue;
    expect(space.name).toBe('mobilenet-fairnas');
    expect(space.kind).toBe('chain');
    expect(space.options).toEqual({ variant: 'fairnas', widthMultiplier: 0.5, stemStride: 2, minFeatureSize: 4, maxFlops: 0 });
  });

  it('rejects bad options', () => {
    expect(() => new MobileNetSpace({ variant: 'nasnet' as never })).toThrow(ConfigError);
    expect(() => new MobileNetSpace({ widthMultiplier: 0 })).toThrow(/widthMultiplier/);
    expect(() => new MobileNetSpace({ stemStride: 3 as never })).toThrow(/stemStride/);
    expect(() => new MobileNetSpace({ minFeatureSize: 0 })).toThrow(/minFeatureSize/);
  });
});

describe('text notation', () => {
  const space = new MobileNetSpace();

  it('round-trips comma-separated op names, one per layer', () => {
    const arch = space.choicePoints.map((p, i) => p.candidates[i % p.candidates.length]);
    const text = space.format(arch);
    expect(text.split(',')).toHaveLength(21);
    expect(space.parse(text)).toEqual(arch);
    expect(space.parse(text.split(',').join(' , '))).toEqual(arch);
  });

  it('names the layer and its allowed ops on a parse error', () => {
    const ops = Array(21).fill('k3_e3');
    ops[4] = 'identity';
    expect(() => space.parse(ops.join(','))).toThrow(ArchitectureError);
    expect(() => space.parse(ops.join(','))).toThrow(
      "space-mobilenet: layer4: 'identity' is not allowed here; allowed: k3_e3, k3_e6, k5_e3, k5_e6, k7_e3, k7_e6",
    );
    ops[4] = 'k9_e3';
    ops[5] = 'k9_e3';
    expect(() => space.parse(ops.join(','))).toThrow(/layer4: 'k9_e3' is not allowed here; allowed: k3_e3/);
    expect(() => space.parse('k3_e3,k3_e6')).toThrow(/expected 21 comma-separated operators \(one per layer\), got 2/);
    expect(() => space.parse('')).toThrow(ArchitectureError);
  });
});

describe('depth-uniform sampling', () => {
  const space = new MobileNetSpace({ variant: 'spos' });
  const full = new CandidateSet(space.choicePoints);

  it('draws the number of identity layers uniformly from 0..15', () => {
    const rng = new Rng(11);
    const counts = new Array(16).fill(0);
    const n = 8000;
    for (let i = 0; i < n; i++) {
      const arch = space.sample(full, rng);
      expect(full.contains(arch)).toBe(true);
      counts[arch.filter((op) => op === IDENTITY).length]++;
    }
    // each count expected n/16 = 500 times; allow generous noise
    for (const c of counts) expect(Math.abs(c - n / 16)).toBeLessThan(120);
    // (uniform per-layer sampling would give Binomial(15, 1/7): 0..5 identities almost always)
    expect(counts.slice(8).reduce((a, b) => a + b, 0)).toBeGreaterThan(n / 3);
  });

  it('holds a fixed operator (identity too) and draws MBConv ops uniformly elsewhere', () => {
    const rng = new Rng(12);
    const seen = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const a = space.sample(full, rng, { point: 7, op: 'k5_e6' });
      expect(a[7]).toBe('k5_e6');
      if (a[0] !== IDENTITY) seen.set(a[0], (seen.get(a[0]) ?? 0) + 1);
      expect(space.sample(full, rng, { point: 2, op: IDENTITY })[2]).toBe(IDENTITY);
    }
    expect([...seen.keys()].sort()).toEqual(['k3_e3', 'k3_e6', 'k5_e3', 'k5_e6', 'k7_e3', 'k7_e6']);
    for (const c of seen.values()) expect(Math.abs(c - 500)).toBeLessThan(110);
  });

  it('respects the remaining candidates: identity-only layers are identity, dropped ops never appear', () => {
    const shrunk = full.without([
      ...['k3_e3', 'k3_e6', 'k5_e3', 'k5_e6', 'k7_e3', 'k7_e6'].map((op) => ({ point: 1, op })),
      { point: 2, op: IDENTITY },
      { point: 0, op: 'k7_e6' },
    ]);
    const rng = new Rng(13);
    for (let i = 0; i < 500; i++) {
      const a = space.sample(shrunk, rng);
      expect(shrunk.contains(a)).toBe(true);
      expect(a[1]).toBe(IDENTITY);
    }
  });

  it('is plain uniform sampling in the FairNAS space (no identity)', () => {
    const fair = new MobileNetSpace({ variant: 'fairnas' });
    const c = new CandidateSet(fair.choicePoints);
    const rng = new Rng(14);
    for (let i = 0; i < 200; i++) expect(c.contains(fair.sample(c, rng))).toBe(true);
  });
});

describe('FLOPs cap', () => {
  const input = { height: 224, width: 224, channels: 3, numClasses: 1000 };

  it('rejects children above maxFlops (SPOS 600M at full scale)', () => {
    const space = new MobileNetSpace({ variant: 'spos', maxFlops: 600e6 });
    const full = new CandidateSet(space.choicePoints);
    expect(() => space.sample(full, new Rng(0))).toThrow(/build the supernet \(or call bindInput\)/);
    space.bindInput(input);
    const rng = new Rng(1);
    for (let i = 0; i < 300; i++) expect(space.cost(space.sample(full, rng), input).flops).toBeLessThanOrEqual(600e6);
  });

  it('says clearly when no child can meet the cap', () => {
    const space = new MobileNetSpace({ variant: 'fairnas', maxFlops: 100e6 });
    space.bindInput(input);
    const full = new CandidateSet(space.choicePoints);
    expect(() => space.sample(full, new Rng(0))).toThrow(ConfigError);
    expect(() => space.sample(full, new Rng(0))).toThrow(/no child of the remaining space has at most maxFlops=100000000 FLOPs \(the smallest has 247129856\)/);
    // a cap only the smallest child meets: rejection gives up, the cap-aware completion finds it
    const tight = new MobileNetSpace({ variant: 'fairnas', maxFlops: 247129856 });
    tight.bindInput(input);
    expect(tight.sample(full, new Rng(0))).toEqual(Array(19).fill('k3_e3'));
    // an operator that no child under the cap contains (to be scored by the shrinker): its smallest child
    const withK7 = tight.sample(full, new Rng(0), { point: 3, op: 'k7_e6' });
    expect(withK7).toEqual(Array.from({ length: 19 }, (_, i) => (i === 3 ? 'k7_e6' : 'k3_e3')));
  });

  it('still samples a rare operator under a tight cap (FairNAS 330M, k7_e6 fixed in an early layer)', () => {
    const space = new MobileNetSpace({ variant: 'fairnas', maxFlops: 330e6 });
    space.bindInput(input);
    const full = new CandidateSet(space.choicePoints);
    const rng = new Rng(3);
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const a = space.sample(full, rng, { point: 1, op: 'k7_e6' });
      expect(a[1]).toBe('k7_e6');
      expect(space.cost(a, input).flops).toBeLessThanOrEqual(330e6);
      seen.add(a.join());
    }
    expect(seen.size).toBeGreaterThan(40);
    expect(() => space.sample(full, rng, { point: 1, op: 'k7_e6' })).not.toThrow();
  });
});
