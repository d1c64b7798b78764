/**
 * Text for humans: a failing seed with its error, trace tail and replay command, and the
 * campaign summary line.
 */
import { basename, relative } from 'node:path';
import { formatDurationMs, type SimArgs } from './args.js';
import { SEED_TIMEOUT_MS_DEFAULT, type CampaignResult } from './campaign.js';
import type { SeedError, SeedResult } from './run-seed.js';
import { occurrenceText, type FaultOccurrence, type LatencyPresetName } from './sim-api.js';
import type { FaultPresetName, SimProfile } from './workload.js';

/** Workload log lines shown with a failure (all of them with `--verbose`). */
export const FAILURE_LOG_LINES = 8;

/**
 * How the user runs us, for the commands we print: `npx faultline` when faultline is installed in
 * a project (its bin runs from `node_modules`), `faultline` for a global install, and
 * `node <script>` (or `npx tsx <script>`) when run from a checkout of faultline itself.
 */
export function invocation(argv1: string | undefined = process.argv[1], cwd: string = process.cwd()): string {
  if (argv1 === undefined) return 'faultline';
  // A global install (…/lib/node_modules/faultline) runs as `faultline`; a project's as `npx faultline`.
  if (/[\\/]lib[\\/]node_modules[\\/]faultline[\\/]/.test(argv1)) return 'faultline';
  if (/[\\/]node_modules[\\/](faultline[\\/]|\.bin[\\/]faultline$)/.test(argv1)) return 'npx faultline';
  const name = basename(argv1);
  if (name === 'faultline' || name === 'faultline.js') return 'faultline';
  if (/main\.(js|ts)$/.test(name)) {
    const rel = relative(cwd, argv1);
    return rel.endsWith('.ts') ? `npx tsx ${rel}` : `node ${rel}`;
  }
  return 'faultline';
}

/** The one-line command that replays `seed`. */
export function replayCommand(specifier: string, seed: number, profile: SimProfile, faults: FaultPresetName,
  latency: LatencyPresetName, options: Readonly<Record<string, string>>, trace = true,
  shrunk?: { readonly faultsOff: readonly string[]; readonly vetoes: readonly FaultOccurrence[] }): string {
  const parts = [invocation(), 'replay', quote(specifier), '--seed', String(seed), '--profile', profile, '--faults', faults];
  if (latency !== 'default') parts.push('--latency', latency);
  for (const [key, value] of Object.entries(options)) parts.push('--option', quote(`${key}=${value}`));
  if (shrunk !== undefined && shrunk.faultsOff.length > 0) parts.push('--faults-off', shrunk.faultsOff.join(','));
  if (shrunk !== undefined && shrunk.vetoes.length > 0) parts.push('--veto', quote(shrunk.vetoes.map(occurrenceText).join(',')));
  if (trace) parts.push('--trace');
  return parts.join(' ');
}

/**
 * The `sim` command that runs the rest of an interrupted campaign, from seed `from` to the end of
 * this run's part, as the same campaign (`--from`, `--seeds`, `--shard` as given, and
 * `--resume-at`: its records merge with the interrupted run's), with every setting that changes
 * what a seed runs or how it is checked: a resume without `--check-determinism` or `--intercept`
 * would pass seeds the campaign meant to check otherwise.
 */
export function resumeCommand(args: SimArgs, from: number): string {
  const parts = [invocation(), 'sim', quote(args.workload), '--from', String(args.seedFrom), '--seeds', String(args.seedCount)];
  if (args.shard !== undefined) parts.push('--shard', `${args.shard.k}/${args.shard.n}`);
  parts.push('--resume-at', String(from));
  if (args.profile !== 'posix') parts.push('--profile', args.profile);
  if (args.faults !== 'default') parts.push('--faults', args.faults);
  if (args.latency !== 'default') parts.push('--latency', args.latency);
  for (const [key, value] of Object.entries(args.options)) parts.push('--option', quote(`${key}=${value}`));
  if (args.intercept) parts.push('--intercept');
  if (args.checkDeterminism) parts.push('--check-determinism');
  if (args.seedTimeoutMs !== SEED_TIMEOUT_MS_DEFAULT) parts.push('--seed-timeout', formatDurationMs(args.seedTimeoutMs));
  if (args.failFast) parts.push('--fail-fast');
  if (args.workers !== undefined) parts.push('--workers', String(args.workers));
  return parts.join(' ');
}

/**
 * What to do with an interrupted run's `--out` once its resume has run: the resumed run writes its
 * own file (on the same path it would empty this one), and merge judges both as one campaign.
 */
export function mergeHint(out: string): string {
  return `${invocation()} merge ${quote(out)} REST.ndjson   (REST.ndjson: the resumed run's --out; give it another file, or the resume empties this one)`;
}

/**
 * `text` with control characters (line breaks, escape sequences, the C1 range) and the Unicode
 * line separators and bidirectional overrides written as `\uXXXX`: text read from a file, printed
 * on one line, that must stay on that line and show what it holds.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function quote(word: string): string {
  return /^[A-Za-z0-9_./:=@+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function indent(text: string, prefix = '    '): string {
  return text.split('\n').map((line) => prefix + line).join('\n');
}

/** Failing seeds named on the "failing seeds:" line; the rest are in `--json` and `--out`. */
export const FAILING_SEEDS_LISTED_MAX = 50;

