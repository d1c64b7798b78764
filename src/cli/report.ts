/**
 * Text for humans: a failing seed with its error, trace tail and replay command, and the
 * campaign summary line.
 */
import { basename, relative } from 'node:path';
import type { CampaignResult } from './campaign.js';
import type { SeedResult } from './run-seed.js';
import type { LatencyPresetName } from './sim-api.js';
import type { FaultPresetName, SimProfile } from './workload.js';

/** Workload log lines shown with a failure (all of them with `--verbose`). */
export const FAILURE_LOG_LINES = 8;

/** How the user invoked us: `faultline` when run through the installed bin, else `node <script>`. */
export function invocation(argv1: string | undefined = process.argv[1]): string {
  if (argv1 === undefined) return 'faultline';
  const name = basename(argv1);
  if (name === 'faultline' || name === 'faultline.js') return 'faultline';
  if (/main\.(js|ts)$/.test(name)) {
    const rel = relative(process.cwd(), argv1);
    return rel.endsWith('.ts') ? `npx tsx ${rel}` : `node ${rel}`;
  }
  return 'faultline';
}

/** The one-line command that replays `seed`. */
export function replayCommand(specifier: string, seed: number, profile: SimProfile, faults: FaultPresetName,
  latency: LatencyPresetName, options: Readonly<Record<string, string>>, trace = true): string {
  const parts = [invocation(), 'replay', quote(specifier), '--seed', String(seed), '--profile', profile, '--faults', faults];
  if (latency !== 'default') parts.push('--latency', latency);
  for (const [key, value] of Object.entries(options)) parts.push('--option', quote(`${key}=${value}`));
  if (trace) parts.push('--trace');
  return parts.join(' ');
}

function quote(word: string): string {
  return /^[A-Za-z0-9_./:=@+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function indent(text: string, prefix = '    '): string {
  return text.split('\n').map((line) => prefix + line).join('\n');
}

/** A failing seed, as printed by `sim`. */
export function formatFailure(result: SeedResult, replay: string, verbose: boolean): string {
  const lines: string[] = [];
  lines.push(`FAIL seed ${result.seed}: ${result.error?.code ?? '?'}: ${result.error?.message ?? ''}`);
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
  if (verbose && result.error?.stack !== undefined) {
    lines.push('  stack:');
    lines.push(indent(result.error.stack));
  }
  lines.push(`  replay: ${replay}`);
  return lines.join('\n');
}

/** The closing line of a campaign. */
export function formatSummary(result: CampaignResult, workers: number): string {
  const rate = result.seedsPerSecond.toFixed(1);
  const seconds = (result.wallMs / 1000).toFixed(1);
  const head = result.failed === 0 ? 'PASS' : 'FAIL';
  const early = result.stoppedEarly ? ' (stopped at the first failure)' : '';
  const excused = result.excused > 0 ? `; ${result.excused} of the passes stopped early on an injected fault the workload cannot survive (excused)` : '';
  return `${head}: ${result.passed}/${result.seedsRun} seeds passed, ${result.failed} failed in ${seconds}s (${rate} seeds/s on ${workers} worker${workers === 1 ? '' : 's'})${early}${excused}`;
}
