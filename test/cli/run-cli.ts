/** Runs the `faultline` command as a child process, for the end-to-end CLI tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The CLI entry next to this test: compiled JavaScript, or TypeScript run through tsx. */
export function cliCommand(): string[] {
  const js = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
  if (existsSync(js)) return [js];
  return ['--import', 'tsx', fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))];
}

export interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Own process group (so a test can signal the whole group, as a terminal's Ctrl-C does). */
  readonly detached?: boolean;
  /** Called once the process started. */
  readonly onStart?: (child: ChildProcess) => void;
}

export function faultline(args: readonly string[], options: RunOptions = {}): Promise<Run> {
  return runNode([...cliCommand(), ...args], options);
}

/** Runs `node` with `argv` and collects what it prints. */
export function runNode(argv: readonly string[], options: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      cwd: options.cwd ?? process.cwd(),
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.detached === true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    options.onStart?.(child);
  });
}

/** Splits a printed replay command into the arguments after the program. */
export function replayArgs(command: string): string[] {
  return commandArgs(command, 'replay');
}

/** Splits a printed command (`sim`, `replay`, `merge`...) into the arguments after the program. */
export function commandArgs(command: string, subcommand: string): string[] {
  const words = command.split(' ');
  const at = words.indexOf(subcommand);
  return words.slice(at).map((w) => w.replace(/^'(.*)'$/, '$1'));
}

/**
 * A temporary directory for the tests of the describe block that calls this: made before them,
 * removed after them. Call the result for its path.
 */
export function tempDirFor(prefix: string): () => string {
  let dir: string | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
  return () => {
    if (dir === undefined) throw new Error('tempDirFor: its directory exists only while its describe block runs');
    return dir;
  };
}

/** Writes a workload module `name` into `dir` and returns its path. */
export async function writeWorkload(dir: string, name: string, source: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, source);
  return path;
}
