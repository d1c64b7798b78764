/**
 * `faultline shrink <workload> --seed S`: a smaller failing run of a failing seed.
 *
 * 1. Each fault kind the run injected is switched off in turn; a kind stays off when the seed
 *    still fails with the same signature (see `signature.ts`).
 * 2. Single injected faults are vetoed one at a time, in the order they happened; a veto stays
 *    when the seed still fails the same way. Passes repeat until one changes nothing, so every
 *    fault left is needed: vetoing any one of them makes this failure go away.
 *
 * Each kind of fault of each node draws from its own stream, so switching a kind off or vetoing
 * one of its faults leaves the other kinds' decisions as they were; the run itself can change
 * after the veto (that is the point), and every candidate is judged by running it. The result is
 * a replay command (`--faults-off`, `--veto`) that reproduces the failure with only those faults.
 * Runs happen in this process, one at a time, at most {@link SHRINK_RUNS_MAX} of them.
 */
import type { ShrinkArgs } from './args.js';
import type { CommandStreams } from './cmd-sim.js';
import { checkVariantOption, loadWorkload, type LoadedWorkload } from './load-workload.js';
import { runOneSeed } from './one-seed.js';
import { replayCommand } from './report.js';
import type { SeedResult } from './run-seed.js';
import { occurrenceText, type FaultOccurrence } from './sim-api.js';
import { failureSignature } from './signature.js';
import { UsageError } from './usage-error.js';

/** Most runs one shrink makes (each is one full run of the seed). */
export const SHRINK_RUNS_MAX = 400;
/** Longest "fails differently" description printed per kept fault. */
const OUTCOME_CHARS_MAX = 120;

/** The `--json` document of `shrink`. */
export interface ShrinkJson {
  readonly workload: string;
  readonly seed: number;
  readonly signature: string;
  /** Faults injected in the original failing run, and in the shrunk one. */
  readonly faultsBefore: number;
  readonly faultsAfter: number;
  readonly faultsOff: readonly string[];
  readonly vetoes: readonly string[];
  /** The faults the shrunk run still injects (occurrences and trace records). */
  readonly kept: readonly string[];
  /** For each kept fault, what the run does without it: `pass`, or the code it then fails with. */
  readonly withoutKept: readonly string[];
  readonly keptRecords: readonly string[];
  readonly hash: string;
  readonly runs: number;
  /** True when the run budget ran out before a pass changed nothing (the result may not be minimal). */
  readonly budgetExhausted: boolean;
  readonly replay: string;
}

/** Shrinks and returns the result; throws a UsageError when the seed does not fail. */
export async function shrinkSeed(args: ShrinkArgs, workload: LoadedWorkload): Promise<ShrinkJson> {
  let runs = 0;
  // Each run on a worker process of its own: a removal that makes the seed spin times out instead
  // of hanging the command.
  const run = async (faultsOff: readonly string[], vetoes: readonly FaultOccurrence[]): Promise<SeedResult> => {
    runs += 1;
    return runOneSeed({
      workload, seed: args.seed, profile: args.profile, faults: args.faults, latency: args.latency, options: args.options,
      seedTimeoutMs: args.seedTimeoutMs, extras: { faultsOff, vetoes, trackFaults: true, traceCapacity: 1_000_000 },
    });
  };
  const original = await run([], []);
  if (original.ok) throw new UsageError(`shrink: seed ${args.seed} passes${args.faults === 'default' ? '' : ` under --faults ${args.faults}`}: give a failing seed (and the --profile, --faults and --option it failed with)`);
  const signature = failureSignature(original.error);
  const same = (result: SeedResult): boolean => !result.ok && failureSignature(result.error) === signature;
  const budgetLeft = (): boolean => runs < SHRINK_RUNS_MAX;

  // 1. Whole kinds off.
  const faultsOff: string[] = [];
  let current = original;
  const kinds = [...new Set((original.decidedFaults ?? []).map((f) => f.kind))];
  for (const kind of kinds) {
    if (!budgetLeft()) break;
    const candidate = await run([...faultsOff, kind], []);
    if (same(candidate)) {
      faultsOff.push(kind);
      current = candidate;
    }
  }

  // 2. Single faults vetoed, until a pass changes nothing.
  const vetoes: FaultOccurrence[] = [];
  let changed = true;
  /** What vetoing each fault of the last pass did (the last pass tries every fault that stays). */
  let outcomes = new Map<string, string>();
  while (changed && budgetLeft()) {
    changed = false;
    outcomes = new Map();
    let index = 0;
    while (index < (current.decidedFaults ?? []).length && budgetLeft()) {
      const fault = current.decidedFaults![index]!;
      const candidate = await run(faultsOff, [...vetoes, fault]);
      if (same(candidate)) {
        vetoes.push(fault);
        current = candidate;
        changed = true;
        // Faults before this one happened exactly as before; carry on from the same position.
      } else {
        const other = candidate.error === undefined ? '?' : `${candidate.error.code}: ${candidate.error.message}`;
        outcomes.set(occurrenceText(fault), candidate.ok ? 'pass' : `fails differently (${other.length > OUTCOME_CHARS_MAX ? `${other.slice(0, OUTCOME_CHARS_MAX)}…` : other})`);
        index += 1;
      }
    }
  }
  const kept = current.decidedFaults ?? [];
  return {
    workload: args.workload,
    seed: args.seed,
    signature,
    faultsBefore: (original.decidedFaults ?? []).length,
    faultsAfter: kept.length,
    faultsOff,
    vetoes: vetoes.map(occurrenceText),
    kept: kept.map(occurrenceText),
    withoutKept: kept.map((fault) => outcomes.get(occurrenceText(fault)) ?? 'not tried'),
    keptRecords: current.faultRecords ?? [],
    hash: current.hash,
    runs,
    budgetExhausted: !budgetLeft() && changed,
    replay: replayCommand(args.workload, args.seed, args.profile, args.faults, args.latency, args.options, true, { faultsOff, vetoes }),
  };
}

/** Runs `shrink`: 0 when a shrunk failing run was found (the usual case). */
export async function shrinkCommand(args: ShrinkArgs, streams: Pick<CommandStreams, 'out'> = { out: process.stdout }): Promise<number> {
  const loaded = await loadWorkload(args.workload);
  checkVariantOption('shrink', loaded, args.options);
  const doc = await shrinkSeed(args, loaded);
  if (args.json) {
    streams.out.write(JSON.stringify(doc) + '\n');
    return 0;
  }
  const lines = [
    `seed ${doc.seed} fails with: ${doc.signature}`,
    `shrunk in ${doc.runs} runs: ${doc.faultsBefore} injected fault${doc.faultsBefore === 1 ? '' : 's'} -> ${doc.faultsAfter}${doc.budgetExhausted ? ` (run budget of ${SHRINK_RUNS_MAX} spent: smaller, maybe not minimal)` : ''}`,
  ];
  if (doc.faultsOff.length > 0) lines.push(`fault kinds not needed (switched off): ${doc.faultsOff.join(', ')}`);
  if (doc.faultsAfter === 0) {
    lines.push('the failure needs no injected fault: the power cuts and the workload alone produce it');
  } else {
    lines.push(`the faults it needs (vetoing any one of them makes this failure go away):`);
    doc.kept.forEach((occurrence, i) => lines.push(`  ${occurrence}: without it the seed ${doc.withoutKept[i] === 'pass' ? 'passes' : doc.withoutKept[i]}`));
    for (const record of doc.keptRecords) lines.push(`    ${record}`);
  }
  lines.push(`replay with only those: ${doc.replay}`);
  streams.out.write(lines.join('\n') + '\n');
  return 0;
}
