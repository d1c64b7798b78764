/**
 * The example KV store on a plain Io (FsIo over memfs): the behaviours the simulation workload
 * relies on, checked directly — recovery, torn tails, rollover and compaction, group commit,
 * fail-stop after a sync error, argument checks.
 */
import { expect } from 'chai';
import { Volume } from 'memfs';
import { FsIo } from '../../src/backends/fs/index.js';
import type { Io } from '../../src/interfaces/io.js';
import { StorageError, isStorageError } from '../../src/interfaces/errors.js';
import { BLOB_HEADER_BYTES } from '../../src/interfaces/limits.js';
import { blobFileName } from '../../src/interfaces/validate.js';
import { KvStore } from '../../examples/kv/store.js';
import { RecordKind, encodeRecord } from '../../examples/kv/record.js';

function memIo(): Io {
  const vol = new Volume();
  vol.mkdirSync('/root', { recursive: true });
  return new FsIo({ root: '/root', fs: vol as never });
}

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function text(value: Uint8Array | undefined): string | undefined {
  return value === undefined ? undefined : new TextDecoder().decode(value);
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (err) {
    expect((err as { code?: unknown }).code).to.equal(code);
    return;
  }
  expect.fail(`expected rejection with ${code}`);
}

async function segmentPath(io: Io, id: number): Promise<string> {
  void io;
  return `kv/${blobFileName('t', `seg-${String(id).padStart(12, '0')}`)}`;
}

async function appendRaw(io: Io, path: string, data: Uint8Array): Promise<void> {
  const fd = await io.open(path, { read: true, write: true });
  try {
    const { sizeBytes } = await io.stat(fd);
    await io.write(fd, data, sizeBytes);
    await io.fsync(fd);
  } finally {
    await io.close(fd);
  }
}

async function overwriteRaw(io: Io, path: string, offsetBytes: number, data: Uint8Array): Promise<void> {
  const fd = await io.open(path, { read: true, write: true });
  try {
    await io.write(fd, data, offsetBytes);
  } finally {
    await io.close(fd);
  }
}

