/**
 * Garbage collection while operations are in flight: buffers referenced only by a pending
 * operation must survive (the kernel writes into them), an abandoned UringIo with work in flight
 * must finish that work, and an idle abandoned UringIo must be collected (no leak).
 */
import { expect } from 'chai';
import { rm } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { UringIo } from '../../src/backends/iouring/index.js';
import { describeUring, makeRoots } from './support.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function pattern(lengthBytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(lengthBytes);
  for (let i = 0; i < lengthBytes; i += 1) out[i] = (i * 11 + seed * 3) & 0xff;
  return out;
}

function hash(bytes: Uint8Array): number {
  let h = 2166136261;
  for (const b of bytes) h = Math.imul(h ^ b, 16777619);
  return h >>> 0;
}

describeUring('UringIo under forced GC', function () {
  let base: string;
  let root: string;

  beforeEach(async function () {
    ({ base, root } = await makeRoots('faultline-gc-'));
  });

  afterEach(async function () {
    await rm(base, { recursive: true, force: true });
  });

  it('writes from buffers nobody else references land intact despite GC in flight', async function () {
    const io = new UringIo({ root, queueDepth: 16 });
    const fd = await io.open('w', { write: true, create: true, read: true });
    const chunk = 64 * 1024;
    const count = 64;
    // The only reference to each buffer is the pending operation.
    const writes = Array.from({ length: count }, (_, i) => io.write(fd, pattern(chunk, i), i * chunk));
    for (let i = 0; i < 5; i += 1) gc();
    expect(await Promise.all(writes)).to.deep.equal(new Array(count).fill(chunk));
    for (let i = 0; i < count; i += 1) {
      const back = new Uint8Array(chunk);
      expect(await io.read(fd, back, i * chunk)).to.equal(chunk);
      expect(hash(back)).to.equal(hash(pattern(chunk, i)));
    }
    await io.shutdown();
  });

  it('reads into buffers referenced only by the operation keep them alive through GC and fill them', async function () {
    const io = new UringIo({ root, queueDepth: 8 });
    const fd = await io.open('r', { write: true, create: true, read: true });
    const chunk = 32 * 1024;
    const data = pattern(chunk * 32, 9);
    await io.write(fd, data, 0);
    // Issue and collect in one synchronous stretch: no completion can be delivered before the
    // checks below, so every operation is still in flight (in the kernel or waiting).
    const weak: WeakRef<Uint8Array>[] = [];
    const reads = Array.from({ length: 32 }, (_, i) => {
      const buffer = new Uint8Array(chunk);
      weak.push(new WeakRef(buffer));
      return io.read(fd, buffer, i * chunk);
    });
    for (let i = 0; i < 5; i += 1) gc();
    const buffers = weak.map((ref) => ref.deref());
    expect(buffers.every((buffer) => buffer !== undefined), 'a buffer in flight was collected').to.equal(true);
    expect(await Promise.all(reads)).to.deep.equal(new Array(32).fill(chunk));
    buffers.forEach((buffer, i) => expect(hash(buffer as Uint8Array)).to.equal(hash(data.subarray(i * chunk, (i + 1) * chunk))));
    await io.shutdown();
  });

  it('an abandoned UringIo finishes its work in flight, then is collected', async function () {
    const collected: string[] = [];
    const registry = new FinalizationRegistry<string>((label) => collected.push(label));
    let results: Promise<number[]>;
    {
      // Everything about this Io goes out of scope except the promises.
      const io = new UringIo({ root, queueDepth: 4 });
      registry.register(io, 'io');
      const fd = await io.open('a', { write: true, create: true, read: true });
      results = Promise.all(Array.from({ length: 40 }, (_, i) => io.write(fd, pattern(4096, i), i * 4096)));
    }
    for (let i = 0; i < 5; i += 1) gc();
    expect(await results).to.deep.equal(new Array(40).fill(4096));
    // Idle now: the native side holds it only weakly, so it must become collectable.
    for (let round = 0; round < 50 && collected.length === 0; round += 1) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(collected).to.deep.equal(['io']);
  });
});
