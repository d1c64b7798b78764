/**
 * The C reference runner of synced appends (bench/reference/ring-append.c): built with the system's
 * C compiler at bench time, run as a child process per sample. See R_C_RING in uring-goals.ts for
 * what its figures mean.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../src/native/binding.js';
import type { Figures } from './uring-goals.js';

const BUILD_TIMEOUT_MS = 120_000;

/** The program's source in the repository. */
export function ringAppendSource(): string {
  return join(packageRoot() ?? process.cwd(), 'bench', 'reference', 'ring-append.c');
}

/** Builds the program into `dir`; the reason instead where there is no `cc` or it fails. */
export function buildRingAppend(dir: string): { binary: string } | { reason: string } {
  const binary = join(dir, 'ring-append');
  const source = ringAppendSource();
  const built = spawnSync('cc', ['-O2', '-Wall', '-Werror', '-o', binary, source], { encoding: 'utf8', timeout: BUILD_TIMEOUT_MS });
  if (built.status === 0) return { binary };
  const why = built.error?.message ?? (built.stderr ?? '').trim().split('\n').slice(-2).join(' | ');
  return { reason: `cc could not build ${source}: ${why}` };
}

/**
 * One run: the program truncates `filePath` and appends to it for `seconds`, as fio's job does;
 * with `busyMicros`, it spins that long before each append (see the program's comment).
 */
export function ringAppend(binary: string, filePath: string, seconds: number, busyMicros = 0): Figures {
  const run = spawnSync(binary, [filePath, String(seconds), String(busyMicros)], { encoding: 'utf8', timeout: (seconds + 60) * 1000 });
  if (run.status !== 0) throw new Error(`${binary} failed: ${(run.stderr ?? run.error?.message ?? '').trim()}`);
  const figures = JSON.parse(run.stdout) as Partial<Figures>;
  if (typeof figures.opsPerSecond !== 'number' || !(figures.opsPerSecond > 0) || typeof figures.cpuUsPerOp !== 'number' || !(figures.cpuUsPerOp >= 0)) {
    throw new Error(`${binary} printed ${run.stdout.trim()}`);
  }
  return { opsPerSecond: figures.opsPerSecond, cpuUsPerOp: figures.cpuUsPerOp };
}
