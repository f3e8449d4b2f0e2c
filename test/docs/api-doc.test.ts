/** docs/api.md names only what @absnas/core exports, and its hook table is hooks.ts's. */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { HOOK_MODES, PLUGIN_API_VERSION, SERIES_CONTROLS } from '@absnas/core';
import { ROOT } from './authoring';

const API = fs.readFileSync(path.join(ROOT, 'docs/api.md'), 'utf8');

/** The rows of the markdown table whose header row starts with `| <first> |`. */
function tableRows(first: string): string[][] {
  const lines = API.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${first} |`));
  if (start < 0) throw new Error(`docs/api.md: no table starting with '| ${first} |'`);
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length && lines[i].startsWith('|'); i++) {
    rows.push(lines[i].split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

/** Identifiers in backticks (`name` or `name(args)`). */
function names(cell: string): string[] {
  return [...cell.matchAll(/`([A-Za-z_$][A-Za-z0-9_$]*)(?:\([^`]*\))?`/g)].map((m) => m[1]);
}

/** Every name exported by the built entry point, types included. */
function coreExports(): Set<string> {
  const entry = path.join(ROOT, 'core/dist/index.d.ts');
  const program = ts.createProgram([entry], { skipLibCheck: true, noResolve: false, types: [] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const symbol = source && checker.getSymbolAtLocation(source);
  if (!symbol) throw new Error('cannot read core/dist/index.d.ts');
  return new Set(checker.getExportsOfModule(symbol).map((s) => s.name));
}

/** The ts code block that follows a heading of docs/api.md. */
function codeBlockAfter(heading: string): string {
  const at = API.indexOf(`${heading}\n`);
  if (at < 0) throw new Error(`docs/api.md: no heading '${heading}'`);
  const m = /```ts\n([\s\S]*?)```/.exec(API.slice(at));
  if (!m) throw new Error(`docs/api.md: no ts block after '${heading}'`);
  return m[1];
}

/**
 * A module that declares the documented block in a namespace `Doc` and asks, for
 * every documented function, class member (constructor and statics included),
 * interface property and type alias, that its type and @absnas/core's be
 * assignable both ways. Each documented declaration is renamed `<name>__doc`, so
 * that the types the block names (Rng, CandidateSet...) are core's own: classes
 * with private fields compare by name.
 */
function signatureCheck(block: string, exported: Set<string>): string {
  const renamed = block.replace(/^(?:declare )?(function|class|interface|type) (\w+)/gm, '$1 $2__doc');
  const parsed = ts.createSourceFile('block.ts', renamed, ts.ScriptTarget.ES2022, true);
  const checks: string[] = [];
  const same = (what: string, doc: string, core: string) =>
    checks.push(`export const ${what.replace(/\W/g, '_')}: Same<${doc}, ${core}> = true;`);
  const named = (n: ts.Identifier) => n.text.replace(/__doc$/, '');
  const memberName = (m: ts.ClassElement | ts.TypeElement) => (m.name && ts.isIdentifier(m.name) ? m.name.text : undefined);
  for (const st of parsed.statements) {
    if (ts.isFunctionDeclaration(st) && st.name) {
      const f = named(st.name);
      same(`fn_${f}`, `typeof Doc.${f}__doc`, `typeof core.${f}`);
    } else if (ts.isClassDeclaration(st) && st.name) {
      const c = named(st.name);
      for (const m of st.members) {
        const name = memberName(m);
        if (ts.isConstructorDeclaration(m)) {
          same(`ctor_${c}`, `ConstructorParameters<typeof Doc.${c}__doc>`, `ConstructorParameters<typeof core.${c}>`);
        } else if (name && ts.getCombinedModifierFlags(m as ts.Declaration) & ts.ModifierFlags.Static) {
          same(`static_${c}_${name}`, `(typeof Doc.${c}__doc)['${name}']`, `(typeof core.${c})['${name}']`);
        } else if (name) {
          same(`member_${c}_${name}`, `Doc.${c}__doc['${name}']`, `core.${c}['${name}']`);
        }
      }
    } else if (ts.isInterfaceDeclaration(st)) {
      const i = named(st.name);
      for (const m of st.members) {
        const name = memberName(m);
        if (name) same(`prop_${i}_${name}`, `Doc.${i}__doc['${name}']`, `core.${i}['${name}']`);
      }
    } else if (ts.isTypeAliasDeclaration(st)) {
      const t = named(st.name);
      same(`type_${t}`, `Doc.${t}__doc`, `core.${t}`);
    }
  }
  return [
    `import * as core from '@absnas/core';`,
    `import type { ${[...exported].join(', ')} } from '@absnas/core';`,
    `type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;`,
    `declare namespace Doc {`,
    renamed,
    `}`,
    ...checks,
  ].join('\n');
}

describe('docs/api.md', () => {
  it('gives the signatures of the shared machinery as @absnas/core declares them', () => {
    const block = codeBlockAfter('### Shared machinery: signatures');
    const file = path.join(ROOT, 'test/docs/api-signatures.generated.ts');
    const text = signatureCheck(block, coreExports());
    expect(text.match(/: Same</g)?.length ?? 0).toBeGreaterThan(50);
    const options: ts.CompilerOptions = {
      strict: true, noEmit: true, skipLibCheck: true, types: [],
      target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10,
    };
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, version, ...rest) =>
      path.resolve(name) === file ? ts.createSourceFile(name, text, version) : getSourceFile(name, version, ...rest);
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
    const program = ts.createProgram([file], options, host);
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && path.resolve(d.file.fileName) === file)
      .map((d) => {
        const line = d.file!.getLineAndCharacterOfPosition(d.start ?? 0).line;
        return `${text.split('\n')[line].trim()}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ').slice(0, 300)}`;
      });
    expect(problems).toEqual([]);
  });

  it('names only exports of @absnas/core in its tables of exports, helpers and tokens', () => {
    const documented = [
      ...tableRows('group').flatMap((r) => names(r[1])),
      ...tableRows('export').flatMap((r) => names(r[0])),
      ...tableRows('token').flatMap((r) => [...names(r[0]), ...names(r[2])]),
    ];
    expect(documented.length).toBeGreaterThan(100);
    const exported = coreExports();
    expect(documented.filter((n) => !exported.has(n))).toEqual([]);
  });

  it('lists every hook with its mode, as hooks.ts declares them', () => {
    const rows = tableRows('hook').map((r) => [names(r[0])[0], r[1]]);
    expect(Object.fromEntries(rows)).toEqual(HOOK_MODES);
  });

  it('says what handlers of each series hook may return, as SERIES_CONTROLS declares it', () => {
    const returns = tableRows('hook')
      .filter((r) => r[1] === 'series')
      .map((r) => [names(r[0])[0], [.../\{([^}]*)\}/.exec(r[3])?.[1].split(',') ?? []].map((f) => f.trim())]);
    expect(Object.fromEntries(returns)).toEqual(SERIES_CONTROLS);
  });

  it('states the plugin API version core implements', () => {
    expect(API).toContain(`\`PLUGIN_API_VERSION\` (now \`'${PLUGIN_API_VERSION}'\`)`);
  });
});
