/**
 * The `io` argument of `openScratch` and `sweepScratch`: anything but an Io is a clean
 * `ERR_INVALID_ARGUMENT` naming `io` before anything is touched, and the members of a real one are
 * read once, at the call.
 */
import { expect } from 'chai';
import { Simulation } from '../../src/backends/sim/index.js';
import { StorageError } from '../../src/interfaces/errors.js';
import type { Io } from '../../src/interfaces/io.js';
import { openScratch } from '../../src/scratch/open.js';
import { sweepScratch } from '../../src/scratch/scratch-file.js';
import { patternBytes } from './support.js';

/** The StorageError a promise rejects with; fails the test if it resolves or rejects with anything else. */
async function rejection(promise: Promise<unknown>): Promise<StorageError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof StorageError) return err;
    throw err;
  }
  expect.fail('expected a rejection');
}

function revokedProxy(): object {
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  return revocable.proxy;
}

const NOT_IOS: ReadonlyArray<readonly [string, unknown]> = [
  ['undefined', undefined], ['null', null], ['a number', 7], ['a string', 'io'], ['a function', () => undefined],
  ['an empty object', {}], ['an array', []], ['a revoked Proxy', revokedProxy()],
  ['a Proxy whose get trap throws', new Proxy({}, { get() { throw new Error('get trap'); } })],
];

/** `io` with `member` replaced by what `value` returns (called on every read of it). */
function withMember(io: Io, member: string, value: () => unknown): Io {
  return new Proxy(io, {
    get(target, property, receiver) {
      if (property === member) return value();
      const got: unknown = Reflect.get(target, property, receiver);
      return typeof got === 'function' ? (got as (...args: unknown[]) => unknown).bind(target) : got;
    },
  });
}

const OPEN_MEMBERS = ['open', 'close', 'read', 'write', 'allocate', 'allocAligned', 'stat', 'unlink', 'mkdir', 'readdir', 'fsync', 'features', 'clock'];
const SWEEP_MEMBERS = ['readdir', 'unlink', 'open', 'fsync', 'close'];

describe('scratch: the io argument', () => {
  it('openScratch and sweepScratch refuse anything but an Io with ERR_INVALID_ARGUMENT naming io', async () => {
    for (const [label, value] of NOT_IOS) {
      const opened = await rejection(openScratch(value as Io, { capacityBytes: 4096 }));
      expect([opened.code, opened.details['argument']], `openScratch(${label})`).to.deep.equal(['ERR_INVALID_ARGUMENT', 'io']);
      expect(opened.message).to.match(/^scratch\.open: /);
      const swept = await rejection(sweepScratch(value as Io));
      expect([swept.code, swept.details['argument']], `sweepScratch(${label})`).to.deep.equal(['ERR_INVALID_ARGUMENT', 'io']);
      expect(swept.message).to.match(/^scratch\.sweep: /);
    }
  });

  it('refuses an Io missing a member it needs, or whose member throws when read, before touching anything', async () => {
    const sim = new Simulation({ seed: 1 });
    const io = sim.node('n').io;
    const broken: Array<readonly [string, Io]> = [];
    for (const member of OPEN_MEMBERS) {
      broken.push([`${member} missing`, withMember(io, member, () => undefined)]);
      broken.push([`${member} throwing`, withMember(io, member, () => { throw new Error(`${member} getter`); })]);
    }
    for (const key of ['direct', 'tmpfile', 'backend']) {
      broken.push([`features.${key} not a boolean or string`, withMember(io, 'features', () => ({ ...io.features, [key]: 1 }))]);
      broken.push([`features.${key} throwing`, withMember(io, 'features', () => ({ ...io.features, get [key](): never { throw new Error(key); } }))]);
    }
    broken.push(['features.directAlignmentBytes not a power of two', withMember(io, 'features', () => ({ ...io.features, directAlignmentBytes: 3000 }))]);
    broken.push(['clock.now missing', withMember(io, 'clock', () => ({}))]);
    await sim.run(async () => {
      for (const [label, value] of broken) {
        const err = await rejection(openScratch(value, { capacityBytes: 4096 }));
        expect([err.code, err.details['argument']], label).to.deep.equal(['ERR_INVALID_ARGUMENT', 'io']);
      }
      for (const member of SWEEP_MEMBERS) {
        const err = await rejection(sweepScratch(withMember(io, member, () => undefined)));
        expect([err.code, err.details['member']], member).to.deep.equal(['ERR_INVALID_ARGUMENT', member]);
      }
      expect(io.metrics.operations).to.include({ open: 0, mkdir: 0, readdir: 0, allocate: 0 });
      expect(await io.readdir('.')).to.deep.equal([]);
    });
  });

  it('reads each member of io once, at the call, and the region keeps using what it read', async () => {
    const sim = new Simulation({ seed: 2 });
    const inner = sim.node('n').io;
    const reads = new Map<PropertyKey, number>();
    let changed = false;
    const io = new Proxy(inner, {
      get(target, property, receiver) {
        reads.set(property, (reads.get(property) ?? 0) + 1);
        // A member read after the call would be this instead of the Io's own.
        if (changed) return () => { throw new Error(`io.${String(property)} read after the call`); };
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    await sim.run(async () => {
      const pending = openScratch(io, { capacityBytes: 64 * 1024 });
      changed = true;
      const region = await pending;
      const slot = await region.write(patternBytes(1, 5000));
      expect(Buffer.from(await region.read(slot)).equals(Buffer.from(patternBytes(1, 5000)))).to.equal(true);
      await region.close();
      expect([...reads.keys()].sort()).to.deep.equal([...OPEN_MEMBERS].sort());
      expect([...reads.values()].every((count) => count === 1), JSON.stringify(Object.fromEntries([...reads].map(([k, v]) => [String(k), v])))).to.equal(true);

      reads.clear();
      changed = false;
      const swept = sweepScratch(io);
      changed = true;
      expect(await swept).to.equal(0);
      expect([...reads.keys()].sort()).to.deep.equal([...SWEEP_MEMBERS].sort());
      expect([...reads.values()].every((count) => count === 1)).to.equal(true);
    });
  });
});
