/**
 * The differential test (see `differential.ts`): random Io sequences on the real kernel and on
 * every backend, compared step by step. A fixed slice (seeded, so every run checks the same
 * sequences) runs in `npm test`; `npm run diff` runs a long random one.
 *
 * Environment: FAULTLINE_DIFF_RUNS (sequences; default 30), FAULTLINE_DIFF_OPS (longest sequence;
 * default 25), FAULTLINE_DIFF_SEED and FAULTLINE_DIFF_PATH (replay a reported divergence),
 * FAULTLINE_DIFF_RANDOM=1 (a fresh seed instead of the fixed one), FAULTLINE_DIFF_BACKENDS
 * (comma-separated names: fs, fs-walk, iouring, sim, memfs).
 */
import { expect } from 'chai';
import { UringIo } from '../../src/backends/iouring/index.js';
import { Simulation } from '../../src/backends/sim/index.js';
import type { Io } from '../../src/interfaces/io.js';
import { backends, runDifferential, type BackendSpec } from './differential.js';

/**
 * SimIo with the bug this test exists for planted back: unlink, mkdir, rmdir and stat drop a
 * trailing `/` or `/.`, so `unlink("a/.")` deletes file a (Linux: ENOTDIR), `mkdir("x/.")`
 * creates x (ENOENT), `stat("a/")` succeeds (ENOTDIR).
 */
const droppingTrailingMarks: BackendSpec = {
  name: 'sim-with-planted-bug',
  big: false,
  async create() {
    const io = new Simulation({ seed: 'planted' }).node('n').io;
    const buggy = new Proxy(io, {
      get(target, key) {
        const drop = (path: string): string => path.replace(/(\/\.?)+\/*$/, '') || '.';
        if (key === 'unlink' || key === 'mkdir' || key === 'rmdir' || key === 'stat') {
          return (path: string) => (target[key] as (p: string) => Promise<unknown>)(typeof path === 'string' ? drop(path) : path);
        }
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as Io;
    return { io: buggy, dispose: () => io.shutdown() };
  },
};

const FIXED_SEED = 20_261_129;

function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got ${raw}`);
  return value;
}

describe('differential test: every backend against the kernel', function () {
  const runs = envNumber('FAULTLINE_DIFF_RUNS') ?? 30;
  this.timeout(Math.max(60_000, runs * 2_000));

  it('runs on every backend there is (io_uring included where it works)', function () {
    const names = backends().map((b) => b.name);
    expect(names).to.include.members(['fs', 'fs-walk', 'sim', 'memfs']);
    if (UringIo.isSupported().supported || process.env['FAULTLINE_REQUIRE_IOURING'] === '1') expect(names).to.include('iouring');
  });

  it('finds a planted divergence, shrinks it and prints the seed, the sequence and a replay command', async function () {
    const report = await runDifferential({ runs: 300, opsMax: 25, seed: FIXED_SEED, specs: [droppingTrailingMarks] });
    expect(report).to.be.a('string');
    const text = report as string;
    expect(text).to.match(/(unlink|mkdir|rmdir|stat)\("[^"]*\/\.?\/*"\)/);
    expect(text).to.match(/kernel \{"err":"E[A-Z]+"\}, sim-with-planted-bug/);
    expect(text).to.match(/replay: FAULTLINE_DIFF_SEED=-?\d+ FAULTLINE_DIFF_PATH=[\d:]+ npx mocha/);
    // Shrunk: only a few calls are left after the fixed setup.
    const calls = text.split('\n').filter((line) => /^ {4}\d+: /.test(line));
    expect(calls.length).to.be.within(1, 3);
  });

  it(`${runs} seeded sequences give the kernel's answers, step by step`, async function () {
    const seed = envNumber('FAULTLINE_DIFF_SEED') ?? (process.env['FAULTLINE_DIFF_RANDOM'] === '1' ? undefined : FIXED_SEED);
    const path = process.env['FAULTLINE_DIFF_PATH'];
    const only = process.env['FAULTLINE_DIFF_BACKENDS']?.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const report = await runDifferential({
      runs,
      opsMax: envNumber('FAULTLINE_DIFF_OPS') ?? 25,
      ...(seed !== undefined ? { seed } : {}),
      ...(path !== undefined && path !== '' ? { path } : {}),
      ...(only !== undefined ? { only } : {}),
    });
    if (report !== undefined) {
      console.log(report);
      expect.fail(report);
    }
  });
});
