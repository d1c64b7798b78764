/**
 * Child process for memory-safety.test.ts: each scenario provokes what used to corrupt memory
 * (a buffer detached, transferred and collected, wasm memory grown, a resizable buffer shrunk, the
 * completion buffer transferred, all while the kernel holds a request) and prints one JSON line
 * with what it observed. The parent asserts the outcome and that the child exited cleanly: a
 * regression shows as a crash or a corrupted sentinel, never inside the test runner itself.
 *
 *   child-hostile <scenario> <root>     (run with --expose-gc)
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UringIo } from '../../src/backends/iouring/index.js';
import { StorageError } from '../../src/interfaces/errors.js';
import { loadBinding, type NativeRing } from '../../src/native/binding.js';

const scenario = process.argv[2] as string;
const root = process.argv[3] as string;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

const PAGE = 4096;
const out: Record<string, unknown> = { scenario };

async function settle<T>(promise: Promise<T>): Promise<T | string> {
  try {
    return await promise;
  } catch (err) {
    return err instanceof StorageError ? err.code : `raw ${String(err)}`;
  }
}

/** A FIFO in the root, opened O_RDWR here (so opens on it never block): the writer end. */
function makeFifo(name: string): number {
  execFileSync('mkfifo', [join(root, name)]);
  return openSync(join(root, name), constants.O_RDWR);
}

/** Lets the event loop turn (finalizers of collected external buffers run from setImmediate). */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Collects garbage hard, then fills memory with sentinel arrays the kernel must never touch. */
async function collectAndFill(): Promise<Uint8Array[]> {
  for (let i = 0; i < 4; i += 1) {
    gc?.();
    await turn();
  }
  return Array.from({ length: 256 }, () => new Uint8Array(PAGE).fill(0x5a));
}

function sentinelsIntact(sentinels: readonly Uint8Array[]): boolean {
  return sentinels.every((s) => s.every((b) => b === 0x5a));
}

const feed = new Uint8Array(PAGE).fill(0xc3);

async function readWhile(io: UringIo, fd: number, view: Uint8Array, wfd: number, hostile: () => void): Promise<void> {
  const pending = settle(io.read(fd, view, 0));
  await turn();
  hostile();
  const sentinels = await collectAndFill();
  writeSync(wfd, feed);
  out['result'] = await pending;
  out['sentinelsIntact'] = sentinelsIntact(sentinels);
}

async function abandon(): Promise<boolean> {
  const wfd = makeFifo('fifo');
  switch (scenario) {
    case 'abandon-ring': {
      // A raw ring started, given an fsync and a readv on the FIFO, and dropped without destroy.
      const binding = loadBinding();
      if (!binding.ok || binding.binding.Ring === undefined) throw new Error('no binding');
      let ring: NativeRing | undefined = new binding.binding.Ring();
      const started = ring.start(root, 8, false, () => undefined);
      if (started !== null) throw new Error(`start failed: ${JSON.stringify(started)}`);
      const file = openSync(join(root, 'f'), constants.O_RDWR | constants.O_CREAT);
      ring.fsync(0, file, false);
      ring.readv(1, wfd, [new Uint8Array(16)], 0);
      ring = undefined;
      gc?.();
      process.stdout.write('ready\n');
      return true;
    }
    case 'abandon-fs': {
      // The same pending requests through node:fs, for comparison.
      const { fsync, readv } = await import('node:fs');
      const file = openSync(join(root, 'f'), constants.O_RDWR | constants.O_CREAT);
      fsync(file, () => undefined);
      readv(wfd, [new Uint8Array(16)], null, () => undefined);
      process.stdout.write('ready\n');
      return true;
    }
    default:
      closeSync(wfd);
      return false;
  }
}

