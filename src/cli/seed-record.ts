/**
 * `--out FILE`: one NDJSON line per seed, written as results arrive, so a campaign that dies
 * half-way still leaves every seed it finished. Each line stands alone (workload, settings,
 * version, and the campaign's range and shard), so `faultline merge` needs nothing but the files.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { SeedResult } from './run-seed.js';
import { failureSignature } from './signature.js';
import { UsageError } from './usage-error.js';

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
  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'w');
    } catch (err) {
      throw new UsageError(`--out: cannot write '${path}': ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  /**
   * Appends one line. A short write (a full disk, a signal) continues where it stopped rather than
   * leave half a line that the next one runs into; a failed write throws a {@link UsageError}
   * naming the file, which stops the campaign: a verdict whose records were not all written is
   * not given.
   */
  write(record: SeedRecord): void {
    if (this.fd === undefined) return;
    const bytes = Buffer.from(JSON.stringify(record) + '\n');
    let done = 0;
    try {
      // Each pass writes at least one byte or throws: at most bytes.length passes.
      while (done < bytes.length) {
        const wrote = writeSync(this.fd, bytes, done, bytes.length - done);
        if (wrote <= 0) throw new Error('the file took no bytes');
        done += wrote;
      }
    } catch (err) {
      throw new UsageError(`sim: --out: cannot write '${this.path}': ${err instanceof Error ? err.message : String(err)}; the campaign was stopped`);
    }
  }
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
