/**
 * Worker-thread body for workers.test.ts. `mode: 'work'` drives its own UringIo through a
 * verified write/read loop and reports; `mode: 'flood'` keeps hundreds of operations in flight
 * forever (until the parent terminates the worker); `mode: 'wait'` leaves a FIFO read waiting in its
 * ring (waitInRing) with no timer left, reports, and waits for the parent to terminate it.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { UringIo } from '../../src/backends/iouring/index.js';

interface Job { readonly root: string; readonly mode: 'work' | 'flood' | 'wait'; readonly name: string; readonly rounds: number }
const job = workerData as Job;

function pattern(lengthBytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(lengthBytes);
  for (let i = 0; i < lengthBytes; i += 1) out[i] = (i + seed * 5) & 0xff;
  return out;
}

async function work(): Promise<void> {
  const io = new UringIo({ root: job.root, queueDepth: 16 });
  const fd = await io.open(job.name, { write: true, create: true, read: true });
  let mismatches = 0;
  for (let round = 0; round < job.rounds; round += 1) {
    const writes = Array.from({ length: 16 }, (_, i) => io.write(fd, pattern(4096, round * 16 + i), i * 4096));
    await Promise.all(writes);
    const buffers = Array.from({ length: 16 }, () => new Uint8Array(4096));
    await Promise.all(buffers.map((b, i) => io.read(fd, b, i * 4096)));
    buffers.forEach((b, i) => {
      const expected = pattern(4096, round * 16 + i);
      if (Buffer.compare(b, expected) !== 0) mismatches += 1;
    });
  }
  await io.fsync(fd);
  const enterCalls = io.ringInfo.enterCalls;
  await io.shutdown();
  parentPort?.postMessage({ done: true, mismatches, enterCalls });
}

async function flood(): Promise<void> {
  const io = new UringIo({ root: job.root, queueDepth: 32 });
  const fd = await io.open(job.name, { write: true, create: true, read: true });
  await io.open(`${job.name}.extra`, { write: true, create: true });
  const block = pattern(65536, 1);
  let told = false;
  for (;;) {
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < 256; i += 1) {
      ops.push(i % 3 === 0 ? io.fsync(fd) : io.write(fd, block, (i % 64) * 65536));
    }
    if (!told) {
      told = true;
      parentPort?.postMessage({ busy: true, inFlight: io.metrics.inFlight });
    }
    await Promise.all(ops);
  }
}

async function waitInRing(): Promise<void> {
  const io = new UringIo({ root: job.root, queueDepth: 4, waitInRing: true });
  execFileSync('mkfifo', [join(job.root, job.name)]);
  const fd = await io.open(job.name, { read: true, write: true });
  void io.read(fd, new Uint8Array(1), 0).catch(() => undefined);
  // The report's timer ends one wait; after it, only the parent's message port can wake the loop.
  setTimeout(() => parentPort?.postMessage({ waiting: true, ringWaits: io.ringInfo.ringWaits, ringWaitNanos: io.ringInfo.ringWaitNanos }), 30);
}

if (job.mode === 'work') await work();
else if (job.mode === 'wait') await waitInRing();
else await flood();
