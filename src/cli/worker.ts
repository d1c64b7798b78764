/**
 * Entry of a campaign worker process: loads the workload once, then runs the seeds the campaign
 * hands out (in chunks, the next one queued before the current one ends, so the worker never waits
 * for the campaign between chunks). Results go back in batches: at the end of each chunk, on a
 * failure, and at least every `flushIntervalMs`, so the campaign's process wakes a few times per
 * chunk instead of once per seed. What a batch costs in safety the seed marker buys back: before a
 * seed starts and as soon as it ends the worker records its counts there (`seed-marker.ts`), so
 * when the process dies the campaign knows the seed it died in (that seed fails) and the seeds it
 * finished without sending (those run again). Without a marker, each result is handed to the OS
 * before the next seed starts, as batching would otherwise lose it.
 *
 * Stray errors (an exception thrown from a callback, a rejection nobody handled) fail the seed they
 * surfaced in instead of killing the worker. A thread of its own (`parent-watch.ts`) kills the
 * worker when the campaign's process dies, even while a seed spins in a synchronous loop.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { importWorkload, siblingModuleUrl } from './load-workload.js';
import { captureStrayErrorsForever, runSeed, type SeedResult } from './run-seed.js';
import { SeedMarkerWriter } from './seed-marker.js';
import { WORKER_MARKER_FD, type FromWorker, type ToWorker, type WorkerSetup } from './worker-process.js';
import type { Workload } from './workload.js';

/**
 * `process.send` as it was before the workload was imported: a workload (or a library it uses) that
 * replaces or wraps `process.send` sees none of our messages, so it never learns the token.
 */
const processSend = process.send?.bind(process);

/** The message types a worker sends, without the token {@link send} adds. */
type Outgoing = FromWorker extends infer M ? M extends FromWorker ? Omit<M, 'token'> : never : never;

function send(message: Outgoing): Promise<void> {
  return new Promise<void>((resolve) => {
    if (processSend === undefined || !process.connected || setup === undefined) {
      resolve();
      return;
    }
    processSend({ ...message, token: setup.token } as FromWorker, undefined, {}, () => resolve());
  });
}

let setup: WorkerSetup | undefined;
let workload: Workload | undefined;
let marker: SeedMarkerWriter | undefined;
/** Chunks handed out and not yet run (the campaign keeps this to a few). */
const queue: Array<readonly number[]> = [];
let outbox: SeedResult[] = [];
let lastFlushMs = 0;
let running = false;
let stopRequested = false;

// Ctrl-C reaches the whole process group: the campaign decides what happens, and ends us itself.
process.on('SIGINT', () => undefined);
// The campaign is gone (killed, or closed the channel): nothing left to do.
process.on('disconnect', () => process.exit(0));
captureStrayErrorsForever();

function watchParent(): void {
  const entry = siblingModuleUrl('./parent-watch');
  // The thread must never keep the worker alive: unref'd, it ends with the process.
  const thread = new Worker(fileURLToPath(entry), { workerData: { parentPid: process.ppid } });
  thread.unref();
  // A watch that cannot start leaves the IPC channel's 'disconnect' as the only watch: not a reason to fail seeds.
  thread.on('error', () => undefined);
}

async function flush(): Promise<void> {
  if (outbox.length === 0) return;
  const results = outbox;
  outbox = [];
  lastFlushMs = performance.now();
  const cpu = process.cpuUsage();
  await send({ type: 'results', results, cpuMicros: cpu.user + cpu.system });
}

/** Runs queued chunks until the queue is empty or the campaign asks to stop. */
async function runQueued(): Promise<void> {
  if (setup === undefined || workload === undefined || running) return;
  running = true;
  const batching = marker !== undefined;
  for (;;) {
    while (queue.length > 0 && !stopRequested) {
      const seeds = queue[0]!;
      for (let i = 0; i < seeds.length && !stopRequested; i++) {
        marker?.start();
        const result = await runSeed(workload, {
          seed: seeds[i]!, profile: setup.profile, faults: setup.faults, latency: setup.latency, options: setup.options,
          intercept: setup.intercept, checkDeterminism: setup.checkDeterminism, ...setup.extras,
        });
        marker?.finish();
        outbox.push(result);
        const chunkEnd = i === seeds.length - 1;
        if (!batching || chunkEnd || !result.ok || performance.now() - lastFlushMs >= setup.flushIntervalMs) await flush();
      }
      queue.shift();
    }
    await flush();
    // A chunk that arrived during the flush is run now (nothing else would start it).
    if (queue.length === 0 || stopRequested) break;
  }
  running = false;
  if (stopRequested) process.exit(0);
}

/** The marker, if the campaign gave one and it can be written (else results go one by one). */
function openMarker(offsetBytes: number | undefined): SeedMarkerWriter | undefined {
  if (offsetBytes === undefined) return undefined;
  try {
    const writer = new SeedMarkerWriter(WORKER_MARKER_FD, offsetBytes);
    writer.reset();
    return writer;
  } catch {
    return undefined;
  }
}

process.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'setup':
      // Only the campaign's first message sets the worker up (the token included).
      if (setup !== undefined) break;
      setup = message.setup;
      marker = openMarker(setup.markerOffsetBytes);
      watchParent();
      void importWorkload(setup.moduleUrl, setup.specifier).then(
        async (loaded) => {
          workload = loaded;
          lastFlushMs = performance.now();
          await send({ type: 'ready', batching: marker !== undefined });
        },
        async (err: unknown) => {
          await send({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
          process.exit(0);
        },
      );
      break;
    case 'run':
      queue.push(message.seeds);
      void runQueued();
      break;
    case 'stop':
      stopRequested = true;
      if (!running) process.exit(0);
      break;
  }
});
