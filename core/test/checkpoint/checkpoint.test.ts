import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Checkpointer, configHash } from '../../src/checkpoint/checkpointer';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, readCheckpoint } from '../../src/checkpoint/format';
import { RunLock } from '../../src/run/lock';
import { Rng } from '../../src/util/rng';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-ckpt-'));

function randomContent(rng: Rng) {
  const tensors = new Map<string, Float32Array>();
  for (let i = 0; i < 5; i++) tensors.set(`t${i}`, new Float32Array(1 + rng.int(300)).map(() => rng.normal()));
  return { meta: { step: rng.int(1000), name: 'x'.repeat(rng.int(7)), nested: { a: [1, 2, 3] } }, tensors };
}

describe('checkpoint file format', () => {
  it('round-trips meta and tensors exactly', () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 20; trial++) {
      const c = randomContent(rng);
      const back = decodeCheckpoint(encodeCheckpoint(c), 'mem');
      expect(back.meta).toEqual(c.meta);
      expect([...back.tensors.keys()]).toEqual([...c.tensors.keys()]);
      for (const [k, v] of c.tensors) expect(Array.from(back.tensors.get(k) as Float32Array)).toEqual(Array.from(v));
    }
  });

  it('names the file and the problem for truncated, corrupted and foreign files', () => {
    const buf = encodeCheckpoint(randomContent(new Rng(1)));
    expect(() => decodeCheckpoint(buf.subarray(0, buf.length - 10), 'a.ckpt')).toThrow(/checkpoint a\.ckpt: checksum mismatch/);
    expect(() => decodeCheckpoint(buf.subarray(0, 20), 'a.ckpt')).toThrow(/checkpoint a\.ckpt: truncated/);
    const flipped = Buffer.from(buf);
    flipped[100] ^= 0x40;
    expect(() => decodeCheckpoint(flipped, 'b.ckpt')).toThrow(CheckpointError);
    expect(() => decodeCheckpoint(Buffer.from('hello world, this is not a checkpoint at all'), 'c.ckpt')).toThrow(/not an absnas checkpoint/);
    expect(() => readCheckpoint('/nonexistent/x.ckpt')).toThrow(/checkpoint \/nonexistent\/x\.ckpt: cannot be read \(ENOENT\)/);
  });
});

describe('Checkpointer', () => {
  const part = (value: { n: number }) => ({
    capture: () => ({ state: { n: value.n }, tensors: new Map([['w', new Float32Array([value.n, value.n + 1])]]) }),
    restore: (s: unknown, t: ReadonlyMap<string, Float32Array>) => {
      value.n = (s as { n: number }).n;
      expect(Array.from(t.get('w') as Float32Array)).toEqual([value.n, value.n + 1]);
    },
  });

  it('keeps the newest two and restores parts as they register', () => {
    const dir = tmp();
    const c = new Checkpointer(dir, 'h1');
    const v = { n: 0 };
    c.register('p', part(v));
    for (let i = 1; i <= 4; i++) {
      v.n = i;
      c.save(`step ${i}`);
    }
    expect(fs.readdirSync(dir).sort()).toEqual(['checkpoint-000003.ckpt', 'checkpoint-000004.ckpt']);
    const again = new Checkpointer(dir, 'h1');
    const loaded = again.latest();
    expect(loaded?.reason).toBe('step 4');
    again.resumeFrom(loaded!);
    const w = { n: -1 };
    expect(again.register('p', part(w))).toBe(true);
    expect(w.n).toBe(4);
    expect(again.register('absent', part({ n: 0 }))).toBe(false);
    // numbering continues after the files already there
    again.save('next');
    expect(fs.existsSync(path.join(dir, 'checkpoint-000005.ckpt'))).toBe(true);
  });

  it('falls back to the older checkpoint when the newest is corrupt, and says so', () => {
    const dir = tmp();
    const c = new Checkpointer(dir, 'h');
    const v = { n: 1 };
    c.register('p', part(v));
    c.save('one');
    v.n = 2;
    c.save('two');
    const newest = path.join(dir, 'checkpoint-000002.ckpt');
    fs.truncateSync(newest, fs.statSync(newest).size - 5);
    const warnings: string[] = [];
    const loaded = new Checkpointer(dir, 'h').latest((m) => warnings.push(m));
    expect(loaded?.reason).toBe('one');
    expect(warnings[0]).toMatch(/checkpoint-000002\.ckpt: checksum mismatch.*trying an older one/);
  });

  it('refuses checkpoints of another config', () => {
    const dir = tmp();
    const c = new Checkpointer(dir, configHash({ a: 1, b: [1, 2] }));
    c.register('p', part({ n: 1 }));
    c.save('x');
    expect(configHash({ b: [1, 2], a: 1 })).toBe(configHash({ a: 1, b: [1, 2] }));
    expect(() => new Checkpointer(dir, configHash({ a: 2, b: [1, 2] })).latest()).toThrow(/written for another config/);
  });
});

describe('RunLock', () => {
  it('refuses a directory held by a live process and takes over a dead one', () => {
    const dir = tmp();
    const lock = RunLock.acquire(dir);
    expect(() => RunLock.acquire(dir)).toThrow(new RegExp(`in use by process ${process.pid}`));
    lock.release();
    // a lock left by a process that no longer exists
    fs.writeFileSync(path.join(dir, '.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname() }));
    const notes: string[] = [];
    const taken = RunLock.acquire(dir, { note: (m) => notes.push(m) });
    expect(notes[0]).toMatch(/no longer running/);
    taken.release();
    expect(fs.existsSync(path.join(dir, '.lock'))).toBe(false);
  });
});
