/**
 * `waitInRing`: the event loop waits for completions in io_uring_enter instead of epoll while the
 * ring has requests in the kernel. What must hold: a completion wakes the thread directly (one
 * enter per request), and nothing else the loop waits for is delayed by it: timers fire on time,
 * immediates run, sockets and thread-pool completions end the wait, a worker can be terminated
 * and a process exits on its own.
 */
import { expect } from 'chai';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type AddressInfo } from 'node:net';
import { release } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { eventLoopUtilization, UringIo } from '../../src/backends/iouring/index.js';
import { isStorageError } from '../../src/interfaces/errors.js';
import { loadBinding } from '../../src/native/binding.js';
import { describeUring, makeRoots, siblingScript } from './support.js';

function startWorker(workerData: Record<string, unknown>): Worker {
  const script = siblingScript('child-worker');
  if (!script.endsWith('.ts')) return new Worker(script, { workerData });
  const code = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(pathToFileURL(script).href)}); })`;
  return new Worker(code, { eval: true, workerData });
}

/** The addon's total of this thread's waits in io_uring_enter (every ring of the thread, closed ones included). */
function ringWaitNanosOfThread(): number {
  const load = loadBinding();
  if (!load.ok) throw new Error(load.reason);
  const read = load.binding.ringWaitNanosOfThread;
  if (read === undefined) throw new Error('the addon has no ringWaitNanosOfThread');
  return read();
}

/** Skips (saying why) where the kernel cannot wait in the ring: a DEFER_TASKRUN ring needs Linux 6.1+. */
function skipWithoutWait(context: Mocha.Context, ring: UringIo): void {
  if (ring.ringInfo.waitInRing) return;
  console.log(`      (skipped: waitInRing needs a DEFER_TASKRUN ring, Linux 6.1+; this kernel is ${release()})`);
  context.skip();
}

describeUring('UringIo waitInRing', function () {
  this.timeout(30_000);
  let base: string;
  let root: string;
  let io: UringIo;

  beforeEach(async function () {
    ({ base, root } = await makeRoots('faultline-wait-'));
    io = new UringIo({ root, queueDepth: 8, waitInRing: true });
  });

  afterEach(async function () {
    await io.shutdown();
    await rm(base, { recursive: true, force: true });
  });

  /** A FIFO under the root, opened read-write on `ring` (so a read waits until someone writes). */
  async function fifo(name: string, ring: UringIo = io): Promise<{ fd: number; path: string }> {
    const path = join(root, name);
    execFileSync('mkfifo', [path]);
    return { fd: await ring.open(name, { read: true, write: true }), path };
  }

  /** Writes one byte into the FIFO at `path`, checks that the read waiting on it gets it, and closes `fd` (on `ring`). */
  async function finishFifoRead(path: string, fd: number, pending: Promise<number>, ring: UringIo = io): Promise<void> {
    const writer = openSync(path, 'w');
    try {
      writeSync(writer, 'z');
      expect(await pending).to.equal(1);
    } finally {
      closeSync(writer);
      await ring.close(fd);
    }
  }

  it('is on where the ring defers task work (Linux 6.1+), off with sqpoll, and a boolean', async function () {
    expect(io.ringInfo.waitInRing).to.equal(io.ringInfo.deferTaskrun);
    const polled = new UringIo({ root, sqpoll: true, waitInRing: true });
    try {
      expect(polled.ringInfo.waitInRing).to.equal(false);
    } finally {
      await polled.shutdown();
    }
    const plain = new UringIo({ root });
    try {
      expect(plain.ringInfo.waitInRing).to.equal(false);
    } finally {
      await plain.shutdown();
    }
    let caught: unknown;
    try {
      new UringIo({ root, waitInRing: 'yes' as unknown as boolean });
    } catch (err) {
      caught = err;
    }
    expect(isStorageError(caught) && caught.code).to.equal('ERR_INVALID_ARGUMENT');
  });

  it('a completion wakes the wait directly: one io_uring_enter per read, the next read submitted by the call that waits', async function () {
    skipWithoutWait(this, io);
    // Every read through the ring (none answered at the call, however far the writer is ahead).
    const ring = new UringIo({ root, queueDepth: 8, waitInRing: true, inlineReads: false });
    const path = join(root, 'paced');
    execFileSync('mkfifo', [path]);
    const fd = await ring.open('paced', { read: true, write: true });
    const readsTotal = 40;
    // Another process writes one byte every 2 ms, so most reads wait in the kernel.
    const writer = spawn('sh', ['-c', `i=0; while [ $i -lt ${readsTotal} ]; do printf x; sleep 0.002; i=$((i+1)); done > '${path}'`]);
    const exited = new Promise((resolve) => writer.once('exit', resolve));
    try {
      const before = ring.ringInfo;
      const target = new Uint8Array(1);
      for (let i = 0; i < readsTotal; i += 1) {
        expect(await ring.read(fd, target, 0)).to.equal(1);
        expect(target[0]).to.equal(0x78);
      }
      const after = ring.ringInfo;
      expect(after.ringWaits - before.ringWaits, 'waits in the ring').to.be.at.least(readsTotal * 0.9);
      // Through epoll each read costs two enters (post the completion, submit the next read).
      expect((after.enterCalls - before.enterCalls) / readsTotal, 'io_uring_enter calls per read').to.be.at.most(1.4);
    } finally {
      await exited;
      await ring.shutdown();
    }
  });

  it('a timer fires on time while a read waits in the ring, and ends that wait', async function () {
    skipWithoutWait(this, io);
    const { fd, path } = await fifo('timer');
    const pending = io.read(fd, new Uint8Array(1), 0);
    const before = io.ringInfo;
    const startMs = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 40));
    const elapsedMs = performance.now() - startMs;
    expect(elapsedMs).to.be.at.least(39).and.at.most(140);
    const after = io.ringInfo;
    expect(after.ringWaits - before.ringWaits).to.be.at.least(1);
    expect(after.ringWaitsTimedOut - before.ringWaitsTimedOut).to.be.at.least(1);
    await finishFifoRead(path, fd, pending);
  });

  it('the time a read waits in the ring is counted, and eventLoopUtilization counts it as idle where perf_hooks counts it busy', async function () {
    skipWithoutWait(this, io);
    const { fd, path } = await fifo('utilization');
    const pending = io.read(fd, new Uint8Array(1), 0);
    const waitedBefore = io.ringInfo.ringWaitNanos;
    const rawBefore = performance.eventLoopUtilization();
    const oursBefore = eventLoopUtilization();
    const startMs = performance.now();
    // The loop has nothing to do but this timer: it waits in the ring until the timer is due.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const elapsedMs = performance.now() - startMs;
    const raw = performance.eventLoopUtilization(rawBefore);
    const ours = eventLoopUtilization(oursBefore);
    const waitedMs = (io.ringInfo.ringWaitNanos - waitedBefore) / 1e6;
    expect(waitedMs, 'ms waited in the ring').to.be.at.least(250).and.at.most(elapsedMs + 1);
    expect(raw.utilization, 'perf_hooks: the wait is busy time').to.be.above(0.7);
    expect(ours.utilization, 'eventLoopUtilization: the wait is idle time').to.be.below(0.3);
    // Idle time grows only in libuv's poll, never between two readings made in one synchronous
    // stretch, so the two idle figures differ by the ring's waits alone; active time grows with the
    // clock between the readings (a garbage collection there moved it by 10 ms in the full suite).
    expect(ours.idle - raw.idle, 'moved to idle').to.be.closeTo(waitedMs, 0.01);
    expect(ours.idle + ours.active, 'the same span').to.be.closeTo(raw.idle + raw.active, 50);
    await finishFifoRead(path, fd, pending);
    // A closed ring's waits stay counted: the thread's total does not drop at shutdown.
    const total = eventLoopUtilization();
    await io.shutdown();
    expect(eventLoopUtilization().idle).to.be.at.least(total.idle);
  });

  it('without waitInRing the ring never waits, and eventLoopUtilization is perf_hooks\'', async function () {
    const plain = new UringIo({ root, queueDepth: 8 });
    try {
      const { fd, path } = await fifo('plain', plain);
      const pending = plain.read(fd, new Uint8Array(1), 0);
      const rawBefore = performance.eventLoopUtilization();
      const oursBefore = eventLoopUtilization();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const raw = performance.eventLoopUtilization(rawBefore);
      const ours = eventLoopUtilization(oursBefore);
      expect(plain.ringInfo.ringWaitNanos).to.equal(0);
      expect(raw.utilization, 'the loop slept in epoll').to.be.below(0.3);
      // As above: idle cannot grow between readings made in one synchronous stretch, active grows
      // with the clock there (the two pairs of readings differed by 7 ms of it once in CI's full
      // suite: a collection or a preemption between them).
      expect(ours.idle, 'nothing moved to idle').to.be.closeTo(raw.idle, 0.01);
      expect(ours.active, 'the same span').to.be.closeTo(raw.active, 50);
      await finishFifoRead(path, fd, pending, plain);
    } finally {
      await plain.shutdown();
    }
  });

  it('a thread-pool completion and a socket end the wait as they would end epoll\'s', async function () {
    skipWithoutWait(this, io);
    const { fd, path } = await fifo('loop');
    await writeFile(join(root, 'plain.txt'), 'plain');
    // The read completes only once both checks below have passed: if the wait ignored the loop's
    // other fds, nothing would end it before the test's own timeout.
    const pending = io.read(fd, new Uint8Array(1), 0);
    const before = io.ringInfo;
    let startMs = performance.now();
    expect(await readFile(join(root, 'plain.txt'), 'utf8')).to.equal('plain');
    expect(performance.now() - startMs, 'fs.promises readFile (thread pool)').to.be.below(2000);
    const server = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      startMs = performance.now();
      const echoed = await new Promise<string>((resolve, reject) => {
        const client = connect((server.address() as AddressInfo).port, '127.0.0.1', () => client.write('ping'));
        client.once('data', (data) => {
          client.destroy();
          resolve(data.toString());
        });
        client.once('error', reject);
      });
      expect(echoed).to.equal('ping');
      expect(performance.now() - startMs, 'a TCP round trip').to.be.below(2000);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(io.ringInfo.ringWaitsLoopWoken - before.ringWaitsLoopWoken).to.be.at.least(1);
    await finishFifoRead(path, fd, pending);
  });

  it('immediates and a child process\'s exit are not held up by a read waiting in the ring', async function () {
    skipWithoutWait(this, io);
    const { fd, path } = await fifo('immediates');
    const pending = io.read(fd, new Uint8Array(1), 0);
    const startMs = performance.now();
    for (let i = 0; i < 1000; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(performance.now() - startMs, '1,000 immediates in a row').to.be.below(2000);
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile('sh', ['-c', 'echo done'], (err, out) => (err ? reject(err) : resolve(out)));
    });
    expect(stdout.trim()).to.equal('done');
    await finishFifoRead(path, fd, pending);
  });

  it('a read completing on another ring ends this ring\'s wait (its eventfd is one of the loop\'s fds)', async function () {
    skipWithoutWait(this, io);
    const other = new UringIo({ root });
    const { fd, path } = await fifo('never');
    // This ring's read is written only at the end; the other ring's is written by a thread-pool
    // thread (fs.promises), so no timer or signal of this thread ends this ring's wait.
    const pending = io.read(fd, new Uint8Array(1), 0);
    try {
      execFileSync('mkfifo', [join(root, 'elsewhere')]);
      const elsewhere = await other.open('elsewhere', { read: true, write: true });
      const target = new Uint8Array(5);
      const read = other.read(elsewhere, target, 0);
      await new Promise((resolve) => setTimeout(resolve, 10));
      const startMs = performance.now();
      const written = writeFile(join(root, 'elsewhere'), 'other');
      expect(await read).to.equal(5);
      expect(Buffer.from(target).toString()).to.equal('other');
      expect(performance.now() - startMs, 'the other ring\'s read').to.be.below(2000);
      await written;
      await other.close(elsewhere);
    } finally {
      await other.shutdown();
    }
    await finishFifoRead(path, fd, pending);
  });

  it('shutdown with a read waiting in the ring settles it and frees the ring', async function () {
    skipWithoutWait(this, io);
    const { fd } = await fifo('shutdown');
    const pending = io.read(fd, new Uint8Array(1), 0).then(() => 'read', (err: unknown) => (isStorageError(err) ? err.code : 'other'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(io.ringInfo.ringWaits).to.be.at.least(1);
    await io.shutdown();
    expect(await pending).to.equal('ERR_CLOSED');
    expect(io.ringInfo.open).to.equal(false);
  });

  it('a worker waiting in its ring is terminated promptly, and a process whose reads are done exits on its own', async function () {
    skipWithoutWait(this, io);
    const threadWaitBefore = ringWaitNanosOfThread();
    const worker = startWorker({ root, mode: 'wait', name: 'worker-fifo', rounds: 0 });
    let report: Record<string, unknown>;
    try {
      report = await new Promise<Record<string, unknown>>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    const startMs = performance.now();
    // Terminated before the checks: a worker left waiting in its ring would keep mocha alive.
    expect(await worker.terminate()).to.equal(1);
    expect(performance.now() - startMs, 'terminate()').to.be.below(5000);
    expect(report['waiting']).to.equal(true);
    expect(report['ringWaits']).to.be.greaterThan(0);
    // The worker's ring waited until its 30 ms timer; that is the worker's loop's idle time, not
    // this thread's: this thread's total of ring waits (read through the binding) did not move.
    expect(report['ringWaitNanos']).to.be.at.least(20e6);
    expect(ringWaitNanosOfThread()).to.equal(threadWaitBefore);

    // A process: one read that waits in the ring, written by a timer; then nothing is left and
    // the process must exit by itself (the wait's handles and its poll of the loop hold nothing).
    const child = await new Promise<{ code: number | null; out: string }>((resolve) => {
      execFile(process.execPath, [...process.execArgv, siblingScript('child-wait'), root], { timeout: 20_000 }, (err, out) => {
        resolve({ code: err === null ? 0 : (err as { code?: number }).code ?? -1, out });
      });
    });
    expect(child.out.trim()).to.equal('read 1, waits >0');
    expect(child.code).to.equal(0);
  });
});

describe('eventLoopUtilization', function () {
  it('takes the readings it made, in perf_hooks\' calling forms', async function () {
    const first = eventLoopUtilization();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = eventLoopUtilization();
    const change = eventLoopUtilization(first, second);
    expect(change.idle).to.be.closeTo(second.idle - first.idle, 1e-9);
    expect(change.active).to.be.closeTo(second.active - first.active, 1e-9);
    expect(change.utilization).to.be.closeTo(change.active / (change.idle + change.active), 1e-9);
    expect(change.idle + change.active, 'the 20 ms between them').to.be.at.least(19);
    const since = eventLoopUtilization(first);
    expect(since.idle + since.active).to.be.at.least(change.idle + change.active);
  });

  it('refuses a reading that is not one, with ERR_INVALID_ARGUMENT, naming the argument', function () {
    const hostile = new Proxy({}, { get() { throw new Error('trap'); } });
    const cases: [unknown, unknown, string][] = [
      [null, undefined, 'utilization1'],
      [42, undefined, 'utilization1'],
      [{ idle: -1, active: 0 }, undefined, 'utilization1'],
      [{ idle: 1, active: Number.NaN }, undefined, 'utilization1'],
      [{ idle: 1 }, undefined, 'utilization1'],
      [hostile, undefined, 'utilization1'],
      [undefined, { idle: 1, active: 1 }, 'utilization1'],
      [{ idle: 1, active: 1 }, { idle: '2', active: 1 }, 'utilization2'],
    ];
    for (const [one, two, argument] of cases) {
      let caught: unknown;
      try {
        eventLoopUtilization(one as EventLoopUtilization, two as EventLoopUtilization);
      } catch (err) {
        caught = err;
      }
      expect(isStorageError(caught, 'ERR_INVALID_ARGUMENT'), String(caught)).to.equal(true);
      expect((caught as { details: { argument?: string; operation?: string } }).details).to.include({ argument, operation: 'eventLoopUtilization' });
      expect((caught as Error).message).to.match(/^eventLoopUtilization: /);
    }
  });
});
