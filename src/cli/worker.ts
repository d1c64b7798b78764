/**
 * Worker-thread entry of a campaign: loads the workload once, then runs the chunks of seeds the
 * main thread hands out, posting one result per seed and `idle` after each chunk.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, ToWorker, WorkerSetup } from './campaign.js';
import { importWorkload } from './load-workload.js';
import { runSeed } from './run-seed.js';

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('worker.ts must run in a worker thread');
  const setup = workerData as WorkerSetup;
  const post = (message: FromWorker): void => port.postMessage(message);
  let workload;
  try {
    workload = await importWorkload(setup.moduleUrl, setup.specifier);
  } catch (err) {
    post({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
    return;
  }
  port.on('message', (message: ToWorker) => {
    if (message.type === 'stop') {
      port.close();
      return;
    }
    void (async () => {
      for (let i = 0; i < message.count; i++) {
        const result = await runSeed(workload, {
          seed: message.from + i, profile: setup.profile, faults: setup.faults, latency: setup.latency, options: setup.options,
          intercept: setup.intercept, checkDeterminism: setup.checkDeterminism,
        });
        post({ type: 'result', result });
      }
      post({ type: 'idle' });
    })();
  });
  post({ type: 'ready' });
}

void main();
