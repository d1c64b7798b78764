/**
 * Every seed accounted for: a campaign's verdict holds whatever the workload does to its process.
 * Each case is a tiny workload in a temporary directory, run through the real command: exits,
 * crashes, out-of-memory and kills fail their seed with a replay line and the campaign goes on;
 * exceptions from callbacks fail their seed; a seed that spins fails on the real-time limit; a
 * signal to the command ends every worker and prints a partial summary that says where to resume.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { commandArgs, faultline, replayArgs, tempDirFor, writeWorkload } from './run-cli.js';

interface SimDoc {
  seedCount: number;
  seedsRun: number;
  passed: number;
  failed: number;
  missingCount: number;
  stoppedEarly: boolean;
  interrupted?: string;
  resumeFrom?: number;
  failures: Array<{ seed: number; code: string; message: string; hash: string; replay: string }>;
}

interface OutLine {
  seed: number;
  ok: boolean;
  hash: string;
}

async function outLines(path: string): Promise<OutLine[]> {
  return (await readFile(path, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as OutLine);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // An orphan that died waits as a zombie until whoever adopted it reaps it: it is not running.
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return true;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('cli: every seed is accounted for', function () {
  this.timeout(60_000);
  const dir = tempDirFor('faultline-verdict-');
  const workload = (name: string, source: string): Promise<string> => writeWorkload(dir(), name, source);


  it('a workload that calls process.exit(0) fails every seed, never passes them', async () => {
    const path = await workload('exit0.mjs', 'export default { async run() { process.exit(0); } };\n');
    const run = await faultline(['sim', path, '--seeds', '3', '--workers', '2']);
    expect(run.code, run.stderr).to.equal(1);
    for (const seed of [1, 2, 3]) expect(run.stdout).to.include(`FAIL seed ${seed}: ERR_WORKER_EXIT: the worker process running this seed exited with code 0`);
    expect(run.stdout).to.match(/^FAIL: 0\/3 seeds passed, 3 failed /m);
    expect(run.stdout).to.not.include('PASS');
  });

  it('process.exit(1) on seed 3 of 6 fails seed 3 with a replay line, and the other five run on fresh workers', async () => {
    const path = await workload('exit3.mjs', `
export default { async run(ctx) { await ctx.sim.clock.sleep(1); if (ctx.seed === 3) process.exit(1); } };
`);
    const run = await faultline(['sim', path, '--seeds', '6', '--workers', '2', '--json']);
    expect(run.code, run.stderr).to.equal(1);
    const doc = JSON.parse(run.stdout) as SimDoc;
    expect(doc).to.deep.include({ seedCount: 6, seedsRun: 6, passed: 5, failed: 1, missingCount: 0 });
    const failure = doc.failures[0]!;
    expect(failure.seed).to.equal(3);
    expect(failure.code).to.equal('ERR_WORKER_EXIT');
    expect(failure.message).to.include('exited with code 1');
    expect(failure.replay).to.include(`replay ${path} --seed 3`);
    // The replay line runs the seed in the command's own process: process.exit fails it there too.
    const replay = await faultline([...replayArgs(failure.replay), '--json']);
    expect(replay.code).to.equal(1);
    expect((JSON.parse(replay.stdout) as { code: string }).code).to.equal('ERR_WORKER_EXIT');
  });

  it('a worker killed by a signal, aborted or out of memory fails its seed with the signal', async () => {
    const path = await workload('crash.mjs', `
export default {
  async run(ctx) {
    await ctx.sim.clock.sleep(1);
    if (ctx.seed === 2) process.kill(process.pid, 'SIGKILL');
    if (ctx.seed === 4) process.abort();
    if (ctx.seed === 6) { const hog = []; for (;;) hog.push(new Array(100000).fill(ctx.seed)); }
  },
};
`);
    // A small heap makes seed 6 run out of memory in well under a second.
    const run = await faultline(['sim', path, '--seeds', '7', '--workers', '2', '--json'], { env: { NODE_OPTIONS: '--max-old-space-size=64' } });
    expect(run.code, run.stderr).to.equal(1);
    const doc = JSON.parse(run.stdout) as SimDoc;
    expect(doc).to.deep.include({ seedsRun: 7, passed: 4, failed: 3 });
    expect(doc.failures.map((f) => [f.seed, f.code])).to.deep.equal([[2, 'ERR_WORKER_EXIT'], [4, 'ERR_WORKER_EXIT'], [6, 'ERR_WORKER_EXIT']]);
    expect(doc.failures[0]!.message).to.include('killed by signal SIGKILL');
    expect(doc.failures[1]!.message).to.include('killed by signal SIGABRT');
    // V8 aborts the process when the heap limit is reached.
    expect(doc.failures[2]!.message).to.match(/killed by signal SIGABRT|exited with code 134/);
  });

  it('an exception thrown from setImmediate fails its seed (in text mode too), not the campaign', async () => {
    const path = await workload('immediate.mjs', `
export default {
  async run(ctx) {
    await ctx.sim.clock.sleep(1);
    if (ctx.seed === 2) setImmediate(() => { throw new Error('boom from a callback'); });
    await ctx.sim.clock.sleep(1);
  },
};
`);
    const json = await faultline(['sim', path, '--seeds', '4', '--workers', '2', '--json']);
    expect(json.code, json.stderr).to.equal(1);
    expect(json.stderr).to.not.include('internal error');
    const doc = JSON.parse(json.stdout) as SimDoc;
    expect(doc).to.deep.include({ seedsRun: 4, failed: 1 });
    expect(doc.failures[0]).to.deep.include({ seed: 2, code: 'ERR_UNCAUGHT_EXCEPTION' });
    expect(doc.failures[0]!.message).to.include('boom from a callback');
    const inline = await faultline(['replay', path, '--seed', '2']);
    expect(inline.code).to.equal(1);
    expect(inline.stdout).to.include('FAIL seed 2: ERR_UNCAUGHT_EXCEPTION');
  });

  it('a module that exits while a worker imports it is one line and exit 2, not an endless respawn', async () => {
    const path = await workload('exit-on-load.mjs', 'if (process.send !== undefined) process.exit(3);\nexport default { async run() {} };\n');
    const run = await faultline(['sim', path, '--seeds', '3', '--workers', '2']);
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/^faultline: a worker process exited with code 3 while loading the workload '.*exit-on-load\.mjs'/m);
  });

  it('a worker that dies inside a batch of unsent results fails exactly its seed; the seeds it finished run again, none lost or counted twice', async () => {
    const path = await workload('batch-exit.mjs', `
import { appendFileSync } from 'node:fs';
export default {
  async run(ctx) {
    appendFileSync(process.env.RUNS_FILE, ctx.seed + '\\n');
    await ctx.sim.clock.sleep(1 + ctx.randomInt(50));
    if (String(ctx.seed) === ctx.options.exitAt) process.exit(7);
  },
};
`);
    const cleanOut = join(dir(), 'batch-clean.ndjson');
    const crashOut = join(dir(), 'batch-crash.ndjson');
    const runs = join(dir(), 'batch-runs');
    await writeFile(runs, '');
    const clean = await faultline(['sim', path, '--seeds', '40', '--workers', '1', '--out', cleanOut], { env: { RUNS_FILE: join(dir(), 'batch-runs-clean') } });
    expect(clean.code, clean.stderr).to.equal(0);
    // One worker, 40 seeds: chunks 1..10 and 11..17 go out first; a result is sent at a chunk's
    // end (or after 100 ms), so 11..16 are finished but unsent when seed 17 exits.
    const run = await faultline(['sim', path, '--seeds', '40', '--workers', '1', '--option', 'exitAt=17', '--out', crashOut, '--json'], { env: { RUNS_FILE: runs } });
    expect(run.code, run.stderr).to.equal(1);
    const doc = JSON.parse(run.stdout) as SimDoc;
    expect(doc).to.deep.include({ seedCount: 40, seedsRun: 40, passed: 39, failed: 1, missingCount: 0 });
    expect(doc.failures.map((f) => [f.seed, f.code])).to.deep.equal([[17, 'ERR_WORKER_EXIT']]);
    expect(doc.failures[0]!.message).to.include('exited with code 7');
    // Every seed has exactly one line, and each passing seed the hash of the run without the exit.
    const hashes = new Map((await outLines(cleanOut)).map((line) => [line.seed, line.hash]));
    const lines = await outLines(crashOut);
    expect(lines.map((line) => line.seed).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i + 1));
    for (const line of lines) {
      if (line.seed === 17) expect(line.ok).to.equal(false);
      else expect([line.seed, line.ok, line.hash]).to.deep.equal([line.seed, true, hashes.get(line.seed)]);
    }
    // The seeds it finished without sending ran again (never seed 17 itself, never a seed it had sent).
    const counts = new Map<number, number>();
    for (const seed of (await readFile(runs, 'utf8')).split('\n').filter(Boolean).map(Number)) counts.set(seed, (counts.get(seed) ?? 0) + 1);
    const twice = [...counts].filter(([, n]) => n === 2).map(([seed]) => seed);
    expect([...counts].filter(([, n]) => n > 2)).to.deep.equal([]);
    expect(counts.get(17)).to.equal(1);
    expect(twice.length).to.be.greaterThan(0);
    for (const seed of twice) expect(seed).to.be.within(11, 16);
  });

  it('a worker whose command is killed with SIGKILL while a seed spins is gone within two seconds', async () => {
    const pidFile = join(dir(), 'pid-spin-forever');
    const path = await workload('spin-forever.mjs', `
import { writeFileSync } from 'node:fs';
export default { async run() { writeFileSync(process.env.PID_FILE, String(process.pid)); for (;;) {} } };
`);
    let cli = 0;
    const running = faultline(['sim', path, '--seeds', '1', '--workers', '1', '--seed-timeout', '1h'], {
      env: { PID_FILE: pidFile }, onStart: (child) => { cli = child.pid ?? 0; },
    });
    let worker = 0;
    for (let i = 0; i < 400 && worker === 0; i++) {
      await sleep(50);
      worker = Number(await readFile(pidFile, 'utf8').catch(() => '0'));
    }
    expect(worker).to.be.greaterThan(0);
    await sleep(300);
    expect(isAlive(worker), 'the worker spins').to.equal(true);
    process.kill(cli, 'SIGKILL');
    const killedAt = performance.now();
    while (isAlive(worker) && performance.now() - killedAt < 10_000) await sleep(50);
    const goneAfterMs = performance.now() - killedAt;
    const outlived = isAlive(worker);
    // The orphan holds the command's output pipes: end it before waiting for them to close.
    if (outlived) process.kill(worker, 'SIGKILL');
    await running;
    expect(outlived, 'the worker outlived its command').to.equal(false);
    expect(goneAfterMs).to.be.lessThan(2000);
  });

  it('replay --seed-timeout fails a spinning seed with ERR_SEED_TIMEOUT instead of hanging', async () => {
    const path = await workload('spin-replay.mjs', `
export default { async run(ctx) { await ctx.sim.clock.sleep(1); if (ctx.seed === 2) for (;;) {} } };
`);
    const started = performance.now();
    const run = await faultline(['replay', path, '--seed', '2', '--seed-timeout', '700ms', '--json']);
    expect(run.code, run.stderr).to.equal(1);
    expect(JSON.parse(run.stdout)).to.deep.include({ seed: 2, ok: false, code: 'ERR_SEED_TIMEOUT' });
    expect(performance.now() - started).to.be.lessThan(20_000);
    const text = await faultline(['replay', path, '--seed', '2', '--seed-timeout', '0.5']);
    expect(text.code).to.equal(1);
    expect(text.stdout).to.match(/^FAIL seed 2: ERR_SEED_TIMEOUT: the seed ran longer than 0\.5s of real time/m);
    const passing = await faultline(['replay', path, '--seed', '1', '--seed-timeout', '700ms']);
    expect(passing.code, passing.stderr).to.equal(0);
    expect(passing.stdout).to.include('PASS seed 1');
    const help = await faultline(['replay', '--help']);
    expect(help.stdout).to.match(/--seed-timeout T .*\n.*\(default 60s\)/);
    const bad = await faultline(['replay', path, '--seed', '1', '--seed-timeout', 'soon']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('--seed-timeout must be a duration');
  });

  it('a seed that spins in real time fails with ERR_SEED_TIMEOUT and its worker is replaced', async () => {
    const path = await workload('spin.mjs', `
export default { async run(ctx) { if (ctx.seed === 2) for (;;) {} await ctx.sim.clock.sleep(1); } };
`);
    const started = performance.now();
    const run = await faultline(['sim', path, '--seeds', '5', '--workers', '1', '--seed-timeout', '700ms', '--json']);
    expect(run.code, run.stderr).to.equal(1);
    const doc = JSON.parse(run.stdout) as SimDoc;
    // One worker: the seeds after 2 can only have run on the worker that replaced it.
    expect(doc).to.deep.include({ seedsRun: 5, passed: 4, failed: 1 });
    expect(doc.failures[0]).to.deep.include({ seed: 2, code: 'ERR_SEED_TIMEOUT' });
    expect(performance.now() - started).to.be.lessThan(20_000);
    const help = await faultline(['sim', '--help']);
    expect(help.stdout).to.match(/--seed-timeout T .*\n.*\(default 60s\)/);
    const bad = await faultline(['sim', path, '--seed-timeout', 'soon']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('--seed-timeout must be a duration');
  });

  for (const [signal, code, group] of [['SIGINT', 130, true], ['SIGTERM', 143, false]] as const) {
    it(`${signal}${group ? ' to the process group (Ctrl-C)' : ''} ends every worker and prints a partial summary with the --from to resume at, exit ${code}`, async () => {
      const pids = join(dir(), `pids-${signal}`);
      await writeFile(pids, '');
      const path = await workload('slow.mjs', `
import { appendFileSync } from 'node:fs';
export default {
  async run(ctx) {
    appendFileSync(process.env.PIDS_FILE, process.pid + '\\n');
    const until = Date.now() + 20;
    while (Date.now() < until) {}
    await ctx.sim.clock.sleep(1);
  },
};
`);
      let pid = 0;
      const running = faultline(['sim', path, '--seeds', '1000000', '--workers', '2'], {
        env: { PIDS_FILE: pids }, detached: group, onStart: (child) => { pid = child.pid ?? 0; },
      });
      // Signal once both workers have run a few batches.
      for (let i = 0; i < 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const lines = (await readFile(pids, 'utf8')).split('\n').filter(Boolean);
        if (new Set(lines).size >= 2 && lines.length >= 40) break;
      }
      process.kill(group ? -pid : pid, signal);
      const run = await running;
      expect(run.code, run.stderr).to.equal(code);
      const summary = new RegExp(`^INTERRUPTED \\(${signal}\\): (\\d+) of 1000000 seeds ran, (\\d+) passed, 0 failed`, 'm').exec(run.stdout);
      expect(summary, run.stdout).to.not.equal(null);
      const resume = /^resume with: .* sim .*slow\.mjs --from 1 --seeds 1000000 --resume-at (\d+)/m.exec(run.stdout);
      expect(resume, run.stdout).to.not.equal(null);
      const from = Number(resume![1]);
      expect(from).to.be.greaterThan(1);
      expect(from).to.be.at.most(Number(summary![1]) + 1);
      // No worker outlives the command.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const workerPids = [...new Set((await readFile(pids, 'utf8')).split('\n').filter(Boolean).map(Number))];
      expect(workerPids.length).to.be.at.least(2);
      expect(workerPids.filter(isAlive)).to.deep.equal([]);
    });
  }

  it('an interrupted campaign resumes as the same campaign: the resumed run\'s --out merges with the first one\'s into the whole verdict', async () => {
    const path = await workload('paced.mjs', `
export default { async run(ctx) { const until = Date.now() + 15; while (Date.now() < until) {} await ctx.sim.clock.sleep(1); } };
`);
    const first = join(dir(), 'first.ndjson');
    const rest = join(dir(), 'rest.ndjson');
    let pid = 0;
    const running = faultline(['sim', path, '--seeds', '300', '--from', '5', '--shard', '2/3', '--workers', '2', '--out', first], {
      onStart: (child) => { pid = child.pid ?? 0; },
    });
    for (let i = 0; i < 200; i++) {
      await sleep(50);
      if ((await readFile(first, 'utf8').catch(() => '')).split('\n').filter(Boolean).length >= 20) break;
    }
    process.kill(pid, 'SIGINT');
    const interrupted = await running;
    expect(interrupted.code, interrupted.stderr).to.equal(130);
    // The same campaign and shard, from the lowest seed without a result (shard 2/3 of 5..304 is 105..204).
    const resume = /^resume with: (.*)$/m.exec(interrupted.stdout);
    expect(resume, interrupted.stdout).to.not.equal(null);
    const again = commandArgs(resume![1]!, 'sim');
    const at = again.indexOf('--resume-at');
    expect(again.slice(2, at)).to.deep.equal(['--from', '5', '--seeds', '300', '--shard', '2/3']);
    const resumeAt = Number(again[at + 1]);
    expect(resumeAt).to.be.within(106, 204);
    expect(interrupted.stdout).to.include(`then: `);
    expect(commandArgs(/^then: (.*)$/m.exec(interrupted.stdout)![1]!, 'merge').slice(0, 2)).to.deep.equal(['merge', first]);
    const resumed = await faultline([...again, '--out', rest]);
    expect(resumed.code, resumed.stderr).to.equal(0);
    expect(resumed.stdout).to.include(`resumed at ${resumeAt}: this run's verdict covers seeds ${resumeAt}..204`);
    expect(resumed.stdout).to.match(new RegExp(`^PASS: ${205 - resumeAt}/${205 - resumeAt} seeds passed, 0 failed`, 'm'));
    // Merge judges the whole campaign (the other two shards never ran here): the first file alone
    // misses seeds of this shard too; with the resumed run's, every seed of the shard has its one
    // result and only the other shards' 200 are missing.
    const alone = await faultline(['merge', first]);
    expect(alone.code, alone.stdout).to.equal(1);
    const aloneCounts = /^FAIL: (\d+)\/(\d+) seeds passed, 0 failed, (\d+) missing/m.exec(alone.stdout);
    expect(aloneCounts, alone.stdout).to.not.equal(null);
    expect(Number(aloneCounts![2])).to.be.below(100);
    expect(Number(aloneCounts![2]) + Number(aloneCounts![3])).to.equal(300);
    const whole = await faultline(['merge', first, rest]);
    expect(whole.code, whole.stdout + whole.stderr).to.equal(1);
    expect(whole.stdout).to.match(/^FAIL: 100\/100 seeds passed, 0 failed, 200 missing$/m);
    expect(whole.stdout).to.not.include('conflicts');
    // Outside this run's part, or on a continuous run, --resume-at is refused.
    const outside = await faultline(['sim', path, '--seeds', '300', '--from', '5', '--shard', '2/3', '--resume-at', '205']);
    expect([outside.code, outside.stderr]).to.deep.equal([2, "faultline: sim: --resume-at 205 is outside this run's seeds 105..204 (shard 2/3)\n"]);
    const continuous = await faultline(['sim', path, '--duration', '1s', '--resume-at', '3']);
    expect(continuous.code).to.equal(2);
    expect(continuous.stderr).to.include('--resume-at resumes a range of seeds');
  });

  it('an interrupted --json campaign still writes its document, with the seed to resume at', async () => {
    const path = join(dir(), 'slow.mjs');
    let pid = 0;
    const running = faultline(['sim', path, '--seeds', '1000000', '--workers', '1', '--json'], {
      env: { PIDS_FILE: join(dir(), 'pids-json') }, onStart: (child) => { pid = child.pid ?? 0; },
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    process.kill(pid, 'SIGTERM');
    const run = await running;
    expect(run.code).to.equal(143);
    const doc = JSON.parse(run.stdout) as SimDoc;
    expect(doc.interrupted).to.equal('SIGTERM');
    expect(doc.resumeFrom).to.be.a('number');
    expect(doc.seedsRun + doc.missingCount).to.equal(1_000_000);
  });
});
