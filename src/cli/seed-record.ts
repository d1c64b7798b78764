/**
 * `--out FILE`: one NDJSON line per seed, written as results arrive, so a campaign that dies
 * half-way still leaves every seed it finished. Each line stands alone (workload, settings,
 * version, and the campaign's range and shard), so `faultline merge` needs nothing but the files.
 */
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { SEED_COUNT_MAX } from './args.js';
import type { SeedResult } from './run-seed.js';
import { LATENCY_PRESETS } from './sim-api.js';
import { failureSignature } from './signature.js';
import { UsageError } from './usage-error.js';
import { FAULT_PRESETS, SIM_PROFILES } from './workload.js';

/** One `--out` line. */
export interface SeedRecord {
  readonly seed: number;
  readonly ok: boolean;
  /** The error of a failing seed. */
  readonly code?: string;
  readonly message?: string;
  /** What groups failures in `merge` (see `signature.ts`). */
  readonly signature?: string;
  /** Set when the error was a fault the simulator injected. */
  readonly injected?: string;
  readonly excused?: string;
  /** `sim.hash()`; empty when the seed did not finish (its worker died, or it timed out). */
  readonly hash: string;
  /** Real time the seed took. */
  readonly durationMs: number;
  readonly simTimeMs: number;
  readonly replay: string;
  readonly workload: string;
  readonly profile: string;
  readonly faults: string;
  readonly latency: string;
  readonly options: Readonly<Record<string, string>>;
  /** `--faults swarm`: the configuration this seed drew. */
  readonly faultConfig?: Readonly<Record<string, unknown>>;
  readonly version: string;
  /** The campaign this seed belongs to: its whole range (every shard has the same), or its stream. */
  readonly campaign: CampaignRef;
}

/** The campaign a record belongs to. */
export interface CampaignRef {
  /** A range campaign: seeds `from..from+seeds-1` over all its shards. */
  readonly from?: number;
  readonly seeds?: number;
  /** `K/N` when this run was one shard. */
  readonly shard?: string;
  /** A continuous campaign: the key of its seed stream. */
  readonly stream?: number;
}

/** The record of one seed. */
export function seedRecord(result: SeedResult, context: Omit<SeedRecord, 'seed' | 'ok' | 'hash' | 'durationMs' | 'simTimeMs' | 'replay'>, replay: string): SeedRecord {
  const error = result.error;
  return {
    seed: result.seed,
    ok: result.ok,
    ...(error === undefined ? {} : { code: error.code, message: error.message, signature: failureSignature(error) }),
    ...(error?.injected === undefined ? {} : { injected: error.injected.kind }),
    ...(result.excused === undefined ? {} : { excused: result.excused }),
    hash: result.hash,
    durationMs: Math.round(result.wallMs * 1000) / 1000,
    simTimeMs: Math.round(result.simTimeMs * 1000) / 1000,
    replay,
    ...context,
  };
}

/**
 * Appends lines to a file with plain synchronous writes: a line is in the file once `write`
 * returns (nothing buffered is lost if the process is killed), and at tens of thousands of seeds
 * per second the cost is a few microseconds each.
 */
