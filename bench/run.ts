/**
 * `npm run bench`: runs every workload against every competitor, prints the machine and the
 * figures, and writes BENCHMARKS.md plus one SVG chart per workload.
 *
 * Each JavaScript measurement runs in a fresh child process (`worker.ts`); fio runs directly.
 * Runs are interleaved (run 1 of every competitor, then run 2...) with the order rotated, so drift
 * of a shared machine spreads over all competitors instead of biasing one. Data files live under
 * `<repo>/.bench-tmp/` (the repository's file system: tmpfs has no O_DIRECT) and are removed at the
 * end. Exit status is 1 when a measurement failed (a competitor that cannot run here is reported,
 * not failed), so the quick profile in CI keeps the harness from rotting.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs, USAGE, type BenchOptions } from './args.js';
import { measureInChild } from './child.js';
import { competitorById, LINEUP } from './competitors.js';
import { EXTRA_BENCHES, runExtra, type ExtraOutcome } from './extras.js';
import { fioVersion, runFio } from './fio.js';
import { formatCount, formatMegabytesPerSec } from './format.js';
import { describeMachine, machineLines } from './machine.js';
import { extractNotes } from './notes.js';
import { benchTmpRoot, repoRoot } from './paths.js';
import { chartSpec, keyRatioLines, noiseWarnings, renderMarkdown } from './report.js';
import type { BenchResults, Cell, WorkloadResult } from './results.js';
import { fillPseudoRandom } from './rng.js';
import { renderBarChart } from './svg-chart.js';
import type { MeasureRequest, MeasureResult } from './types.js';
import { PROFILES, workloadSpec, type Profile, type WorkloadSpec } from './workloads.js';

const PREPARE_CHUNK_BYTES = 1 << 20;

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Writes `sizeBytes` of pseudo-random data to `path` and reads it back once to warm the page cache. */
function prepareDataFile(path: string, sizeBytes: number, seed: number): void {
  const chunk = Buffer.alloc(PREPARE_CHUNK_BYTES);
  const fd = openSync(path, 'w');
  try {
    for (let offsetBytes = 0, i = 0; offsetBytes < sizeBytes; offsetBytes += PREPARE_CHUNK_BYTES, i++) {
      fillPseudoRandom(chunk, seed + i);
      const lengthBytes = Math.min(PREPARE_CHUNK_BYTES, sizeBytes - offsetBytes);
      let doneBytes = 0;
      while (doneBytes < lengthBytes) doneBytes += writeSync(fd, chunk, doneBytes, lengthBytes - doneBytes, offsetBytes + doneBytes);
    }
  } finally {
    closeSync(fd);
  }
  const readFd = openSync(path, 'r');
  try {
    for (let offsetBytes = 0; offsetBytes < sizeBytes; offsetBytes += PREPARE_CHUNK_BYTES) {
      readSync(readFd, chunk, 0, PREPARE_CHUNK_BYTES, offsetBytes);
    }
  } finally {
    closeSync(readFd);
  }
}

interface RunContext {
  readonly options: BenchOptions;
  readonly profile: Profile;
  readonly benchDir: string;
  readonly root: string;
  readonly fioAvailable: boolean;
  readonly preparedFiles: Set<string>;
  measurementCount: number;
}

async function measureOnce(ctx: RunContext, req: MeasureRequest): Promise<MeasureResult> {
  const competitor = competitorById(req.competitor);
  if (competitor.kind === 'fio') {
    if (!ctx.fioAvailable) return { ok: false, unavailable: 'fio is not installed (install it with: apt-get install fio)' };
    return runFio(req, competitor.id === 'fio-io_uring' ? 'io_uring' : 'psync');
  }
  return measureInChild(req, competitor);
}

function dataFileFor(ctx: RunContext, spec: WorkloadSpec, fileSizeBytes: number): { dirPath: string; fileName: string } {
  if (spec.dataFile === 'own') {
    // A fresh directory per measurement: nothing one competitor leaves can help or hurt the next.
    ctx.measurementCount += 1;
    const dirPath = join(ctx.benchDir, `m-${ctx.measurementCount}`);
    mkdirSync(dirPath);
    return { dirPath, fileName: `${spec.id}.log` };
  }
  const fileName = `${spec.dataFile}-${fileSizeBytes}.bin`;
  if (!ctx.preparedFiles.has(fileName)) {
    log(`  preparing ${fileName} (${(fileSizeBytes / 2 ** 20).toFixed(0)} MiB)`);
    prepareDataFile(join(ctx.benchDir, fileName), fileSizeBytes, spec.dataFile === 'read' ? 1 : 2);
    ctx.preparedFiles.add(fileName);
  }
  return { dirPath: ctx.benchDir, fileName };
}

