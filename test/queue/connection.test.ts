/** Queue URLs: what is accepted, how it connects, and that a password never shows. */
import { checkJob, jobId, parseQueueUrl, redact, type CellJobData } from '@absnas/queue';

describe('queue URLs', () => {
  it('take redis://, rediss:// (TLS) and unix sockets, with user, password and database', () => {
    const plain = parseQueueUrl('redis://:s3cret@10.0.0.1:6380/2');
    expect(plain.options).toMatchObject({ host: '10.0.0.1', port: 6380, db: 2, password: 's3cret' });
    expect(plain.options.tls).toBeUndefined();
    expect(plain.display).toBe('redis://:***@10.0.0.1:6380/2');
    const tls = parseQueueUrl('rediss://absnas:p%40ss@redis.example.com/0');
    expect(tls.options).toMatchObject({ host: 'redis.example.com', port: 6379, db: 0, username: 'absnas', password: 'p@ss', tls: { servername: 'redis.example.com' } });
    expect(tls.display).not.toContain('p%40ss');
    expect(parseQueueUrl('unix:///run/redis/redis.sock?db=3').options).toMatchObject({ path: '/run/redis/redis.sock', db: 3 });
  });

  it('refuse what is not a Redis URL, naming what is expected and never the password', () => {
    expect(() => parseQueueUrl('http://:pw@host:1/0')).toThrow(/unsupported scheme 'http:' in http:\/\/:\*\*\*@host:1\/0 \(expected redis:\/\//);
    expect(() => parseQueueUrl('redis://:pw@host:1/x')).toThrow(/database 'x' of redis:\/\/:\*\*\*@host:1\/x is not a number/);
    expect(() => parseQueueUrl('localhost:6379')).toThrow(/expected redis:\/\//);
    expect(() => parseQueueUrl(undefined)).toThrow(/no Redis URL given/);
    expect(redact('not a url with pw')).toBe('(queue URL)');
  });
});

describe('jobs', () => {
  const job = (over: Partial<CellJobData> = {}): CellJobData => ({
    kind: 'cell',
    version: 1,
    matrix: 'm',
    tag: 'spos / abs / seed 0',
    dir: '/mnt/a/m/cells/spos-2-abs-seed0',
    config: { search: { plugin: '@absnas/spos' }, space: { plugin: '@absnas/space-nb201' }, shrunkSpace: '/mnt/a/m/cells/spos-abs-seed0/shrunk-space.json' },
    kernels: 'k',
    ...over,
  });

  it('have ids from their config, the same wherever the shared storage is mounted, never a plain number nor with a colon', () => {
    const here = jobId(job());
    const elsewhere = jobId(job({ dir: '/nfs/b/m/cells/spos-2-abs-seed0', config: { ...job().config, shrunkSpace: '/nfs/b/m/cells/spos-abs-seed0/shrunk-space.json' } }));
    expect(elsewhere).toBe(here);
    expect(here).toMatch(/^cell-[0-9a-f]{16}$/);
    expect(jobId(job({ config: { ...job().config, seed: 1 } }))).not.toBe(here);
    expect(jobId(job({ kernels: 'other' }))).not.toBe(here);
  });

  it('name plugins by package name only, and carry no extends', () => {
    expect(checkJob(job())).toBeDefined();
    for (const plugin of ['./evil.js', '/abs/evil', 'https://x.example/evil.js', 'file:///evil', '@absnas/spos@1.0.0', '../spos']) {
      expect(() => checkJob(job({ config: { search: { plugin } } }))).toThrow(/config\/search\/plugin: .* is not a package name/);
    }
    expect(() => checkJob(job({ config: { plugins: [{ plugin: '@absnas/spos' }, { plugin: './x' }] } }))).toThrow(/config\/plugins\/1\/plugin/);
    expect(() => checkJob(job({ config: { shrink: { metric: { plugin: 'C:\\evil' } } } }))).toThrow(/shrink\/metric\/plugin/);
    expect(() => checkJob({ ...job(), config: { kind: 'rank', rank: { metrics: [{ plugin: './m.js' }] } }, kind: 'rank' })).toThrow(/rank\/metrics\/0\/plugin/);
    expect(() => checkJob(job({ config: { extends: '/etc/preset.json' } }))).toThrow(/may not extend a file/);
    expect(() => checkJob({ kind: 'cell', version: 2 })).toThrow(/not an absnas job of this version/);
    expect(() => checkJob(job({ dir: 'relative/dir' }))).toThrow(/dir must be an absolute path/);
  });
});
