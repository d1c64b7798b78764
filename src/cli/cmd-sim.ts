/**
 * `faultline sim`: a campaign over a range of seeds, with progress, failure reports and `--json`.
 *
 * Failures print in seed order, the same with one worker or many: a failure is held until every
 * lower seed has a result (the campaign reports that watermark with each result), and only the
 * lowest {@link FAILURES_PRINTED_MAX} are printed. SIGINT and SIGTERM end the campaign's workers
 * and print a partial summary with the command that resumes it; the exit code is then 130 or 143.
 */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { SimArgs } from './args.js';
import { runCampaign, type CampaignResult } from './campaign.js';
import { checkVariantOption, loadWorkload } from './load-workload.js';
import { createProgress } from './progress.js';
import { formatFailingSeeds, formatFailure, formatSummary, mergeHint, replayCommand, resumeCommand } from './report.js';
import type { InjectedFault, SeedResult } from './run-seed.js';
import { RecordWriter, seedRecord, type CampaignRef } from './seed-record.js';
import { partOfRange, rangePlan, streamPlan, type SeedPlan } from './seed-plan.js';
import { UsageError } from './usage-error.js';
import { packageVersion } from './version.js';
import { formatSwarmFaults, swarmFaults } from './swarm-faults.js';

/** Failure reports printed in text mode: the lowest seeds; the rest are counted (all are in `--json`). */
export const FAILURES_PRINTED_MAX = 10;

/** Exit codes of an interrupted campaign, as a shell reports a process ended by the signal. */
export const INTERRUPT_EXIT_CODES: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

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
  /** The injected fault behind the error, when the simulator injected it. */
  readonly injected?: InjectedFault;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly stack?: string;
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
  /** Seeds with a result, each counted once. */
  readonly seedsRun: number;
  readonly passed: number;
  readonly failed: number;
  /** Seeds of the range without a result, and the first of them. */
  readonly missingCount: number;
  readonly missing: readonly number[];
  /** Passing seeds that stopped checking early on an injected fault (`ctx.excuse`). */
  readonly excused: number;
  readonly wallMs: number;
  readonly seedsPerSecond: number;
  readonly stoppedEarly: boolean;
  /** This run's shard (`K/N`) and its part of the range. */
  readonly shard?: string;
  readonly shardFrom?: number;
  readonly shardSeeds?: number;
  /** A continuous run: the key of its seed stream, and why it stopped. */
  readonly stream?: number;
  readonly stoppedBy?: string;
  /** `--resume-at`: this run covered its part of the range from this seed on. */
  readonly resumeAt?: number;
  /** The signal that interrupted the campaign, and the seed to resume at. */
  readonly interrupted?: string;
  readonly resumeFrom?: number;
  readonly failures: readonly JsonFailure[];
}

export function toJsonFailure(result: SeedResult, replay: string): JsonFailure {
  return {
    seed: result.seed,
    code: result.error?.code ?? '',
    message: result.error?.message ?? '',
    ...(result.error?.injected === undefined ? {} : { injected: result.error.injected }),
    ...(result.error?.details === undefined ? {} : { details: result.error.details }),
    ...(result.error?.stack === undefined ? {} : { stack: result.error.stack }),
    hash: result.hash,
    trace: result.trace === undefined || result.trace === '' ? [] : result.trace.split('\n'),
    log: result.log ?? [],
    replay,
    ...(result.divergence === undefined ? {} : { divergence: result.divergence }),
  };
}

/**
 * The verdict as an exit code: 0 only when every seed asked for has a result and passed, and at
 * least one seed ran (a continuous run whose --duration ran out before its first result checked
 * nothing); 1 when a seed failed or is missing, or none ran; 130/143 when interrupted.
 */
export function campaignExitCode(result: CampaignResult): number {
  if (result.interrupted !== undefined) return INTERRUPT_EXIT_CODES[result.interrupted] ?? 1;
  return result.failed > 0 || result.missingCount > 0 || result.seedsRun === 0 ? 1 : 0;
}

