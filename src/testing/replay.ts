/**
 * The command line that reruns the current test process with extra environment variables: what a
 * failing model test or simulation test prints so the failure can be replayed exactly.
 */
import { relative } from 'node:path';
import { StorageError } from '../interfaces/errors.js';
import { readCallerValue } from '../interfaces/validate.js';

/** A name a shell takes before a command as an environment assignment. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Most variables one replay command sets. */
const ENV_ENTRIES_MAX = 64;

function invalid(message: string, argument: string, details: Record<string, unknown> = {}): StorageError {
  return new StorageError('ERR_INVALID_ARGUMENT', `replayCommand: ${message}`, { operation: 'replayCommand', argument, ...details });
}

/**
 * The `NAME=value` pairs, checked: the names are not quoted (a shell reads a quoted word as the
 * command, not an assignment), so a name must be one a shell takes as such; any other text there
 * (`A;rm -rf ~;B`) would run as a command when the line is pasted. Values are quoted, and must be
 * strings. Read once, through getters and Proxies too.
 */
function envAssignments(env: unknown): Array<[string, string]> {
  if (typeof env !== 'object' || env === null) throw invalid('env must be an object of NAME: value strings', 'env');
  const entries = readCallerValue('replayCommand', () => Object.entries(env), 'env', 'env') as Array<[string, unknown]>;
  if (entries.length > ENV_ENTRIES_MAX) throw new StorageError('ERR_LIMIT_EXCEEDED', 'replayCommand: env has too many variables', { operation: 'replayCommand', argument: 'env', limit: ENV_ENTRIES_MAX });
  for (const [name, value] of entries) {
    if (!ENV_NAME.test(name)) throw invalid('env names must be shell variable names (letters, digits, _)', 'env', { name });
    if (typeof value !== 'string') throw invalid('env values must be strings', 'env', { name });
  }
  return entries as Array<[string, string]>;
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function shortPath(word: string): string {
  if (!word.startsWith('/')) return word;
  const rel = relative(process.cwd(), word);
  return rel.startsWith('..') ? word : rel;
}

/**
 * `NAME=value ... <command>`: under vitest `npx vitest run -t <title>`, under `node --test` the
 * same file with `node --test`, otherwise this process's own command line (mocha, plain node).
 */
export function replayCommand(env: Readonly<Record<string, string>>, title: string): string {
  if (typeof title !== 'string') throw invalid('title must be a string', 'title');
  const assignments = envAssignments(env).map(([name, value]) => `${name}=${shellQuote(value)}`);
  let command: string[];
  if (process.env['VITEST'] !== undefined) {
    command = ['npx', 'vitest', 'run', '-t', title];
  } else if (process.env['NODE_TEST_CONTEXT'] !== undefined) {
    command = ['node', '--test', ...process.argv.slice(1).map(shortPath)];
  } else {
    command = ['node', ...process.execArgv, ...process.argv.slice(1).map(shortPath)];
  }
  return [...assignments, ...command.map(shellQuote)].join(' ');
}
