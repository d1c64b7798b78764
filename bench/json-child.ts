/**
 * Runs a measuring child (a Node script that prints its answer as one JSON line) and collects what
 * it said: `child.ts` (the main suite's worker) and `uring-runner.ts` both go through here, so the
 * output bounds and the stop of a hung child are written once.
 */
import { spawn } from 'node:child_process';

/** Output kept from a child, per stream; more is a bug in the child. */
const OUTPUT_BYTES_MAX = 1 << 20;
/** A child asked to stop (SIGTERM: it may print what it was doing) is killed this much later. */
const CHILD_STOP_MS = 5_000;

export interface ChildOutcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Stopped because it outlived `timeoutMs`. */
  readonly hung: boolean;
}

/** Runs `node <args>` with `env`; stops it (SIGTERM, then SIGKILL) once `timeoutMs` pass. Rejects only if it cannot start. */
export function runNodeChild(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ChildOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < OUTPUT_BYTES_MAX) stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < OUTPUT_BYTES_MAX) stderr += chunk;
    });
    let hung = false;
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), CHILD_STOP_MS);
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      clearTimeout(killer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, hung });
    });
  });
}

/** The child's answer: its last stdout line that parses as JSON, when it exited 0; else undefined. */
export function answerOf<T>(outcome: ChildOutcome): T | undefined {
  if (outcome.code !== 0) return undefined;
  const line = outcome.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (line === undefined) return undefined;
  try {
    return JSON.parse(line) as T;
  } catch {
    return undefined;
  }
}
