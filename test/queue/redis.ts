/**
 * A redis-server of the test's own (Debian's redis-server 7) on 127.0.0.1
 * and a free port, with a password, in a temporary directory; stopped by
 * the test. `aof` turns on the append-only file (a restart keeps the queue).
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';

export const REDIS_PASSWORD = 'pw-7f3a-never-logged';

export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Stop it and start it again on the same port and directory. */
  restart(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startRedis(dir: string, options: { aof?: boolean } = {}): Promise<TestRedis> {
  const port = await freePort();
  fs.mkdirSync(dir, { recursive: true });
  let child: ChildProcess | undefined;
  const start = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', options.aof ? 'yes' : 'no', '--requirepass', REDIS_PASSWORD, '--maxmemory-policy', 'noeviction'];
      const c = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
      c.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      c.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(e.code === 'ENOENT' ? new Error('redis-server is not installed (the queue tests start their own): apt-get install redis-server') : e);
      });
      c.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}): ${out}`));
      });
    });
  const stop = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url: `redis://:${REDIS_PASSWORD}@127.0.0.1:${port}/0`,
    port,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
  };
}

export const redisDir = (root: string): string => path.join(root, 'redis');
