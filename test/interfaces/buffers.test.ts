/**
 * The shared buffer checks of `validate.ts` on their own (every backend builds on them; the
 * conformance suite checks the outcome through each backend).
 */
import { expect } from 'chai';
import { StorageError } from '../../src/interfaces/errors.js';
import {
  checkSnapshotsUsable, copyInto, isSnapshotUsable, isUint8Array, snapshotBuffer, snapshotBuffers,
} from '../../src/interfaces/validate.js';

type Resizable = ArrayBuffer & { resize(lengthBytes: number): void };
const ResizableBuffer = ArrayBuffer as unknown as new (lengthBytes: number, options: { maxByteLength: number }) => Resizable;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof StorageError ? err.code : `raw ${String(err)}`;
  }
  return undefined;
}

describe('shared buffer snapshots (validate.ts)', function () {
  it('a snapshot is a plain Uint8Array over the same memory, whatever the caller\'s getters say', function () {
    class Liar extends Uint8Array {
      override get byteLength(): number { return 1 << 20; }
    }
    const backing = new ArrayBuffer(32);
    const liar = new Liar(backing, 4, 8);
    const view = snapshotBuffer('write', liar);
    expect(Object.getPrototypeOf(view)).to.equal(Uint8Array.prototype);
    expect(view.byteLength).to.equal(8);
    expect(view.byteOffset).to.equal(4);
    expect(view.buffer).to.equal(backing);
    view[0] = 7;
    expect(new Uint8Array(backing)[4]).to.equal(7);
  });

  it('isUint8Array: real ones (Buffer, subclasses) only', function () {
    expect(isUint8Array(Buffer.alloc(1))).to.equal(true);
    expect(isUint8Array(new (class extends Uint8Array {})(1))).to.equal(true);
    expect(isUint8Array(new Proxy(new Uint8Array(1), {}))).to.equal(false);
    expect(isUint8Array(Object.create(Uint8Array.prototype))).to.equal(false);
    expect(isUint8Array(new Uint8ClampedArray(1))).to.equal(false);
  });

  it('snapshotBuffers reads length once, bounds it first, reads each element once, and returns each length', function () {
    let lengthReads = 0;
    let elementReads = 0;
    const a = new Uint8Array(3);
    const b = new Uint8Array(5);
    const list = new Proxy([a, b], {
      get(target, key, receiver): unknown {
        if (key === 'length') lengthReads += 1;
        else if (typeof key === 'string' && /^\d+$/.test(key)) elementReads += 1;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const snapshot = snapshotBuffers('writev', list);
    expect([lengthReads, elementReads]).to.deep.equal([1, 2]);
    expect(snapshot.lengthsBytes).to.deep.equal([3, 5]);
    expect(snapshot.totalBytes).to.equal(8);
    elementReads = 0;
    const huge = new Proxy([a], { get: (t, k, r) => (k === 'length' ? 2 ** 32 - 1 : (elementReads += 1, Reflect.get(t, k, r) as unknown)) });
    expect(codeOf(() => snapshotBuffers('writev', huge))).to.equal('ERR_LIMIT_EXCEEDED');
    expect(elementReads).to.equal(0);
    const throwing = new Proxy([a], { get: () => { throw new Error('trap'); } });
    expect(codeOf(() => snapshotBuffers('writev', throwing))).to.equal('ERR_INVALID_ARGUMENT');
  });

  it('isSnapshotUsable turns false when the memory is detached or shrunk below the view, not when it grows', function () {
    const rab = new ResizableBuffer(16, { maxByteLength: 64 });
    const view = snapshotBuffer('read', new Uint8Array(rab, 4, 8));
    expect(isSnapshotUsable(view, 8)).to.equal(true);
    rab.resize(64);
    expect(isSnapshotUsable(view, 8)).to.equal(true);
    rab.resize(10);
    expect(isSnapshotUsable(view, 8)).to.equal(false);
    rab.resize(12);
    expect(isSnapshotUsable(view, 8)).to.equal(true);
    const empty = snapshotBuffer('read', new Uint8Array(rab, 12, 0));
    expect(isSnapshotUsable(empty, 0)).to.equal(true);
    rab.resize(4);
    expect(isSnapshotUsable(empty, 0)).to.equal(false);
    const plain = new Uint8Array(4);
    const snap = snapshotBuffer('read', plain);
    structuredClone(plain.buffer, { transfer: [plain.buffer] });
    expect(isSnapshotUsable(snap, 4)).to.equal(false);
    expect(codeOf(() => checkSnapshotsUsable('readv', [view, snap], [8, 4]))).to.equal('ERR_DETACHED_BUFFER');
  });

  it('copyInto uses the engine\'s set, not an override', function () {
    class NoSet extends Uint8Array {}
    Object.defineProperty(NoSet.prototype, 'set', { value: () => { throw new Error('overridden set called'); } });
    const target = new NoSet(4);
    copyInto(target, new Uint8Array([1, 2]), 1);
    expect([...target]).to.deep.equal([0, 1, 2, 0]);
  });
});
