/**
 * Campaigns across machines: shards run as separate processes, as a CI matrix or a Kubernetes
 * Indexed Job would run them, cover the unsharded campaign exactly (seed for seed, hash for hash);
 * `faultline merge` groups their failures and notices a missing shard; continuous runs draw a
 * reproducible seed stream.
 */
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { normaliseMessage, topFrames } from '../../src/cli/signature.js';
import { shardRange, streamPlan } from '../../src/cli/seed-plan.js';
import { CHUNK_SEEDS_MAX, CHUNKS_AHEAD } from '../../src/cli/campaign.js';
import type { SeedRecord } from '../../src/cli/seed-record.js';
import { faultline, tempDirFor } from './run-cli.js';

async function records(path: string): Promise<SeedRecord[]> {
  return (await readFile(path, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as SeedRecord);
}

describe('cli: shards, merge and continuous runs', function () {
  this.timeout(120_000);
  const dir = tempDirFor('faultline-shard-');

  it('splits a range into disjoint contiguous shards that cover it', () => {
    for (const [count, n] of [[10, 3], [7, 7], [100, 1], [1000, 13]] as const) {
      let next = 5;
      for (let k = 1; k <= n; k++) {
        const shard = shardRange(5, count, k, n);
        expect(shard.from).to.equal(next);
        expect(shard.count).to.be.within(Math.floor(count / n), Math.ceil(count / n));
        next += shard.count;
      }
      expect(next).to.equal(5 + count);
    }
  });

  it('the union of shards run as separate processes is the unsharded campaign, seed for seed and hash for hash', async () => {
    const args = ['sim', 'kv:no-dir-sync', '--from', '100', '--seeds', '45', '--workers', '1'];
    const whole = join(dir(), 'whole.ndjson');
    const shards = [1, 2, 3].map((k) => join(dir(), `shard-${k}.ndjson`));
    const runs = await Promise.all([
      faultline([...args, '--out', whole]),
      ...shards.slice(0, 2).map((out, i) => faultline([...args, '--shard', `${i + 1}/3`, '--out', out])),
      // The third shard as a Kubernetes Indexed Job's pod would run it.
      faultline([...args, '--shards', '3', '--out', shards[2]!], { env: { JOB_COMPLETION_INDEX: '2' } }),
    ]);
    for (const run of runs) expect(run.stderr).to.not.include('internal error');
    const bySeed = (list: SeedRecord[]): Array<[number, boolean, string, string]> =>
      list.map((r): [number, boolean, string, string] => [r.seed, r.ok, r.hash, r.signature ?? '']).sort((a, b) => a[0] - b[0]);
    const union = (await Promise.all(shards.map(records))).flat();
    const reference = await records(whole);
    expect(reference).to.have.length(45);
    expect(bySeed(union)).to.deep.equal(bySeed(reference));
    expect(new Set(union.map((r) => r.seed)).size).to.equal(45);
    const third = await records(shards[2]!);
    expect(third.map((r) => r.seed).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 15 }, (_, i) => 130 + i));
    const line = third[0]!;
    expect(line).to.include.keys('seed', 'ok', 'hash', 'durationMs', 'replay', 'workload', 'profile', 'faults', 'options', 'version');
    expect(line.campaign).to.deep.equal({ from: 100, seeds: 45, shard: '3/3' });
    expect(line.replay).to.include(`replay kv:no-dir-sync --seed ${line.seed} `);

    const merged = await faultline(['merge', ...shards, '--json']);
    const doc = JSON.parse(merged.stdout) as { seedsRun: number; failed: number; missingCount: number; groups: Array<{ count: number; smallest: { seed: number; replay: string }; fastest: { seed: number } }> };
    const failing = reference.filter((r) => !r.ok);
    expect(merged.code).to.equal(failing.length > 0 ? 1 : 0);
    expect(doc).to.deep.include({ seedsRun: 45, failed: failing.length, missingCount: 0 });
    expect(doc.groups.reduce((sum, g) => sum + g.count, 0)).to.equal(failing.length);
    for (const group of doc.groups) expect(group.smallest.replay).to.include(`--seed ${group.smallest.seed} `);

    const text = await faultline(['merge', shards[0]!, shards[2]!]);
    expect(text.code).to.equal(1);
    expect(text.stdout).to.include(`missing: 15 seeds of the range have no result: ${Array.from({ length: 15 }, (_, i) => 115 + i).slice(0, 15).join(' ')}`);
    expect(text.stdout).to.match(/^FAIL: \d+\/30 seeds passed, \d+ failed, 15 missing/m);
  });

  it('refuses a bad shard, a missing JOB_COMPLETION_INDEX, and files from different campaigns', async () => {
    const bad = await faultline(['sim', 'kv', '--shard', '4/3']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include("--shard must be K/N with N from 1 to 100000 and K from 1 to N, got '4/3'");
    const noIndex = await faultline(['sim', 'kv', '--shards', '3'], { env: { JOB_COMPLETION_INDEX: '' } });
    expect(noIndex.code).to.equal(2);
    const a = join(dir(), 'a.ndjson');
    const b = join(dir(), 'b.ndjson');
    await faultline(['sim', 'kv', '--seeds', '2', '--workers', '1', '--out', a]);
    await faultline(['sim', 'kv', '--seeds', '2', '--workers', '1', '--faults', 'heavy', '--out', b]);
    const mixed = await faultline(['merge', a, b]);
    expect(mixed.code).to.equal(2);
    expect(mixed.stderr).to.include('is from a different campaign');
    const pass = await faultline(['merge', a]);
    expect(pass.code).to.equal(0);
    expect(pass.stdout).to.match(/^PASS: 2\/2 seeds passed, 0 failed, 0 missing/m);
  });

  it('continuous mode draws a reproducible seed stream until failures (or time) run out', async () => {
    const first = await faultline(['sim', 'kv:ack-before-sync', '--until-failures', '3', '--from', '7', '--workers', '1', '--json']);
    expect(first.code).to.equal(1);
    const doc = JSON.parse(first.stdout) as { stream: number; stoppedBy: string; failed: number; seedsRun: number; seedCount: number; missingCount: number; failures: Array<{ seed: number }> };
    expect(doc).to.deep.include({ stream: 7, stoppedBy: 'failures', missingCount: 0 });
    expect(doc.failed).to.be.at.least(3);
    expect(doc.seedCount).to.equal(doc.seedsRun);
    const plan = streamPlan(7, 1000);
    const drawn = Array.from({ length: doc.seedsRun }, (_, i) => plan.seedAt(i));
    for (const failure of doc.failures) expect(drawn).to.include(failure.seed);
    // Seeds the worker starts before the stop reaches it still run and count (on a loaded machine
    // that was two more failing seeds of this variant once): at most the two chunks it holds.
    const third = doc.failures.map((f) => drawn.indexOf(f.seed)).sort((a, b) => a - b)[2]!;
    expect(doc.seedsRun - 1 - third).to.be.at.most(CHUNKS_AHEAD * CHUNK_SEEDS_MAX);
    expect(new Set(drawn).size).to.equal(drawn.length);
    for (const seed of drawn) expect(Number.isSafeInteger(seed) && seed >= 0).to.equal(true);
    const timed = await faultline(['sim', 'kv', '--duration', '1500ms', '--workers', '1']);
    expect(timed.code, timed.stdout).to.equal(0);
    expect(timed.stdout).to.match(/^continuous run: seeds drawn from stream 1 \(--from\), stopped when --duration ran out$/m);
    expect(timed.stdout).to.match(/^PASS: (\d+)\/\1 seeds passed, 0 failed /m);
  });

  it('signatures mask what varies between seeds and keep the workload\'s frames', () => {
    expect(normaliseMessage('key c2-k17 lost at offset 4096 (hash 1500000001000000, 0xdeadbeef)')).to.equal('key cN-kN lost at offset N (hash #, #)');
    const stack = [
      'Error: x',
      '    at verify (file:///home/u/proj/workload.mjs:12:7)',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
      '    at async run (/home/u/proj/workload.mjs:30:3)',
    ].join('\n');
    expect(topFrames(stack)).to.deep.equal(['verify (workload.mjs:12)', 'async run (workload.mjs:30)']);
  });
});

