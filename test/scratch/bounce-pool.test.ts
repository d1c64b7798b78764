import { expect } from 'chai';
import { BouncePool } from '../../src/scratch/bounce-pool.js';

describe('scratch bounce pool', () => {
  const make = (allocations: number[]): BouncePool => new BouncePool({
    allocate: (lengthBytes) => {
      allocations.push(lengthBytes);
      return new Uint8Array(lengthBytes);
    },
    classMinBytes: 4096,
    classMaxBytes: 65_536,
    buffersPerClassMax: 2,
    pooledBytesMax: 3 * 65_536,
  });

  it('serves requests from power-of-two classes and reuses released buffers', () => {
    const allocations: number[] = [];
    const pool = make(allocations);
    const a = pool.acquire(1);
    const b = pool.acquire(5000);
    expect([a.byteLength, b.byteLength]).to.deep.equal([4096, 8192]);
    pool.release(a);
    expect(pool.idleBytes).to.equal(4096);
    expect(pool.acquire(4000)).to.equal(a);
    expect(pool.idleBytes).to.equal(0);
    expect(allocations).to.deep.equal([4096, 8192]);
  });

  it('never pools past a class or the byte bound, nor oversized buffers', () => {
    const allocations: number[] = [];
    const pool = make(allocations);
    const small = [pool.acquire(4096), pool.acquire(4096), pool.acquire(4096)];
    for (const buffer of small) pool.release(buffer);
    expect(pool.idleBytes).to.equal(2 * 4096);
    const big = [pool.acquire(65_536), pool.acquire(65_536), pool.acquire(65_536)];
    for (const buffer of big) pool.release(buffer);
    expect(pool.idleBytes).to.be.at.most(3 * 65_536);
    const huge = pool.acquire(100_000);
    expect(huge.byteLength).to.equal(100_000);
    pool.release(huge);
    expect(pool.idleBytes).to.be.at.most(3 * 65_536);
    pool.clear();
    expect(pool.idleBytes).to.equal(0);
  });

  it('ignores a buffer that is not exactly a class size', () => {
    const pool = make([]);
    pool.release(new Uint8Array(5000));
    expect(pool.idleBytes).to.equal(0);
  });
});
