/** Unit tests of the bounded mutexes of `src/storage/mutex.ts`. */
import { expect } from 'chai';
import { StorageError } from '../../src/interfaces/errors.js';
import { KeyedMutex, Mutex, MUTEX_WAITERS_MAX } from '../../src/storage/mutex.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

describe('storage/mutex', () => {
  it('runs bodies one at a time, in call order', async () => {
    const mutex = new Mutex();
    const log: string[] = [];
    const gate = deferred();
    const first = mutex.run('t', async () => { log.push('a-start'); await gate.promise; log.push('a-end'); });
    const second = mutex.run('t', async () => { log.push('b'); });
    const third = mutex.run('t', async () => { log.push('c'); });
    await new Promise((r) => setImmediate(r));
    expect(log).to.deep.equal(['a-start']);
    gate.resolve();
    await Promise.all([first, second, third]);
    expect(log).to.deep.equal(['a-start', 'a-end', 'b', 'c']);
    expect(mutex.busy).to.equal(false);
  });

  it('a failing body releases the lock and passes its error through', async () => {
    const mutex = new Mutex();
    const failure = new Error('boom');
    let caught: unknown;
    await mutex.run('t', async () => { throw failure; }).catch((err: unknown) => { caught = err; });
    expect(caught).to.equal(failure);
    expect(await mutex.run('t', async () => 42)).to.equal(42);
  });

  it('refuses waiters past MUTEX_WAITERS_MAX with ERR_LIMIT_EXCEEDED', async () => {
    const mutex = new Mutex();
    const gate = deferred();
    const holder = mutex.run('t', () => gate.promise);
    const waiters: Array<Promise<void>> = [];
    for (let i = 0; i < MUTEX_WAITERS_MAX; i++) waiters.push(mutex.run('t', async () => undefined));
    let refused: unknown;
    await mutex.run('t', async () => undefined).catch((err: unknown) => { refused = err; });
    expect(refused).to.be.instanceOf(StorageError);
    expect((refused as StorageError).code).to.equal('ERR_LIMIT_EXCEEDED');
    gate.resolve();
    await holder;
    await Promise.all(waiters);
    expect(mutex.busy).to.equal(false);
  });

  it('keyed: different keys run concurrently, the same key serially, and idle keys are dropped', async () => {
    const locks = new KeyedMutex();
    const gate = deferred();
    const log: string[] = [];
    const a1 = locks.run('a', 't', async () => { await gate.promise; log.push('a1'); });
    const a2 = locks.run('a', 't', async () => { log.push('a2'); });
    const b = locks.run('b', 't', async () => { log.push('b'); });
    await b;
    expect(log).to.deep.equal(['b']);
    expect(locks.size).to.equal(1);
    gate.resolve();
    await Promise.all([a1, a2]);
    expect(log).to.deep.equal(['b', 'a1', 'a2']);
    expect(locks.size).to.equal(0);
  });
});
