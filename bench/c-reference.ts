/**
 * The C reference runners (bench/reference/): ring-append.c (synced appends) and ring-depth.c
 * (O_DIRECT random reads and writes kept QD in flight), both on a ring set up and woken as UringIo's
 * (reference/ring.h). Built with the system's C compiler at bench time, run as a child process per
 * sample. See R_C_RING in uring-goals.ts for what their figures mean.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../src/native/binding.js';
import type { Figures } from './uring-goals.js';

const BUILD_TIMEOUT_MS = 120_000;

/** The reference programs, by the name of their source (and binary). */
export type ReferenceProgram = 'ring-append' | 'ring-depth';

/** A program's source in the repository. */
export function referenceSource(program: ReferenceProgram): string {
  return join(packageRoot() ?? process.cwd(), 'bench', 'reference', `${program}.c`);
}

/** Builds `program` into `dir`; the reason instead where there is no `cc` or it fails. */
export function buildReference(dir: string, program: ReferenceProgram): { binary: string } | { reason: string } {
  const binary = join(dir, program);
  const source = referenceSource(program);
  const built = spawnSync('cc', ['-O2', '-Wall', '-Werror', '-o', binary, source], { encoding: 'utf8', timeout: BUILD_TIMEOUT_MS });
  if (built.status === 0) return { binary };
  const why = built.error?.message ?? (built.stderr ?? '').trim().split('\n').slice(-2).join(' | ');
  return { reason: `cc could not build ${source}: ${why}` };
}

/** Runs a built program and reads the one JSON line of figures it prints. */
function runReference(binary: string, args: readonly string[], seconds: number): Figures {
  const run = spawnSync(binary, args, { encoding: 'utf8', timeout: (seconds + 60) * 1000 });
  if (run.status !== 0) throw new Error(`${binary} failed: ${(run.stderr ?? run.error?.message ?? '').trim()}`);
  const figures = JSON.parse(run.stdout) as Partial<Figures>;
  if (typeof figures.opsPerSecond !== 'number' || !(figures.opsPerSecond > 0) || typeof figures.cpuUsPerOp !== 'number' || !(figures.cpuUsPerOp >= 0)) {
    throw new Error(`${binary} printed ${run.stdout.trim()}`);
  }
  return { opsPerSecond: figures.opsPerSecond, cpuUsPerOp: figures.cpuUsPerOp };
}

/**
 * One run of ring-append: it truncates `filePath` and appends to it for `seconds`, as fio's job
 * does; with `busyMicros`, it spins that long before each append (see the program's comment).
 */
export function ringAppend(binary: string, filePath: string, seconds: number, busyMicros = 0): Figures {
  return runReference(binary, [filePath, String(seconds), String(busyMicros)], seconds);
}

/** What one run of ring-depth does: the file, the mode, the depth and the range and times of fio's job. */
export interface RingDepthRun {
  readonly filePath: string;
  readonly write: boolean;
  readonly depth: number;
  readonly seconds: number;
  /** Offsets are drawn from here to the end of the file (fio's --offset). */
  readonly firstByte: number;
  /** Run first, uncounted (fio's --ramp_time). */
  readonly warmupSeconds: number;
}

/** One run of ring-depth: O_DIRECT random 4 KiB transfers over an existing file, `depth` in flight. */
export function ringDepth(binary: string, run: RingDepthRun): Figures {
  const args = [run.filePath, run.write ? 'write' : 'read', String(run.depth), String(run.seconds), String(run.firstByte), String(run.warmupSeconds)];
  return runReference(binary, args, run.seconds + run.warmupSeconds);
}
