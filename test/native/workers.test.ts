/**
 * Context awareness: worker threads each drive their own ring; a worker terminated with
 * operations in flight, and a process exiting with operations in flight, neither crash nor leak
 * file descriptors (the addon's environment cleanup hook cancels and drains the ring).
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describeUring, makeRoots, siblingScript } from './support.js';

function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

function startWorker(workerData: Record<string, unknown>): Worker {
  const script = siblingScript('child-worker');
  if (!script.endsWith('.ts')) return new Worker(script, { workerData });
  // Running from source: loader hooks are per thread, so register tsx in the worker first.
  const code = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(pathToFileURL(script).href)}); })`;
  return new Worker(code, { eval: true, workerData });
}

function nextMessage(worker: Worker): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited (code ${code}) before reporting`)));
  });
}

describeUring('UringIo and threads', function () {
  this.timeout(120_000);
  let base: string;
  let root: string;

  beforeEach(async function () {
    ({ base, root } = await makeRoots('faultline-workers-'));
  });

  afterEach(async function () {
    await rm(base, { recursive: true, force: true });
  });

  it('two worker threads each drive their own ring, correctly, at the same time', async function () {
    const workers = [startWorker({ root, mode: 'work', name: 'a', rounds: 200 }), startWorker({ root, mode: 'work', name: 'b', rounds: 200 })];
    // Listen for exit from the start: a worker may exit before its report is processed here.
    const exits = workers.map((w) => new Promise<number>((resolve) => w.once('exit', resolve)));
    const reports = await Promise.all(workers.map(nextMessage));
    for (const report of reports) {
      expect(report['done']).to.equal(true);
      expect(report['mismatches']).to.equal(0);
      expect(report['enterCalls']).to.be.greaterThan(0);
    }
    expect(await Promise.all(exits)).to.deep.equal([0, 0]);
  });

  it('terminating a worker with hundreds of operations in flight neither crashes nor leaks fds', async function () {
    // Warm-up: the first worker loads modules and the addon, which keep a few fds for good.
    const warm = startWorker({ root, mode: 'flood', name: 'warm', rounds: 0 });
    await nextMessage(warm);
    await warm.terminate();
    const before = openFdCount();
    for (let i = 0; i < 8; i += 1) {
      const worker = startWorker({ root, mode: 'flood', name: `f${i}`, rounds: 0 });
      const message = await nextMessage(worker);
      expect(message['busy']).to.equal(true);
      expect(message['inFlight']).to.be.greaterThan(32);
      // Vary the moment: right away, or while the worker is deep in completions and refills.
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, i * 3));
      const exitCode = await worker.terminate();
      expect(exitCode).to.equal(1);
    }
    // Each worker had a ring fd, a root fd and two files open: all must be gone.
    expect(openFdCount()).to.be.at.most(before);
  });

  it('a process that exits with operations in flight exits cleanly', async function () {
    const output = await new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [...process.execArgv, siblingScript('child-exit'), root], { timeout: 60_000 }, (err, stdout, stderr) => {
        const failure = err as (Error & { code?: number; signal?: string }) | null;
        resolve({ code: failure?.code ?? 0, signal: failure?.signal ?? null, stdout, stderr });
      });
    });
    expect(output.signal, output.stderr).to.equal(null);
    expect(output.code, output.stderr).to.equal(0);
    expect(output.stdout).to.match(/in-flight \d+/);
    expect(Number(/in-flight (\d+)/.exec(output.stdout)?.[1])).to.be.greaterThan(0);
  });
});
