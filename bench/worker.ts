/**
 * The measuring child: `node worker.js '<MeasureRequest JSON>'` runs one measurement of one
 * competitor and prints one {@link MeasureResult} JSON line on stdout. A competitor that cannot
 * run here prints `{ ok: false, unavailable }` and exits 0; anything else is a failure (exit 1).
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { NotAvailable } from './drivers/driver.js';
import { unavailableReason } from './drivers/backends.js';
import { runMeasurement } from './measure.js';
import { WORKER_ERROR_PREFIX, WORKER_HUNG_PREFIX, type MeasureRequest, type MeasureResult } from './types.js';
import { hungReport } from './worker-progress.js';

/** io_uring instances this process holds: shows whether UV_USE_IO_URING=1 really took effect. */
function ioUringInstances(): number {
  let count = 0;
  try {
    for (const fd of readdirSync('/proc/self/fd')) {
      try {
        if (readlinkSync(`/proc/self/fd/${fd}`) === 'anon_inode:[io_uring]') count += 1;
      } catch {
        // The fd closed while we looked (the readdir's own fd): not a ring.
      }
    }
  } catch {
    return -1;
  }
  return count;
}

const UNAVAILABLE_CODES = new Set(['ERR_UNSUPPORTED', 'ERR_IOURING_UNAVAILABLE']);

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('usage: worker.js <MeasureRequest JSON>');
  const req = JSON.parse(raw) as MeasureRequest;
  let result: MeasureResult;
  try {
    result = await runMeasurement(req);
  } catch (err) {
    // A backend that says it cannot do this here (no O_DIRECT, no io_uring) is a gap, not a failure.
    const code = (err as { code?: unknown }).code;
    if (!(err instanceof NotAvailable) && !(typeof code === 'string' && UNAVAILABLE_CODES.has(code))) throw err;
    result = { ok: false, unavailable: unavailableReason(err) };
  }
  if (result.ok) result = { ...result, extra: { ...result.extra, ioUringInstances: ioUringInstances() } };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

// The runner's SIGTERM means "hung" (child.ts): say where, then go at once. Not process.exit:
// its teardown joins libuv's threadpool, whose stuck thread is often the hang itself. Writes to a
// pipe are synchronous on Linux, so the line is out before the kill.
const startedMs = performance.now();
process.on('SIGTERM', () => {
  process.stderr.write(`\n${WORKER_HUNG_PREFIX}${hungReport(performance.now() - startedMs)}\n`);
  process.kill(process.pid, 'SIGKILL');
});

main().then(
  // Backends may keep handles (rings, pools) that are not ours to wait for once the figure is out.
  () => process.exit(0),
  (err: unknown) => {
    const code = (err as { code?: unknown }).code;
    const failure = {
      code: typeof code === 'string' ? code : undefined,
      message: (err instanceof Error ? err.message : String(err)).split('\n')[0],
    };
    // The stack is for humans; the runner parses the last line.
    process.stderr.write(`${err instanceof Error ? err.stack ?? '' : ''}\n${WORKER_ERROR_PREFIX}${JSON.stringify(failure)}\n`);
    process.exit(1);
  },
);
