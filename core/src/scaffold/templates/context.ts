/** What a plugin template is made from. */
export interface TemplateContext {
  /** The npm package name, e.g. `absnas-metric-foo` or `@me/absnas-foo`. */
  packageName: string;
  /** The package name without its scope: the component's `name` (it appears in result.json). */
  shortName: string;
  /** The plugin API version of the absnas that writes the package. */
  apiVersion: string;
}

/** The parts of a package that depend on its kind. */
export interface KindTemplate {
  /** src/index.ts */
  source: string;
  /** test/plugin.test.ts */
  test: string;
  /** presets/demo.json; the new plugin is named by the path '..' (the package, from the presets folder). */
  preset: Record<string, unknown>;
  /** The config key whose `plugin` names the new plugin: 'space', 'shrink.metric' or 'search'. */
  slot: string;
  /** Other absnas plugins the demo preset uses (devDependencies). */
  uses: string[];
  /** One line for package.json's description. */
  summary: string;
  /** The README section that explains the component. */
  readme: string;
}