/** Reasons end up in BENCHMARKS.md: keep this machine's paths out of them. */
function scrubPaths(text: string, root: string): string {
  return text.split(root).join('<repo>');
}

/** ANSI colour codes and progress-bar redraws make no sense in a markdown code block. */
function scrubOutcome(outcome: ExtraOutcome, root: string): ExtraOutcome {
  if (outcome.status === 'absent') return outcome;
  // eslint-disable-next-line no-control-regex
  const output = scrubPaths(outcome.output.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '').replace(/^.*\r(?!\n)/gm, ''), root);
  return { ...outcome, output };
}

function describeRun(spec: WorkloadSpec, result: MeasureResult): string {
  if (!result.ok) return `not available: ${result.unavailable}`;
  const main = spec.metric === 'bytes'
    ? `${formatMegabytesPerSec(result.bytesPerSec)} MB/s`
    : `${formatCount(result.opsPerSec)} ${spec.opName}/s`;
  return result.errors > 0 ? `${main} (${result.errors} injected errors)` : main;
}

async function runWorkload(ctx: RunContext, spec: WorkloadSpec): Promise<WorkloadResult> {
  const quick = ctx.profile.name === 'quick';
  const queueDepths = quick ? spec.queueDepths.quick : spec.queueDepths.full;
  const fileSizeBytes = quick ? spec.fileSizeBytes.quick : spec.fileSizeBytes.full;
  const runs = ctx.options.runs ?? ctx.profile.runs;
  const lineup = LINEUP[spec.id];
  const result: WorkloadResult = { spec, queueDepths, fileSizeBytes, cells: [] };
  log(`\n${spec.title} [${spec.id}]`);
  for (const queueDepth of queueDepths) {
    const cells = lineup.map((competitor): Cell => ({ competitor, queueDepth, opsPerSec: [], bytesPerSec: [], errors: [], extras: [] }));
    result.cells.push(...cells);
    for (let run = 0; run < runs; run++) {
      for (let k = 0; k < cells.length; k++) {
        const cell = cells[(k + run) % cells.length]!;
        if (cell.unavailable !== undefined || cell.failure !== undefined) continue;
        const { dirPath, fileName } = dataFileFor(ctx, spec, fileSizeBytes);
        const req: MeasureRequest = {
          workload: spec.id, competitor: cell.competitor, dirPath, fileName, fileSizeBytes,
          blockBytes: spec.blockBytes, queueDepth, direct: spec.direct,
          warmupMs: ctx.profile.warmupMs, durationMs: ctx.profile.durationMs, seed: 1000 + run,
        };
        const label = `  QD ${String(queueDepth).padEnd(3)} run ${run + 1}/${runs} ${competitorById(cell.competitor).label.padEnd(42)}`;
        try {
          const measuredResult = await measureOnce(ctx, req);
          log(`${label} ${describeRun(spec, measuredResult)}`);
          if (!measuredResult.ok) {
            const why = scrubPaths(measuredResult.unavailable, ctx.root);
            // Gone after measuring fine: a transient (a rebuild under our feet), not a missing backend.
            if (cell.opsPerSec.length > 0) (cell.skippedRuns ??= []).push(`run ${run + 1}: ${why}`);
            else cell.unavailable = why;
          } else {
            cell.opsPerSec.push(measuredResult.opsPerSec);
            cell.bytesPerSec.push(measuredResult.bytesPerSec);
            cell.errors.push(measuredResult.errors);
            cell.extras.push({ ...measuredResult.extra });
          }
        } catch (err) {
          cell.failure = scrubPaths(err instanceof Error ? err.message : String(err), ctx.root);
          log(`${label} FAILED: ${cell.failure}`);
        } finally {
          if (dirPath !== ctx.benchDir) rmSync(dirPath, { recursive: true, force: true });
        }
      }
    }
  }
  return result;
}

/** The hand-written notes of the report already at `markdownPath` (none when there is no file). */
function previousNotes(markdownPath: string): Map<string, string> {
  if (!existsSync(markdownPath)) return new Map();
  try {
    return extractNotes(readFileSync(markdownPath, 'utf8'));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`${markdownPath}: ${why}. Nothing was written: fix the markers, then render again from saved figures (\`npm run bench -- --render <results.json>\`; a run saves its own in .bench-tmp/last-results.json).`, { cause: err });
  }
}