/** Holds failures until every lower seed is done, then prints the lowest few in seed order. */
class OrderedFailurePrinter {
  private readonly held: SeedResult[] = [];
  private printed = 0;
  constructor(private readonly print: (result: SeedResult) => void) {}
  add(result: SeedResult): void {
    const room = FAILURES_PRINTED_MAX - this.printed;
    const held = this.held;
    if (held.length >= room && (held.length === 0 || result.seed > held[held.length - 1]!.seed)) return;
    let at = held.length;
    while (at > 0 && held[at - 1]!.seed > result.seed) at -= 1;
    held.splice(at, 0, result);
    if (held.length > room) held.pop();
  }
  /** Prints the held failures below `doneBelow` (all of them when undefined). */
  flush(doneBelow?: number): void {
    while (this.held.length > 0 && (doneBelow === undefined || this.held[0]!.seed < doneBelow)) {
      this.printed += 1;
      this.print(this.held.shift()!);
    }
  }
  get count(): number {
    return this.printed;
  }
}

/** The seeds this run covers: the range, its shard, or a continuous run's stream. */
function planOf(args: SimArgs): { plan: SeedPlan; campaign: CampaignRef; range: SeedRange | undefined; part: SeedRange | undefined } {
  if (args.durationMs !== undefined || args.untilFailures !== undefined) {
    return { plan: streamPlan(args.seedFrom, args.seedCount), campaign: { stream: args.seedFrom }, range: undefined, part: undefined };
  }
  const campaign: CampaignRef = { from: args.seedFrom, seeds: args.seedCount, ...(args.shard === undefined ? {} : { shard: `${args.shard.k}/${args.shard.n}` }) };
  const part = partOfRange(args.seedFrom, args.seedCount, args.shard);
  // A resumed run covers its part from --resume-at on (parseCli checked it lies inside); its
  // records keep the campaign's range, so merge judges them with the interrupted run's.
  const range = args.resumeAt === undefined ? part : { from: args.resumeAt, count: part.from + part.count - args.resumeAt };
  return { plan: rangePlan(range.from, range.count), campaign, range, part };
}

/** Seeds `from..from+count-1`. */
interface SeedRange { readonly from: number; readonly count: number }

