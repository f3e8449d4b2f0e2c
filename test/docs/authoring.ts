/**
 * Helpers for the tests of plugin authoring: packages made outside the
 * repository, installed offline, compiled and run through the absnas command.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '../..');
export const CLI = path.join(ROOT, 'core/dist/cli/main.js');

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function tempDir(prefix: string): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `absnas-${prefix}-`)));
}

/** The environment for child processes: no colours, nothing inherited from an enclosing npm or jest. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0' };
  for (const k of Object.keys(env)) if (/^npm_/i.test(k) || k === 'JEST_WORKER_ID' || k === 'INIT_CWD') delete env[k];
  return env;
}

export function run(command: string, args: string[], cwd: string, timeoutMs = 240000, env: NodeJS.ProcessEnv = {}): Ran {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...childEnv(), ...env }, timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** `node <repo>/core/dist/cli/main.js ...args` in `cwd`. */
export function absnas(args: string[], cwd: string, cli = CLI): Ran {
  return run(process.execPath, [cli, ...args], cwd);
}

/** Compile a package with the TypeScript its own node_modules holds. */
export function tsc(pkgDir: string): Ran {
  return run(process.execPath, [path.join(pkgDir, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], pkgDir);
}

/**
 * Install a package's devDependencies offline, from this checkout: `file:`
 * specs link to their path, everything else to the package of that name in
 * the repository's node_modules (absnas's own tools and plugins).
 */
export function linkDevDependencies(pkgDir: string): void {
  const manifest = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as {
    devDependencies?: Record<string, string>;
  };
  for (const [name, spec] of Object.entries(manifest.devDependencies ?? {})) {
    const target = spec.startsWith('file:') ? path.resolve(pkgDir, spec.slice(5)) : path.join(ROOT, 'node_modules', name);
    if (!fs.existsSync(path.join(target, 'package.json'))) {
      throw new Error(`cannot install ${name}@${spec} offline: ${target} holds no package`);
    }
    const link = path.join(pkgDir, 'node_modules', name);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(fs.realpathSync(target), link, 'dir');
  }
}

/** A fresh npm project in `dir` with the package folders `paths` installed by npm, offline (links, no registry). */
export function npmInstallFolders(dir: string, paths: string[]): Ran {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'absnas-project', version: '1.0.0', private: true }));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  return run(npm, ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--prefix', dir, ...paths], dir);
}

/** A fenced code block of a markdown file; the info string is `lang [file=path] [flag ...] [key=value ...]`. */
export interface CodeBlock {
  lang: string;
  file?: string;
  flags: Set<string>;
  attrs: Record<string, string>;
  body: string;
  /** 1-based line of the opening fence. */
  line: number;
}

export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const out: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const attrs: Record<string, string> = {};
    const flags = new Set<string>();
    for (const word of open[2].split(/\s+/).filter(Boolean)) {
      const eq = word.indexOf('=');
      if (eq > 0) attrs[word.slice(0, eq)] = word.slice(eq + 1);
      else flags.add(word);
    }
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^```\s*$/.test(lines[j]); j++) body.push(lines[j]);
    out.push({ lang: open[1], file: attrs.file, flags, attrs, body: body.join('\n') + '\n', line: i + 1 });
    i = j;
  }
  return out;
}

/** The files the blocks tagged `file=` make; blocks naming the same file are joined with a blank line between. */
export function filesOf(blocks: readonly CodeBlock[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const b of blocks) {
    if (!b.file) continue;
    const before = files.get(b.file);
    files.set(b.file, before === undefined ? b.body : `${before}\n${b.body}`);
  }
  return files;
}

export function writeFiles(dir: string, files: ReadonlyMap<string, string>): void {
  for (const [rel, text] of files) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
}

export function readJson<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}
