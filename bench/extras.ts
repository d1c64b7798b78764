/**
 * The benchmark scripts other areas keep in `bench/` (simulator throughput, io_uring reads, the
 * campaign runner, the scratch region). `npm run bench` runs each as it is, in a child process,
 * and puts its output in the report, so one command still runs every benchmark.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ExtraBench {
  readonly name: string;
  readonly title: string;
  /** Arguments for the smoke profile: each script's own way of running small. */
  readonly quickArgs: readonly string[];
  /** Extra Node/V8 flags, as the product runs it (the `faultline` command sets the same). */
  readonly nodeArgs?: readonly string[];
  /** Time allowed to the full run where the default ({@link TIMEOUT_MS}) is too short. */
  readonly fullTimeoutMs?: number;
}

export const EXTRA_BENCHES: readonly ExtraBench[] = [
  { name: 'sim-throughput', title: 'Simulator throughput', quickArgs: ['--ops', '20000', '--file-mib', '8'] },
  // About 23 minutes on a 2-vCPU guest: some 1,100 timed runs of a second, each in a process of its own.
  { name: 'uring-reads', title: 'io_uring vs fio, libuv io_uring and fs.promises', quickArgs: ['--quick', '--seconds', '0.5', '--file-mib', '16'], fullTimeoutMs: 2_700_000 },
  { name: 'campaign', title: 'Simulation campaign', quickArgs: ['--quick'], nodeArgs: ['--single-threaded-gc'] },
  { name: 'scratch', title: 'Scratch region', quickArgs: ['--quick'] },
  { name: 'nodefs-throughput', title: 'node.fs on a simulated node vs memfs', quickArgs: ['--ops', '20000', '--file-mib', '4', '--rounds', '1'] },
];

/** Time allowed to one script: its own quick mode must stay inside the CI smoke budget. */
const TIMEOUT_MS = { quick: 90_000, full: 1_200_000 } as const;
const OUTPUT_BYTES_MAX = 4 << 20;

export type ExtraOutcome =
  | { readonly status: 'absent' }
  | { readonly status: 'ok'; readonly output: string; readonly elapsedMs: number }
  | { readonly status: 'failed'; readonly output: string; readonly reason: string };

export function extraScript(bench: ExtraBench): string {
  const here = fileURLToPath(import.meta.url);
  return join(dirname(here), `${bench.name}${extname(here)}`);
}

export function runExtra(bench: ExtraBench, quick: boolean): Promise<ExtraOutcome> {
  const script = extraScript(bench);
  if (!existsSync(script)) return Promise.resolve({ status: 'absent' });
  // --expose-gc: the scripts that report memory held call gc() when they can.
  const args = [...process.execArgv, ...(bench.nodeArgs ?? []), '--expose-gc', script, ...(quick ? bench.quickArgs : [])];
  const startMs = performance.now();
  const timeoutMs = quick ? TIMEOUT_MS.quick : bench.fullTimeoutMs ?? TIMEOUT_MS.full;
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: timeoutMs, maxBuffer: OUTPUT_BYTES_MAX }, (err, stdout, stderr) => {
      const output = `${stdout}${stderr === '' ? '' : `\n${stderr}`}`.trim();
      if (err) {
        const reason = err.killed ? `timed out after ${timeoutMs} ms` : `exited ${err.code ?? err.signal}`;
        resolve({ status: 'failed', output, reason });
        return;
      }
      resolve({ status: 'ok', output, elapsedMs: performance.now() - startMs });
    });
  });
}
