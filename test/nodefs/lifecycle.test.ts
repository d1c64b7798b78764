/**
 * `node.fs` across crashes and restarts, and as part of the simulation: calls after a crash fail
 * with ERR_CRASHED (sync throws, callbacks and promises get it), fds and FileHandles from before a
 * restart are dead (EBADF) while new calls reach the restarted disk, the `*Sync` calls take no
 * simulated time but draw faults exactly like their asynchronous twins and appear in the trace,
 * and a seed replays to the same hash.
 */
import { expect } from 'chai';
import { Simulation, type SimulationOptions } from '../../src/backends/sim/index.js';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

async function rejectionCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('node.fs lifecycle', function () {
  it('after a crash every form fails with ERR_CRASHED; after the restart the disk is back', async function () {
    const sim = new Simulation({ seed: 'crashed' });
    const node = sim.node('n');
    const fs = node.fs;
    fs.writeFileSync('/f', 'x', { flush: true });
    const fd = fs.openSync('/', 'r');
    fs.fsyncSync(fd);
    node.crash();
    expect(codeOf(() => fs.readFileSync('/f'))).to.equal('ERR_CRASHED');
    expect(codeOf(() => fs.writeFileSync('/g', 'y'))).to.equal('ERR_CRASHED');
    expect(codeOf(() => fs.statSync('/f'))).to.equal('ERR_CRASHED');
    // existsSync never throws for a missing path, but a crashed disk is not "no such file".
    expect(codeOf(() => fs.existsSync('/f'))).to.equal('ERR_CRASHED');
    expect(codeOf(() => fs.fsyncSync(fd))).to.equal('ERR_CRASHED');
    expect(await rejectionCode(fs.promises.readFile('/f'))).to.equal('ERR_CRASHED');
    const viaCallback = await new Promise<unknown>((resolve) => fs.stat('/f', (err) => resolve(err)));
    expect(viaCallback).to.have.property('code', 'ERR_CRASHED');
    expect(codeOf(() => fs.openSync('/f', 'r'))).to.equal('ERR_CRASHED');
    node.restart();
    const dir = fs.opendirSync('/');
    node.crash();
    expect(codeOf(() => dir.readSync()), 'a directory stream does not skip entries on a crashed disk').to.equal('ERR_CRASHED');
    node.restart();
    expect(fs.readFileSync('/f', 'utf8')).to.equal('x');
  });

  it('fds and FileHandles from before a restart are dead (EBADF); new ones work on the restarted disk', async function () {
    const sim = new Simulation({ seed: 'restart' });
    const node = sim.node('n');
    const fs = node.fs;
    await sim.run(async () => {
      const fd = fs.openSync('/f', 'w+');
      fs.writeSync(fd, 'abc');
      fs.fsyncSync(fd);
      const dir = fs.openSync('/', 'r');
      fs.fsyncSync(dir);
      const handle = await fs.promises.open('/f', 'r');
      node.restart();
      expect(codeOf(() => fs.readSync(fd, Buffer.alloc(3), 0, 3, 0))).to.equal('EBADF');
      expect(codeOf(() => fs.closeSync(fd))).to.equal('EBADF');
      expect(await rejectionCode(handle.read(Buffer.alloc(3), 0, 3, 0))).to.equal('EBADF');
      expect(await rejectionCode(handle.stat())).to.equal('EBADF');
      const viaCallback = await new Promise<unknown>((resolve) => fs.fstat(dir, (err) => resolve(err)));
      expect(viaCallback).to.include({ code: 'EBADF', syscall: 'fstat' });
      // A new fd may reuse the number: it names the new file, not the old one.
      const again = fs.openSync('/f', 'r');
      const buffer = Buffer.alloc(3);
      expect(fs.readSync(again, buffer, 0, 3, 0)).to.equal(3);
      expect(buffer.toString()).to.equal('abc');
      fs.closeSync(again);
    });
  });

  it('a restart into a chosen crash state works the same way (state.restart())', function () {
    const node = new Simulation({ seed: 'state-restart' }).node('n');
    const fs = node.fs;
    const fd = fs.openSync('/f', 'w');
    const states = node.crashStates({ limit: 10 });
    const withFile = states.find((s) => s.entries().has('f'));
    expect(withFile).to.not.equal(undefined);
    withFile!.restart();
    expect(codeOf(() => fs.writeSync(fd, 'x'))).to.equal('EBADF');
    expect(fs.existsSync('/f')).to.equal(true);
  });

  it('sync calls take no simulated time, appear in the trace, and injected faults surface as Node errors', async function () {
    const sim = new Simulation({ seed: 'sync-faults', latency: true, faults: { writeError: { rate: 1, path: 'bad*' } } });
    const node = sim.node('n');
    const fs = node.fs;
    await sim.run(async () => {
      const before = sim.clock.now();
      const traceBefore = sim.trace.length;
      fs.writeFileSync('/good', 'x');
      let caught: unknown;
      try {
        fs.writeFileSync('/bad', 'x');
      } catch (err) {
        caught = err;
      }
      expect(caught).to.include({ code: 'EIO', syscall: 'write', errno: -5 });
      expect((caught as Error).message).to.equal('EIO: i/o error, write');
      expect(sim.clock.now(), 'no simulated time passed').to.equal(before);
      const events = sim.trace.events().slice(traceBefore - sim.trace.length);
      expect(events.some((e) => e.type === 'fault' && e.what === 'writeError' && e.path === 'bad')).to.equal(true);
      expect(events.filter((e) => e.type === 'op' && e.what === 'open').map((e) => e.path)).to.deep.equal(['good', 'bad']);
      // The asynchronous twin takes simulated time.
      await fs.promises.writeFile('/good2', 'x');
      expect(sim.clock.now()).to.be.greaterThan(before);
    });
  });

  it('a sync call draws faults exactly like its asynchronous twin: same seed, same injected faults', async function () {
    const options: SimulationOptions = { seed: 'twins', latency: true, faults: { shortWrite: { rate: 0.5 }, writeError: { rate: 0.2 }, readError: { rate: 0.2 } } };
    const faultsOf = async (useSync: boolean): Promise<string[]> => {
      const sim = new Simulation(options);
      const fs = sim.node('n').fs;
      await sim.run(async () => {
        const fd = useSync ? fs.openSync('/f', 'w+') : await new Promise<number>((resolve, reject) => fs.open('/f', 'w+', (err, n) => (err ? reject(err) : resolve(n))));
        for (let i = 0; i < 40; i++) {
          const data = Buffer.alloc(100, i);
          try {
            if (useSync) fs.writeSync(fd, data, 0, 100, i * 100);
            else await new Promise<void>((resolve, reject) => fs.write(fd, data, 0, 100, i * 100, (err) => (err ? reject(err) : resolve())));
          } catch { /* injected */ }
          try {
            if (useSync) fs.readSync(fd, Buffer.alloc(10), 0, 10, 0);
            else await fs.promises.readFile('/f');
          } catch { /* injected */ }
        }
      });
      return sim.trace.filter('fault').map((e) => `${e.what}@${e.offsetBytes}:${e.result}`);
    };
    const sync = await faultsOf(true);
    const viaCallbacks = await faultsOf(false);
    expect(sync.length).to.be.greaterThan(10);
    // Writes are the same calls in both runs: their fault decisions must be identical.
    const writes = (list: string[]): string[] => list.filter((f) => !f.startsWith('readError'));
    expect(writes(sync)).to.deep.equal(writes(viaCallbacks));
  });

  it('the same seed replays to the same hash; another seed differs', async function () {
    const hashOf = async (seed: string): Promise<string> => {
      const sim = new Simulation({ seed, latency: true, faults: 'default' });
      const node = sim.node('n');
      const fs = node.fs;
      await sim.run(async () => {
        for (let i = 0; i < 20; i++) {
          try {
            fs.writeFileSync(`/s${i}`, `sync ${i}`);
            await fs.promises.writeFile(`/p${i}`, `promise ${i}`, { flush: true });
            fs.mkdtempSync('/t-');
            if (i % 5 === 0) {
              const fd = fs.openSync('/', 'r');
              fs.fsyncSync(fd);
              fs.closeSync(fd);
            }
          } catch { /* injected faults are part of the run */ }
        }
        node.crash();
        node.restart();
        fs.readdirSync('/');
      });
      return sim.hash();
    };
    expect(await hashOf('a')).to.equal(await hashOf('a'));
    expect(await hashOf('a')).to.not.equal(await hashOf('b'));
  });

  it('mkdtemp names come from the seed', function () {
    const names = (seed: string): string[] => {
      const fs = new Simulation({ seed }).node('n').fs;
      return [fs.mkdtempSync('/x-'), fs.mkdtempSync('/x-')];
    };
    expect(names('m')).to.deep.equal(names('m'));
    expect(names('m')).to.not.deep.equal(names('n'));
    expect(names('m')[0]).to.match(/^\/x-[A-Za-z0-9]{6}$/);
  });
});
