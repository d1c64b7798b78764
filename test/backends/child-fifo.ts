/**
 * Child process for fs.test.ts (run with --expose-gc): the use-after-free scenario of issue 11 on
 * FsIo. Four reads of empty FIFOs (plain node:fs, no position) occupy all of libuv's pool threads,
 * so FsIo's read and write on a regular file wait in the pool's queue. Their caller buffers are
 * then transferred away, the new owner dropped and collected, and the heap refilled with marker
 * arrays before the FIFOs are fed. A backend that handed the caller's memory to the pool would
 * read into freed memory (markers overwritten, or a crash); FsIo must instead reject the read with
 * ERR_DETACHED_BUFFER and write the bytes the write had at its call. Prints one JSON line.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { FsIo } from '../../src/backends/fs/index.js';

const root = process.argv[2] as string;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');
const POOL_THREADS = Number(process.env['UV_THREADPOOL_SIZE'] ?? 4);
/** Transfer size (argv[3]): large ones get their own mappings, small ones share malloc's heap. */
const LENGTH_BYTES = Number(process.argv[3] ?? 1 << 20);
const MARKER = 0x5a;

const io = new FsIo({ root });
const fd = await io.open('data', { read: true, write: true, create: true });
const original = new Uint8Array(LENGTH_BYTES);
for (let i = 0; i < LENGTH_BYTES; i++) original[i] = (i * 31 + 7) & 0xff;
fs.writeFileSync(join(root, 'data'), original);

// Fill the pool, then queue FsIo's transfers behind the blocked threads.
const fifoFds: number[] = [];
const blockers: Promise<number>[] = [];
for (let i = 0; i < POOL_THREADS; i++) {
  const path = join(root, `fifo${i}`);
  execFileSync('mkfifo', [path]);
  // O_RDWR: opening does not wait for a writer, and reads block until data arrives.
  const fifoFd = fs.openSync(path, fs.constants.O_RDWR);
  fifoFds.push(fifoFd);
  blockers.push(new Promise((resolve, reject) => {
    fs.read(fifoFd, Buffer.alloc(16), 0, 16, null, (err, n) => (err ? reject(err) : resolve(n)));
  }));
}

const readTarget = new Uint8Array(LENGTH_BYTES);
const reading = io.read(fd, readTarget, 0).then((n) => ({ ok: n }), (err: unknown) => ({ code: (err as { code?: string }).code }));
const writeSource = new Uint8Array(LENGTH_BYTES).fill(0xc3);
const writing = io.write(fd, writeSource, LENGTH_BYTES).then((n) => ({ ok: n }), (err: unknown) => ({ code: (err as { code?: string }).code }));
const readvTargets = [new Uint8Array(16), new Uint8Array(LENGTH_BYTES)];
const readingv = io.readv(fd, readvTargets, 0).then((n) => ({ ok: n }), (err: unknown) => ({ code: (err as { code?: string }).code }));

// Take every caller buffer away, let the new owners die, and refill the heap.
for (const view of [readTarget, writeSource, readvTargets[1] as Uint8Array]) {
  let owner: ArrayBufferLike | undefined = structuredClone(view.buffer, { transfer: [view.buffer as ArrayBuffer] });
  owner = undefined;
  void owner;
}
gc();
gc();
const markers: Uint8Array[] = [];
for (let i = 0; i < Math.max(64, (64 << 20) / LENGTH_BYTES / 8); i++) markers.push(new Uint8Array(LENGTH_BYTES).fill(MARKER));

for (const fifoFd of fifoFds) fs.writeSync(fifoFd, 'go');
await Promise.all(blockers);
const [readOutcome, writeOutcome, readvOutcome] = await Promise.all([reading, writing, readingv]);
const markersIntact = markers.every((m) => m.every((b) => b === MARKER));
const written = fs.readFileSync(join(root, 'data')).subarray(LENGTH_BYTES);
const writeLanded = written.length === LENGTH_BYTES && written.every((b) => b === 0xc3);
await io.shutdown();
for (const fifoFd of fifoFds) fs.closeSync(fifoFd);
process.stdout.write(`${JSON.stringify({ readOutcome, writeOutcome, readvOutcome, markersIntact, writeLanded })}\n`);
