/**
 * The conformance suites and simulationTest under the three test runners users have: node:test,
 * vitest and mocha, each running a third-party-style test file (`third-party/`, importing
 * `faultline/conformance` and `faultline/testing` by package name) in its own process. The same
 * tests must pass and skip under each, and deliberate failures (`FAULTLINE_FIXTURE=fail`) must
 * print the manifest mismatch in one message, and the failing seed, trace tail and replay command.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { packageRoot } from '../../src/native/binding.js';

const RUN_TIMEOUT_MS = 180_000;
const FILES = 'test/runners/third-party';

interface Counts { readonly passed: number; readonly failed: number; readonly skipped: number; readonly output: string }

function run(args: readonly string[], fixture: 'pass' | 'fail', extraEnv: Record<string, string> = {}): string {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', FAULTLINE_FIXTURE: fixture, ...extraEnv };
  for (const name of ['FAULTLINE_SEED', 'FAULTLINE_MODEL_SEED', 'FAULTLINE_MODEL_PATH']) if (!(name in extraEnv)) delete env[name];
  const result = spawnSync(args[0] ?? 'node', args.slice(1), { cwd: packageRoot(), env, encoding: 'utf8', timeout: RUN_TIMEOUT_MS });
  if (result.error !== undefined) throw result.error;
  return `${result.stdout}\n${result.stderr}`;
}

function count(output: string, pattern: RegExp): number {
  const match = pattern.exec(output);
  return match === null ? -1 : Number(match[1]);
}

const RUNNERS: Record<string, (fixture: 'pass' | 'fail', env?: Record<string, string>) => Counts> = {
  'node:test': (fixture, env) => {
    const output = run(['node', '--test', '--test-reporter=tap', `${FILES}/node-test.test.mjs`], fixture, env);
    return { passed: count(output, /^# pass (\d+)$/m), failed: count(output, /^# fail (\d+)$/m), skipped: count(output, /^# skipped (\d+)$/m), output };
  },
  vitest: (fixture, env) => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-vitest-'));
    try {
      const report = join(dir, 'report.json');
      const output = run(['npx', 'vitest', 'run', `${FILES}/vitest.spec.mjs`, '--reporter=json', `--outputFile=${report}`], fixture, env);
      const json = JSON.parse(readFileSync(report, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number };
      return { passed: json.numPassedTests, failed: json.numFailedTests, skipped: json.numPendingTests, output: `${output}\n${readFileSync(report, 'utf8')}` };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  mocha: (fixture, env) => {
    const output = run(['npx', 'mocha', '--no-config', `${FILES}/mocha.spec.mjs`], fixture, env);
    return {
      passed: count(output, /^ {2}(\d+) passing/m), failed: Math.max(0, count(output, /^ {2}(\d+) failing/m)),
      skipped: Math.max(0, count(output, /^ {2}(\d+) pending/m)), output,
    };
  },
};

describe('conformance suites and simulationTest under node:test, vitest and mocha', function () {
  this.timeout(2 * RUN_TIMEOUT_MS);
  const passing = new Map<string, Counts>();

  for (const [runner, runFixture] of Object.entries(RUNNERS)) {
    it(`${runner}: the Io and Storage suites and a simulationTest pass, unsupported capabilities skip`, function () {
      const counts = runFixture('pass');
      expect(counts.failed, counts.output.slice(-3000)).to.equal(0);
      expect(counts.passed).to.be.greaterThan(150);
      expect(counts.skipped).to.be.greaterThan(0);
      passing.set(runner, counts);
    });

    it(`${runner}: a wrong manifest fails with one message naming it; a failing seed prints seed, trace and replay`, function () {
      const { failed, output } = runFixture('fail');
      // The manifest test plus the capability tests that depend on `direct`, and the simulation test.
      expect(failed, output.slice(-3000)).to.be.greaterThan(1);
      expect(output).to.include("defineIoConformance('wrong-manifest'): the manifest says direct: true but io.features.direct is false");
      expect(output).not.to.include('expected true to equal false');
      expect(output).to.include("simulationTest 'fails at seed 3' failed at seed 3 (profile posix, faults none): Error: the invariant broke");
      expect(output).to.match(/#1 t=\d+\.\d+ms db op write path=file-3/);
      expect(output).to.match(/replay: FAULTLINE_SEED=3 /);
    });
  }

  it('every runner ran the same tests with the same outcome', function () {
    if (passing.size !== Object.keys(RUNNERS).length) this.skip();
    const [first, ...rest] = [...passing.values()].map(({ passed, failed, skipped }) => ({ passed, failed, skipped }));
    for (const counts of rest) expect(counts).to.deep.equal(first);
  });

  it('FAULTLINE_SEED runs the one seed it names (mocha)', function () {
    const failing = RUNNERS['mocha']!('fail', { FAULTLINE_SEED: '3' });
    expect(failing.output).to.include('fails at seed 3 (seed 3)');
    expect(failing.output).to.include('failed at seed 3');
    const passing3 = RUNNERS['mocha']!('fail', { FAULTLINE_SEED: '2' });
    expect(passing3.output).to.match(/✔ fails at seed 3 \(seed 2\)/);
  });
});
