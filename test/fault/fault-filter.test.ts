/**
 * The simulation's `faultFilter`: it sees every decision to inject a fault, numbered per node and
 * kind, and a veto removes exactly that fault while every other decision stays as it was.
 */
import { expect } from 'chai';
import { Simulation, StorageError, type FaultDecision } from '../../src/index.js';

const BLOCK = 4096;

interface Outcome {
  /** Per read: 'ok' or the error code. */
  readonly reads: string[];
  readonly decisions: FaultDecision[];
  readonly hash: string;
}

/** Two nodes, 60 reads each under a 20% read error rate; `veto` decides which decisions happen. */
async function readRun(veto: (d: FaultDecision) => boolean): Promise<Outcome> {
  const decisions: FaultDecision[] = [];
  const sim = new Simulation({
    seed: 404,
    faults: { readError: { rate: 0.2 } },
    faultFilter: (d) => {
      decisions.push(d);
      return veto(d);
    },
  });
  const reads: string[] = [];
  await sim.run(async () => {
    for (const name of ['a', 'b']) {
      const io = sim.node(name).io;
      const fd = await io.open('f', { read: true, write: true, create: true });
      await io.write(fd, new Uint8Array(BLOCK).fill(7), 0);
      for (let i = 0; i < 60; i++) {
        try {
          await io.read(fd, new Uint8Array(BLOCK), 0);
          reads.push(`${name}:ok`);
        } catch (error) {
          reads.push(`${name}:${(error as { code?: string }).code}`);
        }
      }
    }
  });
  return { reads, decisions, hash: sim.hash() };
}

describe('sim: faultFilter', function () {
  this.timeout(30_000);

  it('sees each decision with its node, kind, 1-based occurrence, operation and path', async () => {
    const all = await readRun(() => true);
    const failed = all.reads.filter((r) => !r.endsWith(':ok'));
    expect(all.decisions.length).to.equal(failed.length).and.to.be.greaterThan(4);
    for (const name of ['a', 'b']) {
      const mine = all.decisions.filter((d) => d.node === name);
      expect(mine.map((d) => d.occurrence)).to.deep.equal(mine.map((_, i) => i + 1));
      for (const d of mine) expect(d).to.include({ kind: 'readError', operation: 'read' });
    }
  });

  it('a veto removes that one fault; every other decision and its numbering is unchanged', async () => {
    const all = await readRun(() => true);
    const target = all.decisions.find((d) => d.node === 'a' && d.occurrence === 2)!;
    const vetoed = await readRun((d) => !(d.node === target.node && d.occurrence === target.occurrence));
    expect(vetoed.decisions.map((d) => `${d.node}/${d.occurrence}`)).to.deep.equal(all.decisions.map((d) => `${d.node}/${d.occurrence}`));
    const changed = all.reads.map((r, i) => (r === vetoed.reads[i] ? -1 : i)).filter((i) => i >= 0);
    expect(changed).to.have.length(1);
    expect(all.reads[changed[0]!]).to.equal('a:EIO');
    expect(vetoed.reads[changed[0]!]).to.equal('a:ok');
    expect(vetoed.hash).to.not.equal(all.hash);
    expect((await readRun(() => true)).hash, 'an accepting filter changes nothing').to.equal(all.hash);
  });

  it('a filter that accepts everything gives the same run as no filter', async () => {
    const plain = new Simulation({ seed: 404, faults: { readError: { rate: 0.2 } } });
    await plain.run(async () => {
      for (const name of ['a', 'b']) {
        const io = plain.node(name).io;
        const fd = await io.open('f', { read: true, write: true, create: true });
        await io.write(fd, new Uint8Array(BLOCK).fill(7), 0);
        for (let i = 0; i < 60; i++) await io.read(fd, new Uint8Array(BLOCK), 0).catch(() => undefined);
      }
    });
    expect((await readRun(() => true)).hash).to.equal(plain.hash());
  });

  it('a faultFilter that is not a function is ERR_INVALID_ARGUMENT', () => {
    expect(() => new Simulation({ seed: 1, faultFilter: 3 as unknown as () => boolean }))
      .to.throw(StorageError).with.property('code', 'ERR_INVALID_ARGUMENT');
  });
});
