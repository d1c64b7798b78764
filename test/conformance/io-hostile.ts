/**
 * Part of the Io conformance suite: buffers changed while an operation is in flight, and hostile
 * arguments. Every backend must give the same outcome, code for code:
 *
 * - a write takes its bytes at the call: detaching, transferring or shrinking the buffer right
 *   after the call changes neither the result nor the bytes that reach the file;
 * - a read delivers at completion: a buffer detached or no longer covering its range by then makes
 *   it reject with `ERR_DETACHED_BUFFER`, and nothing else changes;
 * - `readBatch`/`writeBatch` entries follow the same rules as `read`/`write`, entry by entry;
 * - views are read through the engine's own getters (a subclass or an own property overriding
 *   `byteLength` changes nothing), look-alikes and Proxies are `ERR_INVALID_ARGUMENT`, vectors are
 *   read once, element by element, bounded before any element is read.
 *
 * Called by {@link defineIoConformance} inside its `describe`, with accessors for the fresh Io of
 * the running test.
 */
import { expect } from 'chai';
import type { ErrorCode } from '../../src/interfaces/errors.js';
import type { Io } from '../../src/interfaces/io.js';
import { IOV_COUNT_MAX } from '../../src/interfaces/limits.js';
import { expectCode, getFile, pattern, putFile, readUpTo } from './io-suite.js';
import { readBatch, writeBatch } from '../../src/batch/index.js';
import { skipReason, type ConformanceSupports } from './harness.js';
import type { TestRunner } from '../../src/testing/runner.js';

const LENGTH_BYTES = 8;

// The project's TypeScript lib predates resizable buffers and has no WebAssembly types.
type Resizable = ArrayBuffer & { resize(lengthBytes: number): void };
const ResizableBuffer = ArrayBuffer as unknown as new (lengthBytes: number, options: { maxByteLength: number }) => Resizable;
const GrowableShared = SharedArrayBuffer as unknown as new (lengthBytes: number, options: { maxByteLength: number }) => SharedArrayBuffer;
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
const WasmMemory = (globalThis as unknown as {
  WebAssembly: { Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory };
}).WebAssembly.Memory;

/** A view's property through the engine's own getter (the kinds below lie through theirs). */
function intrinsic<T>(view: Uint8Array, key: 'buffer' | 'byteOffset'): T {
  const getter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype) as object, key)?.get;
  return getter?.call(view) as T;
}

function detach(view: Uint8Array): void {
  structuredClone(view.buffer, { transfer: [view.buffer as ArrayBuffer] });
}

/** Fills `lengthBytes` of `view` with `pattern(lengthBytes, seed)` by index (no method or getter of the view is used). */
function filled(view: Uint8Array, seed: number, lengthBytes = LENGTH_BYTES): Uint8Array {
  const source = pattern(lengthBytes, seed);
  for (let i = 0; i < lengthBytes; i++) view[i] = source[i] as number;
  return view;
}

/** A buffer kind the contract accepts: `make` returns a fresh view holding `pattern(n, seed)`. */
interface AcceptedKind {
  readonly name: string;
  /** The byte count the engine's own getter reports for the view (what a transfer uses). */
  readonly lengthBytes: number;
  make(seed: number): Uint8Array;
}

