import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { PassportWebhook } from '../../infra/index.ts';
import { synthesizeApp } from '../support/cdk-app.ts';

/**
 * The reference pages in docs/ are kept true by deriving what they must list from the code
 * itself (the variables the sources read, the props and attributes the package exports, the
 * outputs the stack writes), never from a list kept by hand beside them, which would drift with
 * the docs.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const doc = (name: string) => readFileSync(join(ROOT, 'docs', name), 'utf8');

/** The lines of a Markdown page outside fenced code blocks, where a `# comment` is no heading. */
function proseLines(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line;
  });
}

/**
 * The section under the first heading titled `name`, or whose first code span is `name`, up to
 * the next heading of its level or above.
 */
function section(markdown: string, name: string): string | undefined {
  const lines = proseLines(markdown);
  const heading = (line: string) => /^(#{1,6})\s/.exec(line)?.[1]!.length;
  const names = (line: string) => line.replace(/^#+\s+/, '').trim() === name || /`([^`]+)`/.exec(line)?.[1] === name;
  const start = lines.findIndex((line) => heading(line) !== undefined && names(line));
  if (start < 0) return undefined;
  const level = heading(lines[start]!)!;
  const end = lines.findIndex((line, n) => n > start && (heading(line) ?? 7) <= level);
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/** Table rows keyed by the code spans of their first cell: `| \`a\`, \`b\` | … |` is a row for a and b. */
function rows(markdown: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of proseLines(markdown)) {
    const firstCell = /^\|([^|]*)\|/.exec(line)?.[1];
    if (!firstCell) continue;
    for (const [, name] of firstCell.matchAll(/`([^`]+)`/g)) if (!found.has(name!)) found.set(name!, line);
  }
  return found;
}

/** Text as a reader compares it: code spans unmarked, escaped pipes plain, whitespace collapsed. */
const plain = (text: string) => text.replace(/\\\|/g, '|').replace(/`/g, '').replace(/\s+/g, ' ').trim();

function typeScriptFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => join(ROOT, dir, file))
    .sort();
}

describe('docs/configuration.md', () => {
  /**
   * String literals of this shape that name no variable. Every other UPPER_SNAKE literal in the
   * sources is taken for a variable, so a new way of reading one (a helper, a loop over names)
   * cannot slip past; a new constant of this shape lands here, with its reason.
   */
  const NOT_VARIABLES: Readonly<Record<string, string>> = {
    ALL_NEW: "DynamoDB's ReturnValues",
    PAY_PER_REQUEST: "DynamoDB's billing mode",
    ERR_JOSE_GENERIC: "an error code of jose's",
  };
  const VARIABLE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;
  const PROPERTY = /^[A-Z][A-Z0-9_]*$/;

  /** `env` or `process.env`: the objects the sources read variables from. */
  const isEnvironment = (node: ts.Expression): boolean =>
    (ts.isIdentifier(node) && node.text === 'env') ||
    (ts.isPropertyAccessExpression(node) && node.name.text === 'env' && ts.isIdentifier(node.expression) && node.expression.text === 'process');

  /**
   * Every variable the functions, `npm start` and the local tools read, from their syntax trees:
   * `env.NAME` and `env['NAME']` (also on `process.env`), and every UPPER_SNAKE string literal,
   * which is how `read(env, 'NAME')`, `wholeNumber(env, 'NAME', …)`, the credential helpers and
   * the loops over retired names pass a name.
   */
  function variablesRead(): Map<string, string> {
    const found = new Map<string, string>();
    for (const file of ['lambda', 'local', 'scripts'].flatMap(typeScriptFiles)) {
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
      const add = (name: string) => found.has(name) || found.set(name, relative(ROOT, file));
      const visit = (node: ts.Node): void => {
        if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && VARIABLE.test(node.text) && !(node.text in NOT_VARIABLES)) {
          add(node.text);
        } else if (ts.isPropertyAccessExpression(node) && isEnvironment(node.expression) && PROPERTY.test(node.name.text)) {
          add(node.name.text);
        } else if (ts.isElementAccessExpression(node) && isEnvironment(node.expression) && ts.isStringLiteralLike(node.argumentExpression)) {
          add(node.argumentExpression.text);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    return found;
  }

  /** Every variable the construct sets on either function, with every optional part switched on. */
  function variablesSet(): Set<string> {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Docs');
    new PassportWebhook(stack, 'Webhook', {
      auth: { modes: ['api-key', 'signature'], signature: { jwksUrl: 'https://auth.example.com/.well-known/jwks.json', algorithms: ['HS256', 'RS256'] } },
      fusionAuth: { url: 'https://auth.example.com' },
      reconcile: { schedule: ScheduleExpression.rate(Duration.days(1)) },
      observability: { sourceMaps: true },
    });
    const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    return new Set(functions.flatMap((fn) => Object.keys(fn.Properties.Environment.Variables as object)));
  }

  const documented = () => new Set([...rows(doc('configuration.md')).keys()].filter((name) => PROPERTY.test(name)));
  let read: Map<string, string>;
  let set: Set<string>;
  beforeAll(() => {
    read = variablesRead();
    set = variablesSet();
  });

  it('finds the variables the code reads, each way it reads them', () => {
    // One per way of reading: read(), a credential helper, a local closure, a loop over retired
    // names, `env.NAME` without an underscore; a scan that lost one would pass vacuously.
    for (const name of ['DELETION_TARGETS', 'WEBHOOK_API_KEYS', 'PER_SOURCE_LIMIT', 'IDEMPOTENCY_TABLE_NAME', 'WAF', 'PORT', 'RECONCILE_RPS']) {
      expect(read.has(name), name).toBe(true);
    }
    expect(read.size).toBeGreaterThan(50);
    expect([...set]).toEqual(expect.arrayContaining(['WEBHOOK_AUTH', 'RECONCILE_TABLE_NAME', 'NODE_OPTIONS', 'POWERTOOLS_LOG_LEVEL']));
  });

  it('has a row for every variable the code reads', () => {
    const missing = [...read].filter(([name]) => !documented().has(name)).map(([name, file]) => `${name} (read in ${file})`);
    expect(missing).toEqual([]);
  });

  it('has a row for every variable the construct sets on the functions', () => {
    expect([...set].filter((name) => !documented().has(name))).toEqual([]);
  });

  it('has no row for a variable that nothing reads or sets', () => {
    expect([...documented()].filter((name) => !read.has(name) && !set.has(name))).toEqual([]);
  });
});

describe('docs/construct-api.md', () => {
  const page = doc('construct-api.md');
  const SNIPPET = (n: number) => join(ROOT, 'test', 'docs', `construct-api-example-${n}.ts`);
  /** The page's TypeScript examples, as modules of their own beside this test. */
  const snippets = [...page.matchAll(/```ts\n([\s\S]*?)```/g)].map(([, code], n) => [SNIPPET(n + 1), code!] as const);

  let program: ts.Program;
  let checker: ts.TypeChecker;
  let index: ts.SourceFile;
  beforeAll(() => {
    const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
    // The package's name, as an app that installed it imports it, resolves to its entry here.
    const options: ts.CompilerOptions = { ...config.options, noEmit: true, baseUrl: ROOT, paths: { 'passport-webhook': ['infra/index.ts'] } };
    const host = ts.createCompilerHost(options);
    const virtual = new Map(snippets);
    const { fileExists, readFile, getSourceFile } = host;
    host.fileExists = (file) => virtual.has(file) || fileExists.call(host, file);
    host.readFile = (file) => virtual.get(file) ?? readFile.call(host, file);
    host.getSourceFile = (file, language, ...rest) =>
      virtual.has(file) ? ts.createSourceFile(file, virtual.get(file)!, language) : getSourceFile.call(host, file, language, ...rest);
    program = ts.createProgram([join(ROOT, 'infra', 'index.ts'), ...virtual.keys()], options, host);
    checker = program.getTypeChecker();
    index = program.getSourceFile(join(ROOT, 'infra', 'index.ts'))!;
  }, 120_000);

  const exported = () => checker.getExportsOfModule(checker.getSymbolAtLocation(index)!);
  const resolved = (symbol: ts.Symbol) => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);
  const isOurs = (node: ts.Node) => node.getSourceFile().fileName.startsWith(join(ROOT, 'infra'));
  type Documented = ts.InterfaceDeclaration | ts.ClassDeclaration;
  const isDocumented = (node: ts.Node | undefined): node is Documented =>
    node !== undefined && (ts.isInterfaceDeclaration(node) || ts.isClassDeclaration(node)) && isOurs(node);

  /** A member a user of the package can name: not private, protected or `#private`, not the constructor. */
  function publicMembers(declaration: Documented): ts.NamedDeclaration[] {
    const hidden = (node: ts.Node) =>
      (ts.getCombinedModifierFlags(node as ts.Declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0;
    const members: ts.NamedDeclaration[] = [];
    for (const member of declaration.members) {
      if (ts.isConstructorDeclaration(member)) {
        // `readonly environment` in a constructor's parameters is an attribute too.
        members.push(...member.parameters.filter((parameter) => ts.getModifiers(parameter)?.length && !hidden(parameter)));
      } else if (member.name && !ts.isPrivateIdentifier(member.name) && !hidden(member)) {
        members.push(member);
      }
    }
    return members;
  }

  /**
   * The interfaces and classes a user meets: each the package exports, and each of ours that
   * their members' types lead to (ReconcileProps through `reconcile`, ReconcileSchedule through
   * the attribute), which the page must document though the package does not export them by name.
   */
  function documentedTypes(): Map<string, Documented> {
    const found = new Map<string, Documented>();
    const addType = (type: ts.Type): void => {
      if (type.isUnion() || type.isIntersection()) return type.types.forEach(addType);
      if (checker.isArrayType(type)) return checker.getTypeArguments(type as ts.TypeReference).forEach(addType);
      const declaration = (type.aliasSymbol ?? type.getSymbol())?.declarations?.[0];
      if (isDocumented(declaration)) add(declaration);
    };
    const add = (declaration: Documented) => {
      const name = declaration.name!.text;
      if (found.has(name)) return;
      found.set(name, declaration);
      for (const member of publicMembers(declaration)) {
        if (ts.isMethodDeclaration(member) || ts.isMethodSignature(member)) continue;
        addType(checker.getTypeAtLocation(member));
      }
    };
    for (const symbol of exported()) {
      const declaration = resolved(symbol).declarations?.[0];
      if (isDocumented(declaration)) add(declaration);
    }
    return found;
  }

  /** A member's `@default`, as a reader would read it: without the leading "- " of a description. */
  function defaultOf(member: ts.Node): string | undefined {
    const tag = ts.getJSDocTags(member).find((candidate) => candidate.tagName.text === 'default');
    const text = tag && ts.getTextOfJSDocComment(tag.comment);
    return text === undefined ? undefined : plain(text.replace(/^-\s*/, ''));
  }

  it('finds the construct, its props and their members', () => {
    // The walk must reach what the exports alone do not name, or it could pass on an empty list.
    const types = documentedTypes();
    for (const name of ['PassportWebhook', 'PassportWebhookProps', 'WebhookAuthProps', 'ReconcileProps', 'ReconcileSchedule', 'WebhookApi']) {
      expect(types.has(name), name).toBe(true);
    }
    expect(publicMembers(types.get('PassportWebhookProps')!).map((member) => (member.name as ts.Identifier).text)).toContain('observability');
  });

  it('documents every prop and attribute in the section of its interface or class', () => {
    const missing: string[] = [];
    for (const [name, declaration] of documentedTypes()) {
      const text = section(page, name);
      if (text === undefined) {
        missing.push(`${name}: no section`);
        continue;
      }
      const documented = rows(text);
      for (const member of publicMembers(declaration)) {
        const memberName = (member.name as ts.Identifier).text;
        if (!documented.has(memberName)) missing.push(`${name}.${memberName}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("states each prop's @default as its TSDoc says it", () => {
    const wrong: string[] = [];
    for (const [name, declaration] of documentedTypes()) {
      const documented = rows(section(page, name) ?? '');
      for (const member of publicMembers(declaration)) {
        const expected = defaultOf(member);
        const row = documented.get((member.name as ts.Identifier).text);
        if (expected !== undefined && row !== undefined && !plain(row).includes(expected)) wrong.push(`${name}.${(member.name as ts.Identifier).text}: ${expected}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('names everything the package exports', () => {
    const names = exported().map((symbol) => symbol.name);
    expect(names).toContain('PassportWebhook');
    expect(names.filter((name) => !page.includes(`\`${name}\``))).toEqual([]);
  });

  it('has examples that compile against the package', () => {
    expect(snippets.length).toBeGreaterThan(0);
    for (const [file, code] of snippets) expect(code, file).toContain("from 'passport-webhook'");
    const diagnostics = snippets.flatMap(([file]) => {
      const source = program.getSourceFile(file)!;
      return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
    });
    const host = { getCanonicalFileName: (file: string) => file, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };
    expect(ts.formatDiagnostics(diagnostics, host)).toBe('');
  });
});

describe('docs/deploy.md', () => {
  it('lists every output the stack can write', () => {
    // Every optional output on: the API key and an HMAC signing key, the FusionAuth key the
    // stack creates, the web ACL, the shorthand's table.
    const { template } = synthesizeApp({ auth: 'api-key,signature', fusionAuthUrl: 'https://auth.example.com' });
    const outputs = Object.keys(template.toJSON().Outputs as object);
    expect(outputs).toContain('PutFusionAuthApiKeyCommand');
    const documented = rows(section(doc('deploy.md'), 'Stack outputs') ?? '');
    expect(outputs.filter((name) => !documented.has(name))).toEqual([]);
  });
});
