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
import { open, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import type { MergeArgs } from './args.js';
import type { CommandStreams } from './cmd-sim.js';
import { printable } from './report.js';
import { MISSING_NAMED_MAX, SeedLedger } from './seed-ledger.js';
import { parseSeedRecord, type SeedRecord } from './seed-record.js';
import { UsageError } from './usage-error.js';

/** Failure groups kept (the rest are counted together). */
export const GROUPS_MAX = 1000;
/** Groups printed in text mode (all are in `--json`). */
export const GROUPS_PRINTED_MAX = 20;
/** Conflicting seeds named. */
export const CONFLICTS_NAMED_MAX = 20;
/** Longest line read, in characters (a longer one is not a record of ours). */
export const LINE_CHARS_MAX = 1_000_000;
/** Bytes read from a file at a time. */
const READ_CHUNK_BYTES = 64 * 1024;
/**
 * Seeds of a continuous run whose outcomes merge keeps (to spot a seed reported twice
 * differently): a stream has no range to index, so they go in a Map, which V8 caps at 2^24 entries.
 */
export const STREAM_SEEDS_MAX = 16_000_000;

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

/**
 * What every record of one campaign shares, field by field; the first record sets it. The
 * version is part of it: the simulator's choices (and so each seed's run and hash) may change
 * between versions, so shards run by different versions are not one campaign.
 */
function campaignKey(r: SeedRecord): Array<[string, string]> {
  return [
    ['workload', r.workload], ['profile', r.profile], ['faults', r.faults], ['latency', r.latency],
    ['options', JSON.stringify(Object.entries(r.options).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))],
    ['range', JSON.stringify([r.campaign.from, r.campaign.seeds, r.campaign.stream])], ['faultline version', r.version],
  ];
}

/** A 32-bit FNV-1a of `text`, never 0 (0 marks a seed without an outcome). */
function fingerprint(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0) || 1;
}

class Merger {
  files = 0;
  first: SeedRecord | undefined;
  key: Array<[string, string]> | undefined;
  ledger: SeedLedger | undefined;
  /**
   * Outcome per seed, to spot a seed reported twice differently: for a range, a fingerprint per
   * seed of the range (4 bytes each, whatever the count: a Map would stop at 2^24 seeds); for a
   * stream, which has no range to index, a Map of at most {@link STREAM_SEEDS_MAX}.
   */
  outcomes: Uint32Array | undefined;
  readonly streamOutcomes = new Map<number, number>();
  seedsRun = 0;
  failed = 0;
  excused = 0;
  ungrouped = 0;
  readonly conflicts: number[] = [];
  readonly groups = new Map<string, FailureGroup>();

