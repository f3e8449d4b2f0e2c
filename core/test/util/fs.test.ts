import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FileSystemError, removeStaleTempFiles, tempFileFor, writeFileAtomic } from '../../src/util/fs';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'absnas-fs-'));

describe('atomic writes', () => {
  afterEach(() => delete process.env.ABSNAS_FAULT);

  it('names its temp file after the host and the process', () => {
    const t = path.basename(tempFileFor('/x/checkpoint-000001.ckpt'));
    expect(t).toMatch(new RegExp(`^\\.checkpoint-000001\\.ckpt\\..+\\.${process.pid}\\.tmp$`));
  });

  it('on a full disk: a FileSystemError naming the file, the old file intact, no temp file left', () => {
    const dir = tmp();
    const file = path.join(dir, 'result.json');
    fs.writeFileSync(file, 'old');
    process.env.ABSNAS_FAULT = 'enospc@result.json';
    let error: unknown;
    try {
      writeFileAtomic(file, 'x'.repeat(10000));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FileSystemError);
    expect((error as Error).message).toMatch(new RegExp(`cannot write ${file.replace(/[.]/g, '\\.')} \\(ENOSPC\\): the disk is full`));
    expect(fs.readFileSync(file, 'utf8')).toBe('old');
    expect(fs.readdirSync(dir)).toEqual(['result.json']);
  });

  it('a file where the folder belongs is named, with what to do', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'checkpoints'), '');
    const write = (): void => writeFileAtomic(path.join(dir, 'checkpoints', 'a.ckpt'), 'x');
    expect(write).toThrow(FileSystemError);
    expect(write).toThrow(/cannot create the folder .*checkpoints \(ENOTDIR\): a part of the path is a file where a folder was expected/);
  });

  it('a folder where the file belongs is named (EISDIR), with what to do', () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'result.json'));
    expect(() => writeFileAtomic(path.join(dir, 'result.json'), 'x')).toThrow(/result\.json \(EISDIR\): it is a folder where a file was expected/);
    expect(fs.readdirSync(dir)).toEqual(['result.json']);
  });

  it('removes temp files of dead processes on this host, and only those', () => {
    const dir = tmp();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const stale = tempFileFor(path.join(dir, 'checkpoint-000003.ckpt'), dead);
    const older = path.join(dir, `.checkpoint-000002.ckpt.${dead}.tmp`);
    const live = tempFileFor(path.join(dir, 'checkpoint-000004.ckpt'), process.pid);
    const foreign = path.join(dir, `.checkpoint-000005.ckpt.some-other-host.${dead}.tmp`);
    for (const f of [stale, older, live, foreign]) fs.writeFileSync(f, 'partial');
    expect(removeStaleTempFiles(dir).sort()).toEqual([older, stale].sort());
    expect(fs.readdirSync(dir).sort()).toEqual([path.basename(foreign), path.basename(live)].sort());
  });
});
