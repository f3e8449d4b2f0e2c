/**
 * The backends a run may ask for are one list, BACKEND_CHOICES; the README
 * explains them without keeping a list of its own that could drift: its
 * Backends section names exactly those choices, in the order `auto` tries
 * them.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BACKEND_CHOICES } from '@absnas/core';
import { ROOT } from './authoring';

describe("README's Backends section", () => {
  it('lists the choices of BACKEND_CHOICES after auto, in order', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.split(/^## Backends$/m)[1]?.split(/^## /m)[0] ?? '';
    const listed = [...section.matchAll(/^\d+\. `([a-z-]+)`:/gm)].map((m) => m[1]);
    expect(listed).toEqual(BACKEND_CHOICES.filter((c) => c !== 'auto'));
  });
});
