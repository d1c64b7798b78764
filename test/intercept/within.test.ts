/**
 * `new Simulation({ seed, intercept: true })` and `node.within(fn)`: unmodified modules reach the
 * simulated node's disk, each node its own, and node:fs is exactly restored afterwards.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as realFs from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulation } from '../../src/backends/sim/index.js';
import * as esmUser from './fixtures/esm-user.js';

const require = createRequire(import.meta.url);
const cjsUser = require('./fixtures/cjs-user.cjs') as typeof import('./fixtures/cjs-user.cjs');
const fsModule = require('node:fs') as Record<string, unknown>;
const promisesModule = require('node:fs/promises') as Record<string, unknown>;

function identities(obj: Record<string, unknown>): Map<string, unknown> {
  return new Map(Object.keys(obj).map((k) => [k, obj[k]]));
}

function expectSame(after: Map<string, unknown>, before: Map<string, unknown>): void {
  expect([...after.keys()]).to.deep.equal([...before.keys()]);
  for (const [key, value] of before) expect(after.get(key) === value, key).to.equal(true);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('intercept: node.within on simulated nodes', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'faultline-within-')); });
  afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

  it('three nodes in one process each see their own disk, through ESM imports, require, callbacks and timers', async () => {
    const sim = new Simulation({ seed: 1, intercept: true, latency: true });
    const names = ['a', 'b', 'c'];
    const realPath = join(dir, 'outside.txt');
    await sim.run(async () => {
      await Promise.all(names.map((name) => sim.node(name).within(async () => {
        for (let i = 0; i < 5; i++) {
          await esmUser.save(`/esm-${i}`, `${name}:${i}`);
          cjsUser.save(`/cjs-${i}`, `${name}:${i}`);
          expect(await esmUser.saveThenReadCallback(`/cb-${i}`, name)).to.equal(name);
          // A timer callback set here still writes to this node's disk.
          await new Promise<void>((resolve, reject) => setTimeout(() => {
            realFs.writeFile(`/timer-${i}`, name, (err) => (err ? reject(err) : resolve()));
          }, 10 * (i + 1)));
        }
      })));
      // Outside any node's context, the same code reaches the real disk.
      cjsUser.save(realPath, 'real');
    });
    for (const name of names) {
      const fs = sim.node(name).fs;
      expect(fs.readFileSync('/esm-4', 'utf8')).to.equal(`${name}:4`);
      expect(fs.readFileSync('/cjs-0', 'utf8')).to.equal(`${name}:0`);
      expect(fs.readFileSync('/timer-3', 'utf8')).to.equal(name);
      expect(fs.readdirSync('/')).to.have.length(20);
    }
    expect(readFileSync(realPath, 'utf8')).to.equal('real');
    expect(realFs.existsSync('/esm-4')).to.equal(false);
  });

  it('restores node:fs exactly at the end of run and at close(); a module loaded once works across many simulations', async () => {
    const fsBefore = identities(fsModule);
    const promisesBefore = identities(promisesModule);
    for (let seed = 0; seed < 30; seed++) {
      const sim = new Simulation({ seed, intercept: true });
      expect(fsModule['writeFileSync']).to.not.equal(fsBefore.get('writeFileSync'));
      const node = sim.node('n');
      await sim.run(() => node.within(() => esmUser.save('/seed', String(seed))));
      expectSame(identities(fsModule), fsBefore);
      expectSame(identities(promisesModule), promisesBefore);
      expect(node.fs.readFileSync('/seed', 'utf8')).to.equal(String(seed));
      sim.close();
    }
    // within outside run takes the interception again; close() gives it back.
    const sim = new Simulation({ seed: 99, intercept: true });
    await sim.node('n').within(() => cjsUser.save('/x', 'x'));
    expect(fsModule['writeFileSync']).to.not.equal(fsBefore.get('writeFileSync'));
    sim.close();
    expectSame(identities(fsModule), fsBefore);
    expectSame(identities(promisesModule), promisesBefore);
    expect(sim.node('n').fs.readFileSync('/x', 'utf8')).to.equal('x');
  });

  it('a crashed node: within rejects with ERR_CRASHED; after restart it works on the restarted disk', async () => {
    const sim = new Simulation({ seed: 3, intercept: true });
    const node = sim.node('a');
    try {
      await node.within(async () => {
        const { writeFile, open } = await import('node:fs/promises');
        await writeFile('/durable', 'kept');
        const fh = await open('/durable', 'r');
        await fh.sync();
        await fh.close();
        const root = await open('/', 'r');
        await root.sync();
        await root.close();
      });
      node.crash();
      expect(await rejection(node.within(() => esmUser.load('/durable')))).to.have.property('code', 'ERR_CRASHED');
      node.restart();
      expect(await node.within(() => esmUser.load('/durable'))).to.equal('kept');
    } finally {
      sim.close();
    }
  });

  it('a node that lost power runs none of the timers set on it before; other nodes\' timers go on', async () => {
    const sim = new Simulation({ seed: 4, intercept: true });
    const a = sim.node('a');
    const b = sim.node('b');
    const ticks = { a: 0, b: 0, aTimeout: 0, aAfterRestart: 0 };
    await sim.run(async () => {
      await a.within(() => {
        setInterval(() => { ticks.a++; }, 10);
        setTimeout(() => { ticks.aTimeout++; }, 100);
      });
      let bInterval: ReturnType<typeof setInterval> | undefined;
      await b.within(() => { bInterval = setInterval(() => { ticks.b++; }, 10); });
      await new Promise((resolve) => setTimeout(resolve, 55));
      a.crash();
      await new Promise((resolve) => setTimeout(resolve, 100));
      a.restart();
      await a.within(() => { setTimeout(() => { ticks.aAfterRestart++; }, 10); });
      await new Promise((resolve) => setTimeout(resolve, 50));
      clearInterval(bInterval);
    });
    expect(ticks.a).to.equal(5);
    expect(ticks.aTimeout).to.equal(0);
    expect(ticks.b).to.equal(20);
    expect(ticks.aAfterRestart).to.equal(1);
    sim.close();
  });

  it('bad input: within without intercept is ERR_INVALID_STATE, a non-function ERR_INVALID_ARGUMENT; two intercepting simulations refuse', async () => {
    const plain = new Simulation({ seed: 1 });
    expect(await rejection(plain.node('a').within(() => undefined))).to.have.property('code', 'ERR_INVALID_STATE');
    const sim = new Simulation({ seed: 1, intercept: true });
    try {
      expect(await rejection(sim.node('a').within(42 as unknown as () => void))).to.have.property('code', 'ERR_INVALID_ARGUMENT');
      const before = identities(fsModule);
      expect(() => new Simulation({ seed: 2, intercept: true })).to.throw().with.property('code', 'ERR_INVALID_STATE');
      expectSame(identities(fsModule), before);
      expect(() => new Simulation({ seed: 2, intercept: 'yes' as unknown as boolean })).to.throw().with.property('code', 'ERR_INVALID_ARGUMENT');
    } finally {
      sim.close();
    }
  });
});
