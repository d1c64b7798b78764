/**
 * Entry of a campaign worker process: loads the workload once, then runs the seeds the campaign
 * hands out, sending one result per seed and `idle` after each batch. Each result is handed to the
 * OS before the next seed starts, so a seed that kills the process cannot take an earlier seed's
 * result with it. Stray errors (an exception thrown from a callback, a rejection nobody handled)
 * fail the seed they surfaced in instead of killing the worker.
 */
import { importWorkload } from './load-workload.js';
import { captureStrayErrorsForever, runSeed } from './run-seed.js';
import type { FromWorker, ToWorker, WorkerSetup } from './worker-process.js';
import type { Workload } from './workload.js';

function send(message: FromWorker): Promise<void> {
  return new Promise<void>((resolve) => {
    if (process.send === undefined || !process.connected) {
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => resolve());
  });
}

let setup: WorkerSetup | undefined;
let workload: Workload | undefined;
let running = false;
let stopRequested = false;

// Ctrl-C reaches the whole process group: the campaign decides what happens, and ends us itself.
process.on('SIGINT', () => undefined);
// The campaign is gone (killed, or closed the channel): nothing left to do.
process.on('disconnect', () => process.exit(0));
captureStrayErrorsForever();

async function runBatch(seeds: readonly number[]): Promise<void> {
  if (setup === undefined || workload === undefined) return;
  running = true;
  for (const seed of seeds) {
    if (stopRequested) break;
    const result = await runSeed(workload, {
      seed, profile: setup.profile, faults: setup.faults, latency: setup.latency, options: setup.options,
      intercept: setup.intercept, checkDeterminism: setup.checkDeterminism,
    });
    await send({ type: 'result', result });
  }
  running = false;
  if (stopRequested) process.exit(0);
  await send({ type: 'idle' });
}

process.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'setup':
      setup = message.setup;
      void importWorkload(setup.moduleUrl, setup.specifier).then(
        async (loaded) => {
          workload = loaded;
          await send({ type: 'ready' });
        },
        async (err: unknown) => {
          await send({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
          process.exit(0);
        },
      );
      break;
    case 'run':
      void runBatch(message.seeds);
      break;
    case 'stop':
      stopRequested = true;
      if (!running) process.exit(0);
      break;
  }
});
