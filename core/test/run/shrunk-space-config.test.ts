/**
 * A given shrunk space (`shrunkSpace`) is searched as it is: asking to
 * shrink as well is a config error, found when the run is assembled and
 * named like every other (the preset file, the key), before the run
 * directory exists.
 */
import { assemble } from '../../src/run/assemble';
import { ConfigError } from '../../src/util/errors';
import { tinyNb201Config } from '../../../test/e2e/helpers';

describe('shrunkSpace in the config', () => {
  const config = (shrink: boolean): Record<string, unknown> => {
    const c = tinyNb201Config({ images: 32, batchSize: 16, epochsBeforeFirstRound: 1 });
    return { ...c, shrink: { ...c.shrink, enabled: shrink }, shrunkSpace: '/nowhere/shrunk-space.json' };
  };
  const origin = (pointer: string): string => (pointer === '/shrunkSpace' ? 'presets/given.json' : 'presets/base.json');

  it('with shrinking enabled fails at assembly, naming the file that set it', () => {
    expect(() => assemble(config(true), origin)).toThrow(ConfigError);
    expect(() => assemble(config(true), origin)).toThrow(
      'presets/given.json: /shrunkSpace: searching a given shrunk space needs shrink.enabled false (or drop shrunkSpace to shrink anew)',
    );
  });

  it('with shrinking disabled assembles (the file is read when the search starts)', () => {
    expect(assemble(config(false), origin).config.shrunkSpace).toBe('/nowhere/shrunk-space.json');
  });
});
