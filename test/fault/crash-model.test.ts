/**
 * The crash model on small scripted histories: `crashStates` must return exactly the states the
 * model allows (worked out by hand below), `crash()` must pick one of them, and a restart must
 * show exactly that state.
 */
import { expect } from 'chai';
import { Simulation, type CrashState, type SimProfile } from '../../src/backends/sim/index.js';
import type { Io } from '../../src/interfaces/io.js';
import { filled, readAll, writeAll } from './support.js';

/** A compact picture of a file in a state: 'absent', or runs like "a*512 b*512" (byte value * count). */
function picture(state: CrashState, path: string): string {
  const bytes = state.readFile(path);
  if (bytes === undefined) return state.entries().get(path) === 'dir' ? 'dir' : 'absent';
  const runs: string[] = [];
  let i = 0;
  while (i < bytes.length) {
    let j = i;
    while (j < bytes.length && bytes[j] === bytes[i]) j++;
    runs.push(`${String.fromCharCode(0x60 + (bytes[i] as number))}*${j - i}`);
    i = j;
  }
  return runs.length === 0 ? 'empty' : runs.join(' ');
}

function pictures(states: readonly CrashState[], ...paths: string[]): string[] {
  return states.map((s) => paths.map((p) => `${p}=${picture(s, p)}`).join(' ')).sort();
}

async function syncDir(io: Io, path: string): Promise<void> {
  const fd = await io.open(path, { directory: true });
  await io.fsync(fd);
  await io.close(fd);
}

/** A durable file `path` holding `value` repeated `lengthBytes` times. */
async function durableFile(io: Io, path: string, value: number, lengthBytes: number): Promise<number> {
  const fd = await io.open(path, { read: true, write: true, create: true });
  await writeAll(io, fd, filled(lengthBytes, value), 0);
  await io.fsync(fd);
  await syncDir(io, '.');
  return fd;
}

function sim(profile: SimProfile = 'posix', sectorSizeBytes = 512): Simulation {
  return new Simulation({ seed: 'crash-model', profile, sectorSizeBytes });
}