  add(record: SeedRecord, where: string): void {
    if (this.first === undefined || this.key === undefined) {
      this.first = record;
      this.key = campaignKey(record);
      const { from, seeds } = record.campaign;
      if (from !== undefined && seeds !== undefined) {
        this.ledger = new SeedLedger(seeds);
        this.outcomes = new Uint32Array(seeds);
      }
    } else {
      const key = campaignKey(record);
      const differs = key.findIndex(([, value], i) => value !== this.key![i]![1]);
      if (differs >= 0) throw new UsageError(`merge: ${where} is from a different campaign: its ${key[differs]![0]} differs from the first file's`);
    }
    const outcome = fingerprint(`${record.ok ? 'ok' : record.code ?? 'fail'}:${record.hash}`);
    const from = this.first.campaign.from;
    let before: number | undefined;
    if (this.ledger !== undefined && this.outcomes !== undefined && from !== undefined) {
      const index = record.seed - from;
      if (index < 0 || index >= this.ledger.seedCount) {
        throw new UsageError(`merge: ${where} has seed ${record.seed}, outside the campaign's range ${from}..${from + this.ledger.seedCount - 1}`);
      }
      before = this.outcomes[index] === 0 ? undefined : this.outcomes[index];
      if (before === undefined) {
        this.outcomes[index] = outcome;
        this.ledger.mark(index);
      }
    } else {
      before = this.streamOutcomes.get(record.seed);
      if (before === undefined) {
        if (this.streamOutcomes.size >= STREAM_SEEDS_MAX) throw new UsageError(`merge: a continuous run of more than ${STREAM_SEEDS_MAX} seeds is more than merge holds; merge its files in parts`);
        this.streamOutcomes.set(record.seed, outcome);
      }
    }
    if (before !== undefined) {
      if (before !== outcome && this.conflicts.length < CONFLICTS_NAMED_MAX && !this.conflicts.includes(record.seed)) this.conflicts.push(record.seed);
      return;
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

/**
 * The lines of `file`, without their line ends (`\n` or `\r\n`). Read in chunks with a bound on
 * the line being assembled: a file without line breaks (a binary, `/dev/zero`) is refused once a
 * line passes {@link LINE_CHARS_MAX}, instead of being buffered until memory runs out.
 */
async function* boundedLines(file: FileHandle, path: string): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  const chunk = Buffer.alloc(READ_CHUNK_BYTES);
  let partial = '';
  let lineNumber = 0;
  for (;;) {
    const { bytesRead } = await file.read(chunk, 0, chunk.length, null);
    const text = bytesRead === 0 ? decoder.end() : decoder.write(chunk.subarray(0, bytesRead));
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      const line = partial + text.slice(start, end);
      partial = '';
      start = end + 1;
      lineNumber += 1;
      yield line.endsWith('\r') ? line.slice(0, -1) : line;
    }
    partial += text.slice(start);
    if (partial.length > LINE_CHARS_MAX) throw new UsageError(`merge: ${path}:${lineNumber + 1} is longer than ${LINE_CHARS_MAX} characters: not a line written by faultline sim --out`);
    if (bytesRead === 0) break;
  }
  if (partial !== '') yield partial;
}

async function readFile(merger: Merger, path: string): Promise<void> {
  const cannot = (err: unknown): UsageError => new UsageError(`merge: cannot read '${path}': ${err instanceof Error ? err.message : String(err)}`);
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (err) {
    throw cannot(err);
  }
  try {
    let lineNumber = 0;
    const lines = boundedLines(file, path);
    for (;;) {
      let next: IteratorResult<string>;
      try {
        next = await lines.next();
      } catch (err) {
        // A directory opens but does not read (EISDIR), a device may fail part-way (EIO).
        throw err instanceof UsageError ? err : cannot(err);
      }
      if (next.done === true) break;
      const line = next.value;
      lineNumber += 1;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new UsageError(`merge: ${path}:${lineNumber} is not a line written by faultline sim --out (not JSON${lineNumber > 1 ? '; a file cut short?' : ''})`);
      }
      const parsed = parseSeedRecord(value);
      if ('problem' in parsed) throw new UsageError(`merge: ${path}:${lineNumber} is not a line written by faultline sim --out (${parsed.problem})`);
      merger.add(parsed.record, `${path}:${lineNumber}`);
    }
  } finally {
    await file.close();
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
  // What comes from the files is printed through `printable`: a line break or terminal control in
  // a record (a file edited by hand) must not print a verdict line of its own.
  lines.push(`merged ${doc.files} file${doc.files === 1 ? '' : 's'}: ${printable(doc.workload)}, ${range}, profile ${doc.profile}, faults ${doc.faults} (faultline ${printable(doc.version)})`);
  if (doc.missingCount > 0) lines.push(`missing: ${doc.missingCount} seed${doc.missingCount === 1 ? '' : 's'} of the range have no result: ${doc.missing.join(' ')}${doc.missingCount > doc.missing.length ? ' ...' : ''}`);
  if (doc.conflicts.length > 0) lines.push(`conflicts: seeds reported twice with different results (nondeterminism?): ${doc.conflicts.join(' ')}`);
  if (doc.groups.length > 0) {
    lines.push(`failures by signature (${doc.groups.length} group${doc.groups.length === 1 ? '' : 's'}${doc.ungroupedFailures > 0 ? `, and ${doc.ungroupedFailures} failures beyond ${GROUPS_MAX} groups` : ''}):`);
    for (const group of doc.groups.slice(0, GROUPS_PRINTED_MAX)) {
      lines.push(`  ${group.count} seed${group.count === 1 ? '' : 's'}: ${printable(group.signature)}`);
      lines.push(`    smallest seed ${group.smallest.seed}: ${printable(group.smallest.replay)}`);
      if (group.fastest.seed !== group.smallest.seed) lines.push(`    fastest seed ${group.fastest.seed} (${group.fastest.durationMs.toFixed(1)} ms): ${printable(group.fastest.replay)}`);
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