/** Growable shared memory and resizable buffers need Node 20's engine; all are present there. */
function acceptedKinds(): AcceptedKind[] {
  const kinds: AcceptedKind[] = [
    { name: 'a plain Uint8Array', lengthBytes: LENGTH_BYTES, make: (seed) => filled(new Uint8Array(LENGTH_BYTES), seed) },
    { name: 'a Buffer', lengthBytes: LENGTH_BYTES, make: (seed) => filled(Buffer.alloc(LENGTH_BYTES), seed) },
    { name: 'a view of a SharedArrayBuffer', lengthBytes: LENGTH_BYTES, make: (seed) => filled(new Uint8Array(new SharedArrayBuffer(LENGTH_BYTES)), seed) },
    {
      name: 'a view of a growable SharedArrayBuffer', lengthBytes: LENGTH_BYTES,
      make: (seed) => filled(new Uint8Array(new GrowableShared(LENGTH_BYTES, { maxByteLength: 64 }), 0, LENGTH_BYTES), seed),
    },
    {
      name: 'a fixed view of a resizable ArrayBuffer', lengthBytes: LENGTH_BYTES,
      make: (seed) => filled(new Uint8Array(new ResizableBuffer(32, { maxByteLength: 64 }), 8, LENGTH_BYTES), seed),
    },
    {
      name: 'a length-tracking view of a resizable ArrayBuffer', lengthBytes: LENGTH_BYTES,
      make: (seed) => filled(new Uint8Array(new ResizableBuffer(LENGTH_BYTES, { maxByteLength: 64 })), seed),
    },
    {
      name: 'a view of WebAssembly memory', lengthBytes: LENGTH_BYTES,
      make: (seed) => filled(new Uint8Array(new WasmMemory({ initial: 1, maximum: 2 }).buffer, 100, LENGTH_BYTES), seed),
    },
    {
      name: 'a view of shared WebAssembly memory', lengthBytes: LENGTH_BYTES,
      make: (seed) => filled(new Uint8Array(new WasmMemory({ initial: 1, maximum: 2, shared: true }).buffer, 100, LENGTH_BYTES), seed),
    },
    { name: 'a subarray at an odd offset', lengthBytes: LENGTH_BYTES, make: (seed) => filled(new Uint8Array(64).subarray(13, 13 + LENGTH_BYTES), seed) },
    {
      name: 'a subclass whose getters lie (byteLength 1 MiB, byteOffset, buffer, length)', lengthBytes: LENGTH_BYTES,
      make: (seed) => {
        class Liar extends Uint8Array {
          override get byteLength(): number { return 1 << 20; }
          override get byteOffset(): number { return 1 << 19; }
          override get length(): number { return 1 << 20; }
          override get buffer(): ArrayBuffer { return new ArrayBuffer(1 << 20); }
        }
        return filled(new Liar(LENGTH_BYTES), seed);
      },
    },
    {
      name: 'a subclass overriding subarray, set, slice and species', lengthBytes: LENGTH_BYTES,
      make: (seed) => {
        class Sly extends Uint8Array {}
        const huge = (): Uint8Array => new Uint8Array(1 << 20);
        Object.defineProperty(Sly, Symbol.species, { get: () => function () { return huge(); } });
        for (const name of ['subarray', 'slice']) Object.defineProperty(Sly.prototype, name, { value: huge });
        Object.defineProperty(Sly.prototype, 'set', { value: () => { throw new Error('set must not be called on a caller buffer'); } });
        return filled(new Sly(LENGTH_BYTES), seed);
      },
    },
    {
      name: 'a Uint8Array with own properties shadowing byteLength and buffer', lengthBytes: LENGTH_BYTES,
      make: (seed) => {
        const view = filled(new Uint8Array(LENGTH_BYTES), seed);
        Object.defineProperty(view, 'byteLength', { get: () => 1 << 20 });
        Object.defineProperty(view, 'buffer', { get: () => new ArrayBuffer(1 << 20) });
        return view;
      },
    },
    { name: 'a zero-length view', lengthBytes: 0, make: () => new Uint8Array(0) },
    { name: 'a zero-length view of a resizable buffer', lengthBytes: 0, make: () => new Uint8Array(new ResizableBuffer(0, { maxByteLength: 8 })) },
  ];
  return kinds;
}

/** Values that are not buffers: `ERR_INVALID_ARGUMENT` for write, read and as a vector element. */
function refusedBuffers(): ReadonlyArray<readonly [string, () => unknown]> {
  return [
    ['a Proxy of a Uint8Array', () => new Proxy(new Uint8Array(LENGTH_BYTES), {})],
    ['a Proxy whose traps claim a huge length', () => new Proxy(new Uint8Array(LENGTH_BYTES), { get: (t, k) => (k === 'byteLength' || k === 'length' ? 1 << 20 : Reflect.get(t, k)) })],
    ['a revoked Proxy', () => { const r = Proxy.revocable(new Uint8Array(LENGTH_BYTES), {}); r.revoke(); return r.proxy; }],
    ['Object.create(Uint8Array.prototype)', () => Object.create(Uint8Array.prototype) as unknown],
    ['a look-alike object', () => ({ byteLength: LENGTH_BYTES, byteOffset: 0, buffer: new ArrayBuffer(LENGTH_BYTES), length: LENGTH_BYTES })],
    ['a Uint8ClampedArray', () => new Uint8ClampedArray(LENGTH_BYTES)],
    ['an Int8Array', () => new Int8Array(LENGTH_BYTES)],
    ['a Float64Array', () => new Float64Array(1)],
    ['a DataView', () => new DataView(new ArrayBuffer(LENGTH_BYTES))],
    ['an ArrayBuffer', () => new ArrayBuffer(LENGTH_BYTES)],
    ['a SharedArrayBuffer', () => new SharedArrayBuffer(LENGTH_BYTES)],
    ['an array of numbers', () => [1, 2, 3]],
    ['a string', () => 'abcdefgh'],
    ['a number', () => 8],
    ['null', () => null],
    ['undefined', () => undefined],
  ];
}

/** Offsets of every type: accepted values with the offset they mean, refused ones with their code. */
const OFFSETS: ReadonlyArray<readonly [string, unknown, number | ErrorCode]> = [
  ['-0', -0, 0],
  ['0', 0, 0],
  ['a negative integer', -8, 'ERR_INVALID_ARGUMENT'],
  ['-2^53', -(2 ** 53), 'ERR_INVALID_ARGUMENT'],
  ['NaN', Number.NaN, 'ERR_INVALID_ARGUMENT'],
  ['Infinity', Number.POSITIVE_INFINITY, 'ERR_INVALID_ARGUMENT'],
  ['-Infinity', Number.NEGATIVE_INFINITY, 'ERR_INVALID_ARGUMENT'],
  ['a float', 0.5, 'ERR_INVALID_ARGUMENT'],
  ['Number.MIN_VALUE', Number.MIN_VALUE, 'ERR_INVALID_ARGUMENT'],
  ['2^53 - 1', Number.MAX_SAFE_INTEGER, 'ERR_LIMIT_EXCEEDED'],
  ['2^53', 2 ** 53, 'ERR_LIMIT_EXCEEDED'],
  ['Number.MAX_VALUE', Number.MAX_VALUE, 'ERR_LIMIT_EXCEEDED'],
  ['a bigint', 0n, 'ERR_INVALID_ARGUMENT'],
  ['a numeric string', '0', 'ERR_INVALID_ARGUMENT'],
  ['a Number object', Object(0) as unknown, 'ERR_INVALID_ARGUMENT'],
  ['an object with valueOf', { valueOf: () => 0 }, 'ERR_INVALID_ARGUMENT'],
  ['a boolean', false, 'ERR_INVALID_ARGUMENT'],
  ['null', null, 'ERR_INVALID_ARGUMENT'],
  ['undefined', undefined, 'ERR_INVALID_ARGUMENT'],
  ['a symbol', Symbol('offset'), 'ERR_INVALID_ARGUMENT'],
];

