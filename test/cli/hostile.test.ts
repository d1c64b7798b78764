/**
 * The campaign runner under hostile workloads and environments: messages on the worker's IPC
 * channel that the worker did not send, garbage written to the channel, a module that never
 * finishes loading in a worker, thrown values whose getters throw, errors of many megabytes, an
 * `--out` file that cannot be written, and a continuous run that ran no seed. None of them may
 * turn into PASS for a seed that did not run and pass, crash the command, or hang it.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCli } from '../../src/cli/args.js';
import { runCampaign } from '../../src/cli/campaign.js';
import { loadWorkload } from '../../src/cli/load-workload.js';
import { resumeCommand } from '../../src/cli/report.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { faultline, tempDirFor, writeWorkload } from './run-cli.js';

interface SimDoc {
  seedsRun: number;
  passed: number;
  failed: number;
  missingCount: number;
  failures: Array<{ seed: number; code: string; message: string; stack?: string; log: string[] }>;
}

describe('cli: the campaign runner under hostile workloads', function () {
  this.timeout(60_000);
  const dir = tempDirFor('faultline-hostile-');
  const workload = (name: string, source: string): Promise<string> => writeWorkload(dir(), name, source);


  it('a result the workload forges on the worker\'s channel does not pass its seed', async () => {
    const path = await workload('forge.mjs', `
export default { async run(ctx) {
  await ctx.sim.clock.sleep(1);
  if (ctx.seed === 2) {
    process.send({ type: 'results', results: [{ seed: 2, ok: true, hash: '0'.repeat(64), simTimeMs: 0, wallMs: 0 }], cpuMicros: 0 });
    throw new Error('seed 2 really fails');
  }
} };
`);
    const run = await faultline(['sim', path, '--seeds', '4', '--workers', '1', '--json']);
    expect(run.code, run.stderr).to.equal(1);
    const doc = JSON.parse(run.stdout) as SimDoc;
    expect(doc).to.deep.include({ seedsRun: 4, passed: 3, failed: 1, missingCount: 0 });
    expect(doc.failures.map((f) => [f.seed, f.message])).to.deep.equal([[2, 'seed 2 really fails']]);
  });

  it('messages of any shape on the worker\'s channel neither crash the command nor count', async () => {
    const path = await workload('garbage-messages.mjs', `
export default { async run(ctx) {
  await ctx.sim.clock.sleep(1);
  if (ctx.seed === 2) {
    process.send(null);
    process.send('ready');
    process.send({ type: 'results', results: 5, cpuMicros: 'x' });
    process.send({ type: 'ready', batching: 'no' });
    process.send({ type: 'fatal', message: 'not from the worker' });
  }
} };
`);
    const run = await faultline(['sim', path, '--seeds', '4', '--workers', '1']);
    expect(run.stderr).to.not.include('internal error');
    expect(run.stdout).to.match(/^PASS: 4\/4 seeds passed, 0 failed/m);
    expect(run.code, run.stderr).to.equal(0);
  });

  it('a seed that writes garbage to the IPC descriptor fails with ERR_RESULT_LOST instead of being re-run for ever', async () => {
    const path = await workload('fd3.mjs', `
import { writeSync } from 'node:fs';
export default { async run(ctx) {
  // Read as the length of a message of about 1.7 GB: the command waits for the rest, which never comes.
  if (ctx.seed === 2) writeSync(3, 'garbage\\n');
  await ctx.sim.clock.sleep(1);
} };
`);
    const started = performance.now();
    const run = await faultline(['sim', path, '--seeds', '4', '--workers', '1', '--seed-timeout', '1s', '--json']);
    expect(run.code, run.stderr).to.equal(1);
    const doc = JSON.parse(run.stdout) as SimDoc;
    expect(doc).to.deep.include({ seedsRun: 4, passed: 3, failed: 1, missingCount: 0 });
    expect(doc.failures.map((f) => [f.seed, f.code])).to.deep.equal([[2, 'ERR_RESULT_LOST']]);
    // Two losses of seed 2, each found by the 1s timeout: seconds, not an endless respawn.
    expect(performance.now() - started).to.be.below(30_000);
  });

  it('a worker that never finishes loading the workload ends the campaign with a usage error', async () => {
    const path = await workload('hang-on-load.mjs', `
if (process.send !== undefined) await new Promise(() => { setInterval(() => undefined, 1000); });
export default { async run() {} };
`);
    const loaded = await loadWorkload(path);
    const campaign = runCampaign({
      workload: loaded, seedFrom: 1, seedCount: 2, workers: 1, profile: 'posix', faults: 'none', latency: 'none', options: {},
      seedTimeoutMs: 500, loadTimeoutMs: 1000,
    });
    const err = await campaign.then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(UsageError);
    expect((err as Error).message).to.match(/^a worker process did not finish loading the workload '.*hang-on-load\.mjs' within 1s of real time/);
  });

  it('a thrown value whose getters or Proxy traps throw fails its seed with a readable error, at once', async () => {
    const path = await workload('hostile-throw.mjs', `
export default { async run(ctx) {
  const e = new Error('plain');
  const boom = () => { throw new Error('getter'); };
  if (ctx.seed === 1) Object.defineProperty(e, 'message', { get: boom });
  if (ctx.seed === 2) Object.defineProperty(e, 'code', { get: boom });
  if (ctx.seed === 3) Object.defineProperty(e, 'stack', { get: boom });
  if (ctx.seed === 4) throw new Proxy({}, { get: boom, getPrototypeOf: boom });
  if (ctx.seed === 5) throw { toString: boom };
  if (ctx.seed === 6) Object.defineProperty(e, 'details', { get: boom });
  if (ctx.seed === 7) Object.defineProperty(e, 'cause', { get: boom });
  if (ctx.seed === 8) throw Object.create(null);
  throw e;
} };
`);
    const run = await faultline(['sim', path, '--seeds', '8', '--workers', '1', '--seed-timeout', '30s', '--json']);
    expect(run.code, run.stderr).to.equal(1);
    const doc = JSON.parse(run.stdout) as SimDoc;
    expect(doc).to.deep.include({ seedsRun: 8, failed: 8 });
    expect(doc.failures.map((f) => [f.seed, f.code, f.message])).to.deep.equal([
      [1, 'Error', '(a value whose text cannot be read)'],
      [2, 'Error', 'plain'],
      [3, 'Error', 'plain'],
      [4, 'ERR_THROWN', '(a value whose text cannot be read)'],
      [5, 'ERR_THROWN', '(a value whose text cannot be read)'],
      [6, 'Error', 'plain'],
      [7, 'Error', 'plain'],
      [8, 'ERR_THROWN', '(a value whose text cannot be read)'],
    ]);
  });

  it('an error of megabytes and a log line of megabytes are cut, not carried whole', async () => {
    const path = await workload('huge-error.mjs', `
export default { async run(ctx) { ctx.log('y'.repeat(3e6)); ctx.excuse('z'.repeat(3e6)); throw new Error('x'.repeat(3e6)); } };
`);
    const run = await faultline(['sim', path, '--seeds', '3', '--workers', '1', '--json']);
    expect(run.code, run.stderr).to.equal(1);
    expect(run.stdout.length).to.be.below(500_000);
    const doc = JSON.parse(run.stdout) as SimDoc;
    expect(doc.failures).to.have.length(3);
    const failure = doc.failures[0]!;
    expect(failure.message).to.match(/^x{16000}\.\.\. \(3000000 characters, cut\)$/);
    expect(failure.stack!.length).to.be.below(17_000);
    for (const line of failure.log) expect(line.length).to.be.below(2100);
  });

  it('an --out file that cannot be written stops the campaign with one line, exit 2', async function () {
    if (!existsSync('/dev/full')) {
      console.log('      (skipped: needs /dev/full, a device whose writes fail with ENOSPC, which this system lacks)');
      this.skip();
    }
    const run = await faultline(['sim', 'kv', '--seeds', '20', '--workers', '2', '--out', '/dev/full']);
    expect(run.code, run.stderr).to.equal(2);
    expect(run.stderr).to.match(/^faultline: sim: --out: cannot write '\/dev\/full': ENOSPC: .*; the campaign was stopped$/m);
    expect(run.stderr).to.not.match(/internal error|\n\s+at /);
    expect(run.stdout).to.not.match(/PASS/);
  });

  it('a campaign that ends in a usage error before its first result leaves --out as it was, and makes no file', async () => {
    const path = await workload('exit-in-worker.mjs', 'if (process.send !== undefined) process.exit(3);\nexport default { async run() {} };\n');
    const kept = join(dir(), 'kept.ndjson');
    await writeFile(kept, 'the records of an earlier campaign\n');
    const fresh = join(dir(), 'fresh.ndjson');
    for (const out of [kept, fresh]) {
      const run = await faultline(['sim', path, '--seeds', '2', '--workers', '1', '--out', out]);
      expect(run.code, run.stderr).to.equal(2);
    }
    expect(await readFile(kept, 'utf8')).to.equal('the records of an earlier campaign\n');
    expect(existsSync(fresh)).to.equal(false);
  });

  it('a continuous run that ran no seed before --duration ran out fails: no PASS for nothing checked', async () => {
    const run = await faultline(['sim', 'kv', '--duration', '1ms', '--workers', '1']);
    expect(run.code, run.stdout).to.equal(1);
    expect(run.stdout).to.match(/^FAIL: no seed ran before --duration ran out/m);
    expect(run.stdout).to.not.match(/PASS/);
  });
});

describe('cli: hostile command lines', function () {
  this.timeout(60_000);
  const dir = tempDirFor('faultline-hostile-args-');


  const usage = (argv: string[]): string => {
    try {
      parseCli(argv);
    } catch (err) {
      expect(err, argv.join(' ')).to.be.instanceOf(UsageError);
      return (err as Error).message;
    }
    return expect.fail(`expected a usage error for ${argv.join(' ')}`);
  };

  it('a flag that takes a value given twice is refused, not silently the last one', () => {
    expect(usage(['sim', 'kv', '--seeds', '10', '--seeds', '20'])).to.equal("sim: --seeds given twice ('10' and '20'); give it once");
    expect(usage(['replay', 'kv', '--seed', '1', '--seed=2'])).to.equal("replay: --seed given twice ('1' and '2'); give it once");
    expect(usage(['shrink', 'kv', '--seed', '1', '--faults', 'heavy', '--faults', 'none'])).to.match(/^shrink: --faults given twice/);
    expect(usage(['sim', 'kv', '--out', 'a', '--out', 'b'])).to.match(/^sim: --out given twice/);
    // Flags meant to repeat still do.
    expect(parseCli(['sim', 'kv', '--option', 'a=1', '--option', 'b=2'])).to.deep.include({ command: 'sim' });
    expect(parseCli(['replay', 'kv', '--seed', '1', '--veto', 'kv/stall/1', '--veto', 'kv/stall/2'])).to.deep.include({ vetoes: [{ node: 'kv', kind: 'stall', occurrence: 1 }, { node: 'kv', kind: 'stall', occurrence: 2 }] });
  });

  it('an empty workload and a stray argument to list are refused', () => {
    expect(usage(['sim', ''])).to.match(/^sim: missing <workload>/);
    expect(usage(['replay', '', '--seed', '1'])).to.equal('replay: missing <workload>');
    expect(usage(['list', 'kv'])).to.equal("list: unexpected argument 'kv'");
  });

  it('the resume command of an interrupted campaign keeps every setting that changes how its seeds run or are checked', () => {
    const args = parseCli(['sim', 'kv', '--seeds', '500', '--from', '7', '--faults', 'heavy', '--intercept', '--check-determinism', '--seed-timeout', '90s', '--fail-fast', '--option', 'ops=5', '--workers', '2']);
    if (args.command !== 'sim') return expect.fail('sim expected');
    const resume = resumeCommand(args, 100);
    const again = parseCli(resume.split(' ').slice(resume.split(' ').indexOf('sim')));
    if (again.command !== 'sim') return expect.fail('sim expected');
    const settings = (a: typeof args): unknown[] => [a.workload, a.profile, a.faults, a.latency, { ...a.options }, a.intercept, a.checkDeterminism, a.seedTimeoutMs, a.failFast, a.workers];
    expect(settings(again)).to.deep.equal(settings(args));
    expect([again.seedFrom, again.seedCount, again.resumeAt]).to.deep.equal([7, 500, 100]);
  });

  it('--option variant=V is checked against the workload as name:variant is', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['sim', 'replicated-log', '--option', 'variant=ack-on-oen', '--seeds', '2'], /^faultline: workload 'replicated-log' has no variant 'ack-on-oen' \(known: ack-on-one, ack-before-sync\)$/m],
      [['sim', 'kv:no-checksum', '--option', 'variant=ack-before-sync', '--seeds', '2'], /^faultline: sim: --option variant=ack-before-sync contradicts the variant in 'kv:no-checksum'; give one of them$/m],
      [['replay', 'kv', '--seed', '1', '--option', 'variant=nope'], /^faultline: workload 'kv' has no variant 'nope'/m],
      [['shrink', 'kv', '--seed', '1', '--option', 'variant=nope'], /^faultline: workload 'kv' has no variant 'nope'/m],
    ];
    for (const [argv, message] of cases) {
      const run = await faultline(argv);
      expect(run.code, `${argv.join(' ')}: ${run.stderr}`).to.equal(2);
      expect(run.stderr).to.match(message);
      expect(run.stdout).to.equal('');
    }
    // A variant the workload lists, given as an option, runs as name:variant does (and is caught).
    const listed = await faultline(['sim', 'replicated-log', '--option', 'variant=ack-on-one', '--seeds', '4', '--json']);
    const viaName = await faultline(['sim', 'replicated-log:ack-on-one', '--seeds', '4', '--json']);
    const failed = (stdout: string): number => (JSON.parse(stdout) as SimDoc).failed;
    expect(failed(listed.stdout)).to.equal(failed(viaName.stdout));
  });

  it('--out naming the workload\'s own module is refused before anything is written', async () => {
    const path = join(dir(), 'self.mjs');
    const source = 'export default { async run(ctx) { await ctx.sim.clock.sleep(1); } };\n';
    await writeFile(path, source);
    const run = await faultline(['sim', path, '--seeds', '2', '--out', path]);
    expect(run.code, run.stderr).to.equal(2);
    expect(run.stderr).to.match(/^faultline: sim: --out '.*self\.mjs' is the workload's own module, which it would overwrite; give another file$/m);
    expect(await readFile(path, 'utf8')).to.equal(source);
  });
});

describe('cli: merge of files edited by hand, cut short or from elsewhere', function () {
  this.timeout(60_000);
  const dir = tempDirFor('faultline-hostile-merge-');
  /** The records of a real two-seed campaign, to edit. */
  let lines: Array<Record<string, unknown>>;

  before(async () => {
    const out = join(dir(), 'real.ndjson');
    const run = await faultline(['sim', 'kv', '--seeds', '2', '--workers', '1', '--out', out]);
    expect(run.code, run.stderr).to.equal(0);
    lines = (await readFile(out, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).to.have.length(2);
  });

  const file = async (name: string, records: ReadonlyArray<Record<string, unknown> | string>): Promise<string> => {
    const path = join(dir(), name);
    await writeFile(path, records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n');
    return path;
  };

  it('a record that claims a pass it cannot have, or a campaign without expected seeds, is refused: exit 2, never PASS', async () => {
    const first = lines[0]!;
    const cases: Array<[string, Record<string, unknown> | string, string]> = [
      ['no-campaign-range', { ...first, campaign: {} }, 'its campaign is neither a range'],
      ['from-only', { ...first, campaign: { from: 1 } }, 'its campaign is neither a range'],
      ['seeds-as-text', { ...first, campaign: { from: 1, seeds: '1' } }, 'its campaign is neither a range'],
      ['seeds-fraction', { ...first, campaign: { from: 1, seeds: 1.5 } }, 'its campaign is neither a range'],
      ['seeds-huge', { ...first, campaign: { from: 1, seeds: 2 ** 40 } }, 'its campaign is neither a range'],
      ['seeds-infinite', JSON.stringify({ ...first, campaign: { from: 1, seeds: 1 } }).replace('"seeds":1', '"seeds":1e400'), 'its campaign is neither a range'],
      ['pass-without-hash', { ...first, hash: '', campaign: { from: 1, seeds: 1 } }, 'it passed without the hash of a run to the end'],
      ['pass-with-error', { ...first, code: 'ERR_INVARIANT', campaign: { from: 1, seeds: 1 } }, 'it passed with an error'],
      ['failure-without-code', { ...first, ok: false, campaign: { from: 1, seeds: 1 } }, 'it failed without an error code'],
      ['profile-missing', { ...first, profile: undefined, campaign: { from: 1, seeds: 1 } }, 'its profile is not one sim has'],
      ['bad-shard', { ...first, campaign: { from: 1, seeds: 2, shard: '3/2' } }, 'its shard is not K/N of its range'],
    ];
    for (const [name, record, problem] of cases) {
      const run = await faultline(['merge', await file(`${name}.ndjson`, [record])]);
      expect(run.code, `${name}: ${run.stdout}${run.stderr}`).to.equal(2);
      expect(run.stderr, name).to.include(`merge: ${join(dir(), name)}.ndjson:1 is not a line written by faultline sim --out (${problem}`);
      expect(run.stdout, name).to.equal('');
    }
  });

  it('a file cut short in a line, shards of another faultline version, a directory and an endless line are refused', async () => {
    const older = await file('older.ndjson', [{ ...lines[1]!, version: '0.0.1' }]);
    const versions = await faultline(['merge', await file('first.ndjson', [lines[0]!]), older]);
    expect(versions.code, versions.stderr).to.equal(2);
    expect(versions.stderr).to.include('older.ndjson:1 is from a different campaign: its faultline version differs from the first file\'s');
    const directory = await faultline(['merge', dir()]);
    expect(directory.code).to.equal(2);
    expect(directory.stderr).to.match(/^faultline: merge: cannot read '.*': EISDIR/m);
    expect(directory.stderr).to.not.include('internal error');
    // A source of bytes without a line break: refused at the bound, not buffered for ever.
    if (existsSync('/dev/zero')) {
      let child: { kill(signal: NodeJS.Signals): boolean } | undefined;
      const guard = setTimeout(() => child?.kill('SIGKILL'), 20_000);
      const zero = await faultline(['merge', '/dev/zero'], { onStart: (c) => { child = c; } });
      clearTimeout(guard);
      expect(zero.code, zero.stderr).to.equal(2);
      expect(zero.stderr).to.include('merge: /dev/zero:1 is longer than 1000000 characters');
    } else {
      console.log('      (the /dev/zero case skipped: this system has no /dev/zero)');
    }
    const cut = await faultline(['merge', await file('cut.ndjson', [lines[0]!, JSON.stringify(lines[1]).slice(0, 40)])]);
    expect(cut.code, cut.stderr).to.equal(2);
    expect(cut.stderr).to.include('cut.ndjson:2 is not a line written by faultline sim --out (not JSON; a file cut short?)');
  });

  it('a line break in a record cannot print a verdict line of its own', async () => {
    const forged = { ...lines[0]!, ok: false, code: 'ERR_X', message: 'x', signature: 'ERR_X: x\nPASS: 2/2 seeds passed, 0 failed, 0 missing', replay: 'faultline replay kv --seed 1\nPASS: 2/2 seeds passed' };
    const run = await faultline(['merge', await file('forged.ndjson', [forged, lines[1]!])]);
    expect(run.code, run.stderr).to.equal(1);
    const verdicts = run.stdout.split('\n').filter((line) => /^(PASS|FAIL)\b/.test(line));
    expect(verdicts).to.deep.equal(['FAIL: 1/2 seeds passed, 1 failed, 0 missing']);
    expect(run.stdout).to.include('ERR_X: x\\u000aPASS: 2/2 seeds passed');
  });

  it('the records sim wrote still merge and pass', async () => {
    const run = await faultline(['merge', await file('again.ndjson', lines)]);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/^PASS: 2\/2 seeds passed, 0 failed, 0 missing$/m);
  });
});