/** Writes the charts and BENCHMARKS.md, keeping the notes of the file it replaces. */
function writeOutputs(results: BenchResults, outDir: string): string {
  const markdownPath = join(outDir, 'BENCHMARKS.md');
  // Read before writing anything: damaged markers must leave the old report and charts as they are.
  const notes = previousNotes(markdownPath);
  const chartDir = join(outDir, 'docs', 'bench');
  mkdirSync(chartDir, { recursive: true });
  for (const result of results.workloads) {
    writeFileSync(join(chartDir, `${result.spec.id}.svg`), renderBarChart(chartSpec(result)));
  }
  writeFileSync(markdownPath, renderMarkdown(results, (id) => `docs/bench/${id}.svg`, notes));
  return markdownPath;
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    log(USAGE);
    return 0;
  }
  const root = repoRoot();
  if (options.renderFrom !== undefined) {
    const saved = JSON.parse(readFileSync(options.renderFrom, 'utf8')) as BenchResults;
    // Specs come from the current code (titles, descriptions); figures from the file.
    const results: BenchResults = { ...saved, workloads: saved.workloads.map((w) => ({ ...w, spec: workloadSpec(w.spec.id) })) };
    const markdownPath = writeOutputs(results, options.outDir ?? root);
    log(`rewrote ${relative(process.cwd(), markdownPath) || markdownPath} and ${results.workloads.length} chart(s) from ${options.renderFrom}`);
    return 0;
  }
  const everything = !options.quick && options.extras && options.only.length === LINEUP_SIZE;
  const outDir = options.outDir ?? (everything ? root : join(benchTmpRoot(), 'report'));
  // Damaged notes markers stop the rewrite at the end (the file is read again then, to keep notes
  // edited meanwhile): say so now rather than after the whole run.
  previousNotes(join(outDir, 'BENCHMARKS.md'));
  const profile = PROFILES[options.quick ? 'quick' : 'full'];
  const benchDir = join(benchTmpRoot(), `run-${process.pid}`);
  mkdirSync(benchDir, { recursive: true });
  const cleanup = (): void => {
    if (!options.keepFiles) rmSync(benchDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });

  const fio = await fioVersion();
  const machine = describeMachine(benchDir, fio);
  log(`faultline benchmarks, ${profile.name} profile`);
  for (const line of machineLines(machine)) log(`  ${line}`);
  if (fio === undefined) log('  note: fio is not installed; its rows are skipped (install: apt-get install fio)');
  if (profile.name === 'quick') log('  note: quick profile (smoke check): small files and short runs, figures are not representative');

  const results: BenchResults = {
    machine, profile, startedAt: new Date().toISOString(), finishedAt: '', workloads: [], extras: [],
  };
  const ctx: RunContext = { options, profile, benchDir, root, fioAvailable: fio !== undefined, preparedFiles: new Set(), measurementCount: 0 };
  try {
    for (const id of options.only) {
      const result = await runWorkload(ctx, workloadSpec(id));
      result.loadAverage1m = loadavg()[0] ?? 0;
      results.workloads.push(result);
    }
    if (options.extras) {
      for (const bench of EXTRA_BENCHES) {
        log(`\n${bench.title} [bench/${bench.name}]`);
        const outcome = scrubOutcome(await runExtra(bench, options.quick), root);
        log(outcome.status === 'absent' ? '  not present' : outcome.status === 'ok' ? `  done in ${(outcome.elapsedMs / 1000).toFixed(1)} s` : `  FAILED: ${outcome.reason}`);
        results.extras.push({ name: bench.name, title: bench.title, outcome });
      }
    }
  } finally {
    cleanup();
  }
  results.finishedAt = new Date().toISOString();

  mkdirSync(benchTmpRoot(), { recursive: true });
  writeFileSync(join(benchTmpRoot(), 'last-results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const markdownPath = writeOutputs(results, outDir);

  log('\nKey ratios:');
  for (const line of keyRatioLines(results)) log(`  ${line.slice(2)}`);
  const noise = noiseWarnings(results);
  if (noise.length > 0) {
    log(`\nwarning: ${noise.length} figure(s) spread by more than 10% between runs (a busy machine?):`);
    for (const line of noise) log(`  ${line}`);
  }
  log(`\nwrote ${relative(process.cwd(), markdownPath) || markdownPath} and ${results.workloads.length} chart(s) in ${relative(process.cwd(), join(outDir, 'docs', 'bench')) || '.'}`);
  const failures = results.workloads.flatMap((w) => w.cells.filter((c) => c.failure !== undefined));
  const extraFailures = results.extras.filter((e) => e.outcome.status === 'failed');
  if (failures.length + extraFailures.length > 0) {
    log(`\n${failures.length + extraFailures.length} measurement(s) FAILED:`);
    for (const cell of failures) log(`  ${cell.competitor} QD ${cell.queueDepth}: ${cell.failure}`);
    for (const extra of extraFailures) log(`  bench/${extra.name}: ${extra.outcome.status === 'failed' ? extra.outcome.reason : ''}`);
    return 1;
  }
  return 0;
}

const LINEUP_SIZE = Object.keys(LINEUP).length;

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
