/**
 * `faultline demo` (what `npm start` runs): a one-minute tour in three steps, each explained in
 * plain words. 1: a campaign on the example KV store under power cuts and disk faults. 2: the same
 * store with a deliberate bug, caught, with its one-line replay command and the replay's identical
 * hash. 3: the same store on the real disk, with its throughput.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openIo } from '../backends/open-io.js';
import type { Io } from '../interfaces/io.js';
import type { DemoArgs } from './args.js';
import { runCampaign } from './campaign.js';
import { loadWorkload, siblingModuleUrl } from './load-workload.js';
import { createProgress } from './progress.js';
import { formatFailure, formatSummary, replayCommand } from './report.js';
import { runSeed } from './run-seed.js';

/** The bug the demo shows being caught: the classic one, caught within a few seeds. */
const DEMO_BUG = 'ack-before-sync';

function say(text: string): void {
  process.stdout.write(text + '\n');
}

function heading(step: string, text: string): void {
  say('');
  say(process.stdout.isTTY === true ? `\x1b[1m${step}\x1b[0m ${text}` : `${step} ${text}`);
}

/** Opens the production Io on `root`: io_uring where it works, else node:fs (openIo says why once). */
async function openRealIo(root: string): Promise<{ io: Io; label: string }> {
  const io = await openIo({ backend: 'auto', root });
  return { io, label: io.features.backend === 'iouring' ? 'io_uring backend' : `${io.features.backend} backend (io_uring unavailable here)` };
}

/** Runs the demo; resolves with the exit code (1 when a step did not show what it should). */
export async function demoCommand(args: DemoArgs): Promise<number> {
  const workers = availableParallelism();
  const seeds = args.quick ? 60 : 400;
  const bugSeedBudget = 300;
  let exitCode = 0;

  say('faultline demo: the example key-value store (examples/kv) under a simulated disk.');
  say('The store keeps a write-ahead log in segment blobs with checksummed records, commits');
  say('concurrent writes with one fsync, rolls segments over and compacts them. Each "seed" below');
  say('is one full run on a simulated disk: several clients write, power is cut at a random');
  say('moment, the store recovers, and a checker compares every key with what was acknowledged.');

  heading('Step 1/3:', `${seeds} seeds of the correct store, posix crash profile, default disk faults (EIO, fsyncgate, torn and misdirected writes, bit rot), ${workers} worker process${workers === 1 ? "" : "es"}.`);
  const kv = await loadWorkload('kv');
  const progress1 = createProgress('kv', seeds);
  const first = await runCampaign({
    workload: kv, seedFrom: 1, seedCount: seeds, workers, profile: 'posix', faults: 'default', latency: 'default', options: {},
    onResult: (_result, p) => progress1.update(p.done, p.failed),
  });
  progress1.stop();
  // The lowest failing seeds (none expected), in seed order like every report.
  for (const failure of first.failures.slice(0, 3)) say(formatFailure(failure, replayCommand('kv', failure.seed, 'posix', 'default', 'default', {}), false));
  say(formatSummary(first, workers));
  if (first.failed === 0) {
    say('Every acknowledged write survived every power cut, and nothing unwritten ever appeared.');
  } else {
    say('The correct store failed a seed: that is a bug in faultline or the example; please report it with the replay command above.');
    exitCode = 1;
  }

  const bug = await loadWorkload(`kv:${DEMO_BUG}`);
  const description = bug.workload.variants?.[DEMO_BUG] ?? DEMO_BUG;
  heading('Step 2/3:', `the same store with one deliberate bug: it ${description}.`);
  say(`The simulator should catch it. Running up to ${bugSeedBudget} seeds; at the first failure no more seeds are handed out (seeds the workers already hold still run)...`);
  const progress2 = createProgress(`kv:${DEMO_BUG}`, bugSeedBudget);
  const second = await runCampaign({
    workload: bug, seedFrom: 1, seedCount: bugSeedBudget, workers, profile: 'posix', faults: 'default', latency: 'default', options: {}, failFast: true,
    onResult: (_result, p) => progress2.update(p.done, p.failed),
  });
  progress2.stop();
  const caught = second.failures[0];
  if (caught === undefined) {
    say(`Not caught in ${bugSeedBudget} seeds: the simulator missed this bug. Please report it.`);
    exitCode = 1;
  } else {
    const replay = replayCommand(`kv:${DEMO_BUG}`, caught.seed, 'posix', 'default', 'default', {});
    const others = second.failed - 1;
    say(`Caught: seed ${caught.seed} fails. ${second.seedsRun} seeds ran in all on ${workers} worker${workers === 1 ? '' : 's'}${others > 0 ? `, and ${others} other seed${others === 1 ? '' : 's'} the workers already held failed too` : ''}. The report of seed ${caught.seed}, the lowest failing seed:`);
    say('');
    say(formatFailure(caught, replay, false));
    say('');
    say('Every failure is reproducible from its seed alone. Replaying it now:');
    const again = await runSeed(bug.workload, { seed: caught.seed, profile: 'posix', faults: 'default', latency: 'default', options: { variant: DEMO_BUG } });
    const same = again.hash === caught.hash && !again.ok;
    say(`  replay of seed ${caught.seed}: ${again.ok ? 'passed' : `failed again (${again.error?.code ?? '?'})`}, hash ${again.hash.slice(0, 16)}… ${same ? '(identical to the campaign run)' : '(DIFFERENT: determinism is broken, please report)'}`);
    if (!same) exitCode = 1;
    say('  Add --trace to that command to see every operation, injected fault and crash.');
  }

  heading('Step 3/3:', 'the same store code on the real disk, in a temporary directory.');
  const root = await mkdtemp(join(tmpdir(), 'faultline-demo-'));
  try {
    const { io, label } = await openRealIo(root);
    const writers = 64;
    const durationMs = args.quick ? 1000 : 3000;
    say(`Using the ${label}. ${writers} concurrent writers put 100-byte values for ${durationMs / 1000}s; each put is acknowledged only after an fsync covers it.`);
    try {
      const { measureThroughput } = (await import(siblingModuleUrl('../../examples/kv/throughput'))) as typeof import('../../examples/kv/throughput.js');
      const result = await measureThroughput(io, { writers, durationMs, valueBytes: 100 });
      say(`  ${Math.round(result.putsPerSecond).toLocaleString('en-US')} durable puts/s with ${Math.round(result.syncsPerSecond).toLocaleString('en-US')} fsyncs/s: group commit shares each fsync among ${result.putsPerSync.toFixed(1)} puts on average.`);
      say(`  Reopened the store: all ${result.keysVerified.toLocaleString('en-US')} keys hold their last acknowledged value.`);
    } finally {
      await io.shutdown();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }

  say('');
  say('Next: faultline sim kv --seeds 10000   (a bigger campaign)');
  say('      faultline list                   (every broken variant the simulator must catch)');
  say('      faultline sim ./my-workload.mjs  (your own code: export default { run(ctx) {...} })');
  return exitCode;
}