describe('cli: the CI and Kubernetes examples in docs/', () => {
  const docs = new URL('../../../docs/campaigns/', import.meta.url);
  const read = async (name: string): Promise<string> => {
    // Compiled tests sit one directory deeper (dist/test/cli) than the sources (test/cli).
    for (const base of [docs, new URL('../../docs/campaigns/', import.meta.url)]) {
      try {
        return await readFile(new URL(name, base), 'utf8');
      } catch {
        // try the other depth
      }
    }
    throw new Error(`docs/campaigns/${name} not found`);
  };
  const commands = (text: string): string[][] => [...text.split('\n').filter((line) => !/^\s*#/.test(line)).join('\n').replace(/\n\s+--/g, ' --').matchAll(/npx faultline ((?:sim|merge) [^|\n]*)/g)]
    .map((m) => m[1]!.replace(/\$\{\{ matrix\.shard \}\}/g, '3').replace(/\$JOB_COMPLETION_INDEX/g, '0').trim().split(/\s+/));

  it('run real campaigns: every faultline command in them parses, with shards and merge', async () => {
    const { parseCli } = await import('../../src/cli/args.js');
    for (const name of ['github-actions.yml', 'kubernetes-indexed-job.yaml']) {
      const found = commands(await read(name));
      expect(found.length, name).to.be.greaterThan(0);
      for (const argv of found) {
        const args = parseCli(argv, { JOB_COMPLETION_INDEX: '0' });
        if (args.command === 'sim') {
          expect(args.shard, argv.join(' ')).to.not.equal(undefined);
          expect(args.out, argv.join(' ')).to.be.a('string');
        }
      }
      expect(found.some((argv) => argv[0] === 'sim'), name).to.equal(true);
    }
    expect(commands(await read('github-actions.yml')).some((argv) => argv[0] === 'merge')).to.equal(true);
  });
});
