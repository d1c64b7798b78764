/**
 * `faultline merge FILES...`: one report from the `--out` files of a campaign's shards (a CI
 * matrix, a Kubernetes Indexed Job). Totals, the seeds of the campaign's range that no file has,
 * and failures grouped by signature, each group with its smallest seed and its fastest-failing
 * seed (the cheapest to debug) and their replay commands.
 *
 * Files are read line by line (any size); seeds are checked off in a {@link SeedLedger} over the
 * campaign's range, so a missing shard, a shard that died half-way or a seed reported twice with
 * different hashes (a determinism bug) cannot go unnoticed.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { MergeArgs } from './args.js';
import type { CommandStreams } from './cmd-sim.js';
import { MISSING_NAMED_MAX, SeedLedger } from './seed-ledger.js';
import type { SeedRecord } from './seed-record.js';
import { UsageError } from './usage-error.js';

/** Failure groups kept (the rest are counted together). */
export const GROUPS_MAX = 1000;
/** Groups printed in text mode (all are in `--json`). */
export const GROUPS_PRINTED_MAX = 20;
/** Conflicting seeds named. */
export const CONFLICTS_NAMED_MAX = 20;
/** Longest line read, in characters (a longer one is not a record of ours). */
const LINE_CHARS_MAX = 1_000_000;

/** A seed of a failure group. */
export interface GroupSeed {
  readonly seed: number;
  readonly durationMs: number;
  readonly replay: string;
}

/** Failing seeds that share a signature. */
export interface FailureGroup {
  readonly signature: string;
  readonly code: string;
  /** The message of its smallest seed, as printed. */
  readonly message: string;
  count: number;
  smallest: GroupSeed;
  fastest: GroupSeed;
}

/** The `--json` document of `merge`. */
export interface MergeJson {
  readonly files: number;
  readonly workload: string;
  readonly profile: string;
  readonly faults: string;
  readonly latency: string;
  readonly version: string;
  /** The campaign's range (absent for continuous runs, which have no expected set). */
  readonly from?: number;
  readonly seeds?: number;
  readonly seedsRun: number;
  readonly passed: number;
  readonly failed: number;
  readonly excused: number;
  readonly missingCount: number;
  readonly missing: readonly number[];
  /** Seeds reported more than once with different outcomes or hashes. */
  readonly conflicts: readonly number[];
  readonly groups: readonly FailureGroup[];
  /** Failures beyond {@link GROUPS_MAX} groups, counted only. */
  readonly ungroupedFailures: number;
}

function isRecord(value: unknown): value is SeedRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<SeedRecord>;
  return typeof r.seed === 'number' && Number.isSafeInteger(r.seed) && typeof r.ok === 'boolean' && typeof r.hash === 'string'
    && typeof r.workload === 'string' && typeof r.campaign === 'object' && r.campaign !== null;
}

/** What every record of one campaign shares; the first record sets it. */
function campaignKey(r: SeedRecord): string {
  return JSON.stringify([r.workload, r.profile, r.faults, r.latency, r.options, r.campaign.from, r.campaign.seeds, r.campaign.stream]);
}

class Merger {
  files = 0;
  first: SeedRecord | undefined;
  key: string | undefined;
  ledger: SeedLedger | undefined;
  /** Outcome per seed, to spot a seed reported twice differently (streams and small ranges alike). */
  readonly seen = new Map<number, string>();
  seedsRun = 0;
  failed = 0;
  excused = 0;
  ungrouped = 0;
  readonly conflicts: number[] = [];
  readonly groups = new Map<string, FailureGroup>();

  add(record: SeedRecord, where: string): void {
    if (this.first === undefined) {
      this.first = record;
      this.key = campaignKey(record);
      const { from, seeds } = record.campaign;
      if (from !== undefined && seeds !== undefined) this.ledger = new SeedLedger(seeds);
    } else if (campaignKey(record) !== this.key) {
      throw new UsageError(`merge: ${where} is from a different campaign (workload, settings or range differ from the first file's)`);
    }
    const outcome = `${record.ok ? 'ok' : record.code ?? 'fail'}:${record.hash}`;
    const before = this.seen.get(record.seed);
    if (before !== undefined) {
      if (before !== outcome && this.conflicts.length < CONFLICTS_NAMED_MAX && !this.conflicts.includes(record.seed)) this.conflicts.push(record.seed);
      return;
    }
    this.seen.set(record.seed, outcome);
    const from = this.first.campaign.from;
    if (this.ledger !== undefined && from !== undefined && !this.ledger.mark(record.seed - from)) {
      throw new UsageError(`merge: ${where} has seed ${record.seed}, outside the campaign's range ${from}..${from + this.ledger.seedCount - 1}`);
    }
    this.seedsRun += 1;
    if (record.ok && record.excused !== undefined) this.excused += 1;
    if (!record.ok) {
      this.failed += 1;
      this.group(record);
    }
  }

