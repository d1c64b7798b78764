/**
 * `faultline shrink` vetoes single faults through the simulator's `faultFilter`: every new kind
 * (the directory-fsync lane of `fsyncError`, `namespaceError`, `powerCut`, `lostWrite`) must be
 * counted there and vetoable, or a shrunk run would keep faults it cannot remove.
 */
import { expect } from 'chai';
import { createSimulation, decidedFaults, occurrenceText, type FaultOccurrence } from '../../src/cli/sim-api.js';
import type { Simulation } from '../../src/backends/sim/index.js';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

/** One run: a directory fsync, a mkdir, a write and a stat under rate-1 rules of the new kinds. */
async function run(vetoes: readonly FaultOccurrence[]): Promise<{ sim: Simulation; codes: (string | undefined)[] }> {
  const sim = createSimulation({ seed: 7, profile: 'posix', faults: 'none', latency: 'none', trackFaults: true, vetoes });
  const codes: (string | undefined)[] = [];
  await sim.run(async () => {
    const io = sim.node('a').io;
    const fd = await io.open('f', { read: true, write: true, create: true });
    sim.faults.set('fsyncError', { rate: 1, path: '.' });
    sim.faults.set('namespaceError', { rate: 1, operation: 'mkdir' });
    sim.faults.set('lostWrite', { rate: 1, mode: 'lost' });
    sim.faults.set('powerCut', { rate: 1, operation: 'stat' });
    const dir = await io.open('.', { directory: true });
    codes.push(await codeOf(io.fsync(dir)));
    codes.push(await codeOf(io.mkdir('d')));
    codes.push(await codeOf(io.write(fd, new Uint8Array(8).fill(1), 0)));
    codes.push(await codeOf(io.stat('f')));
  });
  return { sim, codes };
}

describe('cli: shrink vetoes the new fault kinds', function () {
  this.timeout(30_000);

  it('each decision is tracked, and vetoing it makes that operation succeed', async () => {
    const original = await run([]);
    expect(original.codes).to.deep.equal(['EIO', 'EIO', undefined, 'ERR_CRASHED']);
    const decided = decidedFaults(original.sim);
    expect(decided.map(occurrenceText)).to.deep.equal(['a/fsyncError/1', 'a/namespaceError/1', 'a/lostWrite/1', 'a/powerCut/1']);
    const vetoed = await run(decided);
    expect(vetoed.codes).to.deep.equal([undefined, undefined, undefined, undefined]);
    expect(decidedFaults(vetoed.sim)).to.deep.equal([]);
    expect(vetoed.sim.trace.filter('fault')).to.deep.equal([]);
  });
});
