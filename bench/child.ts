/** Runs one measurement in a fresh child process (`worker.ts`) and parses its answer. */
import type { Competitor } from './competitors.js';
import { answerOf, runNodeChild } from './json-child.js';
import { workerScript } from './paths.js';
import { WORKER_ERROR_PREFIX, WORKER_HUNG_PREFIX, WorkerFailure, type MeasureRequest, type MeasureResult } from './types.js';

/** The child gets its run time plus this much before it is stopped as hung. */
const CHILD_GRACE_MS = 120_000;

export async function measureInChild(req: MeasureRequest, competitor: Competitor, graceMs = CHILD_GRACE_MS): Promise<MeasureResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, UV_USE_IO_URING: '0', ...competitor.env };
  // Under tsx the loader flags are in execArgv; compiled runs have none.
  const args = [...process.execArgv, '--expose-gc', workerScript(), JSON.stringify(req)];
  const timeoutMs = req.warmupMs + req.durationMs + graceMs;
  const outcome = await runNodeChild(args, env, timeoutMs);
  const answer = answerOf<MeasureResult>(outcome);
  if (answer !== undefined) return answer;
  const lines = outcome.stderr.trim().split('\n');
  if (outcome.hung) {
    // What the child said it was doing; none if its JavaScript thread never got to say it.
    const report = lines.filter((l) => l.startsWith(WORKER_HUNG_PREFIX)).pop()?.slice(WORKER_HUNG_PREFIX.length) ?? 'no report (its JavaScript thread did not answer)';
    throw new WorkerFailure(`worker ${competitor.id} ${req.workload} hung, stopped after ${timeoutMs} ms: ${report}`, 'ERR_HUNG');
  }
  const marked = lines.filter((l) => l.startsWith(WORKER_ERROR_PREFIX)).pop();
  let failure: { code?: string; message?: string } = {};
  try {
    if (marked !== undefined) failure = JSON.parse(marked.slice(WORKER_ERROR_PREFIX.length)) as typeof failure;
  } catch {
    // A garbled line: fall back to the raw tail below.
  }
  const what = failure.message !== undefined ? `${failure.code === undefined ? '' : `${failure.code}: `}${failure.message}` : lines.slice(-3).join(' | ');
  throw new WorkerFailure(`worker ${competitor.id} ${req.workload} exited ${outcome.signal ?? outcome.code}: ${what}`, failure.code);
}
