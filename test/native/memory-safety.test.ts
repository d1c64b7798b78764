/**
 * UringIo and its native binding under hostile callers (issue 11, sections 1 and 3): buffers
 * detached, transferred, shrunk or grown while the kernel holds their request; vectors with
 * hostile species, getters and Proxies; bad arguments straight into the binding; a ring abandoned
 * with requests in flight. Whatever provokes memory corruption runs in a child process
 * (`child-hostile`), which must exit cleanly with the right results and untouched sentinels.
 */
import { expect } from 'chai';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UringIo } from '../../src/backends/iouring/index.js';
import { StorageError } from '../../src/interfaces/errors.js';
import { FILE_SIZE_MAX_BYTES, OFFSET_MAX_BYTES } from '../../src/interfaces/limits.js';
import { loadBinding, type NativeRing } from '../../src/native/binding.js';
import { RESULT_NOT_AT_CALL } from '../../src/backends/iouring/request.js';
import { describeUring, makeRoots, siblingScript } from './support.js';

interface ChildResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function runChild(scenario: string, root: string): Promise<ChildResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...process.execArgv, '--expose-gc', siblingScript('child-hostile'), scenario, root], { timeout: 60_000 },
      (err, stdout, stderr) => {
        const failure = err as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
        resolve({ code: failure === null ? 0 : typeof failure.code === 'number' ? failure.code : null, signal: failure?.signal ?? null, stdout, stderr });
      });
  });
}

async function childOutcome(scenario: string, root: string): Promise<Record<string, unknown>> {
  const child = await runChild(scenario, root);
  expect(child.signal, `${scenario}: ${child.stderr}`).to.equal(null);
  expect(child.code, `${scenario}: ${child.stderr}`).to.equal(0);
  return JSON.parse(child.stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    return err instanceof StorageError ? err.code : `raw ${String(err)}`;
  }
}

