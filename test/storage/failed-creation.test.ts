/**
 * A creation that fails half-way (an EIO from a header write or from one of the fsyncs) must not
 * leave a blob that a later open hands out without making it durable. Each case injects one EIO
 * into a Storage call on the simulator, checks the call rejects with it, opens again without
 * faults, and then checks the blob in every state a power cut can leave.
 */
import { expect } from 'chai';
import { Simulation, type SimNode } from '../../src/backends/sim/index.js';
import { StorageError } from '../../src/interfaces/errors.js';
import type { Storage } from '../../src/interfaces/storage.js';
import { createStorage } from '../../src/storage/index.js';
import { WrappedIo } from './wrapped-io.js';

interface Injection {
  readonly label: string;
  readonly operation: string;
  /** Which call of `operation` (0-based) fails. */
  readonly index: number;
}

/** An Io over `n.io` whose `operation` fails with EIO on its `index`-th call, once. */
function faultyIo(n: SimNode, injection: Injection): WrappedIo {
  let seen = 0;
  const io = new WrappedIo(n.io, {
    beforeOperation: (operation) => {
      if (operation !== injection.operation) return;
      if (seen++ === injection.index) throw new StorageError('EIO', 'injected', { operation });
    },
  });
  return io;
}

function faultyStorage(n: SimNode, injection: Injection): Storage {
  return createStorage(faultyIo(n, injection));
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  let caught: unknown;
  await promise.catch((err: unknown) => { caught = err; });
  expect(caught, `expected ${code}`).to.be.instanceOf(StorageError);
  expect((caught as StorageError).code).to.equal(code);
}

async function expectInEveryCrashState(n: SimNode, check: (storage: Storage, describe: string) => Promise<void>): Promise<void> {
  const states = n.crashStates({ limit: 64 });
  expect(states.length).to.be.greaterThan(0);
  for (const state of states) {
    const storage = createStorage(state.restart());
    try {
      await check(storage, state.describe().join(' '));
    } finally {
      await storage.close();
    }
  }
}

const openInjections: Injection[] = [
  { label: 'the header write', operation: 'write', index: 0 },
  { label: 'the file fsync', operation: 'fsync', index: 0 },
  { label: 'the partition directory fsync', operation: 'fsync', index: 1 },
  { label: 'the root directory fsync', operation: 'fsync', index: 2 },
];

describe('storage/failed creation is finished by the next open', () => {
  for (const injection of openInjections) {
    it(`open: EIO from ${injection.label}, then another Storage over the same Io opens`, async () => {
      const n = new Simulation({ seed: `failed-open-${injection.label}`, profile: 'posix' }).node('n');
      // A second Storage over the same Io (as after a restart of the component, not of the
      // process) must finish what the first one's failed creation left undone.
      const io = faultyIo(n, injection);
      const faulty = createStorage(io);
      await rejectsWith(faulty.open('p', 'b', { versions: [0, 4] }), 'EIO');
      await faulty.close();
      const storage = createStorage(io);
      const opened = await storage.open('p', 'b', { versions: [0, 4] });
      expect(opened.version).to.equal(4);
      expect(opened.sizeBytes).to.equal(0);
      await storage.close();
      await expectInEveryCrashState(n, async (after, describe) => {
        expect(await after.scan('p'), describe).to.deep.equal(['b']);
        expect((await after.open('p', 'b', { versions: [4, 4] })).sizeBytes, describe).to.equal(0);
      });
    });

    it(`open: EIO from ${injection.label}, then the same Storage opens again`, async () => {
      const n = new Simulation({ seed: `failed-open-same-${injection.label}`, profile: 'posix' }).node('n');
      const storage = faultyStorage(n, injection);
      await rejectsWith(storage.open('p', 'b'), 'EIO');
      await storage.open('p', 'b');
      await storage.close();
      await expectInEveryCrashState(n, async (after, describe) => {
        expect(await after.scan('p'), describe).to.deep.equal(['b']);
      });
    });
  }

  for (const index of [1, 2]) {
    it(`writeAtomic: EIO from directory fsync ${index}, then an open makes the new content durable`, async () => {
      const n = new Simulation({ seed: `failed-atomic-${index}`, profile: 'posix' }).node('n');
      const storage = faultyStorage(n, { label: 'dir fsync', operation: 'fsync', index });
      await rejectsWith(storage.writeAtomic('p', 'cfg', new Uint8Array([1, 2, 3]), { versions: [0, 2] }), 'EIO');
      const opened = await storage.open('p', 'cfg', { versions: [0, 2] });
      expect(opened.version).to.equal(2);
      await storage.close();
      await expectInEveryCrashState(n, async (after, describe) => {
        const again = await after.open('p', 'cfg', { versions: [2, 2] });
        expect([...await again.blob.readAt(0, 3)], describe).to.deep.equal([1, 2, 3]);
      });
    });
  }
});
