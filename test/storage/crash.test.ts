/**
 * Storage's durability claims checked against the simulator's crash states (posix profile: the
 * most adversarial legal behaviour): every state a power cut can leave after a call resolves, and
 * after a power cut at each Io operation inside the call.
 *
 * - open: once it resolves, the blob (name, header) survives every crash; a crash anywhere during
 *   it leaves either no blob or one that opens (a torn header is healed), never ERR_BLOB_CORRUPT.
 * - writeAtomic: a crash anywhere leaves exactly the old or exactly the new content and version;
 *   once it resolves, the new one.
 * - remove: once it resolves, the name is gone in every crash state.
 * - sync: once it resolves, the data survives.
 *
 * A negative control (a creation without the directory fsyncs) shows the checks can fail.
 */
import { expect } from 'chai';
import { Simulation, type SimNode } from '../../src/backends/sim/index.js';
import { StorageError } from '../../src/interfaces/errors.js';
import type { Io } from '../../src/interfaces/io.js';
import type { Storage } from '../../src/interfaces/storage.js';
import { createStorage, type StorageOptions } from '../../src/storage/index.js';
import { encodeHeader } from '../../src/storage/header.js';
import { WrappedIo } from './wrapped-io.js';

const STATES_MAX = 48;
/** Io operations a call may make before the crash points run out (each one is tried). */
const CRASH_POINTS_MAX = 64;

function node(seed: string, sectorSizeBytes = 4096): SimNode {
  return new Simulation({ seed, profile: 'posix', sectorSizeBytes }).node('n');
}

/** Restarts into every crash state reachable now and runs `check` on a fresh Storage over each. */
async function forEveryCrashState(n: SimNode, options: StorageOptions | undefined, check: (storage: Storage, describe: string) => Promise<void>): Promise<number> {
  const states = n.crashStates({ limit: STATES_MAX });
  expect(states.length).to.be.greaterThan(0);
  for (const state of states) {
    const io = state.restart();
    const storage = createStorage(io, options);
    try {
      await check(storage, state.describe().join(' '));
    } finally {
      await storage.close();
    }
  }
  return states.length;
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    if (err instanceof StorageError) return err.code;
    throw err;
  }
}

/** Runs `call` on a Storage whose Io crashes the node just before its `crashAt`-th operation. */
async function runWithCrashAt(n: SimNode, crashAt: number, options: StorageOptions | undefined, call: (storage: Storage) => Promise<unknown>): Promise<boolean> {
  let count = 0;
  const io: Io = new WrappedIo(n.io, {
    beforeOperation: () => {
      if (count++ === crashAt) n.crash();
    },
  });
  const storage = createStorage(io, options);
  const completed = (await codeOf(call(storage))) === undefined;
  await storage.close();
  if (!n.crashed) n.crash();
  return completed && count <= crashAt;
}

/**
 * For crash points 0, 1, 2...: a fresh node, `prepare` run on it without crashes, then `call`
 * with the node crashing before that Io operation, then `check` on every crash state (told
 * whether `call` had resolved). Stops at the first crash point `call` completes before; returns it.
 */
async function atEveryCrashPoint(label: string, options: StorageOptions | undefined, prepare: (storage: Storage) => Promise<unknown>,
  call: (storage: Storage) => Promise<unknown>, check: (after: Storage, describe: string, resolved: boolean) => Promise<void>): Promise<number> {
  for (let crashAt = 0; crashAt < CRASH_POINTS_MAX; crashAt++) {
    const n = node(`${label}-${crashAt}`);
    const setup = createStorage(n.io, options);
    await prepare(setup);
    await setup.close();
    const resolved = await runWithCrashAt(n, crashAt, options, call);
    await forEveryCrashState(n, options, (after, describe) => check(after, describe, resolved));
    if (resolved) return crashAt;
  }
  return -1;
}