async function main(): Promise<void> {
  if (scenario.startsWith('abandon')) {
    await abandon();
    return;
  }
  const io = new UringIo({ root, queueDepth: 8 });
  const wfd = makeFifo(`fifo-${scenario}`);
  const fd = await io.open(`fifo-${scenario}`);
  switch (scenario) {
    case 'transfer': {
      let buffer: Uint8Array | undefined = new Uint8Array(PAGE);
      await readWhile(io, fd, buffer, wfd, () => {
        const backing = (buffer as Uint8Array).buffer as ArrayBuffer;
        let clone: ArrayBuffer | undefined = structuredClone(backing, { transfer: [backing] });
        out['cloneBytes'] = clone.byteLength;
        clone = undefined;
        void clone;
      });
      buffer = undefined;
      break;
    }
    case 'transfer-aligned': {
      const buffer = io.allocAligned(PAGE);
      await readWhile(io, fd, buffer, wfd, () => {
        const backing = buffer.buffer as ArrayBuffer;
        // Node 20 copies rather than detaches an external ArrayBuffer on transfer; Node 22+ refuses
        // to transfer it (DataCloneError). Either way it stays attached and the outcome must follow
        // the contract.
        try {
          structuredClone(backing, { transfer: [backing] });
          out['transfer'] = 'copied';
        } catch (err) {
          if ((err as { name?: string }).name !== 'DataCloneError') throw err;
          out['transfer'] = 'refused';
        }
        out['detached'] = buffer.byteLength === 0;
      });
      out['delivered'] = buffer.byteLength === PAGE && buffer.every((b) => b === 0xc3);
      break;
    }
    case 'wasm': {
      const wasm = (globalThis as unknown as { WebAssembly: { Memory: new (o: { initial: number; maximum: number }) => { buffer: ArrayBuffer; grow(n: number): number } } }).WebAssembly;
      const memory = new wasm.Memory({ initial: 1, maximum: 64 });
      await readWhile(io, fd, new Uint8Array(memory.buffer, 0, PAGE), wfd, () => {
        memory.grow(32);
      });
      out['wasmUntouched'] = new Uint8Array(memory.buffer, 0, PAGE).every((b) => b === 0);
      break;
    }
    case 'resizable': {
      const rab = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void })(
        2 * PAGE, { maxByteLength: 16 * PAGE });
      await readWhile(io, fd, new Uint8Array(rab, PAGE, PAGE), wfd, () => rab.resize(PAGE));
      break;
    }
    case 'resizable-readv': {
      const rab = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void })(
        2 * PAGE, { maxByteLength: 16 * PAGE });
      const kept = new Uint8Array(PAGE / 2);
      const pending = settle(io.readv(fd, [kept, new Uint8Array(rab, PAGE, PAGE / 2)], 0));
      await turn();
      rab.resize(PAGE);
      const sentinels = await collectAndFill();
      writeSync(wfd, feed);
      out['result'] = await pending;
      out['sentinelsIntact'] = sentinelsIntact(sentinels);
      break;
    }
    case 'sab': {
      const sab = new (SharedArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => SharedArrayBuffer & { grow(n: number): void })(
        PAGE, { maxByteLength: 16 * PAGE });
      const view = new Uint8Array(sab, 0, PAGE);
      const fixed = new Uint8Array(new SharedArrayBuffer(PAGE));
      const pending = settle(io.readv(fd, [view.subarray(0, PAGE / 2), fixed.subarray(0, PAGE / 2)], 0));
      await turn();
      sab.grow(8 * PAGE);
      const sentinels = await collectAndFill();
      writeSync(wfd, feed);
      out['result'] = await pending;
      out['delivered'] = view.subarray(0, PAGE / 2).every((b) => b === 0xc3) && fixed.subarray(0, PAGE / 2).every((b) => b === 0xc3);
      out['sentinelsIntact'] = sentinelsIntact(sentinels);
      break;
    }
    case 'write-shrunk': {
      // A write blocked on a full pipe: its buffer is shrunk and detached meanwhile; the bytes
      // taken at the call reach the pipe and the write resolves normally.
      const wio = await io.open(`fifo-${scenario}`, { write: true });
      writeSync(wfd, new Uint8Array(65536));  // fills the pipe
      const rab = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void })(
        2 * PAGE, { maxByteLength: 16 * PAGE });
      const source = new Uint8Array(rab, PAGE, PAGE).fill(0x77);
      const plain = new Uint8Array(PAGE).fill(0x66);
      const first = settle(io.write(wio, source, 0));
      const second = settle(io.write(wio, plain, 0));
      await turn();
      rab.resize(0);
      const plainBacking = plain.buffer as ArrayBuffer;
      structuredClone(plainBacking, { transfer: [plainBacking] });
      const sentinels = await collectAndFill();
      const drain = new Uint8Array(65536);
      let drained = 0;
      while (drained < 65536) drained += readSync(wfd, drain, drained, 65536 - drained, null);
      out['results'] = [await first, await second];
      const got = new Uint8Array(2 * PAGE);
      let have = 0;
      while (have < 2 * PAGE) have += readSync(wfd, got, have, 2 * PAGE - have, null);
      const counts = [0x77, 0x66].map((v) => got.filter((b) => b === v).length);
      out['bytesReachedPipe'] = counts;
      out['sentinelsIntact'] = sentinelsIntact(sentinels);
      break;
    }
    case 'completions': {
      // The record buffer is reachable through the (internal) ring: transfer it away and let the
      // new owner be collected; completions must keep arriving, correctly, elsewhere.
      const ring = (io as unknown as { ring: NativeRing }).ring;
      let stolen: ArrayBuffer | undefined = structuredClone(ring.completions(), { transfer: [ring.completions()] });
      stolen = undefined;
      void stolen;
      const sentinels = await collectAndFill();
      const file = await io.open('data', { read: true, write: true, create: true });
      await io.write(file, new Uint8Array(64 * PAGE).fill(9), 0);
      const reads = await Promise.all(Array.from({ length: 64 }, (_, i) => io.read(file, new Uint8Array(PAGE), i * PAGE)));
      out['result'] = reads.every((n) => n === PAGE) ? 'ok' : reads;
      out['sentinelsIntact'] = sentinelsIntact(sentinels) && new Float64Array(ring.completions()).length > 0;
      break;
    }
    default:
      throw new Error(`unknown scenario ${scenario}`);
  }
  await io.close(fd);
  closeSync(wfd);
  await io.shutdown();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
