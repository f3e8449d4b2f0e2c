/** The absnas command as people use it: --help everywhere, typos answered, output whole through a pipe. */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { ROOT, tempDir } from './helpers';

const BIN = path.join(ROOT, 'core/bin/absnas.js');
const COMMANDS = ['run', 'doctor', 'data', 'plugin', 'list', 'config', 'rank', 'compare', 'export', 'latency-table', 'train', 'worker', 'queue'];

function absnas(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('absnas <command> --help', () => {
  it.each(COMMANDS)('%s --help prints its usage and options and exits 0, running nothing', (name) => {
    for (const flag of ['--help', '-h']) {
      const r = absnas([name, flag]);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      expect(r.stdout).toMatch(new RegExp(`^absnas ${name}: .+\n\nusage:\n  absnas ${name}`));
      expect(r.stdout).toMatch(/\noptions: .*--help\n$/);
    }
    expect(absnas(['help', name]).stdout).toBe(absnas([name, '--help']).stdout);
  });

  it('--help wins over other arguments, even ones that would fail', () => {
    const r = absnas(['run', 'no-such-preset.json', '--set', 'x=1', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('usage:\n  absnas run <preset.json>');
  });

  it('the command list names every command, and lists the per-command help', () => {
    const r = absnas(['--help']);
    expect(r.status).toBe(0);
    for (const name of COMMANDS) expect(r.stdout).toContain(`\n  absnas ${name}`);
    expect(r.stdout).toContain('absnas <command> --help');
  });
});

describe('mistyped commands and options', () => {
  it('an unknown command: exit 2, the commands, and the nearest one', () => {
    const r = absnas(['rnu']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`absnas: unknown command 'rnu' (commands: ${COMMANDS.join(', ')}, help); did you mean 'run'?\n`);
  });

  it("an unknown option: exit 2, the command's options, and the nearest one", () => {
    const r = absnas(['rank', 'x.json', '--ouut', 'dir']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("absnas: unknown option '--ouut' (options: --set, --out, --quiet, --queue, --detach, --help); did you mean '--out'?\n");
  });

  it('a missing value, and a value given to a flag, are named', () => {
    expect(absnas(['run', 'x.json', '--out']).stderr).toBe('absnas: option --out needs a value\n');
    expect(absnas(['list', '--json=yes']).stderr).toBe('absnas: option --json takes no value\n');
    const r = absnas(['run', 'x.json', '--out', '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("absnas: option --out needs a value (to give a value starting with '-', write --out=<value>)\n");
  });

  it('--set repeats; --name=value works for values', () => {
    const dir = tempDir('cli');
    const r = absnas(['config', 'schema', `--out=${path.join(dir, 's.json')}`]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`wrote ${path.join(dir, 's.json')}\n`);
  });
});

describe('output through a pipe', () => {
  it('is never cut: `absnas config schema | head -c 10000000` gets every byte, every time', () => {
    const whole = absnas(['config', 'schema']).stdout;
    expect(whole.length).toBeGreaterThan(100000);
    for (let i = 0; i < 3; i++) {
      const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" config schema | head -c 10000000`], { cwd: ROOT, encoding: 'utf8' });
      expect(r.stdout.length).toBe(whole.length);
      expect(r.stdout).toBe(whole);
    }
  });

  it('a reader that stops early is no error: `absnas config schema | head -c 100` exits 0, nothing on stderr', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" config schema | head -c 100 > /dev/null; echo "\${PIPESTATUS[0]}"`], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect({ status: r.stdout, stderr: r.stderr }).toEqual({ status: '0\n', stderr: '' });
  });
});
