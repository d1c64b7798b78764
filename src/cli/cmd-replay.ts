/**
 * `faultline replay`: reruns one seed exactly, optionally printing its whole trace. The seed runs
 * on a campaign worker process (`one-seed.ts`), so `--seed-timeout` holds as in `sim`.
 */
import type { ReplayArgs } from './args.js';
import type { CommandStreams } from './cmd-sim.js';
import { checkVariantOption, loadWorkload } from './load-workload.js';
import { formatSwarmFaults, swarmFaults } from './swarm-faults.js';
import { formatErrorDetails, formatInjected, replayCommand } from './report.js';
import { FAILURE_TRACE_EVENTS } from './run-seed.js';
import { runOneSeed } from './one-seed.js';

/** Trace events a replay keeps with `--trace` (bounds memory on very long runs). */
export const REPLAY_TRACE_EVENTS_MAX = 1_000_000;

/** Runs `replay` and resolves with the exit code (0 the seed passed, 1 it failed). */
export async function replayCommandMain(args: ReplayArgs, streams: CommandStreams = { out: process.stdout, err: process.stderr }): Promise<number> {
  const loaded = await loadWorkload(args.workload);
  checkVariantOption('replay', loaded, args.options);
  const result = await runOneSeed({
    workload: loaded,
    seed: args.seed,
    profile: args.profile,
    faults: args.faults,
    latency: args.latency,
    options: args.options,
    intercept: args.intercept,
    checkDeterminism: args.checkDeterminism,
    seedTimeoutMs: args.seedTimeoutMs,
    extras: {
      keepTrace: true,
      faultsOff: args.faultsOff,
      vetoes: args.vetoes,
      traceEvents: args.trace ? REPLAY_TRACE_EVENTS_MAX : FAILURE_TRACE_EVENTS,
      ...(args.trace ? { traceCapacity: REPLAY_TRACE_EVENTS_MAX } : {}),
    },
  });
  if (args.json) {
    streams.out.write(JSON.stringify({
      workload: args.workload, seed: result.seed, profile: args.profile, faults: args.faults, latency: args.latency,
      ok: result.ok, hash: result.hash, simTimeMs: result.simTimeMs,
      ...(args.faults === 'swarm' ? { faultConfig: swarmFaults(args.seed).config } : {}),
      ...(result.excused === undefined ? {} : { excused: result.excused }),
      ...(result.error === undefined ? {} : {
        code: result.error.code, message: result.error.message,
        ...(result.error.injected === undefined ? {} : { injected: result.error.injected }),
        ...(result.error.details === undefined ? {} : { details: result.error.details }),
        ...(result.error.stack === undefined ? {} : { stack: result.error.stack }),
      }),
      trace: result.trace === undefined || result.trace === '' ? [] : result.trace.split('\n'),
      log: result.log ?? [],
      ...(result.divergence === undefined ? {} : { divergence: result.divergence }),
    }) + '\n');
    return result.ok ? 0 : 1;
  }
  const lines: string[] = [];
  if (result.divergence !== undefined) lines.push(...result.divergence);
  if (args.trace && result.trace !== undefined) lines.push('trace:', result.trace);
  if ((result.log ?? []).length > 0) lines.push('workload log:', ...(result.log ?? []).map((line) => '  ' + line));
  if (!result.ok && !args.trace && result.trace !== undefined && result.trace !== '') {
    lines.push(`last ${FAILURE_TRACE_EVENTS} trace events (--trace for all):`, result.trace);
  }
  lines.push(result.ok
    ? `PASS seed ${result.seed} (simulated ${result.simTimeMs.toFixed(1)} ms)`
    : `FAIL seed ${result.seed}: ${result.error?.code ?? '?'}: ${result.error?.message ?? ''}`);
  if (args.faults === 'swarm') lines.push(`  ${formatSwarmFaults(args.seed)}`);
  lines.push(...formatInjected(result.error));
  if (args.verbose) lines.push(...formatErrorDetails(result.error));
  else if (!result.ok) lines.push('  (--verbose shows the stack and the error\'s details)');
  lines.push(`hash ${result.hash}`);
  if (!result.ok && !args.trace) lines.push(`full trace: ${replayCommand(args.workload, args.seed, args.profile, args.faults, args.latency, args.options, true, args)}${args.intercept ? ' --intercept' : ''}${args.checkDeterminism ? ' --check-determinism' : ''}`);
  streams.out.write(lines.join('\n') + '\n');
  return result.ok ? 0 : 1;
}