describe('sim crash model: hand-worked histories', function () {
  this.timeout(30_000);

  it('an unsynced one-sector write over synced data: old or new', async () => {
    const s = sim();
    const node = s.node('n');
    await s.run(async () => {
      const fd = await durableFile(node.io, 'f', 1, 512);
      await node.io.write(fd, filled(512, 2), 0);
    });
    const states = node.crashStates({ limit: 100 });
    expect(states.complete).to.equal(true);
    expect(pictures(states, 'f')).to.deep.equal(['f=a*512', 'f=b*512']);
  });

  it('an unsynced two-sector write tears at sector granularity: 4 states', async () => {
    const s = sim();
    const node = s.node('n');
    await s.run(async () => {
      const fd = await durableFile(node.io, 'f', 1, 1024);
      await node.io.write(fd, filled(1024, 2), 0);
    });
    expect(pictures(node.crashStates({ limit: 100 }), 'f')).to.deep.equal(['f=a*1024', 'f=a*512 b*512', 'f=b*1024', 'f=b*512 a*512']);
  });

  it('two unsynced writes survive independently of their order: 4 states', async () => {
    const s = sim();
    const node = s.node('n');
    await s.run(async () => {
      const fd = await durableFile(node.io, 'f', 1, 1024);
      await node.io.write(fd, filled(512, 2), 0);
      await node.io.write(fd, filled(512, 3), 512);
    });
    // The later write can survive the earlier lost one ("a*512 c*512").
    expect(pictures(node.crashStates({ limit: 100 }), 'f')).to.deep.equal(['f=a*1024', 'f=a*512 c*512', 'f=b*512 a*512', 'f=b*512 c*512']);
  });

  it('two unsynced writes to the same sector: old, first or second (never a mix within a sector)', async () => {
    const s = sim();
    const node = s.node('n');
    await s.run(async () => {
      const fd = await durableFile(node.io, 'f', 1, 512);
      await node.io.write(fd, filled(512, 2), 0);
      await node.io.write(fd, filled(512, 3), 0);
    });
    expect(pictures(node.crashStates({ limit: 100 }), 'f')).to.deep.equal(['f=a*512', 'f=b*512', 'f=c*512']);
  });

  it('an appending write: the size grows only with the surviving sectors', async () => {
    const s = sim();
    const node = s.node('n');
    await s.run(async () => {
      const fd = await durableFile(node.io, 'f', 1, 512);
      await node.io.write(fd, filled(1024, 2), 512);
    });
    expect(pictures(node.crashStates({ limit: 100 }), 'f')).to.deep.equal([
      'f=a*512', 'f=a*512 `*512 b*512', 'f=a*512 b*1024', 'f=a*512 b*512',
    ]);
  });

  it('ext4-ordered: unsynced writes survive as an ordered prefix', async () => {
    const s = sim('ext4-ordered');
    const node = s.node('n');
    await s.run(async () => {
      const fd = await durableFile(node.io, 'f', 1, 1536);
      await node.io.write(fd, filled(512, 2), 0);
      await node.io.write(fd, filled(512, 3), 512);
      await node.io.write(fd, filled(512, 4), 1024);
    });
    expect(pictures(node.crashStates({ limit: 100 }), 'f')).to.deep.equal([
      'f=a*1536', 'f=b*512 a*1024', 'f=b*512 c*512 a*512', 'f=b*512 c*512 d*512',
    ]);
  });

  it('ext4-ordered tears too when sectors are smaller than the write: a 4 KiB overwrite over 512-byte sectors has 256 states, as posix', async () => {
    for (const profile of ['ext4-ordered', 'posix'] as const) {
      const s = sim(profile, 512);
      const node = s.node('n');
      await s.run(async () => {
        const fd = await durableFile(node.io, 'f', 1, 4096);
        await node.io.write(fd, filled(4096, 2), 0);
      });
      const states = node.crashStates({ limit: 1000 });
      expect(states.complete, profile).to.equal(true);
      expect(states.length, profile).to.equal(256);
    }
  });

  it('ext4-ordered: a prefix of whole operations, then possibly a torn next one', async () => {
    const s = sim('ext4-ordered');
    const node = s.node('n');
    await s.run(async () => {
      const fd = await durableFile(node.io, 'f', 1, 1024);
      await node.io.write(fd, filled(1024, 2), 0);
      await node.io.write(fd, filled(512, 3), 0);
    });
    // Prefix 0: old, or the first write torn (either sector); prefix 1: the first write whole (the
    // one-sector second write cannot tear); prefix 2: both.
    expect(pictures(node.crashStates({ limit: 100 }), 'f')).to.deep.equal([
      'f=a*1024', 'f=a*512 b*512', 'f=b*1024', 'f=b*512 a*512', 'f=c*512 b*512',
    ]);
  });

  it('ext4-ordered with 4 KiB sectors: a 4 KiB overwrite never tears (2 states)', async () => {
    const s = sim('ext4-ordered', 4096);
    const node = s.node('n');
    await s.run(async () => {
      const fd = await durableFile(node.io, 'f', 1, 4096);
      await node.io.write(fd, filled(4096, 2), 0);
    });
    expect(pictures(node.crashStates({ limit: 100 }), 'f')).to.deep.equal(['f=a*4096', 'f=b*4096']);
  });

  it('none: exactly one state, everything kept', async () => {
    const s = sim('none');
    const node = s.node('n');
    await s.run(async () => {
      const fd = await node.io.open('f', { write: true, create: true });
      await node.io.write(fd, filled(512, 2), 0);
      await node.io.mkdir('d');
    });
    expect(pictures(node.crashStates({ limit: 100 }), 'f', 'd')).to.deep.equal(['f=b*512 d=dir']);
  });

  it('a created and fsynced file without a directory fsync may vanish; with it, it stays', async () => {
    const s = sim();
    const node = s.node('n');
    await s.run(async () => {
      const fd = await node.io.open('f', { write: true, create: true });
      await node.io.write(fd, filled(512, 2), 0);
      await node.io.fsync(fd);
    });
    expect(pictures(node.crashStates({ limit: 100 }), 'f')).to.deep.equal(['f=absent', 'f=b*512']);
    await s.run(() => syncDir(node.io, '.'));
    expect(pictures(node.crashStates({ limit: 100 }), 'f')).to.deep.equal(['f=b*512']);
  });

  it('a new file whose data is not fsynced: absent, empty or with its data', async () => {
    const s = sim();
    const node = s.node('n');
    await s.run(async () => {
      const fd = await node.io.open('f', { write: true, create: true });
      await node.io.write(fd, filled(512, 2), 0);
      await syncDir(node.io, '.');
    });
    expect(pictures(node.crashStates({ limit: 100 }), 'f')).to.deep.equal(['f=b*512', 'f=empty']);
  });

  it('ext4-ordered: fsync of a new file also makes its name durable', async () => {
    const s = sim('ext4-ordered');
    const node = s.node('n');
    await s.run(async () => {
      const fd = await node.io.open('f', { write: true, create: true });
      await node.io.write(fd, filled(512, 2), 0);
      await node.io.fsync(fd);
    });
    expect(pictures(node.crashStates({ limit: 100 }), 'f')).to.deep.equal(['f=b*512']);
  });

  it('rename over an existing file is atomic: the old file or the new one, never both or neither', async () => {
    const s = sim();
    const node = s.node('n');
    await s.run(async () => {
      await durableFile(node.io, 'final', 1, 512);
      await durableFile(node.io, 'tmp', 2, 512);
      await node.io.rename('tmp', 'final');
    });
    expect(pictures(node.crashStates({ limit: 100 }), 'final', 'tmp')).to.deep.equal([
      'final=a*512 tmp=b*512', 'final=b*512 tmp=absent',
    ]);
    await s.run(() => syncDir(node.io, '.'));
    expect(pictures(node.crashStates({ limit: 100 }), 'final', 'tmp')).to.deep.equal(['final=b*512 tmp=absent']);
  });

  it('rename across directories is atomic and durable when either directory is fsynced', async () => {
    const s = sim();
    const node = s.node('n');
    await s.run(async () => {
      await node.io.mkdir('a');
      await node.io.mkdir('b');
      await syncDir(node.io, '.');
      const fd = await node.io.open('a/x', { write: true, create: true });
      await node.io.write(fd, filled(512, 2), 0);
      await node.io.fsync(fd);
      await syncDir(node.io, 'a');
      await node.io.rename('a/x', 'b/y');
    });
    expect(pictures(node.crashStates({ limit: 100 }), 'a/x', 'b/y')).to.deep.equal(['a/x=absent b/y=b*512', 'a/x=b*512 b/y=absent']);
    await s.run(() => syncDir(node.io, 'b'));
    expect(pictures(node.crashStates({ limit: 100 }), 'a/x', 'b/y')).to.deep.equal(['a/x=absent b/y=b*512']);
  });

  it('unlink without a directory fsync: the file may come back', async () => {
    const s = sim();
    const node = s.node('n');
    await s.run(async () => {
      const fd = await durableFile(node.io, 'f', 1, 512);
      await node.io.close(fd);
      await node.io.unlink('f');
    });
    expect(pictures(node.crashStates({ limit: 100 }), 'f')).to.deep.equal(['f=a*512', 'f=absent']);
  });

  it('mkdir, a file inside, only the new directory fsynced: the file never survives without its directory', async () => {
    const s = sim();
    const node = s.node('n');
    await s.run(async () => {
      await node.io.mkdir('d');
      const fd = await node.io.open('d/f', { write: true, create: true });
      await node.io.fsync(fd);
      await syncDir(node.io, 'd');
    });
    // d/f's entry is durable in d, but d itself is not in the root.
    expect(pictures(node.crashStates({ limit: 100 }), 'd', 'd/f')).to.deep.equal(['d=absent d/f=absent', 'd=dir d/f=empty']);
  });

  it('an unsynced truncate: old size or new size', async () => {
    const s = sim();
    const node = s.node('n');
    await s.run(async () => {
      const fd = await durableFile(node.io, 'f', 1, 1024);
      await node.io.truncate(fd, 100);
    });
    expect(pictures(node.crashStates({ limit: 100 }), 'f')).to.deep.equal(['f=a*100', 'f=a*1024']);
  });

  it('fsync failure: the dropped write is in no crash state although reads return it', async () => {
    const s = sim();
    const node = s.node('n');
    await s.run(async () => {
      const fd = await durableFile(node.io, 'f', 1, 512);
      await node.io.write(fd, filled(512, 2), 0);
      s.faults.set('fsyncError', { rate: 1 });
      await node.io.fsync(fd).catch(() => undefined);
      s.faults.set('fsyncError', undefined);
      expect(await readAll(node.io, fd, 0, 512)).to.deep.equal(filled(512, 2));
      await node.io.fsync(fd);
    });
    expect(pictures(node.crashStates({ limit: 100 }), 'f')).to.deep.equal(['f=a*512']);
  });

  it('a write in flight at the crash may or may not have landed', async () => {
    const s = new Simulation({ seed: 3, sectorSizeBytes: 512, latency: { minMs: 10, tailMs: 0 } });
    const node = s.node('n');
    await s.run(async () => {
      const fd = await durableFile(node.io, 'f', 1, 512);
      const pending = node.io.write(fd, filled(512, 2), 0);
      await s.clock.sleep(5);
      node.crash();
      expect(await pending.then(() => 'ok', (err: { code: string }) => err.code)).to.equal('ERR_CRASHED');
    });
    // The sector the device was writing at the cut: old, new, zero-filled or garbage.
    const states = node.crashStates({ limit: 100 });
    expect(states.complete).to.equal(true);
    const pics = pictures(states, 'f');
    expect(pics).to.have.length(4);
    expect(pics.slice(0, 3)).to.deep.equal(['f=`*512', 'f=a*512', 'f=b*512']);
    const garbage = states.map((x) => x.readFile('f') as Uint8Array).find((b) => new Set(b).size > 16);
    expect(garbage, 'one state holds garbage').to.not.equal(undefined);
  });

  it('ext4-ordered: a write in flight lands whole, torn, or not at all (the device there writes sectors atomically)', async () => {
    const s = new Simulation({ seed: 3, sectorSizeBytes: 512, profile: 'ext4-ordered', latency: { minMs: 10, tailMs: 0 } });
    const node = s.node('n');
    await s.run(async () => {
      const fd = await durableFile(node.io, 'f', 1, 1024);
      const pending = node.io.write(fd, filled(1024, 2), 0);
      await s.clock.sleep(5);
      node.crash();
      await pending.catch(() => undefined);
    });
    expect(pictures(node.crashStates({ limit: 100 }), 'f')).to.deep.equal(['f=a*1024', 'f=a*512 b*512', 'f=b*1024', 'f=b*512 a*512']);
  });

  it('posix: an in-flight write over one old sector and one new: the old sector old, new, zero or garbage; the new one absent or new', async () => {
    const s = new Simulation({ seed: 3, sectorSizeBytes: 512, latency: { minMs: 10, tailMs: 0 } });
    const node = s.node('n');
    await s.run(async () => {
      const fd = await durableFile(node.io, 'f', 1, 512);
      const pending = node.io.write(fd, filled(1024, 2), 0);
      await s.clock.sleep(5);
      node.crash();
      await pending.catch(() => undefined);
    });
    const states = node.crashStates({ limit: 100 });
    expect(states.complete).to.equal(true);
    // Sector 0 (overwritten in place): a, b, zeros or garbage. Sector 1 (new space, never exposed
    // before its data): absent or b. 4 x 2 = 8.
    expect(states.length).to.equal(8);
    const pics = pictures(states, 'f');
    for (const p of ['f=a*512', 'f=b*512', 'f=`*512', 'f=a*512 b*512', 'f=b*1024', 'f=`*512 b*512']) expect(pics).to.include(p);
    const sizes = states.map((x) => (x.readFile('f') as Uint8Array).byteLength).sort((a, b) => a - b);
    expect(sizes).to.deep.equal([512, 512, 512, 512, 1024, 1024, 1024, 1024]);
  });

  it('writeback: an appended, fsynced-nothing file keeps its new size without its data (the tail reads zeros)', async () => {
    const outcome = async (profile: SimProfile): Promise<string[]> => {
      const s = sim(profile, 4096);
      const node = s.node('n');
      await s.run(async () => {
        const fd = await durableFile(node.io, 'f', 1, 0);
        await node.io.write(fd, filled(4096, 2), 0);
      });
      return pictures(node.crashStates({ limit: 100 }), 'f');
    };
    expect(await outcome('writeback')).to.deep.equal(['f=`*4096', 'f=b*4096', 'f=empty']);
    expect(await outcome('posix')).to.deep.equal(['f=b*4096', 'f=empty']);
    expect(await outcome('ext4-ordered')).to.deep.equal(['f=b*4096', 'f=empty']);
  });

  it('writeback: an append over synced data: the size and the data survive independently', async () => {
    const s = sim('writeback', 512);
    const node = s.node('n');
    await s.run(async () => {
      const fd = await durableFile(node.io, 'f', 1, 512);
      await node.io.write(fd, filled(512, 2), 512);
      await node.io.write(fd, filled(512, 3), 0);
    });
    // Size: 512 (no size change kept) or 1024. Data: each write lost or kept.
    expect(pictures(node.crashStates({ limit: 100 }), 'f')).to.deep.equal([
      'f=a*512', 'f=a*512 `*512', 'f=a*512 b*512', 'f=c*512', 'f=c*512 `*512', 'f=c*512 b*512',
    ].sort());
  });

  it('writeback: names as ext4-ordered (one journal): fsync of a new file also persists its name', async () => {
    const s = sim('writeback', 4096);
    const node = s.node('n');
    await s.run(async () => {
      const fd = await node.io.open('g', { write: true, create: true });
      await node.io.write(fd, filled(4096, 2), 0);
      await node.io.fsync(fd);
    });
    expect(pictures(node.crashStates({ limit: 100 }), 'g')).to.deep.equal(['g=b*4096']);
  });

  it('crash() leaves one of the enumerated states, and a restart shows exactly it', async () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 24; seed++) {
      const s = new Simulation({ seed, sectorSizeBytes: 512 });
      const node = s.node('n');
      await s.run(async () => {
        const fd = await durableFile(node.io, 'f', 1, 1024);
        await node.io.write(fd, filled(1024, 2), 0);
        await node.io.write(fd, filled(512, 3), 512);
      });
      const allowed = node.crashStates({ limit: 100 });
      node.crash();
      const after = node.crashStates({ limit: 100 });
      expect(after.map((x) => x.digest)).to.deep.equal(allowed.map((x) => x.digest));
      const io = node.restart();
      const content = await s.run(async () => {
        const fd = await io.open('f', { read: true });
        return readAll(io, fd, 0, 4096);
      });
      const match = allowed.find((st) => Buffer.from(st.readFile('f') ?? []).equals(Buffer.from(content)));
      expect(match, `seed ${seed}`).to.not.equal(undefined);
      seen.add(Buffer.from(content).toString('hex'));
    }
    // Different seeds pick different states.
    expect(seen.size).to.be.greaterThan(2);
  });

  it('restart(state) into every state, one after another, shows each state exactly', async () => {
    const s = sim();
    const node = s.node('n');
    await s.run(async () => {
      const fd = await durableFile(node.io, 'f', 1, 1024);
      await node.io.write(fd, filled(1024, 2), 0);
    });
    const states = node.crashStates({ limit: 100 });
    expect(states).to.have.length(4);
    for (const state of states) {
      const io = state.restart();
      const content = await s.run(async () => {
        const fd = await io.open('f', { read: true, write: true });
        const bytes = await readAll(io, fd, 0, 4096);
        await io.write(fd, filled(1024, 9), 0); // must not leak into the next state
        return bytes;
      });
      expect(content).to.deep.equal(state.readFile('f'));
    }
  });

  it('states captured earlier stay valid to restart into later; digests deduplicate across calls', async () => {
    const s = sim();
    const node = s.node('n');
    let fd = -1;
    await s.run(async () => {
      fd = await durableFile(node.io, 'f', 1, 1024);
      await node.io.write(fd, filled(1024, 2), 0);
    });
    const early = node.crashStates({ limit: 100 });
    expect(early).to.have.length(4);
    // The node moves on: more writes, a sync, a crash and a restart.
    await s.run(async () => {
      await node.io.write(fd, filled(1024, 5), 0);
      await node.io.fsync(fd);
    });
    node.crash();
    node.restart();
    // A later call over the same pending write finds the same states with the same digests.
    const again = s.node('n');
    await s.run(async () => {
      const fd2 = await again.io.open('f', { read: true, write: true });
      await again.io.write(fd2, filled(1024, 1), 0);
      await again.io.fsync(fd2);
      await again.io.write(fd2, filled(1024, 2), 0);
    });
    const later = node.crashStates({ limit: 100 });
    expect(new Set(later.map((x) => x.digest))).to.deep.equal(new Set(early.map((x) => x.digest)));
    // Restarting into an early state shows exactly its content.
    for (const state of early) {
      const io = state.restart();
      const content = await s.run(async () => readAll(io, await io.open('f', { read: true }), 0, 4096));
      expect(content).to.deep.equal(state.readFile('f'));
    }
  });

  it('past the limit: a deterministic sample including the nothing-survived and everything-survived states', async () => {
    const build = async (): Promise<string[]> => {
      const s = new Simulation({ seed: 5, sectorSizeBytes: 512 });
      const node = s.node('n');
      await s.run(async () => {
        const fd = await durableFile(node.io, 'f', 1, 4096);
        for (let i = 0; i < 8; i++) await node.io.write(fd, filled(512, 2 + i), i * 512);
      });
      const states = node.crashStates({ limit: 10 });
      expect(states).to.have.length(10);
      expect(states.distinctCount).to.equal(256);
      const pics = pictures(states, 'f');
      expect(pics).to.include('f=a*4096');
      expect(pics).to.include('f=b*512 c*512 d*512 e*512 f*512 g*512 h*512 i*512');
      return states.map((x) => x.digest);
    };
    expect(await build()).to.deep.equal(await build());
  });

  it('nodes crash independently: the other node keeps running', async () => {
    const s = sim();
    const a = s.node('a');
    const b = s.node('b');
    await s.run(async () => {
      await durableFile(a.io, 'f', 1, 512);
      const fd = await durableFile(b.io, 'g', 2, 512);
      a.crash();
      expect(await b.io.read(fd, new Uint8Array(512), 0)).to.equal(512);
      let code = '';
      await a.io.stat('f').catch((err: { code: string }) => { code = err.code; });
      expect(code).to.equal('ERR_CRASHED');
      const io = a.restart();
      expect((await io.stat('f')).sizeBytes).to.equal(512);
    });
  });
});
