/**
 * The determinism check: the same main on two simulations of the same seed must give the same
 * hash. A workload that reads the wall clock is caught without interception and passes with it.
 */
import { expect } from 'chai';
import { Simulation, Trace } from '../../src/backends/sim/index.js';
import { describeDivergence, findDivergence } from '../../src/determinism/divergence.js';

/**
 * Writes at an offset taken from `Date.now()`. The bounded spin makes two real runs read two
 * different milliseconds for certain (with simulated time it ends after its bound, at the same
 * simulated instant both times).
 */
async function clockReadingWorkload(sim: Simulation): Promise<string> {
  const start = Date.now();
  for (let i = 0; i < 200_000 && Date.now() === start; i++) { /* wait for the next millisecond */ }
  const stamp = Date.now();
  const io = sim.node('a').io;
  const fd = await io.open('stamp', { write: true, create: true });
  await io.write(fd, new TextEncoder().encode(String(stamp)), stamp % 997);
  await io.fsync(fd);
  await io.close(fd);
  return 'done';
}

describe('intercept: determinism check', () => {
  it('catches a workload reading Date.now() without interception, naming the first differing record', async () => {
    const sim = new Simulation({ seed: 42 });
    let err: unknown;
    try {
      await sim.checkDeterminism(clockReadingWorkload);
    } catch (e) {
      err = e;
    }
    expect(err).to.have.property('code', 'ERR_NONDETERMINISM');
    const details = (err as { details: { position: number; first: string; second: string; hashes: string[] } }).details;
    // Record 0 is the open, record 1 the write whose offset came from the wall clock.
    expect(details.position).to.equal(1);
    expect(details.first).to.match(/^#1 .* write /);
    expect(details.second).to.match(/^#1 .* write /);
    expect(details.first).to.not.equal(details.second);
    expect(details.hashes[0]).to.not.equal(details.hashes[1]);
    expect((err as Error).message).to.include('trace record #1');
  });

  it('passes the same workload with interception, and returns what main returned', async () => {
    const sim = new Simulation({ seed: 42, intercept: true });
    expect(await sim.checkDeterminism(clockReadingWorkload)).to.equal('done');
  });

  it('a deterministic failure is rethrown as is; a used simulation is refused', async () => {
    const sim = new Simulation({ seed: 1 });
    let err: unknown;
    try {
      await sim.checkDeterminism(async (s) => {
        const io = s.node('a').io;
        await io.open('missing');
      });
    } catch (e) {
      err = e;
    }
    expect(err).to.have.property('code', 'ENOENT');
    let refused: unknown;
    try {
      await sim.checkDeterminism(async () => undefined);
    } catch (e) {
      refused = e;
    }
    expect(refused).to.have.property('code', 'ERR_INVALID_STATE');
  });

  it('findDivergence: a trace that ends early, records no longer kept, and identical traces', () => {
    const make = (capacity: number, results: number[]): Trace => {
      const trace = new Trace(capacity, ['a']);
      const code = trace.code('write');
      for (const r of results) trace.record(0, 0, code, 0, 3, 0, 8, r);
      return trace;
    };
    const shorter = findDivergence(make(16, [1, 2, 3]), make(16, [1, 2]));
    expect(shorter.position).to.equal(2);
    expect(shorter.second).to.equal('(end of trace)');
    expect(shorter.atOrBefore).to.equal(false);
    // Capacity 2: only records #3 and #4 are held; they already differ at #3.
    const forgotten = findDivergence(make(2, [1, 2, 3, 4, 5]), make(2, [1, 9, 9, 9, 5]));
    expect(forgotten.position).to.equal(3);
    expect(forgotten.atOrBefore).to.equal(true);
    expect(describeDivergence(forgotten)[0]).to.include('at or before');
    const same = findDivergence(make(4, [1, 2]), make(4, [1, 2]));
    expect(same.position).to.equal(undefined);
    expect(describeDivergence(same)[0]).to.include('traces agree');
  });
});
