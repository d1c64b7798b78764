/**
 * Shared by the io_uring tests: whether io_uring works here, and the policy when it does not.
 * With FAULTLINE_REQUIRE_IOURING=1 (CI) an unavailable io_uring fails the suite; otherwise the
 * suite is skipped and the reason printed once.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UringIo, type UringIoOptions } from '../../src/backends/iouring/index.js';
import type { BackendInstance } from '../conformance/harness.js';

export const uringSupport = UringIo.isSupported();
export const requireUring = process.env['FAULTLINE_REQUIRE_IOURING'] === '1';
let explained = false;

/**
 * Defines `body` under `title` when io_uring works. Otherwise: a failing test when required, or a
 * pending test (and one printed line) saying why.
 */
export function describeUring(title: string, body: (this: Mocha.Suite) => void): void {
  if (uringSupport.supported) {
    describe(title, body);
    return;
  }
  const reason = uringSupport.reason ?? 'unknown reason';
  if (requireUring) {
    describe(title, function () {
      it('io_uring must be available (FAULTLINE_REQUIRE_IOURING=1)', function () {
        throw new Error(`io_uring is unavailable: ${reason}`);
      });
    });
    return;
  }
  if (!explained) {
    explained = true;
    console.log(`  [iouring] skipping io_uring tests: ${reason}`);
  }
  describe(title, function () {
    it(`(skipped: io_uring unavailable: ${reason})`);
  });
}

/** A temp directory holding `root/` (the Io root) and `outside/outside.txt` (for escape tests). */
export async function makeRoots(prefix = 'faultline-uring-'): Promise<{ base: string; root: string; outside: string }> {
  const base = await mkdtemp(join(tmpdir(), prefix));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  await mkdir(root);
  await mkdir(outside);
  await writeFile(join(outside, 'outside.txt'), 'secret');
  return { base, root, outside };
}

/** A fresh UringIo on a fresh temp root, as the conformance harness wants it. */
export async function createUringBackend(options: Omit<UringIoOptions, 'root'> = {}): Promise<BackendInstance> {
  const { base, root, outside } = await makeRoots();
  const io = new UringIo({ ...options, root });
  return {
    io,
    outsideDirectory: outside,
    rootDirectory: root,
    makeSymlink: (target, linkPath) => symlink(target, join(root, linkPath)),
    dispose: async () => {
      await io.shutdown();
      await rm(base, { recursive: true, force: true });
    },
  };
}

/** This test directory, from `test/native` (tsx) or `dist/test/native` (compiled). */
export const testDir = dirname(fileURLToPath(import.meta.url));

/** The file of a sibling script, `.ts` under tsx and `.js` once compiled. */
export function siblingScript(baseName: string): string {
  const ext = fileURLToPath(import.meta.url).endsWith('.ts') ? '.ts' : '.js';
  return join(testDir, `${baseName}${ext}`);
}
