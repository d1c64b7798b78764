/** `faultline sim`: a campaign over a range of seeds, with progress, failure reports and `--json`. */
import { availableParallelism } from 'node:os';
import type { SimArgs } from './args.js';
import { runCampaign, type CampaignResult } from './campaign.js';
import { loadWorkload } from './load-workload.js';
import { createProgress } from './progress.js';
import { formatFailure, formatSummary, replayCommand } from './report.js';
import type { SeedResult } from './run-seed.js';

/** Failure reports printed in text mode; the rest are counted (all are in `--json`). */
export const FAILURES_PRINTED_MAX = 10;

export interface CommandStreams {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WriteStream;
}

const defaultStreams: CommandStreams = { out: process.stdout, err: process.stderr };

/** A failure as it appears in `--json`. */
export interface JsonFailure {
  readonly seed: number;
  readonly code: string;
  readonly message: string;
  readonly hash: string;
  readonly trace: readonly string[];
  readonly log: readonly string[];
  readonly replay: string;
  /** Set when a determinism check failed: where the two runs first differ. */
  readonly divergence?: readonly string[];
}

/** The `--json` document of `sim`. */
export interface SimJson {
  readonly workload: string;
  readonly profile: string;
  readonly faults: string;
  readonly latency: string;
  readonly seedFrom: number;
  readonly seedCount: number;
  readonly workers: number;
  readonly seedsRun: number;
  readonly passed: number;
  readonly failed: number;
  /** Passing seeds that stopped checking early on an injected fault (`ctx.excuse`). */
  readonly excused: number;
  readonly wallMs: number;
  readonly seedsPerSecond: number;
  readonly stoppedEarly: boolean;
  readonly failures: readonly JsonFailure[];
}

export function toJsonFailure(result: SeedResult, replay: string): JsonFailure {
  return {
    seed: result.seed,
    code: result.error?.code ?? '',
    message: result.error?.message ?? '',
    hash: result.hash,
    trace: result.trace === undefined || result.trace === '' ? [] : result.trace.split('\n'),
    log: result.log ?? [],
    replay,
    ...(result.divergence === undefined ? {} : { divergence: result.divergence }),
  };
}

/** Runs `sim` and resolves with the exit code (0 all passed, 1 a seed failed). */
export async function simCommand(args: SimArgs, streams: CommandStreams = defaultStreams): Promise<number> {
  const loaded = await loadWorkload(args.workload);
  const workers = args.workers ?? availableParallelism();
  const extraFlags = `${args.intercept ? ' --intercept' : ''}${args.checkDeterminism ? ' --check-determinism' : ''}`;
  const replayOf = (seed: number): string => replayCommand(args.workload, seed, args.profile, args.faults, args.latency, args.options) + extraFlags;
  const progress = createProgress(`sim ${args.workload}`, args.seedCount, streams.err);
  let printed = 0;
  let result: CampaignResult;
  try {
    result = await runCampaign({
      workload: loaded,
      seedFrom: args.seedFrom,
      seedCount: args.seedCount,
      workers,
      profile: args.profile,
      faults: args.faults,
      latency: args.latency,
      options: args.options,
      intercept: args.intercept,
      checkDeterminism: args.checkDeterminism,
      failFast: args.failFast,
      onResult(seedResult, p) {
        progress.update(p.done, p.failed);
        if (!seedResult.ok && !args.json && printed < FAILURES_PRINTED_MAX) {
          printed += 1;
          progress.print(formatFailure(seedResult, replayOf(seedResult.seed), args.verbose), streams.out);
        }
      },
    });
  } finally {
    progress.stop();
  }
  if (args.json) {
    const doc: SimJson = {
      workload: args.workload, profile: args.profile, faults: args.faults, latency: args.latency,
      seedFrom: args.seedFrom, seedCount: args.seedCount, workers,
      seedsRun: result.seedsRun, passed: result.passed, failed: result.failed, excused: result.excused,
      wallMs: Math.round(result.wallMs), seedsPerSecond: Number(result.seedsPerSecond.toFixed(2)),
      stoppedEarly: result.stoppedEarly,
      failures: result.failures.map((f) => toJsonFailure(f, replayOf(f.seed))),
    };
    streams.out.write(JSON.stringify(doc) + '\n');
  } else {
    if (result.failed > printed) streams.out.write(`... and ${result.failed - printed} more failing seeds (all are listed with --json)\n`);
    if (result.failed > 0) streams.out.write(`failing seeds: ${result.failures.map((f) => f.seed).join(' ')}\n`);
    streams.out.write(formatSummary(result, workers) + '\n');
  }
  return result.failed > 0 ? 1 : 0;
}