  private group(record: SeedRecord): void {
    const signature = record.signature ?? `${record.code ?? '?'}: ${record.message ?? ''}`;
    const seed: GroupSeed = { seed: record.seed, durationMs: record.durationMs, replay: record.replay };
    const group = this.groups.get(signature);
    if (group === undefined) {
      if (this.groups.size >= GROUPS_MAX) {
        this.ungrouped += 1;
        return;
      }
      this.groups.set(signature, { signature, code: record.code ?? '?', message: record.message ?? '', count: 1, smallest: seed, fastest: seed });
      return;
    }
    group.count += 1;
    if (seed.seed < group.smallest.seed) group.smallest = seed;
    if (seed.durationMs < group.fastest.durationMs || (seed.durationMs === group.fastest.durationMs && seed.seed < group.fastest.seed)) group.fastest = seed;
  }
}

async function readFile(merger: Merger, path: string): Promise<void> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    input.once('open', () => resolve());
    input.once('error', reject);
  });
  try {
    await opened;
  } catch (err) {
    throw new UsageError(`merge: cannot read '${path}': ${err instanceof Error ? err.message : String(err)}`);
  }
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber += 1;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = line.length > LINE_CHARS_MAX ? undefined : JSON.parse(line);
    } catch {
      value = undefined;
    }
    if (!isRecord(value)) throw new UsageError(`merge: ${path}:${lineNumber} is not a line written by faultline sim --out`);
    merger.add(value, `${path}:${lineNumber}`);
  }
  merger.files += 1;
}

/** Merges the files; the document `--json` prints. */
export async function mergeFiles(files: readonly string[]): Promise<MergeJson> {
  const merger = new Merger();
  for (const file of files) await readFile(merger, file);
  const first = merger.first;
  if (first === undefined) throw new UsageError('merge: the files hold no seeds');
  const ledger = merger.ledger;
  const from = first.campaign.from;
  const groups = [...merger.groups.values()].sort((a, b) => b.count - a.count || a.smallest.seed - b.smallest.seed);
  return {
    files: merger.files,
    workload: first.workload, profile: first.profile, faults: first.faults, latency: first.latency, version: first.version,
    ...(from === undefined || ledger === undefined ? {} : { from, seeds: ledger.seedCount }),
    seedsRun: merger.seedsRun,
    passed: merger.seedsRun - merger.failed,
    failed: merger.failed,
    excused: merger.excused,
    missingCount: ledger?.missingCount ?? 0,
    missing: ledger === undefined || from === undefined ? [] : ledger.missing(MISSING_NAMED_MAX).map((index) => from + index),
    conflicts: merger.conflicts,
    groups,
    ungroupedFailures: merger.ungrouped,
  };
}

/** The text report of a merge. */
export function formatMerge(doc: MergeJson): string {
  const lines: string[] = [];
  const range = doc.from === undefined || doc.seeds === undefined ? 'a continuous run' : `seeds ${doc.from}..${doc.from + doc.seeds - 1}`;
  lines.push(`merged ${doc.files} file${doc.files === 1 ? '' : 's'}: ${doc.workload}, ${range}, profile ${doc.profile}, faults ${doc.faults} (faultline ${doc.version})`);
  if (doc.missingCount > 0) lines.push(`missing: ${doc.missingCount} seed${doc.missingCount === 1 ? '' : 's'} of the range have no result: ${doc.missing.join(' ')}${doc.missingCount > doc.missing.length ? ' ...' : ''}`);
  if (doc.conflicts.length > 0) lines.push(`conflicts: seeds reported twice with different results (nondeterminism?): ${doc.conflicts.join(' ')}`);
  if (doc.groups.length > 0) {
    lines.push(`failures by signature (${doc.groups.length} group${doc.groups.length === 1 ? '' : 's'}${doc.ungroupedFailures > 0 ? `, and ${doc.ungroupedFailures} failures beyond ${GROUPS_MAX} groups` : ''}):`);
    for (const group of doc.groups.slice(0, GROUPS_PRINTED_MAX)) {
      lines.push(`  ${group.count} seed${group.count === 1 ? '' : 's'}: ${group.signature}`);
      lines.push(`    smallest seed ${group.smallest.seed}: ${group.smallest.replay}`);
      if (group.fastest.seed !== group.smallest.seed) lines.push(`    fastest seed ${group.fastest.seed} (${group.fastest.durationMs.toFixed(1)} ms): ${group.fastest.replay}`);
    }
    if (doc.groups.length > GROUPS_PRINTED_MAX) lines.push(`  ... and ${doc.groups.length - GROUPS_PRINTED_MAX} more groups (all are in --json)`);
  }
  const ok = doc.failed === 0 && doc.missingCount === 0 && doc.conflicts.length === 0;
  const excused = doc.excused > 0 ? `; ${doc.excused} of the passes excused` : '';
  lines.push(`${ok ? 'PASS' : 'FAIL'}: ${doc.passed}/${doc.seedsRun} seeds passed, ${doc.failed} failed, ${doc.missingCount} missing${excused}`);
  return lines.join('\n');
}

/** Runs `merge`: 0 when every seed of the campaign passed, 1 when one failed, is missing or conflicts. */
export async function mergeCommand(args: MergeArgs, streams: Pick<CommandStreams, 'out'> = { out: process.stdout }): Promise<number> {
  const doc = await mergeFiles(args.files);
  streams.out.write((args.json ? JSON.stringify(doc) : formatMerge(doc)) + '\n');
  return doc.failed > 0 || doc.missingCount > 0 || doc.conflicts.length > 0 ? 1 : 0;
}