/** An Io whose next `failFsyncs` file fsyncs fail with EIO (fsyncgate-style). */
function failingFsync(inner: Io, state: { failFsyncs: number }): Io {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'fsync') {
        return async (fd: number, options?: { dataOnly?: boolean }) => {
          if (state.failFsyncs > 0) {
            state.failFsyncs -= 1;
            throw new StorageError('EIO', 'injected', { operation: 'fsync' });
          }
          return target.fsync(fd, options);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('examples/kv: KvStore', () => {
  it('reads back puts and deletes, also after reopening', async () => {
    const io = memIo();
    const store = await KvStore.open(io);
    await store.put('a', bytes('1'));
    await store.put('b', bytes('2'));
    await store.put('a', bytes('3'));
    await store.delete('b');
    expect(text(await store.get('a'))).to.equal('3');
    expect(await store.get('b')).to.equal(undefined);
    expect(await store.get('never')).to.equal(undefined);
    await store.close();
    const again = await KvStore.open(io);
    expect(text(await again.get('a'))).to.equal('3');
    expect(await again.get('b')).to.equal(undefined);
    expect(again.stats.recoveredRecords).to.equal(4);
    expect(again.keys()).to.deep.equal(['a']);
    await again.close();
  });

  it('shares one sync among concurrent writers (group commit)', async () => {
    const io = memIo();
    const store = await KvStore.open(io);
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.put(`k${i}`, bytes(`v${i}`))));
    const { syncs, puts } = store.stats;
    expect(puts).to.equal(200);
    expect(syncs).to.be.greaterThan(0);
    expect(syncs).to.be.lessThan(20);
    const fsyncs = io.metrics.operations.fsync;
    expect(fsyncs).to.be.lessThan(40);
    await store.close();
  });

  it('rolls segments over and compacts them into a snapshot, keeping every live key', async () => {
    const io = memIo();
    const store = await KvStore.open(io, { segmentBytesMax: 600, compactionSegmentsMin: 2 });
    const expected = new Map<string, string>();
    for (let i = 0; i < 300; i++) {
      const key = `k${i % 37}`;
      if (i % 11 === 0) {
        await store.delete(key);
        expected.delete(key);
      } else {
        const value = `value-${i}-${'x'.repeat(i % 50)}`;
        await store.put(key, bytes(value));
        expected.set(key, value);
      }
    }
    expect(store.stats.rollovers).to.be.greaterThan(3);
    expect(store.stats.compactions).to.be.greaterThan(0);
    for (const [key, value] of expected) expect(text(await store.get(key))).to.equal(value);
    await store.close();
    const names = await io.readdir('kv');
    const decoded = names.map((n) => Buffer.from(n, 'hex').toString());
    expect(decoded.filter((n) => n.startsWith('snap-'))).to.have.length(1);
    // Segments older than the snapshot are gone.
    const snapshotId = Number(decoded.find((n) => n.startsWith('snap-'))!.slice(5));
    for (const name of decoded.filter((n) => n.startsWith('seg-'))) expect(Number(name.slice(4))).to.be.at.least(snapshotId);
    const again = await KvStore.open(io);
    expect(again.keys().sort()).to.deep.equal([...expected.keys()].sort());
    for (const [key, value] of expected) expect(text(await again.get(key))).to.equal(value);
    await again.close();
  });

  it('cuts a torn tail off durably and keeps every complete record', async () => {
    const io = memIo();
    const store = await KvStore.open(io);
    await store.put('a', bytes('alpha'));
    await store.put('b', bytes('beta'));
    await store.close();
    const path = await segmentPath(io, 1);
    const sizeBefore = (await io.stat(path)).sizeBytes;
    const torn = encodeRecord(RecordKind.put, bytes('c'), bytes('gamma-gamma-gamma')).subarray(0, 20);
    await appendRaw(io, path, torn);
    const again = await KvStore.open(io);
    expect(again.stats.truncatedTailBytes).to.equal(20);
    expect((await io.stat(path)).sizeBytes).to.equal(sizeBefore);
    await again.put('d', bytes('delta'));
    await again.close();
    const third = await KvStore.open(io);
    expect(third.keys().sort()).to.deep.equal(['a', 'b', 'd']);
    expect(text(await third.get('d'))).to.equal('delta');
    await third.close();
  });

  it('refuses a record whose checksum does not match (a flipped bit is not a torn tail)', async () => {
    const io = memIo();
    const store = await KvStore.open(io, { segmentBytesMax: 100 });
    for (let i = 0; i < 5; i++) await store.put(`k${i}`, bytes('x'.repeat(80)));
    await store.close();
    // Segment 1 is sealed (a later segment exists): damage in it cannot come from a crash.
    const path = await segmentPath(io, 1);
    await overwriteRaw(io, path, BLOB_HEADER_BYTES + 30, bytes('!'));
    await expectCode(KvStore.open(io), 'ERR_BLOB_CORRUPT');
  });

  it('fails stop after a sync error and never acknowledges the write', async () => {
    const inner = memIo();
    const state = { failFsyncs: 0 };
    const io = failingFsync(inner, state);
    const store = await KvStore.open(io);
    await store.put('a', bytes('1'));
    state.failFsyncs = 1;
    await expectCode(store.put('b', bytes('2')), 'EIO');
    expect(isStorageError(store.failed, 'EIO')).to.equal(true);
    await expectCode(store.put('c', bytes('3')), 'ERR_CLOSED');
    await expectCode(store.get('a'), 'ERR_CLOSED');
    await store.close();
    const again = await KvStore.open(io);
    expect(text(await again.get('a'))).to.equal('1');
    await again.close();
  });

  it('the fsync-retry variant acknowledges a write whose sync failed (the bug it models)', async () => {
    const state = { failFsyncs: 0 };
    const io = failingFsync(memIo(), state);
    const store = await KvStore.open(io, { bug: 'fsync-retry' });
    state.failFsyncs = 1;
    await store.put('b', bytes('2'));
    expect(store.failed).to.equal(undefined);
    await store.close();
  });

  it('checks its arguments and bounds its queue', async () => {
    const store = await KvStore.open(memIo(), { pendingWritesMax: 4 });
    await expectCode(store.put('', bytes('x')), 'ERR_INVALID_ARGUMENT');
    await expectCode(store.put('k', 'not bytes' as unknown as Uint8Array), 'ERR_INVALID_ARGUMENT');
    await expectCode(store.put('k'.repeat(2000), bytes('x')), 'ERR_LIMIT_EXCEEDED');
    await expectCode(store.put('k', new Uint8Array((1 << 20) + 1)), 'ERR_LIMIT_EXCEEDED');
    const writes = Array.from({ length: 4 }, (_, i) => store.put(`k${i}`, bytes('v')));
    await expectCode(store.put('k5', bytes('v')), 'ERR_LIMIT_EXCEEDED');
    await Promise.all(writes);
    await expectCode(KvStore.open(memIo(), { segmentBytesMax: 0 }), 'ERR_INVALID_ARGUMENT');
    await store.close();
    await expectCode(store.put('k', bytes('v')), 'ERR_CLOSED');
    await store.close();
  });
});
