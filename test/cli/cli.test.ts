/**
 * The `faultline` command end to end, as a child process: exit codes, help, one-line usage
 * errors, `--json` output, failure reports with replay commands that reproduce the same hash,
 * sharding with `--from`/`--seeds`, and user workload modules.
 */
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { faultline, replayArgs } from './run-cli.js';

describe('cli: the faultline command', function () {
  this.timeout(120_000);
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'faultline-cli-test-'));
    // A user workload: fails on odd seeds, uses the context's Io, clock and seeded randomness.
    await writeFile(join(dir, 'odd.mjs'), `
export default {
  description: 'fails on odd seeds',
  async run(ctx) {
    const node = ctx.node('a');
    const fd = await node.io.open('f', { write: true, create: true });
    await node.io.write(fd, new Uint8Array([1, 2, 3]), 0);
    await node.io.fsync(fd);
    await ctx.sim.clock.sleep(ctx.randomInt(10));
    ctx.log('seed', ctx.seed, 'profile', ctx.profile, 'faults', ctx.faults, 'x', ctx.options.x ?? '-');
    if (ctx.seed % 2 === 1) throw Object.assign(new Error('odd seed ' + ctx.seed), { code: 'ERR_ODD' });
  },
};
`);
    // A workload that drops a promise which rejects at a power cut (on seed 2 only).
    await writeFile(join(dir, 'dangling.mjs'), `
export default {
  async run(ctx) {
    const node = ctx.node('a');
    const fd = await node.io.open('f', { write: true, create: true });
    if (ctx.seed === 2) { node.io.fsync(fd); node.crash(); }
    await ctx.sim.clock.sleep(1);
  },
};
`);
    await writeFile(join(dir, 'norun.mjs'), 'export default { description: "no run here" };\n');
    await writeFile(join(dir, 'broken.mjs'), 'export default {;\n');
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints help and exits 0', async () => {
    const main = await faultline(['--help']);
    expect(main.code).to.equal(0);
    expect(main.stdout).to.include('faultline sim <workload>');
    const sim = await faultline(['sim', '--help']);
    expect(sim.code).to.equal(0);
    expect(sim.stdout).to.include('--seeds N');
  });

  it('turns bad input into one line on stderr and exit code 2', async () => {
    const cases: string[][] = [
      ['frobnicate'],
      ['sim', 'kv', '--seeds', 'lots'],
      ['sim', join(dir, 'missing.mjs')],
      ['sim', join(dir, 'norun.mjs')],
      ['sim', join(dir, 'broken.mjs')],
      ['sim', 'kv:no-such-bug'],
      ['sim', 'nosuchworkload'],
    ];
    for (const argv of cases) {
      const run = await faultline(argv);
      expect(run.code, argv.join(' ')).to.equal(2);
      expect(run.stderr.trim().split('\n'), argv.join(' ')).to.have.length(1);
      expect(run.stderr, argv.join(' ')).to.match(/^faultline: /);
    }
  });

  it('runs a campaign: --json document, exit 0 when every seed passes', async () => {
    const run = await faultline(['sim', 'kv', '--seeds', '12', '--workers', '2', '--json']);
    expect(run.code, run.stderr).to.equal(0);
    const doc = JSON.parse(run.stdout) as { passed: number; failed: number; seedsRun: number; workers: number; failures: unknown[] };
    expect(doc).to.deep.include({ passed: 12, failed: 0, seedsRun: 12, workers: 2 });
    expect(doc.failures).to.deep.equal([]);
  });

  it('reports a failing seed with a replay command that reproduces the same hash', async () => {
    const run = await faultline(['sim', 'kv:ack-before-sync', '--seeds', '4', '--workers', '1', '--json']);
    expect(run.code).to.equal(1);
    const doc = JSON.parse(run.stdout) as { failed: number; failures: Array<{ seed: number; code: string; hash: string; trace: string[]; replay: string }> };
    expect(doc.failed).to.be.greaterThan(0);
    const failure = doc.failures[0]!;
    expect(failure.code).to.equal('ERR_INVARIANT');
    expect(failure.trace.length).to.be.greaterThan(0);
    expect(failure.replay).to.include(`replay kv:ack-before-sync --seed ${failure.seed}`);
    const replay = await faultline([...replayArgs(failure.replay), '--json']);
    expect(replay.code).to.equal(1);
    const replayed = JSON.parse(replay.stdout) as { hash: string; code: string; trace: string[] };
    expect(replayed.hash).to.equal(failure.hash);
    expect(replayed.code).to.equal('ERR_INVARIANT');
    // --trace keeps the whole run, far more than the failure report's tail.
    expect(replayed.trace.length).to.be.greaterThan(failure.trace.length);
  });

  it('prints failures in text mode with the seed, the error, the trace tail and the replay line', async () => {
    const run = await faultline(['sim', join(dir, 'odd.mjs'), '--seeds', '4', '--workers', '2', '--option', 'x=7']);
    expect(run.code).to.equal(1);
    expect(run.stdout).to.include('FAIL seed 1: ERR_ODD: odd seed 1');
    expect(run.stdout).to.include('FAIL seed 3: ERR_ODD: odd seed 3');
    expect(run.stdout).to.not.include('FAIL seed 2');
    expect(run.stdout).to.match(/last trace events:\n\s+#\d+ /);
    expect(run.stdout).to.include('x 7');
    expect(run.stdout).to.match(/replay: .* replay .*odd\.mjs --seed 1 --profile posix --faults default --option x=7 --trace/);
    expect(run.stdout).to.include('2/4 seeds passed, 2 failed');
  });

  it('fails only the seed that left a promise rejected and unhandled, and carries on', async () => {
    const run = await faultline(['sim', join(dir, 'dangling.mjs'), '--seeds', '4', '--workers', '2', '--json']);
    expect(run.code).to.equal(1);
    const doc = JSON.parse(run.stdout) as { seedsRun: number; failures: Array<{ seed: number; code: string }> };
    expect(doc.seedsRun).to.equal(4);
    expect(doc.failures.map((f) => [f.seed, f.code])).to.deep.equal([[2, 'ERR_UNHANDLED_REJECTION']]);
  });

  it('shards a campaign with --from and --seeds', async () => {
    const run = await faultline(['sim', join(dir, 'odd.mjs'), '--from', '10', '--seeds', '5', '--workers', '2', '--json']);
    expect(run.code).to.equal(1);
    const doc = JSON.parse(run.stdout) as { seedsRun: number; failures: Array<{ seed: number }> };
    expect(doc.seedsRun).to.equal(5);
    expect(doc.failures.map((f) => f.seed)).to.deep.equal([11, 13]);
  });

  it('replays a passing seed with its whole trace, identically every time', async () => {
    const first = await faultline(['replay', 'kv', '--seed', '5', '--trace']);
    const second = await faultline(['replay', 'kv', '--seed', '5']);
    expect(first.code).to.equal(0);
    expect(second.code).to.equal(0);
    const hash = (text: string): string | undefined => /^hash ([0-9a-f]{64})$/m.exec(text)?.[1];
    expect(hash(first.stdout)).to.be.a('string');
    expect(hash(first.stdout)).to.equal(hash(second.stdout));
    expect(first.stdout).to.match(/^trace:\n#0 /m);
    expect(first.stdout).to.include('PASS seed 5');
  });

  it('lists the built-in workloads and their variants', async () => {
    const run = await faultline(['list']);
    expect(run.code).to.equal(0);
    for (const name of ['kv:ack-before-sync', 'kv:no-dir-sync', 'kv:no-checksum', 'kv:fsync-retry', 'kv:trust-size', 'kv:rename-before-sync', 'replicated-log:ack-on-one']) {
      expect(run.stdout).to.include(name);
    }
  });
});