export class RecordWriter {
  private fd: number | undefined;
  /** Whether the file was there before the command (then an error before the first record leaves it as it was). */
  private readonly existed: boolean;
  /** Set once the file was emptied for this campaign's records. */
  private started = false;
  constructor(readonly path: string) {
    this.existed = existsSync(path);
    try {
      // Opened (so an unwritable path is refused up front) but not emptied yet: a campaign that
      // ends in a usage error before its first result (a workload that does not load in a
      // worker) leaves a previous campaign's file as it was.
      this.fd = openSync(path, 'a');
    } catch (err) {
      throw new UsageError(`--out: cannot write '${path}': ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  /** Empties a regular file for this campaign's records (a device or a pipe has nothing to empty). */
  private start(fd: number): void {
    if (this.started) return;
    this.started = true;
    if (fstatSync(fd).isFile()) ftruncateSync(fd, 0);
  }
  /**
   * Appends one line. A short write (a full disk, a signal) continues where it stopped rather than
   * leave half a line that the next one runs into; a failed write throws a {@link UsageError}
   * naming the file, which stops the campaign: a verdict whose records were not all written is
   * not given.
   */
  write(record: SeedRecord): void {
    const fd = this.fd;
    if (fd === undefined) return;
    const bytes = Buffer.from(JSON.stringify(record) + '\n');
    let done = 0;
    try {
      this.start(fd);
      // Each pass writes at least one byte or throws: at most bytes.length passes.
      while (done < bytes.length) {
        const wrote = writeSync(fd, bytes, done, bytes.length - done);
        if (wrote <= 0) throw new Error('the file took no bytes');
        done += wrote;
      }
    } catch (err) {
      throw new UsageError(`sim: --out: cannot write '${this.path}': ${err instanceof Error ? err.message : String(err)}; the campaign was stopped`);
    }
  }
  /**
   * Closes the file. `completed`: the campaign reached a verdict (interrupted included), so the
   * file holds its records, none if none ran. Otherwise (it ended in an error) a file with no
   * record of it is left as it was before the command, or removed when the command made it.
   */
  close(completed: boolean): void {
    const fd = this.fd;
    if (fd === undefined) return;
    this.fd = undefined;
    try {
      if (completed) this.start(fd);
    } finally {
      closeSync(fd);
    }
    if (!this.started && !this.existed) {
      try {
        unlinkSync(this.path);
      } catch {
        // Already gone, or not ours to remove: nothing was written to it either way.
      }
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSeed(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isDuration(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** `sim.hash()`: a SHA-256 in hex. */
const HASH = /^[0-9a-f]{64}$/;
/** `--shard K/N` as a record writes it. */
const SHARD = /^([1-9][0-9]*)\/([1-9][0-9]*)$/;

/** Why `campaign` is not a record's campaign, or undefined when it is one. */
function campaignProblem(campaign: unknown): string | undefined {
  if (!isObject(campaign)) return 'it names no campaign';
  const { from, seeds, shard, stream } = campaign;
  if (stream !== undefined) {
    if (from !== undefined || seeds !== undefined || shard !== undefined) return 'its campaign is both a range and a stream';
    return isSeed(stream) ? undefined : 'its stream key is not a seed';
  }
  // A range: both ends, or the campaign would have no expected seeds and pass whatever is there.
  if (!isSeed(from) || typeof seeds !== 'number' || !Number.isSafeInteger(seeds) || seeds < 1 || seeds > SEED_COUNT_MAX) {
    return `its campaign is neither a range (from, and seeds from 1 to ${SEED_COUNT_MAX}) nor a stream`;
  }
  if (from + seeds - 1 > Number.MAX_SAFE_INTEGER) return 'its campaign\'s range ends past the largest seed';
  if (shard !== undefined) {
    const match = typeof shard === 'string' ? SHARD.exec(shard) : null;
    if (match === null || Number(match[1]) > Number(match[2]) || Number(match[2]) > seeds) return 'its shard is not K/N of its range';
  }
  return undefined;
}

/**
 * Checks a parsed `--out` line: the record, or why it is not one. Every field `merge` reads has
 * the type `sim` writes, and the fields agree with each other: a pass has a hash (a seed that ran
 * to its end has one) and no error; a failure has an error code. A file edited by hand or cut
 * short, or a line from something else, is refused rather than read as a campaign, and a campaign
 * needs a range or a stream: without one there are no expected seeds and anything would pass.
 */
export function parseSeedRecord(value: unknown): { readonly record: SeedRecord } | { readonly problem: string } {
  if (!isObject(value)) return { problem: 'it is not a JSON object' };
  const r = value;
  if (!isSeed(r['seed'])) return { problem: 'its seed is not a whole number from 0 to 2^53-1' };
  if (typeof r['ok'] !== 'boolean') return { problem: 'its ok is not true or false' };
  for (const key of ['replay', 'workload', 'version'] as const) {
    if (typeof r[key] !== 'string' || r[key] === '') return { problem: `its ${key} is not a non-empty string` };
  }
  for (const key of ['code', 'message', 'signature', 'injected', 'excused'] as const) {
    if (r[key] !== undefined && typeof r[key] !== 'string') return { problem: `its ${key} is not a string` };
  }
  if (!(SIM_PROFILES as readonly unknown[]).includes(r['profile'])) return { problem: 'its profile is not one sim has' };
  if (!(FAULT_PRESETS as readonly unknown[]).includes(r['faults'])) return { problem: 'its faults are not a preset sim has' };
  if (!(LATENCY_PRESETS as readonly unknown[]).includes(r['latency'])) return { problem: 'its latency is not one sim has' };
  const options = r['options'];
  if (!isObject(options) || !Object.values(options).every((v) => typeof v === 'string')) return { problem: 'its options are not an object of strings' };
  if (!isDuration(r['durationMs']) || !isDuration(r['simTimeMs'])) return { problem: 'its durationMs or simTimeMs is not a number of milliseconds' };
  if (r['faultConfig'] !== undefined && !isObject(r['faultConfig'])) return { problem: 'its faultConfig is not an object' };
  const hash = r['hash'];
  if (r['ok'] === true) {
    if (typeof hash !== 'string' || !HASH.test(hash)) return { problem: 'it passed without the hash of a run to the end' };
    if (r['code'] !== undefined || r['message'] !== undefined || r['signature'] !== undefined || r['injected'] !== undefined) return { problem: 'it passed with an error' };
  } else {
    if (typeof hash !== 'string' || (hash !== '' && !HASH.test(hash))) return { problem: 'its hash is neither empty nor a hash' };
    if (r['code'] === undefined || r['code'] === '') return { problem: 'it failed without an error code' };
  }
  const problem = campaignProblem(r['campaign']);
  if (problem !== undefined) return { problem };
  return { record: value as unknown as SeedRecord };
}