/** Longest `details` shown with `--verbose`, in characters. */
export const DETAILS_SHOWN_CHARS_MAX = 8000;

/**
 * The injected fault behind a seed's error, if any: said every time, because a bare "EIO" reads
 * like a bug in the code under test.
 */
export function formatInjected(error: SeedError | undefined): string[] {
  if (error?.injected === undefined) return [];
  const lines = [`  injected: the simulator injected this error (fault ${error.injected.kind}); a workload run under faults must expect it: handle it as the code under test should, or call ctx.excuse(reason) when the fault leaves nothing to check`];
  if (error.injected.record !== undefined) lines.push(`    ${error.injected.record}`);
  return lines;
}

/** A seed error's details (e.g. an `ERR_DEADLOCK`'s pending list) and stack, for `--verbose`. */
export function formatErrorDetails(error: SeedError | undefined): string[] {
  if (error === undefined) return [];
  const lines: string[] = [];
  if (error.details !== undefined) {
    const json = JSON.stringify(error.details, null, 2);
    lines.push('  details:');
    lines.push(indent(json.length > DETAILS_SHOWN_CHARS_MAX ? `${json.slice(0, DETAILS_SHOWN_CHARS_MAX)}\n... (${json.length} characters; all in --json)` : json));
  }
  if (error.stack !== undefined) {
    lines.push('  stack:');
    lines.push(indent(error.stack));
  }
  return lines;
}

/** A failing seed, as printed by `sim`. */
export function formatFailure(result: SeedResult, replay: string, verbose: boolean, faultsLine?: string): string {
  const lines: string[] = [];
  lines.push(`FAIL seed ${result.seed}: ${result.error?.code ?? '?'}: ${result.error?.message ?? ''}`);
  // The configuration a `--faults swarm` seed drew.
  if (faultsLine !== undefined) lines.push(`  ${faultsLine}`);
  lines.push(...formatInjected(result.error));
  if (result.divergence !== undefined) lines.push(indent(result.divergence.join('\n'), '  '));
  if (result.trace !== undefined && result.trace.length > 0) {
    lines.push('  last trace events:');
    lines.push(indent(result.trace));
  }
  const log = result.log ?? [];
  if (log.length > 0) {
    const shown = verbose ? log : log.slice(-FAILURE_LOG_LINES);
    lines.push(`  workload log${shown.length < log.length ? ` (last ${shown.length} of ${log.length} lines; --verbose for all)` : ''}:`);
    lines.push(indent(shown.join('\n')));
  }
  if (verbose) lines.push(...formatErrorDetails(result.error));
  lines.push(result.hash === '' ? '  hash: none (the seed did not finish)' : `  hash ${result.hash}`);
  lines.push(`  replay: ${replay}`);
  return lines.join('\n');
}

/** The "failing seeds:" line, bounded; undefined when nothing failed. */
export function formatFailingSeeds(result: CampaignResult): string | undefined {
  if (result.failed === 0) return undefined;
  const listed = result.failures.slice(0, FAILING_SEEDS_LISTED_MAX).map((f) => f.seed);
  const more = result.failed - listed.length;
  return `failing seeds: ${listed.join(' ')}${more > 0 ? ` ... and ${more} more (every one is in --json and --out)` : ''}`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The closing line of a campaign: its verdict, from the checked count. */
export function formatSummary(result: CampaignResult, workers: number): string {
  const rate = result.seedsPerSecond.toFixed(1);
  const seconds = (result.wallMs / 1000).toFixed(1);
  const speed = `in ${seconds}s (${rate} seeds/s on ${plural(workers, 'worker')})`;
  const excused = result.excused > 0 ? `; ${result.excused} of the passes stopped early on an injected fault the workload cannot survive (excused)` : '';
  if (result.interrupted !== undefined) {
    return `INTERRUPTED (${result.interrupted}): ${result.seedsRun} of ${plural(result.seedCount, 'seed')} ran, ${result.passed} passed, ${result.failed} failed ${speed}${excused}`;
  }
  if (result.stoppedEarly) {
    const first = result.failures[0]?.seed;
    const others = result.failed > 1 ? ` (${result.failed - 1} more failed among the seeds already handed out to workers)` : '';
    return `FAIL: stopped at the first failure${first === undefined ? '' : `, seed ${first}`}${others}: ${result.seedsRun} of ${plural(result.seedCount, 'seed')} ran, ${result.passed} passed, ${result.failed} failed ${speed}${excused}`;
  }
  if (result.missingCount > 0) {
    const named = result.missing.join(' ') + (result.missingCount > result.missing.length ? ' ...' : '');
    return `FAIL: ${result.missingCount} of ${plural(result.seedCount, 'seed')} never reported a result (missing: ${named}); ${result.passed} passed, ${result.failed} failed ${speed}${excused}`;
  }
  // A verdict needs a seed: PASS for none would be a pass for nothing checked.
  if (result.seedsRun === 0) return `FAIL: no seed ran${result.stoppedBy === 'duration' ? ' before --duration ran out' : ''} ${speed}`;
  const head = result.failed === 0 ? 'PASS' : 'FAIL';
  return `${head}: ${result.passed}/${result.seedsRun} seeds passed, ${result.failed} failed ${speed}${excused}`;
}
