/**
 * The command line that reruns the current test process with extra environment variables: what a
 * failing model test or simulation test prints so the failure can be replayed exactly.
 */
import { relative } from 'node:path';

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
  const assignments = Object.entries(env).map(([name, value]) => `${name}=${shellQuote(value)}`);
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
