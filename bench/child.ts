/** Runs one measurement in a fresh child process (`worker.ts`) and parses its answer. */
import { spawn } from 'node:child_process';
import type { Competitor } from './competitors.js';
import { workerScript } from './paths.js';
import { WORKER_ERROR_PREFIX, WORKER_HUNG_PREFIX, WorkerFailure, type MeasureRequest, type MeasureResult } from './types.js';

/** The child gets its run time plus this much before it is stopped as hung. */
const CHILD_GRACE_MS = 120_000;
/** A child asked to stop (SIGTERM: it prints what it was doing) is killed this much later. */
const CHILD_STOP_MS = 5_000;
/** Output kept from a child; more is a bug in the worker. */
const OUTPUT_BYTES_MAX = 1 << 20;

export function measureInChild(req: MeasureRequest, competitor: Competitor, graceMs = CHILD_GRACE_MS): Promise<MeasureResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, UV_USE_IO_URING: '0', ...competitor.env };
  // Under tsx the loader flags are in execArgv; compiled runs have none.
  const args = [...process.execArgv, '--expose-gc', workerScript(), JSON.stringify(req)];
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
    }, req.warmupMs + req.durationMs + graceMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      clearTimeout(killer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killer);
      const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      if (code === 0 && line !== undefined) {
        try {
          resolve(JSON.parse(line) as MeasureResult);
          return;
        } catch {
          // Fall through to the failure below.
        }
      }
      const lines = stderr.trim().split('\n');
      if (hung) {
        // What the child said it was doing; none if its JavaScript thread never got to say it.
        const report = lines.filter((l) => l.startsWith(WORKER_HUNG_PREFIX)).pop()?.slice(WORKER_HUNG_PREFIX.length) ?? 'no report (its JavaScript thread did not answer)';
        reject(new WorkerFailure(`worker ${competitor.id} ${req.workload} hung, stopped after ${req.warmupMs + req.durationMs + graceMs} ms: ${report}`, 'ERR_HUNG'));
        return;
      }
      const marked = lines.filter((l) => l.startsWith(WORKER_ERROR_PREFIX)).pop();
      let failure: { code?: string; message?: string } = {};
      try {
        if (marked !== undefined) failure = JSON.parse(marked.slice(WORKER_ERROR_PREFIX.length)) as typeof failure;
      } catch {
        // A garbled line: fall back to the raw tail below.
      }
      const what = failure.message !== undefined ? `${failure.code === undefined ? '' : `${failure.code}: `}${failure.message}` : lines.slice(-3).join(' | ');
      reject(new WorkerFailure(`worker ${competitor.id} ${req.workload} exited ${signal ?? code}: ${what}`, failure.code));
    });
  });
}
