/**
 * Real npm packages, unmodified, on a simulated node with interception: power cut right after the
 * write resolved, every crash state enumerated, on the `posix` profile. These assertions are the
 * facts the README reports; if the simulator or a package changes them, the README must change.
 */
import { expect } from 'chai';
import { Simulation } from '../../src/backends/sim/index.js';
import { crashCheck } from '../../examples/npm-packages/crash-check.js';
import { WRITERS } from '../../examples/npm-packages/main.js';

function writer(name: string): (path: string, text: string) => Promise<void> {
  const found = WRITERS.find(([n]) => n.startsWith(name));
  if (found === undefined) throw new Error(`no writer ${name}`);
  return found[1];
}

describe('intercept: npm packages under power loss (posix profile)', () => {
  it('write-file-atomic: atomic in every state, but not durable (its rename is never made durable by a directory fsync)', async () => {
    const r = await crashCheck('write-file-atomic', writer('write-file-atomic'), 'posix');
    expect(r.complete).to.equal(true);
    expect(r.atomic).to.equal(true);
    expect(r.durable).to.equal(false);
    expect(r.outcomes.old).to.be.above(0);
    expect(r.outcomes.new).to.be.above(0);
    expect(r.outcomes.other + r.outcomes.missing).to.equal(0);
  });

  it('steno: neither durable nor atomic (no fsync before its rename: the new name can point at an empty or partial file)', async () => {
    const r = await crashCheck('steno', writer('steno'), 'posix');
    expect(r.complete).to.equal(true);
    expect(r.durable).to.equal(false);
    expect(r.atomic).to.equal(false);
    expect(r.outcomes.old).to.be.above(0);
    expect(r.otherSizesBytes).to.include(0);
    expect(r.otherSizesBytes.some((size) => size > 0)).to.equal(true);
  });

  it('temporary file + fsync + rename + directory fsync: new content in every crash state', async () => {
    const r = await crashCheck('writeFileAtomicDurable', writer('writeFileAtomicDurable'), 'posix');
    expect(r.complete).to.equal(true);
    expect(r.durable).to.equal(true);
    expect(r.atomic).to.equal(true);
    for (const seed of [2, 3, 4]) {
      expect((await crashCheck('writeFileAtomicDurable', writer('writeFileAtomicDurable'), 'posix', seed)).durable).to.equal(true);
    }
  });

  it('write-file-atomic names its temporary file from the process id and a call counter: the determinism check flags it', async () => {
    const sim = new Simulation({ seed: 5, intercept: true });
    let err: unknown;
    try {
      await sim.checkDeterminism((s) => s.node('app').within(() => writer('write-file-atomic')('/f.json', 'x')));
    } catch (e) {
      err = e;
    }
    expect(err).to.have.property('code', 'ERR_NONDETERMINISM');
    const details = (err as { details: { first: string; second: string } }).details;
    expect(details.first).to.match(/path=f\.json\.\d+/);
    expect(details.second).to.match(/path=f\.json\.\d+/);
    const steno = new Simulation({ seed: 5, intercept: true });
    await steno.checkDeterminism((s) => s.node('app').within(() => writer('steno')('/f.json', 'x')));
  });
});