describeUring('UringIo memory safety under hostile callers', function () {
  this.timeout(60_000);
  let base: string;
  let root: string;

  beforeEach(async function () {
    ({ base, root } = await makeRoots('faultline-hostile-'));
  });

  afterEach(async function () {
    await rm(base, { recursive: true, force: true });
  });

  describe('buffers changed while the kernel holds the request (child processes)', function () {
    it('a read buffer transferred and its new owner collected: ERR_DETACHED_BUFFER, no byte lands elsewhere', async function () {
      const out = await childOutcome('transfer', root);
      expect(out).to.include({ result: 'ERR_DETACHED_BUFFER', sentinelsIntact: true, cloneBytes: 4096 });
    });

    it('the same with an allocAligned buffer (used in place, kept alive by the request; Node copies it on transfer)', async function () {
      const out = await childOutcome('transfer-aligned', root);
      expect(out['sentinelsIntact']).to.equal(true);
      if (out['detached'] === true) expect(out['result']).to.equal('ERR_DETACHED_BUFFER');
      else expect(out).to.include({ result: 4096, delivered: true });
    });

    it('wasm memory grown in flight: ERR_DETACHED_BUFFER, the grown memory untouched', async function () {
      expect(await childOutcome('wasm', root)).to.include({ result: 'ERR_DETACHED_BUFFER', sentinelsIntact: true, wasmUntouched: true });
    });

    it('a resizable ArrayBuffer shrunk under a read: ERR_DETACHED_BUFFER (read and readv)', async function () {
      expect(await childOutcome('resizable', root)).to.include({ result: 'ERR_DETACHED_BUFFER', sentinelsIntact: true });
      expect(await childOutcome('resizable-readv', root)).to.include({ result: 'ERR_DETACHED_BUFFER', sentinelsIntact: true });
    });

    it('SharedArrayBuffer and a growable one grown in flight: the read delivers into both', async function () {
      expect(await childOutcome('sab', root)).to.include({ result: 4096, delivered: true, sentinelsIntact: true });
    });

    it('writes take their bytes at the call: shrunk or transferred in flight, they resolve and the bytes arrive', async function () {
      const out = await childOutcome('write-shrunk', root);
      expect(out['results']).to.deep.equal([4096, 4096]);
      expect(out['bytesReachedPipe']).to.deep.equal([4096, 4096]);
      expect(out['sentinelsIntact']).to.equal(true);
    });

    it('the completion buffer transferred away and collected: completions keep arriving correctly', async function () {
      expect(await childOutcome('completions', root)).to.include({ result: 'ok', sentinelsIntact: true });
    });
  });

  describe('a ring abandoned with requests in flight behaves as node:fs with the same requests', function () {
    for (const scenario of ['abandon-ring', 'abandon-fs']) {
      it(`${scenario}: alive while the FIFO read is pending, exits cleanly once it completes`, async function () {
        const child = spawn(process.execPath, [...process.execArgv, '--expose-gc', siblingScript('child-hostile'), scenario, root]);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
        child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
        const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (code, signal) => resolve([code, signal])));
        try {
          for (let waited = 0; !stdout.includes('ready') && waited < 200; waited += 1) await new Promise((r) => setTimeout(r, 50));
          expect(stdout, stderr).to.include('ready');
          await new Promise((r) => setTimeout(r, 1500));
          expect(child.exitCode, `${scenario} exited while its read was pending: ${stderr}`).to.equal(null);
          const writer = openSync(join(root, 'fifo'), constants.O_WRONLY | constants.O_NONBLOCK);
          writeSync(writer, new Uint8Array(16).fill(1));
          closeSync(writer);
          const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000));
          expect(await Promise.race([exited, timeout]), stderr).to.deep.equal([0, null]);
        } finally {
          if (child.exitCode === null) child.kill('SIGKILL');
        }
      });
    }
  });

  describe('vectors and views that lie', function () {
    let io: UringIo;
    let fd: number;

    beforeEach(async function () {
      await writeFile(join(root, 'f'), new Uint8Array(8192).map((_, i) => i & 0xff));
      io = new UringIo({ root, queueDepth: 4 });
      fd = await io.open('f');
    });

    afterEach(async function () {
      await io.shutdown();
    });

    function unrelated(): Promise<unknown>[] {
      return [...Array.from({ length: 20 }, (_, i) => io.read(fd, new Uint8Array(16), i * 16)), io.stat('f')];
    }

    async function expectUnharmed(others: Promise<unknown>[]): Promise<void> {
      const settled = await Promise.allSettled(others);
      expect(settled.map((s) => s.status)).to.deep.equal(new Array(21).fill('fulfilled'));
      expect(settled.slice(0, 20).map((s) => (s as PromiseFulfilledResult<number>).value)).to.deep.equal(new Array(20).fill(16));
    }

    it('a hostile constructor[Symbol.species] is never consulted, and poisons nothing', async function () {
      const vector = [new Uint8Array(8), new Uint8Array(8)];
      Object.defineProperty(vector, 'constructor', { value: { [Symbol.species]: function () { return 42; } } });
      const others = unrelated();
      expect(await io.readv(fd, vector, 0)).to.equal(16);
      expect(Array.from(vector[1] as Uint8Array)).to.deep.equal([8, 9, 10, 11, 12, 13, 14, 15]);
      await expectUnharmed(others);
    });

    it('getters that change between reads are read once; a non-view fails alone with ERR_INVALID_ARGUMENT', async function () {
      let reads = 0;
      const changing = [new Uint8Array(4)];
      Object.defineProperty(changing, 0, { get: () => (reads++ === 0 ? new Uint8Array(4) : 'not a buffer') });
      const bad = [new Uint8Array(4), new Proxy(new Uint8Array(4), {})];
      const others = unrelated();
      const results = await Promise.all([codeOf(io.readv(fd, changing, 0)), codeOf(io.readv(fd, bad, 0)), codeOf(io.writev(fd, bad, 0))]);
      const revocable = Proxy.revocable([new Uint8Array(4)], {});
      revocable.revoke();
      const throwing = [new Uint8Array(4)];
      Object.defineProperty(throwing, 0, { get: () => { throw new Error('boom'); } });
      results.push(await codeOf(io.readv(fd, revocable.proxy, 0)), await codeOf(io.writev(fd, throwing, 0)));
      expect(reads).to.equal(1);
      expect(results).to.deep.equal(['ok', 'ERR_INVALID_ARGUMENT', 'ERR_INVALID_ARGUMENT', 'ERR_INVALID_ARGUMENT', 'ERR_INVALID_ARGUMENT']);
      await expectUnharmed(others);
    });

    it('every buffer kind round-trips: shared, growable shared, resizable, wasm memory, Buffer, subclass, empty', async function () {
      const rw = await io.open('kinds', { read: true, write: true, create: true });
      type Growable = new (n: number, o: { maxByteLength: number }) => ArrayBufferLike;
      const wasm = (globalThis as unknown as { WebAssembly: { Memory: new (o: { initial: number }) => { buffer: ArrayBuffer } } }).WebAssembly;
      class Sub extends Uint8Array {}
      const kinds: Array<[string, Uint8Array]> = [
        ['SharedArrayBuffer', new Uint8Array(new SharedArrayBuffer(64))],
        ['growable SharedArrayBuffer', new Uint8Array(new (SharedArrayBuffer as unknown as Growable)(64, { maxByteLength: 4096 }))],
        ['resizable ArrayBuffer', new Uint8Array(new (ArrayBuffer as unknown as Growable)(64, { maxByteLength: 4096 }), 0, 64)],
        ['length-tracking view', new Uint8Array(new (ArrayBuffer as unknown as Growable)(64, { maxByteLength: 4096 }))],
        ['wasm memory', new Uint8Array(new wasm.Memory({ initial: 1 }).buffer, 100, 64)],
        ['Buffer slice', Buffer.alloc(200).subarray(7, 71)],
        ['subclass', new Sub(64)],
        ['allocAligned', io.allocAligned(64)],
      ];
      for (const [name, view] of kinds) {
        for (let i = 0; i < 64; i += 1) view[i] = (i * 7 + name.length) & 0xff;
        const expected = Uint8Array.from(view);
        expect(await io.write(rw, view, 0), name).to.equal(64);
        view.fill(0);
        expect(await io.read(rw, view, 0), name).to.equal(64);
        expect(Uint8Array.from(view), name).to.deep.equal(expected);
        view.fill(0);
        expect(await io.readv(rw, [view.subarray(0, 10), new Uint8Array(0), view.subarray(10)], 0), name).to.equal(64);
        expect(Uint8Array.from(view), name).to.deep.equal(expected);
        expect(await io.writev(rw, [view.subarray(32), view.subarray(0, 32)], 64), name).to.equal(64);
      }
      expect(await io.read(rw, new Uint8Array(0), 0)).to.equal(0);
      await io.close(rw);
    });

    it('lying subclasses, Proxies and prototype look-alikes are refused or read at their true length', async function () {
      class Liar extends Uint8Array {
        override get byteLength(): number { return 1 << 20; }
      }
      const liar = new Liar(8);
      expect(await io.read(fd, liar, 0)).to.equal(8);
      expect(await codeOf(io.read(fd, new Proxy(new Uint8Array(8), {}), 0))).to.equal('ERR_INVALID_ARGUMENT');
      expect(await codeOf(io.read(fd, Object.create(Uint8Array.prototype) as Uint8Array, 0))).to.equal('ERR_INVALID_ARGUMENT');
      const detached = new Uint8Array(8);
      structuredClone(detached.buffer, { transfer: [detached.buffer] });
      expect(await codeOf(io.read(fd, detached, 0))).to.equal('ERR_DETACHED_BUFFER');
      expect(await codeOf(io.readv(fd, [new Uint8Array(2), detached], 0))).to.equal('ERR_DETACHED_BUFFER');
    });
  });

  describe('the native binding checks every argument and throws (never aborts)', function () {
    let ring: NativeRing;

    beforeEach(function () {
      const load = loadBinding();
      if (!load.ok || load.binding.Ring === undefined) throw new Error('addon not loaded');
      ring = new load.binding.Ring();
    });

    afterEach(function () {
      ring.destroy();
    });

    it('start refuses bad sqpoll, dispatcher and queueDepth values (2^32+4 does not wrap to 4)', function () {
      const noop = (): void => undefined;
      const start = ring.start.bind(ring) as (...args: unknown[]) => unknown;
      expect(() => start(root, 8, 'x', noop)).to.throw(TypeError);
      expect(() => start(root, 8, {}, noop)).to.throw(TypeError);
      expect(() => start(root, 8, false, 'not a function')).to.throw(TypeError);
      expect(() => start(root, 2 ** 32 + 4, false, noop)).to.throw(RangeError);
      expect(() => start(root, 0, false, noop)).to.throw(RangeError);
      expect(() => start(42, 8, false, noop)).to.throw(TypeError);
      expect(ring.info().open).to.equal(false);
      expect(ring.start(root, 8, false, noop)).to.equal(null);
      expect(() => ring.start(root, 8, false, noop)).to.throw(Error);
    });

    it('readv bounds the vector by IOV_MAX before allocating; bad slots, fds and offsets throw', async function () {
      expect(ring.start(root, 8, false, () => undefined)).to.equal(null);
      const raw = ring as unknown as Record<string, (...args: unknown[]) => unknown>;
      expect(() => raw['readv']?.call(ring, 0, 0, new Array(2 ** 32 - 1), 0)).to.throw(RangeError);
      expect(() => raw['readv']?.call(ring, 0, 0, new Array(1025), 0)).to.throw(RangeError);
      expect(() => raw['readv']?.call(ring, 0, 0, [{}], 0)).to.throw(TypeError);
      expect(() => raw['readv']?.call(ring, 0, 0, 'nope', 0)).to.throw(TypeError);
      expect(() => raw['read']?.call(ring, 8, 0, new Uint8Array(1), 0)).to.throw(RangeError);
      expect(() => raw['read']?.call(ring, -1, 0, new Uint8Array(1), 0)).to.throw(RangeError);
      expect(() => raw['read']?.call(ring, 0.5, 0, new Uint8Array(1), 0)).to.throw(RangeError);
      expect(() => raw['read']?.call(ring, 0, 2 ** 31, new Uint8Array(1), 0)).to.throw(RangeError);
      expect(() => raw['read']?.call(ring, 0, 0, new Uint8Array(1), -1)).to.throw(RangeError);
      expect(() => raw['read']?.call(ring, 0, 0, new Uint16Array(1), 0)).to.throw(TypeError);
      expect(() => raw['read']?.call(ring)).to.throw(TypeError);
      expect(() => raw['fsync']?.call(ring, 0, 0, 'yes')).to.throw(TypeError);
      expect(() => raw['openat2']?.call(ring, 0, -1, 'a\0b', 0, 0, 0)).to.throw(TypeError);
      expect(() => raw['openat2']?.call(ring, 0, -2, 'a', 0, 0, 0)).to.throw(RangeError);
      expect(() => raw['renameat']?.call(ring, 0, -1, 'a', -1, 7)).to.throw(TypeError);
      expect(() => raw['registerBuffers']?.call(ring, 2 ** 32 + 1, 4096)).to.throw(RangeError);
      expect(() => raw['setInlineWriteSlowMicros']?.call(ring, 'soon')).to.throw(TypeError);
      expect(() => raw['setInlineWriteSlowMicros']?.call(ring, -1)).to.throw(RangeError);
      expect(() => raw['setInlineWriteSlowMicros']?.call(ring, 2 ** 53)).to.throw(RangeError);
      expect(() => raw['setWaitInRing']?.call(ring, 'yes')).to.throw(TypeError);
      expect(raw['setWaitInRing']?.call(ring, false)).to.equal(false);
      expect(() => raw['readdir']?.call(ring, 'x')).to.throw(TypeError);
      const batch = (...args: unknown[]): unknown => raw['readBatchAtCall']?.call(ring, ...args);
      const plan = new Float64Array([0, 0]);
      expect(() => batch('nope', plan, 1)).to.throw(TypeError);
      expect(() => batch([new Uint8Array(1)], [0, 0], 1)).to.throw(TypeError);
      expect(() => batch([new Uint8Array(1)], new Float32Array(2), 1)).to.throw(TypeError);
      expect(() => batch([new Uint8Array(1), new Uint8Array(1)], plan, 2)).to.throw(TypeError); // plan too short
      expect(() => batch([new Uint8Array(1)], plan, 2)).to.throw(RangeError); // more than the views
      expect(() => batch(new Array(4097).fill(new Uint8Array(1)), new Float64Array(8194), 4097)).to.throw(RangeError);
      expect(() => batch([new Uint8Array(1)], plan, 0.5)).to.throw(RangeError);
      expect(() => batch([new Uint8Array(1)], plan, -1)).to.throw(RangeError);
      expect(() => batch([new Uint16Array(1)], plan, 1)).to.throw(TypeError);
      expect(() => batch([new Uint8Array(1)], new Float64Array([-1, 0]), 1)).to.throw(RangeError);
      expect(() => batch([new Uint8Array(1)], new Float64Array([2 ** 31, 0]), 1)).to.throw(RangeError);
      expect(() => batch([new Uint8Array(1)], new Float64Array([0, -1]), 1)).to.throw(RangeError);
      expect(() => batch([new Uint8Array(1)], new Float64Array([0, 0.5]), 1)).to.throw(RangeError);
      expect(() => batch([new Uint8Array(1)], new Float64Array([0, NaN]), 1)).to.throw(RangeError);
      // The slot-less read at the call: the same checks as read's, and nothing done on fd 0 (not the ring's).
      const atCall = (...args: unknown[]): unknown => raw['readAtCall']?.call(ring, ...args);
      expect(() => atCall(2 ** 31, new Uint8Array(1), 0)).to.throw(RangeError);
      expect(() => atCall(-1, new Uint8Array(1), 0)).to.throw(RangeError);
      expect(() => atCall('0', new Uint8Array(1), 0)).to.throw(TypeError);
      expect(() => atCall(0, new Uint16Array(1), 0)).to.throw(TypeError);
      expect(() => atCall(0, new Proxy(new Uint8Array(1), {}), 0)).to.throw(TypeError);
      expect(() => atCall(0, new DataView(new ArrayBuffer(1)), 0)).to.throw(TypeError);
      expect(() => atCall(0, new Uint8Array(1), -1)).to.throw(RangeError);
      expect(() => atCall(0, new Uint8Array(1), 0.5)).to.throw(RangeError);
      expect(() => atCall(0, new Uint8Array(1), 2 ** 53)).to.throw(RangeError); // past Number.MAX_SAFE_INTEGER (the kernel judges the rest)
      expect(() => atCall(0, new Uint8Array(1), 1n)).to.throw(TypeError);
      expect(() => atCall()).to.throw(TypeError);
      expect(atCall(0, new Uint8Array(1), 0)).to.equal(RESULT_NOT_AT_CALL);
      // An fd this ring did not open is never read at the call: nothing answered.
      expect(batch([new Uint8Array(1)], plan, 1)).to.equal(0);
      expect(batch([], plan, 0)).to.equal(0);
      // A getter in the vector cannot re-enter the ring while it is being read.
      const reentrant = [new Uint8Array(1)];
      let inner = 'not called';
      let innerAtCall = 'not called';
      Object.defineProperty(reentrant, 0, {
        get: () => {
          try {
            raw['read']?.call(ring, 0, 0, new Uint8Array(1), 0);
            inner = 'accepted';
          } catch (err) {
            inner = (err as Error).message;
          }
          try {
            atCall(0, new Uint8Array(1), 0);
            innerAtCall = 'accepted';
          } catch (err) {
            innerAtCall = (err as Error).message;
          }
          return new Uint8Array(1);
        },
      });
      raw['readv']?.call(ring, 0, 0, reentrant, 0);
      expect(inner).to.equal('the ring was called re-entrantly');
      expect(innerAtCall).to.equal('the ring was called re-entrantly');
      // Nothing above claimed a slot: all eight are still free.
      expect(ring.info().inKernel).to.equal(1);
    });
  });

  describe('kernel-equal answers and limits (section 3)', function () {
    let io: UringIo;

    beforeEach(function () {
      io = new UringIo({ root, queueDepth: 4 });
    });

    afterEach(async function () {
      await io.shutdown();
    });

    it('a read ending past 2^44 returns what the kernel returns (0 past the end of file)', async function () {
      const fd = await io.open('f', { write: true, read: true, create: true });
      expect(await io.read(fd, new Uint8Array(8), OFFSET_MAX_BYTES - 4)).to.equal(0);
      expect(await io.readv(fd, [new Uint8Array(8), new Uint8Array(8)], OFFSET_MAX_BYTES - 4)).to.equal(0);
    });

    it('a bad fd is EBADF before the kernel\'s size checks; the library\'s offset limit comes first, as on every backend', async function () {
      expect(await codeOf(io.read(999, new Uint8Array(8), OFFSET_MAX_BYTES - 4))).to.equal('EBADF');
      expect(await codeOf(io.readv(999, [new Uint8Array(8)], OFFSET_MAX_BYTES))).to.equal('EBADF');
      // On an open fd this write would be short (it crosses ext4's limit): the fd is judged first.
      expect(await codeOf(io.write(999, new Uint8Array(8), FILE_SIZE_MAX_BYTES - 4))).to.equal('EBADF');
      expect(await codeOf(io.write(999, new Uint8Array(8), OFFSET_MAX_BYTES - 4))).to.equal('ERR_LIMIT_EXCEEDED');
      expect(await codeOf(io.writev(999, [new Uint8Array(8)], OFFSET_MAX_BYTES - 4))).to.equal('ERR_LIMIT_EXCEEDED');
    });

    it('stat(path) at the fd limit succeeds without an fd, and still keeps to the root', async function () {
      const script = siblingScript('child-fdlimit');
      const child = await new Promise<{ stdout: string; stderr: string; failed: boolean }>((resolve) => {
        execFile('/bin/sh', ['-c', 'ulimit -n 128 && exec "$0" "$@"', process.execPath, ...process.execArgv, script, root], { timeout: 60_000 },
          (err, stdout, stderr) => resolve({ stdout, stderr, failed: err !== null }));
      });
      expect(child.failed, child.stderr).to.equal(false);
      const out = JSON.parse(child.stdout) as Record<string, unknown>;
      expect(out).to.deep.include({
        exhausted: true,
        'a/b/file': [5, true, false],
        inside: [5, true, false],
        'a/loopback/file': [5, true, false],
        'a/b/file/x': 'ENOTDIR',
        missing: 'ENOENT',
        absolute: 'ERR_PATH_ESCAPE',
        'a/up': 'ERR_PATH_ESCAPE',
        self: 'ELOOP',
      });
      expect((out['a'] as unknown[])[2]).to.equal(true);
      expect((out['.'] as unknown[])[2]).to.equal(true);
    });

    it('queueDepth 2^32+4 is refused, not wrapped', function () {
      expect(() => new UringIo({ root, queueDepth: 2 ** 32 + 4 })).to.throw(StorageError).with.property('code', 'ERR_LIMIT_EXCEEDED');
    });

    it('bounce memory is bounded: large transfers give theirs back, small ones keep a slot\'s worth', async function () {
      const fd = await io.open('big', { read: true, write: true, create: true });
      const big = 2 << 20;
      expect(await io.write(fd, new Uint8Array(big).fill(3), 0)).to.equal(big);
      const reads = await Promise.all(Array.from({ length: 4 }, () => io.read(fd, new Uint8Array(big), 0)));
      expect(reads).to.deep.equal([big, big, big, big]);
      expect(io.ringInfo.bounceBytes).to.equal(0);
      // Behind a sync, so the ring takes them (alone, the page cache would answer each at the call).
      const busy = io.fsync(fd);
      await Promise.all(Array.from({ length: 4 }, (_, i) => io.read(fd, new Uint8Array(4096), i * 4096)));
      await busy;
      expect(io.ringInfo.bounceBytes).to.be.above(0).and.at.most(4 * 8192);
      const aligned = io.allocAligned(big);
      const before = io.ringInfo.bounceBytes;
      expect(await io.read(fd, aligned, 0)).to.equal(big);
      expect(io.ringInfo.bounceBytes, 'allocAligned buffers are used in place').to.equal(before);
    });

    it('bounceBytesMax: a transfer that would pass it waits first in line until a completion frees memory', async function () {
      const bounded = new UringIo({ root, queueDepth: 4, bounceBytesMax: 64 * 1024 });
      try {
        execFileSync('mkfifo', [join(root, 'pipe')]);
        const writer = openSync(join(root, 'pipe'), constants.O_RDWR);
        await writeFile(join(root, 'data'), new Uint8Array(32 * 1024).fill(5));
        const pipe = await bounded.open('pipe');
        const data = await bounded.open('data');
        const order: string[] = [];
        const pending = bounded.read(pipe, new Uint8Array(48 * 1024), 0).then((n) => { order.push('pipe'); return n; });
        await new Promise((r) => setImmediate(r));
        const waiting = bounded.read(data, new Uint8Array(32 * 1024), 0).then((n) => { order.push('data'); return n; });
        const small = bounded.read(data, new Uint8Array(16), 0).then((n) => { order.push('small'); return n; });
        for (let i = 0; i < 5; i += 1) await new Promise((r) => setImmediate(r));
        expect(order, 'nothing passes the waiting transfer').to.deep.equal([]);
        expect(bounded.ringInfo.bounceBytes).to.be.at.most(64 * 1024);
        writeSync(writer, new Uint8Array(100).fill(1));
        expect(await Promise.all([pending, waiting, small])).to.deep.equal([100, 32 * 1024, 16]);
        expect(order).to.deep.equal(['pipe', 'data', 'small']);
        closeSync(writer);
      } finally {
        await bounded.shutdown();
      }
      expect(() => new UringIo({ root, bounceBytesMax: 100 })).to.throw(StorageError).with.property('code', 'ERR_INVALID_ARGUMENT');
    });

    it('allocAligned(2^31) is ERR_LIMIT_EXCEEDED, as on FsIo and SimIo', function () {
      expect(() => io.allocAligned(2 ** 31)).to.throw(StorageError).with.property('code', 'ERR_LIMIT_EXCEEDED');
      expect(io.allocAligned(4096).byteLength).to.equal(4096);
    });
  });
});
