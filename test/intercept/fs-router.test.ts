/**
 * The fs router on its own, with memfs volumes standing in for simulated nodes' disks: what
 * `require('fs')`, ESM imports and copies of fs see inside and outside a route, and that
 * installing and removing it leaves node:fs exactly as it was.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import * as realFs from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createFsFromVolume, Volume } from 'memfs';
import { installFsInterception, runInRoute, uninstallFsInterception, currentRoute, type FsRoute } from '../../src/intercept/fs-router.js';
import * as esmUser from './fixtures/esm-user.js';

const require = createRequire(import.meta.url);
const cjsUser = require('./fixtures/cjs-user.cjs') as typeof import('./fixtures/cjs-user.cjs');
// Loaded before any installation: it holds the real functions for good.
const copiedBefore = require('./fixtures/copy-at-load.cjs') as typeof import('./fixtures/copy-at-load.cjs');
const fsModule = require('node:fs') as Record<string, unknown>;
const promisesModule = require('node:fs/promises') as Record<string, unknown>;

function snapshot(obj: object): Map<string | symbol, PropertyDescriptor> {
  const out = new Map<string | symbol, PropertyDescriptor>();
  for (const key of Reflect.ownKeys(obj)) out.set(key, Object.getOwnPropertyDescriptor(obj, key) as PropertyDescriptor);
  return out;
}

function expectSameDescriptors(before: Map<string | symbol, PropertyDescriptor>, after: Map<string | symbol, PropertyDescriptor>): void {
  expect([...after.keys()]).to.deep.equal([...before.keys()]);
  for (const [key, d] of before) {
    const a = after.get(key) as PropertyDescriptor;
    expect(a.value, String(key)).to.equal(d.value);
    expect(a.get, String(key)).to.equal(d.get);
    expect(a.writable, String(key)).to.equal(d.writable);
    expect(a.enumerable, String(key)).to.equal(d.enumerable);
    expect(a.configurable, String(key)).to.equal(d.configurable);
  }
}

function memRoute(label: string): { route: FsRoute; vol: InstanceType<typeof Volume> } {
  const vol = new Volume();
  const fs = createFsFromVolume(vol);
  return { route: { label, fs: () => fs }, vol };
}

describe('intercept: fs router', () => {
  const owner = {};
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-router-'));
  });

  afterEach(() => {
    uninstallFsInterception(owner);
    rmSync(dir, { recursive: true, force: true });
  });

  it('routes require(fs), ESM named/default imports and the callback API to the route; the real disk outside', async () => {
    const { route, vol } = memRoute('a');
    installFsInterception(owner);
    await runInRoute(route, async () => {
      cjsUser.save('/cjs.txt', 'from cjs');
      await esmUser.save('/esm.txt', 'from esm');
      expect(await esmUser.load('/cjs.txt')).to.equal('from cjs');
      expect(esmUser.loadSyncNamed('/esm.txt')).to.equal('from esm');
      expect(esmUser.existsDefault('/esm.txt')).to.equal(true);
      expect(await esmUser.saveThenReadCallback('/cb.txt', 'callback')).to.equal('callback');
    });
    expect(vol.toJSON()).to.deep.equal({ '/cjs.txt': 'from cjs', '/esm.txt': 'from esm', '/cb.txt': 'callback' });
    // Outside any route the same functions reach the real disk.
    const real = join(dir, 'real.txt');
    cjsUser.save(real, 'real');
    expect(await esmUser.load(real)).to.equal('real');
    expect(realFs.readFileSync(real, 'utf8')).to.equal('real');
    expect(esmUser.existsDefault('/cjs.txt')).to.equal(false);
  });

  it('a module that copies fs at load sees the route only when loaded after installation', async () => {
    const { route, vol } = memRoute('a');
    installFsInterception(owner);
    const path = require.resolve('./fixtures/copy-at-load.cjs');
    delete require.cache[path];
    const copiedAfter = require('./fixtures/copy-at-load.cjs') as typeof import('./fixtures/copy-at-load.cjs');
    const realPath = join(dir, 'before.txt');
    await runInRoute(route, async () => {
      copiedAfter.save('/after.txt', 'after');
      // The copy made before installation holds the real functions: it writes to the real disk.
      copiedBefore.save(realPath, 'before');
    });
    expect(vol.toJSON()).to.deep.equal({ '/after.txt': 'after' });
    expect(realFs.readFileSync(realPath, 'utf8')).to.equal('before');
    // The late copy keeps working across installations, and falls through outside a route.
    uninstallFsInterception(owner);
    const second = memRoute('b');
    installFsInterception(owner);
    await runInRoute(second.route, async () => copiedAfter.save('/again.txt', 'again'));
    expect(second.vol.toJSON()).to.deep.equal({ '/again.txt': 'again' });
    uninstallFsInterception(owner);
    copiedAfter.save(join(dir, 'plain.txt'), 'plain');
    expect(realFs.readFileSync(join(dir, 'plain.txt'), 'utf8')).to.equal('plain');
  });

  it('three routes in one process each see their own disk, through callbacks and continuations', async () => {
    const routes = ['a', 'b', 'c'].map(memRoute);
    installFsInterception(owner);
    await Promise.all(routes.map(({ route }, n) => runInRoute(route, async () => {
      for (let i = 0; i < 20; i++) {
        await esmUser.save(`/f${i}`, `${route.label}${i}`);
        // Let the other routes interleave.
        await new Promise((resolve) => setImmediate(resolve));
        expect(currentRoute()).to.equal(route);
        expect(await esmUser.saveThenReadCallback(`/g${i}`, `${n}`)).to.equal(`${n}`);
        await new Promise<void>((resolve) => realFs.stat('/', () => { expect(currentRoute()).to.equal(route); resolve(); }));
      }
    })));
    for (const { route, vol } of routes) {
      const files = vol.toJSON();
      expect(Object.keys(files)).to.have.length(40);
      expect(files['/f7']).to.equal(`${route.label}7`);
    }
  });

  it('util.promisify keeps Node shapes: fs.read resolves { bytesRead, buffer }, fs.exists a boolean', async () => {
    const { route } = memRoute('a');
    installFsInterception(owner);
    await runInRoute(route, async () => {
      realFs.writeFileSync('/x', 'hello');
      const fd = await promisify(realFs.open)('/x', 'r');
      const got = await promisify(realFs.read)(fd, Buffer.alloc(5), 0, 5, 0);
      expect(got.bytesRead).to.equal(5);
      expect(got.buffer.toString()).to.equal('hello');
      await promisify(realFs.close)(fd);
      expect(await promisify(realFs.exists)('/x')).to.equal(true);
      expect(await promisify(realFs.exists)('/nope')).to.equal(false);
      expect(realFs.realpathSync.native('/x')).to.equal('/x');
    });
  });

  it('a function the route does not offer is ERR_UNSUPPORTED, never the real disk', async () => {
    installFsInterception(owner);
    const bare: FsRoute = { label: 'bare', fs: () => ({ promises: {} }) };
    const target = join(dir, 'never.txt');
    await runInRoute(bare, async () => {
      expect(() => realFs.writeFileSync(target, 'x')).to.throw().with.property('code', 'ERR_UNSUPPORTED');
      let caught: unknown;
      try {
        await realFs.promises.writeFile(target, 'x');
      } catch (err) {
        caught = err;
      }
      expect(caught).to.have.property('code', 'ERR_UNSUPPORTED');
      expect((caught as Error).message).to.include('fs.promises.writeFile');
    });
    expect(realFs.existsSync(target)).to.equal(false);
  });

  it('installing twice is ERR_INVALID_STATE and leaves node:fs untouched; removal restores it exactly', () => {
    const moduleProto = (require('node:module') as { prototype: object }).prototype;
    const requireBefore = snapshot(moduleProto);
    const fsBefore = snapshot(fsModule);
    const promisesBefore = snapshot(promisesModule);
    installFsInterception(owner);
    expect(fsModule['writeFileSync']).to.not.equal(fsBefore.get('writeFileSync')?.value);
    const installed = snapshot(fsModule);
    expect(() => installFsInterception(owner)).to.throw().with.property('code', 'ERR_INVALID_STATE');
    expect(() => installFsInterception({})).to.throw().with.property('code', 'ERR_INVALID_STATE');
    expectSameDescriptors(installed, snapshot(fsModule));
    // Someone else's uninstall does nothing.
    uninstallFsInterception({});
    expectSameDescriptors(installed, snapshot(fsModule));
    uninstallFsInterception(owner);
    expectSameDescriptors(fsBefore, snapshot(fsModule));
    expectSameDescriptors(promisesBefore, snapshot(promisesModule));
    expectSameDescriptors(requireBefore, snapshot(moduleProto));
  });

  it('inside a route, require() still loads from the real disk and stdio fds stay the process\'s own', async () => {
    const { route, vol } = memRoute('a');
    installFsInterception(owner);
    const path = require.resolve('./fixtures/copy-at-load.cjs');
    await runInRoute(route, async () => {
      delete require.cache[path];
      const loaded = require('./fixtures/copy-at-load.cjs') as typeof import('./fixtures/copy-at-load.cjs');
      // Loaded from the real disk, it then runs on the route like any code inside it.
      loaded.save('/inside.txt', 'inside');
      // memfs knows no fd 1 (EBADF): this answer comes from the real process's stdout.
      expect(realFs.fstatSync(1).ino).to.be.a('number');
      realFs.writeSync(1, '');
    });
    expect(vol.toJSON()).to.deep.equal({ '/inside.txt': 'inside' });
  });

  it('inside a route, import() of a CommonJS file not loaded yet loads it from the real disk; Module._load is restored after', async () => {
    const { route, vol } = memRoute('a');
    const moduleClass = require('node:module') as { _load: unknown };
    const loadBefore = Object.getOwnPropertyDescriptor(moduleClass, '_load');
    const path = require.resolve('./fixtures/copy-at-load.cjs');
    installFsInterception(owner);
    expect(moduleClass._load).to.not.equal(loadBefore?.value);
    await runInRoute(route, async () => {
      delete require.cache[path];
      // A fresh URL: the ESM loader has not seen it, so it hands the file to the CommonJS loader.
      const imported = await import(`${pathToFileURL(path).href}?fresh=${Date.now()}`) as { default: typeof import('./fixtures/copy-at-load.cjs') };
      imported.default.save('/imported.txt', 'imported');
    });
    uninstallFsInterception(owner);
    expect(Object.getOwnPropertyDescriptor(moduleClass, '_load')).to.deep.equal(loadBefore);
    expect(vol.toJSON()).to.deep.equal({ '/imported.txt': 'imported' });
  });

  it('inside a route, import() of an ES module not loaded yet: the real disk where Node has module.registerHooks, else the documented gap', async () => {
    const { route, vol } = memRoute('a');
    const hooks = typeof (require('node:module') as { registerHooks?: unknown }).registerHooks === 'function';
    const url = `${pathToFileURL(require.resolve('./fixtures/esm-user.js')).href}?fresh=${Date.now()}`;
    installFsInterception(owner);
    const outcome = await runInRoute(route, async () => {
      try {
        const imported = await import(url) as typeof esmUser;
        await imported.save('/esm-imported.txt', 'imported');
        return 'loaded';
      } catch (err) {
        return (err as { code?: string }).code ?? String(err);
      }
    });
    uninstallFsInterception(owner);
    if (hooks) {
      expect(outcome).to.equal('loaded');
      expect(vol.toJSON()).to.deep.equal({ '/esm-imported.txt': 'imported' });
    } else {
      // Node ${process.version} has no module.registerHooks: the ESM loader reads the route's disk.
      expect(outcome).to.equal('ENOENT');
    }
  });

  it('a module loaded once keeps working across many installations', async () => {
    for (let i = 0; i < 50; i++) {
      const { route, vol } = memRoute(`n${i}`);
      installFsInterception(owner);
      await runInRoute(route, () => esmUser.save('/run', String(i)));
      uninstallFsInterception(owner);
      expect(vol.toJSON()).to.deep.equal({ '/run': String(i) });
    }
    const real = join(dir, 'after-all.txt');
    await esmUser.save(real, 'ok');
    expect(realFs.readFileSync(real, 'utf8')).to.equal('ok');
  });
});