/**
 * Registers the buffer-contract and hostile-argument tests through the suite's own runner (so the
 * per-test set-up that makes `current()` a fresh Io runs around each of them, on every runner).
 */
export function defineHostileArgumentTests(
  current: () => Io, supports: ConformanceSupports, runner: Pick<TestRunner, 'describe' | 'it'>,
): void {
  const { describe } = runner;
  const ORIGINAL = pattern(LENGTH_BYTES, 99);
  const enabled = supports.bufferContract ?? true;
  /** `it`, or a pending test naming the reason when the manifest turns the buffer contract off. */
  const it = (title: string, fn: () => Promise<void>): void => {
    if (enabled) runner.it(title, fn);
    else runner.it(`${title} (skipped: ${skipReason(supports, 'bufferContract')})`);
  };

  /** A fresh file `f` holding ORIGINAL, opened read-write; checks afterwards what `expected` says it must hold. */
  async function withFile(body: (io: Io, fd: number) => Promise<Uint8Array>): Promise<void> {
    const io = current();
    await putFile(io, 'f', ORIGINAL);
    const fd = await io.open('f', { read: true, write: true });
    try {
      const expected = await body(io, fd);
      expect(await readUpTo(io, fd, 64), 'file contents afterwards').to.deep.equal(expected);
    } finally {
      await io.close(fd);
    }
  }

  /**
   * A read started alone may complete before its call returns (UringIo answers a read the page
   * cache holds at once, see `inlineReads`); one started while another operation is in flight
   * cannot take that path on any backend here, so these tests start a sync first.
   */
  function occupy(io: Io, fd: number): Promise<void> {
    return io.fsync(fd);
  }

  describe('buffers changed while the operation is in flight', function () {
    it('read and readBatch: the outcome follows the metrics: settled at the call (inFlight 0), it keeps its bytes whatever happens to the buffer; in flight, a detach rejects it', async function () {
      await withFile(async (io, fd) => {
        const into = new Uint8Array(LENGTH_BYTES);
        const promise = io.read(fd, into, 0);
        const inFlight = io.metrics.inFlight;
        expect(inFlight).to.be.oneOf([0, 1]);
        if (inFlight === 0) {
          // Completed at the call: the bytes are already there, and a detach cannot take them back.
          expect(into).to.deep.equal(ORIGINAL);
          const moved = new Uint8Array(structuredClone(into.buffer as ArrayBuffer, { transfer: [into.buffer as ArrayBuffer] }));
          expect(await promise).to.equal(LENGTH_BYTES);
          expect(moved).to.deep.equal(ORIGINAL);
        } else {
          detach(into);
          await expectCode(() => promise, 'ERR_DETACHED_BUFFER');
        }
        // The same rule entry by entry for a batch: those not in flight after the call have their
        // bytes already, and a detach fails only the entries still in flight.
        const entries = [new Uint8Array(LENGTH_BYTES), new Uint8Array(LENGTH_BYTES)];
        const batch = readBatch(io, entries.map((buffer) => ({ fd, buffer, offsetBytes: 0 })));
        const entriesInFlight = io.metrics.inFlight;
        expect(entriesInFlight).to.be.oneOf([0, 1, 2]);
        if (entriesInFlight === 0) {
          for (const entry of entries) expect(entry).to.deep.equal(ORIGINAL);
          for (const entry of entries) detach(entry);
          expect(await batch).to.deep.equal([LENGTH_BYTES, LENGTH_BYTES]);
        } else if (entriesInFlight === 2) {
          detach(entries[1] as Uint8Array);
          const err = await expectCode(() => batch, 'ERR_DETACHED_BUFFER');
          expect(err.details['index']).to.equal(1);
          expect(entries[0]).to.deep.equal(ORIGINAL);
        } else {
          // One settled at the call, one in flight: which is unspecified, so no detach here.
          expect(await batch).to.deep.equal([LENGTH_BYTES, LENGTH_BYTES]);
        }
        return ORIGINAL;
      });
    });

    it('write: detaching (transferring) the buffer right after the call changes neither the result nor the bytes written', async function () {
      await withFile(async (io, fd) => {
        const data = pattern(LENGTH_BYTES, 1);
        const promise = io.write(fd, data, 0);
        detach(data);
        expect(await promise).to.equal(LENGTH_BYTES);
        return pattern(LENGTH_BYTES, 1);
      });
    });

    it('writev: detaching one buffer right after the call changes neither the result nor the bytes written', async function () {
      await withFile(async (io, fd) => {
        const a = pattern(4, 2);
        const b = pattern(6, 3);
        const promise = io.writev(fd, [a, b], 2);
        detach(b);
        detach(a);
        expect(await promise).to.equal(10);
        return Buffer.concat([ORIGINAL.subarray(0, 2), pattern(4, 2), pattern(6, 3)]);
      });
    });

    it('write and writev: shrinking a resizable buffer (or growing WebAssembly memory) right after the call writes the bytes it had at the call', async function () {
      await withFile(async (io, fd) => {
        const rab = new ResizableBuffer(LENGTH_BYTES, { maxByteLength: 64 });
        const view = filled(new Uint8Array(rab, 0, LENGTH_BYTES), 4);
        const promise = io.write(fd, view, 0);
        rab.resize(0);
        expect(await promise).to.equal(LENGTH_BYTES);
        const memory = new WasmMemory({ initial: 1, maximum: 2 });
        const wasmView = filled(new Uint8Array(memory.buffer, 0, LENGTH_BYTES), 5);
        const rab2 = new ResizableBuffer(LENGTH_BYTES, { maxByteLength: 64 });
        const tracking = filled(new Uint8Array(rab2), 6);
        const promise2 = io.writev(fd, [wasmView, tracking], LENGTH_BYTES);
        memory.grow(1);
        rab2.resize(2);
        expect(await promise2).to.equal(2 * LENGTH_BYTES);
        return Buffer.concat([pattern(LENGTH_BYTES, 4), pattern(LENGTH_BYTES, 5), pattern(LENGTH_BYTES, 6)]);
      });
    });

    it('write: bytes changed in flight land old or new, each byte one or the other', async function () {
      const io = current();
      const fd = await io.open('g', { read: true, write: true, create: true });
      const data = pattern(4096, 7);
      const promise = io.write(fd, data, 0);
      data.fill(0xa5);
      expect(await promise).to.equal(4096);
      const back = await readUpTo(io, fd, 4096);
      const original = pattern(4096, 7);
      for (let i = 0; i < 4096; i++) {
        if (back[i] !== original[i] && back[i] !== 0xa5) expect.fail(`byte ${i} is ${back[i]}: neither old nor new`);
      }
      await io.close(fd);
    });

    it('read: a buffer detached in flight rejects with ERR_DETACHED_BUFFER; the file and the fd are unaffected', async function () {
      await withFile(async (io, fd) => {
        const into = new Uint8Array(LENGTH_BYTES);
        const busy = occupy(io, fd);
        const promise = io.read(fd, into, 0);
        expect(io.metrics.inFlight, 'the read and the sync are both in flight').to.equal(2);
        detach(into);
        // Handled before the sync is awaited: the read may reject first (no unhandled rejection).
        const failed = expectCode(() => promise, 'ERR_DETACHED_BUFFER');
        await busy;
        const err = await failed;
        // The shared message, the same on every backend.
        expect(err.message).to.equal('read: a buffer was detached or shrunk while the read was in flight');
        const again = new Uint8Array(LENGTH_BYTES);
        expect(await io.read(fd, again, 0)).to.equal(LENGTH_BYTES);
        expect(again).to.deep.equal(ORIGINAL);
        return ORIGINAL;
      });
    });

    it('readv: one buffer detached in flight rejects the whole read with ERR_DETACHED_BUFFER', async function () {
      await withFile(async (io, fd) => {
        const first = new Uint8Array(3);
        const second = new Uint8Array(5);
        const promise = io.readv(fd, [first, second], 0);
        detach(second);
        const err = await expectCode(() => promise, 'ERR_DETACHED_BUFFER');
        expect(err.message).to.equal('readv: a buffer was detached or shrunk while the read was in flight');
        return ORIGINAL;
      });
    });

    it('read and readv: a resizable buffer shrunk below the view, or WebAssembly memory grown, in flight is ERR_DETACHED_BUFFER', async function () {
      await withFile(async (io, fd) => {
        const rab = new ResizableBuffer(LENGTH_BYTES, { maxByteLength: 64 });
        const busy = occupy(io, fd);
        const promise = io.read(fd, new Uint8Array(rab, 0, LENGTH_BYTES), 0);
        rab.resize(4);
        const failed = expectCode(() => promise, 'ERR_DETACHED_BUFFER');
        await busy;
        await failed;
        const memory = new WasmMemory({ initial: 1, maximum: 2 });
        const promise2 = io.readv(fd, [new Uint8Array(4), new Uint8Array(memory.buffer, 0, 4)], 0);
        memory.grow(1);
        await expectCode(() => promise2, 'ERR_DETACHED_BUFFER');
        // In a batch the shrunk entry fails alone; the other still gets its bytes. Behind a sync,
        // so that neither entry can complete at the call.
        const rab2 = new ResizableBuffer(LENGTH_BYTES, { maxByteLength: 64 });
        const kept = new Uint8Array(LENGTH_BYTES);
        const busy2 = occupy(io, fd);
        const batch = readBatch(io, [{ fd, buffer: kept, offsetBytes: 0 }, { fd, buffer: new Uint8Array(rab2, 0, LENGTH_BYTES), offsetBytes: 0 }]);
        rab2.resize(4);
        const batchFailed = expectCode(() => batch, 'ERR_DETACHED_BUFFER');
        await busy2;
        const err = await batchFailed;
        expect(err.details['index']).to.equal(1);
        expect(kept).to.deep.equal(ORIGINAL);
        return ORIGINAL;
      });
    });

    it('readv: an empty view left out of bounds by a resizable buffer shrunk in flight is ERR_DETACHED_BUFFER', async function () {
      await withFile(async (io, fd) => {
        const rab = new ResizableBuffer(LENGTH_BYTES, { maxByteLength: 64 });
        const promise = io.readv(fd, [new Uint8Array(4), new Uint8Array(rab, LENGTH_BYTES, 0)], 0);
        rab.resize(4);
        const err = await expectCode(() => promise, 'ERR_DETACHED_BUFFER');
        expect(err.message).to.equal('readv: a buffer was detached or shrunk while the read was in flight');
        return ORIGINAL;
      });
    });

    it('read: a buffer grown (resizable, length-tracking) or changed in flight still receives the bytes', async function () {
      await withFile(async (io, fd) => {
        const rab = new ResizableBuffer(LENGTH_BYTES, { maxByteLength: 64 });
        const tracking = new Uint8Array(rab);
        const promise = io.read(fd, tracking, 0);
        rab.resize(32);
        expect(await promise).to.equal(LENGTH_BYTES);
        expect(new Uint8Array(rab, 0, LENGTH_BYTES)).to.deep.equal(ORIGINAL);
        return ORIGINAL;
      });
    });
  });

  describe('hostile arguments (every backend gives the same code)', function () {
    for (const kind of acceptedKinds()) {
      it(`accepts ${kind.name}: write and read use the engine's length (${kind.lengthBytes})`, async function () {
        await withFile(async (io, fd) => {
          expect(await io.write(fd, kind.make(11), 0)).to.equal(kind.lengthBytes);
          const into = kind.make(12);
          expect(await io.read(fd, into, 0)).to.equal(kind.lengthBytes);
          const seen = new Uint8Array(intrinsic<ArrayBufferLike>(into, 'buffer'), intrinsic<number>(into, 'byteOffset'), kind.lengthBytes);
          expect(Buffer.from(seen)).to.deep.equal(Buffer.from(pattern(kind.lengthBytes, 11)));
          // The same through a batch: the same bytes written again, then read into another view.
          expect(await writeBatch(io, [{ fd, buffer: kind.make(11), offsetBytes: 0 }])).to.deep.equal([kind.lengthBytes]);
          const batchInto = kind.make(15);
          expect(await readBatch(io, [{ fd, buffer: batchInto, offsetBytes: 0 }])).to.deep.equal([kind.lengthBytes]);
          const batchSeen = new Uint8Array(intrinsic<ArrayBufferLike>(batchInto, 'buffer'), intrinsic<number>(batchInto, 'byteOffset'), kind.lengthBytes);
          expect(Buffer.from(batchSeen)).to.deep.equal(Buffer.from(pattern(kind.lengthBytes, 11)));
          expect(await io.writev(fd, [kind.make(13), kind.make(14)], LENGTH_BYTES)).to.equal(2 * kind.lengthBytes);
          const expected = Buffer.concat([pattern(kind.lengthBytes, 11), ORIGINAL.subarray(kind.lengthBytes)]);
          return kind.lengthBytes === 0 ? ORIGINAL : Buffer.concat([expected, pattern(kind.lengthBytes, 13), pattern(kind.lengthBytes, 14)]);
        });
      });
    }

    it('a view already detached, or already out of bounds of its shrunk resizable buffer, is ERR_DETACHED_BUFFER for every call', async function () {
      await withFile(async (io, fd) => {
        const makers: Array<() => Uint8Array> = [
          () => { const v = new Uint8Array(LENGTH_BYTES); detach(v); return v; },
          () => { const v = new Uint8Array(0); detach(v); return v; },
          () => { const rab = new ResizableBuffer(16, { maxByteLength: 16 }); const v = new Uint8Array(rab, 0, 8); rab.resize(4); return v; },
          () => { const rab = new ResizableBuffer(16, { maxByteLength: 16 }); const v = new Uint8Array(rab, 8, 0); rab.resize(4); return v; },
          () => { const m = new WasmMemory({ initial: 1, maximum: 2 }); const v = new Uint8Array(m.buffer, 0, 8); m.grow(1); return v; },
        ];
        for (const make of makers) {
          await expectCode(() => io.write(fd, make(), 0), 'ERR_DETACHED_BUFFER');
          await expectCode(() => io.read(fd, make(), 0), 'ERR_DETACHED_BUFFER');
          await expectCode(() => io.writev(fd, [new Uint8Array(2), make()], 0), 'ERR_DETACHED_BUFFER');
          await expectCode(() => io.readv(fd, [new Uint8Array(2), make()], 0), 'ERR_DETACHED_BUFFER');
          await expectCode(() => writeBatch(io, [{ fd, buffer: new Uint8Array(2), offsetBytes: 0 }, { fd, buffer: make(), offsetBytes: 0 }]), 'ERR_DETACHED_BUFFER');
          await expectCode(() => readBatch(io, [{ fd, buffer: make(), offsetBytes: 0 }]), 'ERR_DETACHED_BUFFER');
        }
        return ORIGINAL;
      });
    });

    for (const [name, make] of refusedBuffers()) {
      it(`refuses ${name} with ERR_INVALID_ARGUMENT, alone and in a vector, changing nothing`, async function () {
        await withFile(async (io, fd) => {
          await expectCode(() => io.write(fd, make() as Uint8Array, 0), 'ERR_INVALID_ARGUMENT');
          await expectCode(() => io.read(fd, make() as Uint8Array, 0), 'ERR_INVALID_ARGUMENT');
          await expectCode(() => io.writev(fd, [new Uint8Array(2), make() as Uint8Array], 0), 'ERR_INVALID_ARGUMENT');
          await expectCode(() => io.readv(fd, [new Uint8Array(2), make() as Uint8Array], 0), 'ERR_INVALID_ARGUMENT');
          await expectCode(() => writeBatch(io, [{ fd, buffer: new Uint8Array(2), offsetBytes: 0 }, { fd, buffer: make() as Uint8Array, offsetBytes: 0 }]), 'ERR_INVALID_ARGUMENT');
          await expectCode(() => readBatch(io, [{ fd, buffer: make() as Uint8Array, offsetBytes: 0 }]), 'ERR_INVALID_ARGUMENT');
          return ORIGINAL;
        });
      });
    }

    it('offsets of every type: -0 is 0; others are refused with the same code by every transfer', async function () {
      await withFile(async (io, fd) => {
        for (const [name, value, outcome] of OFFSETS) {
          const offset = value as number;
          if (typeof outcome === 'number') {
            expect(await io.write(fd, ORIGINAL.slice(0, 2), offset), name).to.equal(2);
            expect(await io.read(fd, new Uint8Array(2), offset), name).to.equal(2);
            expect(await io.readv(fd, [new Uint8Array(2)], offset), name).to.equal(2);
            expect(await io.writev(fd, [ORIGINAL.slice(0, 2)], offset), name).to.equal(2);
            expect(await writeBatch(io, [{ fd, buffer: ORIGINAL.slice(0, 2), offsetBytes: offset }]), name).to.deep.equal([2]);
            expect(await readBatch(io, [{ fd, buffer: new Uint8Array(2), offsetBytes: offset }]), name).to.deep.equal([2]);
            continue;
          }
          await expectCode(() => io.read(fd, new Uint8Array(2), offset), outcome);
          await expectCode(() => io.write(fd, new Uint8Array(2), offset), outcome);
          await expectCode(() => io.readv(fd, [new Uint8Array(2)], offset), outcome);
          await expectCode(() => io.writev(fd, [new Uint8Array(2)], offset), outcome);
          await expectCode(() => writeBatch(io, [{ fd, buffer: new Uint8Array(2), offsetBytes: offset }]), outcome);
          await expectCode(() => readBatch(io, [{ fd, buffer: new Uint8Array(2), offsetBytes: offset }]), outcome);
          await expectCode(() => io.truncate(fd, offset), outcome);
          await expectCode(() => io.allocate(fd, offset, 1), outcome);
          await expectCode(() => io.allocate(fd, 0, offset), outcome === 'ERR_LIMIT_EXCEEDED' ? 'ERR_LIMIT_EXCEEDED' : outcome);
        }
        return ORIGINAL;
      });
    });

    it('options, open flags and batch entries whose reading throws are ERR_INVALID_ARGUMENT; a flag getter is read once', async function () {
      await withFile(async (io, fd) => {
        const keysThrow = (): object => new Proxy({}, { ownKeys() { throw new Error('hostile ownKeys'); } });
        const getterThrows = (key: string): object => Object.defineProperty({}, key, { enumerable: true, get: () => { throw new Error('hostile getter'); } });
        const revoked = (): object => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; };
        for (const make of [keysThrow, () => getterThrows('dataOnly'), revoked]) {
          await expectCode(() => io.fsync(fd, make() as { dataOnly?: boolean }), 'ERR_INVALID_ARGUMENT');
          await expectCode(() => io.writeDurable(fd, new Uint8Array(2), 0, make() as { dataOnly?: boolean }), 'ERR_INVALID_ARGUMENT');
        }
        for (const make of [keysThrow, () => getterThrows('create'), revoked]) {
          await expectCode(() => io.open('g', make() as { create?: boolean }), 'ERR_INVALID_ARGUMENT');
        }
        for (const make of [keysThrow, () => getterThrows('offsetBytes'), revoked]) {
          const err = await expectCode(() => writeBatch(io, [{ fd, buffer: new Uint8Array(2), offsetBytes: 0 }, make() as { fd: number; buffer: Uint8Array; offsetBytes: number }]), 'ERR_INVALID_ARGUMENT');
          expect(err.details['index']).to.equal(1);
        }
        // A flag whose getter answers true when checked and something else later must not pass
        // the check with one value and be used with another: it is read exactly once.
        let reads = 0;
        const flags = Object.defineProperty({ write: true }, 'create', { enumerable: true, get: () => (++reads === 1 ? true : 'yes') });
        const created = await io.open('g', flags as { write: boolean; create: boolean });
        expect(reads).to.equal(1);
        await io.close(created);
        return ORIGINAL;
      });
    });

    it('writeDurable reads its options before its buffer: an options getter that detaches the buffer is ERR_DETACHED_BUFFER and nothing is written; bad options win over a bad buffer', async function () {
      await withFile(async (io, fd) => {
        const buffer = pattern(LENGTH_BYTES, 51);
        const detaching = { get dataOnly() { detach(buffer); return true; } };
        await expectCode(() => io.writeDurable(fd, buffer, 0, detaching), 'ERR_DETACHED_BUFFER');
        const shrinking = new Uint8Array(new ResizableBuffer(LENGTH_BYTES, { maxByteLength: 64 }), 0, LENGTH_BYTES);
        const resizing = { get dataOnly() { (intrinsic<Resizable>(shrinking, 'buffer')).resize(2); return false; } };
        await expectCode(() => io.writeDurable(fd, shrinking, 0, resizing), 'ERR_DETACHED_BUFFER');
        // One order on every backend, so one code: the options first.
        const badOptions = { dataOnly: 'yes' } as unknown as { dataOnly: boolean };
        const detached = new Uint8Array(4);
        detach(detached);
        for (const buffer of [detached, 'abc' as unknown as Uint8Array]) {
          const err = await expectCode(() => io.writeDurable(fd, buffer, 0, badOptions), 'ERR_INVALID_ARGUMENT');
          expect(err.details['argument']).to.equal('dataOnly');
        }
        await expectCode(() => io.writeDurable(fd, new Uint8Array(4), Number.MAX_SAFE_INTEGER, badOptions), 'ERR_INVALID_ARGUMENT');
        return ORIGINAL;
      });
    });

    it('an options or element getter that closes the fd makes fsync, writeDurable, readv and writev EBADF; nothing is written', async function () {
      await withFile(async (io, fd) => {
        const closingList = (element: Uint8Array, other: number): Uint8Array[] => {
          const list: Uint8Array[] = [];
          Object.defineProperty(list, 0, { enumerable: true, get: () => { void io.close(other); return element; } });
          return list;
        };
        const calls: Array<(other: number) => Promise<unknown>> = [
          (other) => io.fsync(other, { get dataOnly() { void io.close(other); return true; } }),
          (other) => io.writeDurable(other, pattern(4, 52), 0, { get dataOnly() { void io.close(other); return true; } }),
          (other) => io.readv(other, closingList(new Uint8Array(4), other), 0),
          (other) => io.writev(other, closingList(pattern(4, 53), other), 0),
        ];
        for (const call of calls) {
          const other = await io.open('f', { read: true, write: true });
          await expectCode(() => call(other), 'EBADF');
        }
        return ORIGINAL;
      });
    });

    it('vectors that are not arrays are ERR_INVALID_ARGUMENT', async function () {
      await withFile(async (io, fd) => {
        const one = new Uint8Array(2);
        const shapes: unknown[] = [
          one, { length: 1, 0: one }, new Set([one]), 'ab', null, undefined, 3, (function (..._args: unknown[]) { return arguments; })(one),
          new Map([[0, one]]),
        ];
        for (const shape of shapes) {
          await expectCode(() => io.writev(fd, shape as Uint8Array[], 0), 'ERR_INVALID_ARGUMENT');
          await expectCode(() => io.readv(fd, shape as Uint8Array[], 0), 'ERR_INVALID_ARGUMENT');
        }
        return ORIGINAL;
      });
    });

    it('lists whose reading throws (a revoked Proxy, a throwing element getter) are ERR_INVALID_ARGUMENT; nothing is written', async function () {
      await withFile(async (io, fd) => {
        const revocable = Proxy.revocable([new Uint8Array(2)], {});
        revocable.revoke();
        const throwing = [new Uint8Array(2)];
        Object.defineProperty(throwing, 0, { get: () => { throw new Error('hostile getter'); } });
        for (const list of [revocable.proxy, throwing]) {
          const err = await expectCode(() => io.writev(fd, list, 0), 'ERR_INVALID_ARGUMENT');
          expect(err.message).to.equal('writev: reading the buffer list threw');
          await expectCode(() => io.readv(fd, list, 0), 'ERR_INVALID_ARGUMENT');
        }
        return ORIGINAL;
      });
    });

    it('holes and non-buffer elements are ERR_INVALID_ARGUMENT; nothing is written', async function () {
      await withFile(async (io, fd) => {
        // eslint-disable-next-line no-sparse-arrays
        const holey = [new Uint8Array(2), , new Uint8Array(2)] as Uint8Array[];
        await expectCode(() => io.writev(fd, holey, 0), 'ERR_INVALID_ARGUMENT');
        await expectCode(() => io.readv(fd, holey, 0), 'ERR_INVALID_ARGUMENT');
        await expectCode(() => io.writev(fd, [pattern(2, 1), 'xy' as unknown as Uint8Array], 0), 'ERR_INVALID_ARGUMENT');
        return ORIGINAL;
      });
    });

    it('huge lengths are ERR_LIMIT_EXCEEDED before any element is read', async function () {
      await withFile(async (io, fd) => {
        await expectCode(() => io.writev(fd, new Array<Uint8Array>(2 ** 32 - 1), 0), 'ERR_LIMIT_EXCEEDED');
        await expectCode(() => io.readv(fd, new Array<Uint8Array>(IOV_COUNT_MAX + 1), 0), 'ERR_LIMIT_EXCEEDED');
        let elementReads = 0;
        const lying = new Proxy([new Uint8Array(2)], {
          get(target, key, receiver): unknown {
            if (key === 'length') return 2 ** 32 - 1;
            if (typeof key === 'string' && /^\d+$/.test(key)) elementReads += 1;
            return Reflect.get(target, key, receiver) as unknown;
          },
        });
        await expectCode(() => io.writev(fd, lying, 0), 'ERR_LIMIT_EXCEEDED');
        await expectCode(() => io.readv(fd, lying, 0), 'ERR_LIMIT_EXCEEDED');
        expect(elementReads, 'elements read before the bound was checked').to.equal(0);
        return ORIGINAL;
      });
    });

    it('each element is read exactly once: a getter that changes its answer cannot change the transfer', async function () {
      await withFile(async (io, fd) => {
        let reads = 0;
        const list: Uint8Array[] = [];
        Object.defineProperty(list, 0, {
          enumerable: true,
          get: () => {
            reads += 1;
            return reads === 1 ? pattern(4, 21) : new Uint8Array(1 << 20);
          },
        });
        list.length = 1;
        expect(await io.writev(fd, list, 0)).to.equal(4);
        expect(reads).to.equal(1);
        reads = 0;
        const into = new Uint8Array(4);
        let readvReads = 0;
        const readList: Uint8Array[] = [];
        Object.defineProperty(readList, 0, { enumerable: true, get: () => { readvReads += 1; return readvReads === 1 ? into : new Uint8Array(1 << 20); } });
        readList.length = 1;
        expect(await io.readv(fd, readList, 0)).to.equal(4);
        expect(readvReads).to.equal(1);
        expect(into).to.deep.equal(pattern(4, 21));
        return Buffer.concat([pattern(4, 21), ORIGINAL.subarray(4)]);
      });
    });

    it('an element getter that detaches an earlier element is ERR_DETACHED_BUFFER; nothing is written', async function () {
      await withFile(async (io, fd) => {
        for (const call of ['writev', 'readv'] as const) {
          const first = pattern(4, 31);
          const list: Uint8Array[] = [first];
          Object.defineProperty(list, 1, { enumerable: true, get: () => { detach(first); return new Uint8Array(2); } });
          await expectCode(() => io[call](fd, list, 0), 'ERR_DETACHED_BUFFER');
        }
        return ORIGINAL;
      });
    });

    it('array species, iterators and subclass methods are never used', async function () {
      await withFile(async (io, fd) => {
        class Hostile<T> extends Array<T> {
          static override get [Symbol.species](): ArrayConstructor { return Object as unknown as ArrayConstructor; }
          override [Symbol.iterator](): IterableIterator<T> { throw new Error('iterated'); }
          override map<U>(): U[] { throw new Error('mapped'); }
          override slice(): T[] { throw new Error('sliced'); }
        }
        const list = new Hostile<Uint8Array>();
        Array.prototype.push.call(list, pattern(3, 41), pattern(5, 42));
        expect(await io.writev(fd, list, 0)).to.equal(8);
        const a = new Uint8Array(3);
        const b = new Uint8Array(5);
        const readList = new Hostile<Uint8Array>();
        Array.prototype.push.call(readList, a, b);
        expect(await io.readv(fd, readList, 0)).to.equal(8);
        expect(Buffer.concat([a, b])).to.deep.equal(Buffer.concat([pattern(3, 41), pattern(5, 42)]));
        return Buffer.concat([pattern(3, 41), pattern(5, 42)]);
      });
    });

    it('a failing call fails alone: concurrent operations of the same turn are unaffected', async function () {
      await withFile(async (io, fd) => {
        const reads = Array.from({ length: 20 }, () => io.read(fd, new Uint8Array(LENGTH_BYTES), 0));
        const stat = io.stat('f');
        class Species extends Array<Uint8Array> {}
        Object.defineProperty(Species, Symbol.species, { get: () => function () { return 42; } });
        const bad = new Species();
        Array.prototype.push.call(bad, new Uint8Array(2));
        const outcomes = [
          io.readv(fd, new Proxy(new Array<Uint8Array>(5), { get: () => { throw new Error('hostile trap'); } }), 0).then(() => 'ok', (e: unknown) => (e as { code?: string }).code),
          io.readv(fd, bad, 0).then(() => 'ok', (e: unknown) => (e as { code?: string }).code),
          io.write(fd, new Proxy(new Uint8Array(2), {}), 0).then(() => 'ok', (e: unknown) => (e as { code?: string }).code),
        ];
        for (const n of await Promise.all(reads)) expect(n).to.equal(LENGTH_BYTES);
        expect((await stat).sizeBytes).to.equal(LENGTH_BYTES);
        expect(await Promise.all(outcomes)).to.deep.equal(['ERR_INVALID_ARGUMENT', 'ok', 'ERR_INVALID_ARGUMENT']);
        return ORIGINAL;
      });
    });
  });

  it('the file is intact after the hostile tables (sanity of the harness)', async function () {
    const io = current();
    await putFile(io, 'h', ORIGINAL);
    expect(await getFile(io, 'h')).to.deep.equal(ORIGINAL);
  });
}
