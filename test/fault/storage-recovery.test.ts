/**
 * Storage recovers from every crash state the simulator allows: synced data is intact, a header
 * is never silently reset, a creation interrupted at any point is either complete or healed, and
 * writeAtomic leaves the old or the new content. Checked against every enumerated state (exact
 * enumeration while small, a deterministic sample past the limit).
 */
import { expect } from 'chai';
import { Simulation, type SimNode } from '../../src/backends/sim/index.js';
import { createStorage } from '../../src/storage/index.js';
import { isStorageError } from '../../src/interfaces/errors.js';
import { filled } from './support.js';

const HEADER_BYTES = 4096;
const hex = (s: string): string => Buffer.from(s).toString('hex');

/** Opens the blob on a freshly restarted Io; returns its bytes, version and size, or the error code. */
async function reopen(sim: Simulation, node: SimNode, readBytes: number): Promise<{ code: string; size?: number; version?: number; data?: Uint8Array }> {
  return sim.run(async () => {
    const storage = createStorage(node.io);
    try {
      const opened = await storage.open('p', 'blob', { versions: [1, 3] });
      const n = Math.min(readBytes, opened.sizeBytes);
      const data = await opened.blob.readAt(0, n);
      await opened.blob.close();
      return { code: 'ok', size: opened.sizeBytes, version: opened.version, data };
    } catch (err) {
      if (isStorageError(err)) return { code: err.code };
      throw err;
    } finally {
      await storage.close();
    }
  });
}

describe('sim + Storage: recovery from every crash state', function () {
  this.timeout(120_000);

  it('synced data is intact in every state; unsynced appends are all-or-torn, never corrupting the header', async () => {
    const sim = new Simulation({ seed: 'storage-1', sectorSizeBytes: 512 });
    const node = sim.node('n');
    const synced = new Uint8Array(8192).map((_, i) => (i * 7) & 0xff);
    await sim.run(async () => {
      const storage = createStorage(node.io);
      const { blob } = await storage.open('p', 'blob', { versions: [1, 3] });
      await blob.writeAt(0, synced);
      await blob.sync();
      await blob.writeAt(8192, filled(1024, 0xcc));
      await blob.resize(8192 + 2048);
    });
    const states = node.crashStates({ limit: 64 });
    expect(states.length).to.be.greaterThan(3);
    for (const state of states) {
      state.restart();
      const r = await reopen(sim, node, 8192);
      expect(r.code, state.describe().join(', ')).to.equal('ok');
      expect(r.version).to.equal(3);
      expect(r.size).to.be.at.least(8192);
      expect(Buffer.from(r.data as Uint8Array).equals(Buffer.from(synced)), 'synced bytes').to.equal(true);
    }
  });

  it('a creation interrupted at any point is complete or healed (never ERR_BLOB_CORRUPT), and durable once open resolves', async () => {
    let sawAbsent = false;
    let sawHealed = false;
    for (let stepMs = 0; stepMs <= 14; stepMs++) {
      const sim = new Simulation({ seed: `storage-create-${stepMs}`, sectorSizeBytes: 512, latency: { minMs: 1, tailMs: 0 } });
      const node = sim.node('n');
      let opened = false;
      await sim.run(async () => {
        const storage = createStorage(node.io);
        void storage.open('p', 'blob', { versions: [1, 3] }).then(() => { opened = true; }, () => undefined);
        await sim.clock.sleep(stepMs + 0.5);
        node.crash();
      });
      const states = node.crashStates({ limit: 64 });
      for (const state of states) {
        const file = state.readFile(`p/${hex('blob')}`);
        if (file === undefined) sawAbsent = true;
        else if (file.byteLength < HEADER_BYTES || file.subarray(0, HEADER_BYTES).every((b) => b === 0)) sawHealed = true;
        if (opened) expect(file?.byteLength, 'after open resolved the blob must be durable').to.be.at.least(HEADER_BYTES);
        state.restart();
        const r = await reopen(sim, node, 0);
        expect(r.code, `crash at ${stepMs}.5 ms: ${state.describe().join(', ')}`).to.equal('ok');
        expect(r.size).to.equal(0);
        expect(r.version).to.equal(3);
      }
    }
    // The interesting states were reached: the file missing, and a torn header that had to be healed.
    expect(sawAbsent).to.equal(true);
    expect(sawHealed).to.equal(true);
  });

  it('a damaged header is ERR_BLOB_CORRUPT, and the file is left as it was (never silently reset)', async () => {
    const sim = new Simulation({ seed: 'storage-rot' });
    const node = sim.node('n');
    await sim.run(async () => {
      const storage = createStorage(node.io);
      const { blob } = await storage.open('p', 'blob', { versions: [2, 2] });
      await blob.writeAt(0, filled(100, 5));
      await blob.sync();
      await blob.close();
      await storage.close();
    });
    const before = node.crashStates({ limit: 4 });
    expect(before).to.have.length(1);
    const original = (before[0] as { readFile(p: string): Uint8Array | undefined }).readFile(`p/${hex('blob')}`);
    sim.faults.set('corruptAtRest', { rate: 1, path: `p/${hex('blob')}` });
    const r = await reopen(sim, node, 0);
    sim.faults.set('corruptAtRest', undefined);
    expect(r.code).to.equal('ERR_BLOB_CORRUPT');
    expect(sim.trace.filter('fault').some((e) => e.what === 'corruptAtRest' && e.offsetBytes === 0)).to.equal(true);
    const after = node.crashStates({ limit: 64 });
    for (const state of after) expect(state.readFile(`p/${hex('blob')}`)).to.deep.equal(original);
    // The rot persists: a second open is still corrupt, not reset.
    expect((await reopen(sim, node, 0)).code).to.equal('ERR_BLOB_CORRUPT');
  });

  it('writeAtomic interrupted at any point leaves the old or the new content, whole', async () => {
    const oldData = filled(3000, 1);
    const newData = filled(5000, 2);
    const seen = new Set<string>();
    for (let stepMs = 0; stepMs <= 12; stepMs++) {
      const sim = new Simulation({ seed: `storage-atomic-${stepMs}`, sectorSizeBytes: 512, latency: { minMs: 1, tailMs: 0 } });
      const node = sim.node('n');
      await sim.run(async () => {
        const storage = createStorage(node.io);
        await storage.writeAtomic('p', 'blob', oldData, { versions: [1, 3] });
        void storage.writeAtomic('p', 'blob', newData, { versions: [1, 3] }).catch(() => undefined);
        await sim.clock.sleep(stepMs + 0.5);
        node.crash();
      });
      for (const state of node.crashStates({ limit: 64 })) {
        state.restart();
        const r = await reopen(sim, node, 10_000);
        expect(r.code).to.equal('ok');
        const got = Buffer.from(r.data as Uint8Array);
        const isOld = got.equals(Buffer.from(oldData));
        const isNew = got.equals(Buffer.from(newData));
        expect(isOld || isNew, `crash at ${stepMs}.5 ms: ${state.describe().join(', ')}`).to.equal(true);
        seen.add(isOld ? 'old' : 'new');
      }
    }
    expect([...seen].sort()).to.deep.equal(['new', 'old']);
  });
});
