/** Unit tests of the shared/exclusive locks of `src/storage/rw-lock.ts`. */
import { expect } from 'chai';
import { AssertionFailure, StorageError } from '../../src/interfaces/errors.js';
import { MUTEX_WAITERS_MAX } from '../../src/storage/mutex.js';
import { KeyedRwLock, RwLock } from '../../src/storage/rw-lock.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('storage/rw-lock', () => {
  it('shared holders run together; an exclusive one waits for them and runs alone', async () => {
    const lock = new RwLock();
    const log: string[] = [];
    const gate = deferred();
    const a = lock.run(false, 't', async () => { log.push('a'); await gate.promise; log.push('a-end'); });
    const b = lock.run(false, 't', async () => { log.push('b'); await gate.promise; log.push('b-end'); });
    const x = lock.run(true, 't', async () => { log.push('x'); });
    await turn();
    expect(log).to.deep.equal(['a', 'b']);
    gate.resolve();
    await Promise.all([a, b, x]);
    expect(log).to.deep.equal(['a', 'b', 'a-end', 'b-end', 'x']);
    expect(lock.busy).to.equal(false);
  });

  it('grants in call order: a shared caller behind a waiting exclusive one waits too', async () => {
    const lock = new RwLock();
    const log: string[] = [];
    const gate = deferred();
    const exclusiveGate = deferred();
    const a = lock.run(false, 't', async () => { log.push('a'); await gate.promise; });
    const x = lock.run(true, 't', async () => { log.push('x'); await exclusiveGate.promise; log.push('x-end'); });
    const b = lock.run(false, 't', async () => { log.push('b'); });
    const c = lock.run(false, 't', async () => { log.push('c'); });
    await turn();
    expect(log).to.deep.equal(['a']);
    gate.resolve();
    await turn();
    expect(log).to.deep.equal(['a', 'x']);
    exclusiveGate.resolve();
    await Promise.all([a, x, b, c]);
    expect(log).to.deep.equal(['a', 'x', 'x-end', 'b', 'c']);
  });

  it('a failing body releases the lock and passes its error through', async () => {
    const lock = new RwLock();
    const failure = new Error('boom');
    let caught: unknown;
    await lock.run(true, 't', () => Promise.reject(failure)).catch((err: unknown) => { caught = err; });
    expect(caught).to.equal(failure);
    expect(await lock.run(false, 't', () => Promise.resolve(7))).to.equal(7);
    expect(lock.busy).to.equal(false);
  });

  it('a body that throws before returning, or returns no promise, releases the lock too (keyed: the key is forgotten)', async () => {
    const keyed = new KeyedRwLock();
    const failure = new Error('sync boom');
    let caught: unknown;
    await keyed.run('k', true, 't', () => { throw failure; }).catch((err: unknown) => { caught = err; });
    expect(caught).to.equal(failure);
    expect(keyed.size).to.equal(0);
    const plain = (): Promise<number> => 5 as unknown as Promise<number>;
    expect(await keyed.run('k', false, 't', plain)).to.equal(5);
    expect(keyed.size).to.equal(0);
    // A granted body starts in the call; a waiting one only once the holder releases.
    const lock = new RwLock();
    const log: string[] = [];
    const gate = deferred();
    const first = lock.run(true, 't', async () => { log.push('first'); await gate.promise; });
    const second = lock.run(true, 't', async () => { log.push('second'); });
    expect(log).to.deep.equal(['first']);
    gate.resolve();
    await Promise.all([first, second]);
    expect(log).to.deep.equal(['first', 'second']);
    expect(lock.busy).to.equal(false);
  });

  it('refuses waiters past the bound with ERR_LIMIT_EXCEEDED', async () => {
    const lock = new RwLock();
    const gate = deferred();
    const held = lock.run(true, 't', () => gate.promise);
    const waiting: Promise<void>[] = [];
    for (let i = 0; i < MUTEX_WAITERS_MAX; i += 1) waiting.push(lock.run(i % 2 === 0, 't', () => Promise.resolve()));
    let caught: unknown;
    await lock.run(false, 'op', () => Promise.resolve()).catch((err: unknown) => { caught = err; });
    expect(caught).to.be.instanceOf(StorageError);
    expect((caught as StorageError).code).to.equal('ERR_LIMIT_EXCEEDED');
    gate.resolve();
    await Promise.all([held, ...waiting]);
    expect(lock.busy).to.equal(false);
  });

  it('tryHoldShared: held at once beside other shared holders, refused while an exclusive one holds or waits, and its release grants the next', async () => {
    const lock = new RwLock();
    const log: string[] = [];
    expect(lock.tryHoldShared()).to.equal(true);
    expect(lock.tryHoldShared()).to.equal(true);
    // An exclusive caller waits for both holds.
    const x = lock.run(true, 't', async () => { log.push('x'); });
    // Behind a waiting exclusive caller a new hold is refused (FIFO: it would overtake it).
    expect(lock.tryHoldShared()).to.equal(false);
    lock.releaseShared();
    await turn();
    expect(log, 'one hold still stands').to.deep.equal([]);
    lock.releaseShared();
    await x;
    expect(log).to.deep.equal(['x']);
    expect(lock.busy).to.equal(false);
    // While an exclusive caller holds the lock, a hold is refused too.
    const gate = deferred();
    const y = lock.run(true, 't', () => gate.promise);
    expect(lock.tryHoldShared()).to.equal(false);
    gate.resolve();
    await y;
    expect(lock.tryHoldShared()).to.equal(true);
    lock.releaseShared();
    expect(lock.busy).to.equal(false);
  });

  it('keyed tryHoldShared keeps the key while held and forgets it on release; a release without a hold is an assertion', async () => {
    const locks = new KeyedRwLock();
    expect(locks.tryHoldShared('k')).to.equal(true);
    expect(locks.size).to.equal(1);
    const log: string[] = [];
    const x = locks.run('k', true, 't', async () => { log.push('x'); });
    expect(locks.tryHoldShared('k')).to.equal(false);
    locks.releaseShared('k');
    await x;
    expect(log).to.deep.equal(['x']);
    expect(locks.size).to.equal(0);
    expect(() => locks.releaseShared('k')).to.throw(AssertionFailure);
  });

  it('the keyed variant separates keys and forgets idle ones', async () => {
    const locks = new KeyedRwLock();
    const gate = deferred();
    const log: string[] = [];
    const a = locks.run('k1', true, 't', async () => { log.push('k1'); await gate.promise; });
    const b = locks.run('k2', true, 't', async () => { log.push('k2'); });
    await b;
    expect(log).to.deep.equal(['k1', 'k2']);
    expect(locks.size).to.equal(1);
    gate.resolve();
    await a;
    expect(locks.size).to.equal(0);
  });
});
