import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { runCli, tempDir, TINY } from './helpers';

/** Debian's chromium; CI installs it. Elsewhere the browser checks are skipped with a note. */
function findChromium(): string | undefined {
  for (const c of ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) if (fs.existsSync(c)) return c;
  return undefined;
}

function openInChromium(browser: string, file: string): { dom: string; log: string } {
  const r = spawnSync(
    browser,
    ['--headless', '--no-sandbox', '--disable-gpu', '--enable-logging=stderr', '--v=0', '--virtual-time-budget=3000', '--dump-dom', `file://${file}`],
    { encoding: 'utf8', timeout: 90000 },
  );
  return { dom: r.stdout, log: r.stderr };
}

const consoleErrors = (log: string): string[] =>
  log.split('\n').filter((l) => /CONSOLE|Uncaught|ERR_FILE_NOT_FOUND|Failed to load/.test(l));

describe('HTML reports', () => {
  const dir = tempDir('report');
  let run: ReturnType<typeof runCli>;
  beforeAll(() => {
    run = runCli(['run', 'presets/quickstart.json', ...TINY, '--out', dir, '--quiet']);
  });

  it('a run writes one self-contained report.html with its charts and the found cell', () => {
    expect(run.status).toBe(0);
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    const result = JSON.parse(fs.readFileSync(path.join(dir, 'result.json'), 'utf8'));
    expect(html).toContain(result.architecture);
    for (const title of ['The found cell', 'Search space size per shrink round', 'Supernet training']) expect(html).toContain(title);
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(3);
    // self-contained: nothing fetched from elsewhere
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|url\(http/);
  });

  it('renders in headless Chromium with no console errors', () => {
    const browser = findChromium();
    if (!browser) {
      if (process.env.CI) throw new Error('chromium is missing: .ci/run installs the Debian package chromium');
      console.warn('skipped: no chromium here (apt-get install chromium)');
      return;
    }
    const { dom, log } = openInChromium(browser, path.join(dir, 'report.html'));
    expect(consoleErrors(log)).toEqual([]);
    expect((dom.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(3);
    expect(dom).toContain('The found cell');
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
});