for (const mode of [{ label: 'buffered', options: undefined }, { label: 'direct', options: { direct: true } }] as const) {
  describe(`storage/crash consistency on the simulator (${mode.label})`, function () {
    this.timeout(120_000);
    const options: StorageOptions | undefined = mode.options;

    it('a resolved open leaves a blob that survives every crash', async () => {
      const n = node(`open-${mode.label}`);
      const storage = createStorage(n.io, options);
      await storage.open('p', 'b', { versions: [0, 3] });
      const states = await forEveryCrashState(n, options, async (after, describe) => {
        expect(await after.scan('p'), describe).to.deep.equal(['b']);
        const opened = await after.open('p', 'b', { versions: [3, 3] });
        expect(opened.sizeBytes, describe).to.equal(0);
      });
      expect(states).to.be.greaterThan(0);
    });

    it('a crash at any point of a creation leaves no blob or a blob that opens, never a corrupt one', async () => {
      let completedAt = -1;
      for (let crashAt = 0; crashAt < CRASH_POINTS_MAX && completedAt < 0; crashAt++) {
        const n = node(`open-crash-${mode.label}-${crashAt}`);
        const done = await runWithCrashAt(n, crashAt, options, (s) => s.open('p', 'b', { versions: [0, 2] }));
        if (done) completedAt = crashAt;
        await forEveryCrashState(n, options, async (after, describe) => {
          const names = await after.scan('p').catch(() => [] as string[]);
          if (!names.includes('b')) return;
          const opened = await after.open('p', 'b', { versions: [2, 2] });
          expect(opened.sizeBytes, describe).to.equal(0);
          expect(opened.version, describe).to.equal(2);
        });
      }
      expect(completedAt, 'open eventually completes without a crash').to.be.greaterThan(0);
    });

    it('writeAtomic leaves exactly the old or the new content after a crash anywhere, the new one once resolved', async () => {
      const oldData = new Uint8Array(5000).fill(0x0a);
      const newData = new Uint8Array(9000).fill(0x0b);
      let sawNewOnceResolved = false;
      const completedAt = await atEveryCrashPoint(`atomic-${mode.label}`, options,
        (setup) => setup.writeAtomic('p', 'cfg', oldData, { versions: [0, 1] }),
        (s) => s.writeAtomic('p', 'cfg', newData, { versions: [0, 2] }),
        async (after, describe, resolved) => {
          const opened = await after.open('p', 'cfg', { versions: [1, 2] });
          const data = await opened.blob.readAt(0, opened.sizeBytes);
          const isOld = opened.version === 1 && Buffer.from(data).equals(Buffer.from(oldData));
          const isNew = opened.version === 2 && Buffer.from(data).equals(Buffer.from(newData));
          expect(isOld || isNew, `old or new (${describe})`).to.equal(true);
          if (resolved) expect(isNew, `new once resolved (${describe})`).to.equal(true);
          sawNewOnceResolved ||= resolved && isNew;
          expect(await after.scan('p')).to.deep.equal(['cfg']);
        });
      expect(completedAt).to.be.greaterThan(0);
      expect(sawNewOnceResolved).to.equal(true);
    });

    it('writeAtDurable: once resolved, its bytes and the length survive every crash; a crash anywhere before leaves a blob that opens', async () => {
      const first = new Uint8Array(6000).fill(0x11);
      const second = new Uint8Array(3000).fill(0x22);
      const completedAt = await atEveryCrashPoint(`durable-${mode.label}`, options,
        async (setup) => (await setup.open('p', 'log')).blob.writeAtDurable(0, first),
        async (s) => (await s.open('p', 'log')).blob.writeAtDurable(6000, second),
        async (after, describe, resolved) => {
          const reopened = await after.open('p', 'log');
          // The first append resolved before any crash point: always there.
          expect(reopened.sizeBytes, describe).to.be.at.least(6000);
          expect((await reopened.blob.readAt(0, 6000)).every((b) => b === 0x11), describe).to.equal(true);
          if (!resolved) return;
          expect(reopened.sizeBytes, `length once resolved (${describe})`).to.equal(9000);
          expect((await reopened.blob.readAt(6000, 3000)).every((b) => b === 0x22), `bytes once resolved (${describe})`).to.equal(true);
        });
      expect(completedAt, 'the append eventually completes without a crash').to.be.greaterThan(0);
    });

    it('a resolved remove is durable, a resolved sync keeps the data', async () => {
      const n = node(`remove-${mode.label}`);
      const storage = createStorage(n.io, options);
      const keep = await storage.open('p', 'keep');
      await keep.blob.writeAt(0, new Uint8Array(10_000).fill(7));
      await keep.blob.sync();
      await storage.open('p', 'gone');
      await storage.open('q', 'also-gone');
      await storage.remove('p', 'gone');
      await storage.remove('q');
      await forEveryCrashState(n, options, async (after, describe) => {
        expect(await after.scan('p'), describe).to.deep.equal(['keep']);
        expect(await codeOf(after.scan('q')), describe).to.equal('ENOENT');
        const opened = await after.open('p', 'keep');
        expect(opened.sizeBytes).to.equal(10_000);
        expect((await opened.blob.readAt(0, 10_000)).every((b) => b === 7)).to.equal(true);
      });
    });
  });
}

describe('storage/crash consistency: negative control', () => {
  it('a blob created without directory fsyncs is lost in some crash state (the checks above can fail)', async () => {
    const n = node('negative-control');
    await n.io.mkdir('p');
    const fd = await n.io.open('p/62', { write: true, create: true });
    await n.io.write(fd, encodeHeader(0), 0);
    await n.io.fsync(fd);
    await n.io.close(fd);
    let lost = 0;
    await forEveryCrashState(n, undefined, async (after) => {
      const names = await after.scan('p').catch(() => [] as string[]);
      if (!names.includes('b')) lost += 1;
    });
    expect(lost).to.be.greaterThan(0);
  });
});
