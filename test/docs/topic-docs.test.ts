import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main as reconcileMain } from '../../local/reconcile.ts';
import { parseOptions as parseRegisterOptions } from '../../scripts/register/options.ts';
import { synthesizeApp } from '../support/cdk-app.ts';

/**
 * The docs a user reads (README.md and docs/*.md) cannot drift from the project: every `npm run`
 * names a script, every flag shown for the project's own commands is one their parser takes,
 * every relative link reaches a file, and docs/operations.md names exactly the alarms the stack has.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];
const read = (doc: string) => readFileSync(join(ROOT, doc), 'utf8');
const run = promisify(execFile);

/** The commands whose flags are checked, each against its own parser. */
const COMMANDS = ['register', 'reconcile', 'erasures'] as const;
type Command = (typeof COMMANDS)[number];

interface Found {
  readonly doc: string;
  readonly line: number;
  readonly text: string;
}

/** Fenced code blocks, with the line each starts on (1-based, the fence's own line). */
function fencedBlocks(text: string): { start: number; lines: string[] }[] {
  const blocks: { start: number; lines: string[] }[] = [];
  let open: { start: number; lines: string[] } | undefined;
  text.split('\n').forEach((line, n) => {
    if (/^\s*```/.test(line)) {
      if (open) {
        blocks.push(open);
        open = undefined;
      } else open = { start: n + 1, lines: [] };
    } else open?.lines.push(line);
  });
  return blocks;
}

/** The text outside fenced blocks and inline code, where links live; blanked, so line numbers hold. */
function prose(text: string): string {
  let inFence = false;
  return text
    .split('\n')
    .map((line) => {
      if (/^\s*```/.test(line)) {
        inFence = !inFence;
        return '';
      }
      return inFence ? '' : line.replace(/`[^`\n]*`/g, (code) => ' '.repeat(code.length));
    })
    .join('\n');
}

const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;

/** Every `npm run <script>` anywhere in the doc, prose and code alike. */
function npmRuns(doc: string): (Found & { script: string })[] {
  const text = read(doc);
  return [...text.matchAll(/npm run(?:-script)?(?:\s+(?:-s|--silent))?\s+([A-Za-z][\w:.-]*)/g)].map((match) => ({
    doc,
    line: lineOf(text, match.index),
    text: match[0],
    script: match[1]!,
  }));
}

const FLAG = /(?<![\w-])(--[a-z][a-z0-9-]*|-h)(?![\w-])/g;
const flagsIn = (text: string) => [...text.matchAll(FLAG)].map((match) => match[1]!);

/**
 * The flags shown for `command`: on every line that runs it (code blocks, with their `\`
 * continuations joined, and inline code), in a usage block that starts `usage: npm run <command>`,
 * and in the first cell of table rows under a heading that names `npm run <command>`.
 */
function flagsShown(doc: string, command: Command): (Found & { flag: string })[] {
  const text = read(doc);
  const found: (Found & { flag: string })[] = [];
  const add = (line: number, snippet: string, flags: readonly string[]) => {
    for (const flag of flags) if (flag !== '--') found.push({ doc, line, text: snippet.trim(), flag });
  };
  const invocation = new RegExp(`npm run(?:\\s+(?:-s|--silent))?\\s+${command}(?![\\w-])(.*)`);
  const shellEnd = /\s(?:#|\||>|&&|;)|\)\s*$/;
  const commandLine = (line: number, snippet: string) => {
    const match = invocation.exec(snippet);
    if (!match) return;
    const rest = match[1]!;
    const end = rest.search(shellEnd);
    add(line, snippet, flagsIn(end === -1 ? rest : rest.slice(0, end)));
  };

  for (const block of fencedBlocks(text)) {
    const first = block.lines.find((line) => line.trim() !== '') ?? '';
    if (new RegExp(`^\\s*usage: npm run ${command}\\b`).test(first)) {
      block.lines.forEach((line, n) => add(block.start + 1 + n, line, flagsIn(line)));
      continue;
    }
    // A command continued with a trailing backslash is one line.
    for (let n = 0; n < block.lines.length; n += 1) {
      let joined = block.lines[n]!;
      const start = n;
      while (/\\\s*$/.test(joined) && n + 1 < block.lines.length) joined = joined.replace(/\\\s*$/, ' ') + block.lines[++n];
      commandLine(block.start + 1 + start, joined);
    }
  }
  const outsideFences = text.split('\n').map((line, n) => ({ line, n }));
  let inFence = false;
  let heading = '';
  for (const { line, n } of outsideFences) {
    if (/^\s*```/.test(line)) inFence = !inFence;
    if (inFence) continue;
    for (const code of line.matchAll(/`([^`\n]+)`/g)) commandLine(n + 1, code[1]!);
    const title = /^#{1,6}\s+(.*)$/.exec(line);
    if (title) heading = title[1]!;
    if (/^\s*\|/.test(line) && new RegExp(`npm run ${command}\\b`).test(heading)) {
      const firstCell = line.split('|')[1] ?? '';
      add(n + 1, line, [...firstCell.matchAll(/`([^`]+)`/g)].flatMap((code) => flagsIn(code[1]!)));
    }
  }
  return found;
}