/** Whether `path` names the same file as `moduleUrl` (a hard or symbolic link included); false when either is missing. */
function isSameFile(path: string, moduleUrl: string): boolean {
  if (!moduleUrl.startsWith('file:')) return false;
  try {
    const a = statSync(path);
    const b = statSync(fileURLToPath(moduleUrl));
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

/** Runs `sim` and resolves with the exit code. */
export async function simCommand(args: SimArgs, streams: CommandStreams = defaultStreams): Promise<number> {
  const loaded = await loadWorkload(args.workload);
  checkVariantOption('sim', loaded, args.options);
  const workers = args.workers ?? availableParallelism();
  // range: the seeds this run covers; part: its shard's block (the whole range unsharded), which a
  // resumed run covers only from --resume-at on.
  const { plan, campaign, range, part } = planOf(args);
  const extraFlags = `${args.intercept ? ' --intercept' : ''}${args.checkDeterminism ? ' --check-determinism' : ''}`;
  const replayOf = (seed: number): string => replayCommand(args.workload, seed, args.profile, args.faults, args.latency, args.options) + extraFlags;
  if (args.out !== undefined && isSameFile(args.out, loaded.moduleUrl)) throw new UsageError(`sim: --out '${args.out}' is the workload's own module, which it would overwrite; give another file`);
  const writer = args.out === undefined ? undefined : new RecordWriter(args.out);
  const recordContext = {
    workload: args.workload, profile: args.profile, faults: args.faults, latency: args.latency, options: { ...args.options },
    version: packageVersion(), campaign,
  };
  const label = `sim ${args.workload}${args.shard === undefined ? '' : ` shard ${args.shard.k}/${args.shard.n}`}`;
  const progress = createProgress(label, range?.count ?? (args.untilFailures === undefined && args.durationMs === undefined ? plan.count : 0), streams.err);
  const swarmLine = (seed: number): string | undefined => (args.faults === 'swarm' ? formatSwarmFaults(seed) : undefined);
  const printer = new OrderedFailurePrinter((failure) => progress.print(formatFailure(failure, replayOf(failure.seed), args.verbose, swarmLine(failure.seed)), streams.out));
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!interrupt.signal.aborted) interrupt.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result: CampaignResult;
  let completed = false;
  try {
    result = await runCampaign({
      workload: loaded,
      seedFrom: range?.from ?? args.seedFrom,
      seedCount: plan.count,
      plan,
      ...(args.durationMs === undefined ? {} : { durationMs: args.durationMs }),
      ...(args.untilFailures === undefined ? {} : { failuresMax: args.untilFailures }),
      workers,
      profile: args.profile,
      faults: args.faults,
      latency: args.latency,
      options: args.options,
      intercept: args.intercept,
      checkDeterminism: args.checkDeterminism,
      failFast: args.failFast,
      seedTimeoutMs: args.seedTimeoutMs,
      signal: interrupt.signal,
      onResult(seedResult, p) {
        const record = seedRecord(seedResult, recordContext, replayOf(seedResult.seed));
        writer?.write(args.faults === 'swarm' ? { ...record, faultConfig: swarmFaults(seedResult.seed).config } : record);
        progress.update(p.done, p.failed);
        if (args.json) return;
        if (!seedResult.ok) printer.add(seedResult);
        printer.flush(p.doneBelow);
      },
    });
    completed = true;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    progress.stop();
    writer?.close(completed);
  }
  // An interrupted range resumes from its lowest seed without a result, to the end of this run's
  // part, as the same campaign (--resume-at), so that the two runs' --out files merge.
  const resume = result.interrupted !== undefined && result.resumeFrom !== undefined && range !== undefined && result.resumeFrom < range.from + range.count
    ? resumeCommand(args, result.resumeFrom) : undefined;
  if (args.json) {
    const doc: SimJson = {
      workload: args.workload, profile: args.profile, faults: args.faults, latency: args.latency,
      seedFrom: args.seedFrom, seedCount: campaign.stream === undefined ? args.seedCount : result.seedCount, workers,
      seedsRun: result.seedsRun, passed: result.passed, failed: result.failed,
      missingCount: result.missingCount, missing: result.missing, excused: result.excused,
      wallMs: Math.round(result.wallMs), seedsPerSecond: Number(result.seedsPerSecond.toFixed(2)),
      stoppedEarly: result.stoppedEarly,
      ...(args.shard === undefined || part === undefined ? {} : { shard: `${args.shard.k}/${args.shard.n}`, shardFrom: part.from, shardSeeds: part.count }),
      ...(args.resumeAt === undefined ? {} : { resumeAt: args.resumeAt }),
      ...(campaign.stream === undefined ? {} : { stream: campaign.stream }),
      ...(result.stoppedBy === undefined ? {} : { stoppedBy: result.stoppedBy }),
      ...(result.interrupted === undefined ? {} : { interrupted: result.interrupted, resumeFrom: result.resumeFrom }),
      failures: result.failures.map((f) => toJsonFailure(f, replayOf(f.seed))),
    };
    streams.out.write(JSON.stringify(doc) + '\n');
  } else {
    printer.flush();
    if (result.failed > printer.count) streams.out.write(`... and ${result.failed - printer.count} more failing seeds (the lowest ${printer.count} are shown; all are in --json)\n`);
    const failing = formatFailingSeeds(result);
    if (failing !== undefined) streams.out.write(failing + '\n');
    if (campaign.stream !== undefined) streams.out.write(`continuous run: seeds drawn from stream ${campaign.stream} (--from), stopped ${result.stoppedBy === 'failures' ? `after ${result.failed} failures (--until-failures)` : result.stoppedBy === 'duration' ? 'when --duration ran out' : `after --seeds ${args.seedCount}`}\n`);
    if (args.shard !== undefined && part !== undefined) streams.out.write(`shard ${args.shard.k}/${args.shard.n}: seeds ${part.from}..${part.from + part.count - 1} of ${args.seedFrom}..${args.seedFrom + args.seedCount - 1}\n`);
    if (args.resumeAt !== undefined && range !== undefined) {
      streams.out.write(`resumed at ${args.resumeAt}: this run's verdict covers seeds ${range.from}..${range.from + range.count - 1}; ` +
        'for the whole campaign\'s, faultline merge its --out with the interrupted run\'s\n');
    }
    streams.out.write(formatSummary(result, workers) + '\n');
    if (resume !== undefined) streams.out.write(`resume with: ${resume}\n`);
    if (resume !== undefined && args.out !== undefined) streams.out.write(`then: ${mergeHint(args.out)}\n`);
  }
  return campaignExitCode(result);
}