/** Relative links and images, outside code: `[text](path)`, `![alt](path)`, `[ref]: path`. */
function relativeLinks(doc: string): (Found & { target: string })[] {
  const text = prose(read(doc));
  const links = [
    ...[...text.matchAll(/!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((match) => ({ index: match.index, target: match[1]! })),
    ...[...text.matchAll(/^\s*\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((match) => ({ index: match.index, target: match[1]! })),
  ];
  return links
    .filter(({ target }) => !/^(?:[a-z][a-z0-9+.-]*:|#|\/\/)/i.test(target))
    .map(({ index, target }) => ({ doc, line: lineOf(text, index), text: target, target }));
}

const where = (found: Found) => `${found.doc}:${found.line}: ${found.text}`;

describe('npm run <script> in the docs', () => {
  const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);
  const runs = DOCS.flatMap(npmRuns);

  it('finds the commands the docs show', () => {
    expect(runs.length).toBeGreaterThan(20);
  });

  it('names a script of package.json every time', () => {
    const unknown = runs.filter(({ script }) => !scripts.includes(script)).map((run) => `${where(run)} (no script "${run.script}")`);
    expect(unknown).toEqual([]);
  });
});

describe('the flags the docs show for npm run register, reconcile and erasures', () => {
  const shown = Object.fromEntries(COMMANDS.map((command) => [command, DOCS.flatMap((doc) => flagsShown(doc, command))])) as Record<
    Command,
    (Found & { flag: string })[]
  >;
  const distinct = (command: Command) => [...new Set(shown[command].map(({ flag }) => flag))].sort();
  const unknownOf = (command: Command, known: (flag: string) => boolean | Promise<boolean>) => async () => {
    const refused = new Set<string>();
    for (const flag of distinct(command)) if (!(await known(flag))) refused.add(flag);
    return shown[command].filter(({ flag }) => refused.has(flag)).map((found) => `${where(found)} (${found.flag})`);
  };

  /** parseArgs in strict mode names an option it does not have so; any other complaint is about a value. */
  const UNKNOWN_OPTION = /Unknown option '/;

  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('finds flags of each command', () => {
    for (const command of COMMANDS) expect(distinct(command), command).not.toEqual([]);
  });

  it('npm run register takes every flag shown', async () => {
    const known = (flag: string) => {
      try {
        parseRegisterOptions([flag], {});
      } catch (error) {
        return !UNKNOWN_OPTION.test((error as Error).message);
      }
      return true;
    };
    expect(await unknownOf('register', known)()).toEqual([]);
  });

  it('npm run reconcile takes every flag shown', async () => {
    // Without FusionAuth's URL and key the command stops at its usage checks, before any table is read.
    vi.stubEnv('FUSIONAUTH_URL', '');
    vi.stubEnv('FUSIONAUTH_API_KEY', '');
    const known = async (flag: string) => {
      const said: string[] = [];
      vi.spyOn(console, 'error').mockImplementation((...text: unknown[]) => void said.push(text.join(' ')));
      vi.spyOn(console, 'log').mockImplementation(() => {});
      await reconcileMain([flag], {});
      vi.restoreAllMocks();
      return !said.some((text) => UNKNOWN_OPTION.test(text));
    };
    expect(await unknownOf('reconcile', known)()).toEqual([]);
  });

  it('npm run erasures takes every flag shown', async () => {
    // The script itself, as npm runs it; --help ends it once its options are read, before any table is.
    const known = async (flag: string) => {
      const args = flag === '--help' || flag === '-h' ? [flag] : [flag, '--help'];
      try {
        await run(join(ROOT, 'node_modules/.bin/tsx'), ['local/erasures.ts', ...args], { cwd: ROOT });
        return true;
      } catch (error) {
        return !UNKNOWN_OPTION.test(String((error as { stderr?: string }).stderr));
      }
    };
    expect(await unknownOf('erasures', known)()).toEqual([]);
  });
});

describe('relative links in the docs', () => {
  const links = DOCS.flatMap(relativeLinks);

  it('finds the links', () => {
    expect(links.length).toBeGreaterThan(20);
  });

  it('each reaches a file that exists', () => {
    const broken = links
      .filter(({ doc, target }) => {
        const path = decodeURIComponent(target.replace(/[#?].*$/, ''));
        return path !== '' && !existsSync(resolve(ROOT, dirname(doc), path));
      })
      .map((link) => `${where(link)} (${relative(ROOT, resolve(ROOT, dirname(link.doc), link.target.replace(/[#?].*$/, '')))} does not exist)`);
    expect(broken).toEqual([]);
  });
});

describe('docs/operations.md and the alarms of the stack', () => {
  let stacks: ReturnType<typeof synthesizeApp>[];
  let alarms: string[];
  const operations = read('docs/operations.md');

  beforeAll(() => {
    // The default stack, and one with every optional alarm on: WAF's allow-list and a scheduled reconcile.
    stacks = [
      synthesizeApp(),
      synthesizeApp({ allowedSources: '203.0.113.10', fusionAuthUrl: 'https://auth.example.com', reconcileSchedule: 'rate(1 day)' }),
    ];
    alarms = [...new Set(stacks.flatMap(({ stack }) => stack.webhook.monitoring.alarms.map((alarm) => alarm.node.id)))].sort();
  });

  it('knows every alarm of the template', () => {
    for (const { stack, template } of stacks) {
      expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm'))).toHaveLength(stack.webhook.monitoring.alarms.length);
    }
    expect(alarms).toEqual(expect.arrayContaining(['ApiSourceNotAllowed', 'ReconcileRunsRefused']));
  });

  it('names each of them', () => {
    expect(alarms.filter((alarm) => !operations.includes(`\`${alarm}\``))).toEqual([]);
  });

  it('lists no alarm the stack does not have', () => {
    // The first cell of each row of the alarm tables: those whose header reads "| Alarm |".
    const listed: string[] = [];
    let inAlarmTable = false;
    for (const line of operations.split('\n')) {
      if (/^\|\s*Alarm\s*\|/.test(line)) inAlarmTable = true;
      else if (!line.startsWith('|')) inAlarmTable = false;
      else if (inAlarmTable && !/^\|\s*-+/.test(line)) listed.push(/^\|\s*`([^`]+)`/.exec(line)?.[1] ?? line);
    }
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.filter((name) => !alarms.includes(name))).toEqual([]);
  });
});
