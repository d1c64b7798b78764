/** Turns {@link BenchResults} into BENCHMARKS.md and one chart spec per workload. */
import { COMPETITORS, competitorById, REFERENCE } from './competitors.js';
import { formatBytes, formatCount, formatLatencyMs, formatMegabytesPerSec, formatRatio } from './format.js';
import { machineLines } from './machine.js';
import { extraNotesKey, TOP_NOTES_KEY } from './notes.js';
import { headline, measured, type BenchResults, type Cell, type WorkloadResult } from './results.js';
import { summarize, type Summary } from './stats.js';
import type { ChartSpec } from './svg-chart.js';

/** Spread (max − min over median) above which a figure is flagged as noisy. */
export const NOISE_SPREAD_RATIO = 0.1;
const FAULTLINE_IDS = new Set(['uring', 'fsio', 'storage-uring', 'storage-fsio', 'sim', 'sim-faults', 'fsio-memfs']);

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

function cellAt(result: WorkloadResult, competitor: string, queueDepth: number): Cell | undefined {
  return result.cells.find((c) => c.competitor === competitor && c.queueDepth === queueDepth);
}

function summaryOf(result: WorkloadResult, cell: Cell | undefined): Summary | undefined {
  return cell !== undefined && measured(cell) ? summarize(headline(result, cell)) : undefined;
}

/** Median of `competitor` over median of the workload's reference, at `queueDepth`. */
export function ratioToReference(result: WorkloadResult, competitor: string, queueDepth: number, reference = REFERENCE[result.spec.id]): number | undefined {
  const own = summaryOf(result, cellAt(result, competitor, queueDepth));
  const ref = summaryOf(result, cellAt(result, reference, queueDepth));
  if (own === undefined || ref === undefined || ref.median === 0) return undefined;
  return own.median / ref.median;
}

function unitOf(result: WorkloadResult): string {
  return result.spec.metric === 'bytes' ? 'MB/s' : `${result.spec.opName}/s`;
}

function formatHeadline(result: WorkloadResult, value: number): string {
  return result.spec.metric === 'bytes' ? formatMegabytesPerSec(value) : formatCount(value);
}

function competitorsIn(result: WorkloadResult): string[] {
  const ids: string[] = [];
  for (const cell of result.cells) if (!ids.includes(cell.competitor)) ids.push(cell.competitor);
  return ids;
}

/** Lines of the "noisy figures" warnings, also printed by the runner. */
export function noiseWarnings(results: BenchResults): string[] {
  const lines: string[] = [];
  for (const result of results.workloads) {
    for (const cell of result.cells) {
      const s = summaryOf(result, cell);
      if (s !== undefined && s.runs > 1 && s.spreadRatio > NOISE_SPREAD_RATIO) {
        lines.push(`${result.spec.id} QD ${cell.queueDepth} ${competitorById(cell.competitor).label}: spread ${(s.spreadRatio * 100).toFixed(0)}% over ${s.runs} runs`);
      }
    }
  }
  return lines;
}

/** "p50 / p99" of a cell: the median over runs of each run's percentile. */
function latencyText(cell: Cell): string {
  const p50 = cell.extras.map((e) => e['latencyMsP50']).filter((v): v is number => v !== undefined);
  const p99 = cell.extras.map((e) => e['latencyMsP99']).filter((v): v is number => v !== undefined);
  if (p50.length === 0 || p99.length === 0) return '—';
  return `${formatLatencyMs(summarize(p50).median)} / ${formatLatencyMs(summarize(p99).median)}`;
}

function singleDepthTable(result: WorkloadResult, queueDepth: number): string[] {
  const ref = competitorById(REFERENCE[result.spec.id]).label;
  const extraHeads: string[] = [];
  if (result.spec.id === 'group-commit') extraHeads.push('appends per sync');
  if (result.spec.id === 'metadata') extraHeads.push('calls/s');
  if (result.spec.id === 'sim') extraHeads.push('errors/s', 'memory held', 'held ÷ stored');
  // Metadata cycles move a token payload: a MB/s column would only say "0".
  const secondary = result.spec.id === 'metadata' ? undefined : result.spec.metric === 'bytes' ? 'ops/s' : 'MB/s';
  const lines = [
    `| Competitor | ${unitOf(result)} (median) |${secondary === undefined ? '' : ` ${secondary} |`} min – max | spread | vs ${ref} | latency p50 / p99 |${extraHeads.map((h) => ` ${h} |`).join('')}`,
    `|---|--:|${secondary === undefined ? '' : '--:|'}--:|--:|--:|--:|${extraHeads.map(() => '--:|').join('')}`,
  ];
  for (const id of competitorsIn(result)) {
    const cell = cellAt(result, id, queueDepth);
    if (cell === undefined || !measured(cell)) continue;
    const s = summarize(headline(result, cell));
    const other = result.spec.metric === 'bytes' ? formatCount(summarize(cell.opsPerSec).median) : formatMegabytesPerSec(summarize(cell.bytesPerSec).median);
    const ratio = ratioToReference(result, id, queueDepth);
    const label = FAULTLINE_IDS.has(id) ? `**${competitorById(id).label}**` : competitorById(id).label;
    const extras: string[] = [];
    const extraMean = (key: string): number => mean(cell.extras.map((e) => e[key] ?? 0));
    if (result.spec.id === 'group-commit') extras.push(extraMean('appendsPerSync').toFixed(1));
    if (result.spec.id === 'metadata') extras.push(formatCount(extraMean('callsPerSec')));
    if (result.spec.id === 'sim') {
      extras.push(formatCount(extraMean('errorsPerSec')));
      extras.push(formatBytes(extraMean('heldBytes')));
      extras.push(`${extraMean('heldPerStored').toFixed(2)}`);
    }
    const noisy = s.runs > 1 && s.spreadRatio > NOISE_SPREAD_RATIO ? ' ⚠' : '';
    lines.push(`| ${label} | ${formatHeadline(result, s.median)} |${secondary === undefined ? '' : ` ${other} |`} ${formatHeadline(result, s.min)} – ${formatHeadline(result, s.max)} | ${(s.spreadRatio * 100).toFixed(0)}%${noisy} | ${ratio === undefined ? '—' : formatRatio(ratio)} | ${latencyText(cell)} |${extras.map((e) => ` ${e} |`).join('')}`);
  }
  return lines;
}

function sweepTable(result: WorkloadResult): string[] {
  const ref = competitorById(REFERENCE[result.spec.id]).label;
  const lines = [
    `Each cell: median ${unitOf(result)}, ± half the min–max range of the runs (in % of the median), and in parentheses the ratio to ${ref} at the same queue depth.`,
    '',
    `| Competitor |${result.queueDepths.map((qd) => ` QD ${qd} |`).join('')}`,
    `|---|${result.queueDepths.map(() => '--:|').join('')}`,
  ];
  for (const id of competitorsIn(result)) {
    const cells = result.queueDepths.map((qd) => cellAt(result, id, qd));
    if (!cells.some((c) => c !== undefined && measured(c))) continue;
    const label = FAULTLINE_IDS.has(id) ? `**${competitorById(id).label}**` : competitorById(id).label;
    const row = cells.map((cell, i) => {
      if (cell === undefined || !measured(cell)) return ' — |';
      const s = summarize(headline(result, cell));
      const ratio = ratioToReference(result, id, result.queueDepths[i]!);
      const noisy = s.runs > 1 && s.spreadRatio > NOISE_SPREAD_RATIO ? ' ⚠' : '';
      return ` ${formatHeadline(result, s.median)} ±${(s.spreadRatio * 50).toFixed(0)}%${noisy} (${ratio === undefined ? '—' : formatRatio(ratio)}) |`;
    });
    lines.push(`| ${label} |${row.join('')}`);
  }
  lines.push('', 'Latency of one operation, issue to completion (p50 / p99, median over runs):', '');
  lines.push(`| Competitor |${result.queueDepths.map((qd) => ` QD ${qd} |`).join('')}`);
  lines.push(`|---|${result.queueDepths.map(() => '--:|').join('')}`);
  for (const id of competitorsIn(result)) {
    const cells = result.queueDepths.map((qd) => cellAt(result, id, qd));
    if (!cells.some((c) => c !== undefined && measured(c))) continue;
    const label = FAULTLINE_IDS.has(id) ? `**${competitorById(id).label}**` : competitorById(id).label;
    lines.push(`| ${label} |${cells.map((c) => ` ${c !== undefined && measured(c) ? latencyText(c) : '—'} |`).join('')}`);
  }
  return lines;
}

function missingLines(result: WorkloadResult): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const cell of result.cells) {
    for (const skipped of cell.skippedRuns ?? []) {
      lines.push(`- ${competitorById(cell.competitor).label}, QD ${cell.queueDepth}: ${skipped} (figures above from the other ${cell.opsPerSec.length} runs)`);
    }
    const why = cell.unavailable ?? cell.failure;
    if (why === undefined || seen.has(cell.competitor)) continue;
    seen.add(cell.competitor);
    const kind = cell.unavailable !== undefined ? 'not available' : 'failed';
    lines.push(`- ${competitorById(cell.competitor).label}: ${kind}: ${why}`);
  }
  return lines;
}

/** One chart per workload: groups are queue depths, series are competitors. */
export function chartSpec(result: WorkloadResult): ChartSpec {
  const ids = COMPETITORS.map((c) => c.id);
  const series = COMPETITORS.map((c) => c.label);
  const sweep = result.queueDepths.length > 1;
  const groups = result.queueDepths.map((qd) => ({
    label: sweep ? `queue depth ${qd}` : '',
    bars: competitorsIn(result).flatMap((id) => {
      const s = summaryOf(result, cellAt(result, id, qd));
      if (s === undefined) return [];
      const scale = result.spec.metric === 'bytes' ? 1e-6 : 1;
      return [{ series: ids.indexOf(id), value: s.median * scale, min: s.min * scale, max: s.max * scale }];
    }),
  }));
  const qdText = sweep ? '' : `, queue depth ${result.queueDepths[0]}`;
  return {
    title: result.spec.title,
    subtitle: `${result.spec.description.split('. ')[0]!.replace(/\.$/, '')}${qdText}. Higher is better.`,
    unit: unitOf(result),
    series,
    groups,
    highlighted: ids.flatMap((id, i) => (FAULTLINE_IDS.has(id) ? [i] : [])),
  };
}

/** The headline comparisons the README quotes. */
export function keyRatioLines(results: BenchResults): string[] {
  const lines: string[] = [];
  for (const result of results.workloads) {
    const qd = result.queueDepths.includes(64) ? 64 : result.queueDepths[result.queueDepths.length - 1]!;
    const parts: string[] = [];
    const pairs: readonly [string, string, string][] = result.spec.id === 'sim'
      ? [['sim', 'memfs', 'SimIo ÷ memfs'], ['sim-faults', 'memfs', 'SimIo with faults ÷ memfs']]
      : result.spec.id === 'group-commit'
        ? [['storage-uring', 'node-promises', 'Storage on UringIo ÷ fs.promises'], ['storage-fsio', 'node-promises', 'Storage on FsIo ÷ fs.promises']]
        : [['uring', 'node-promises', 'UringIo ÷ fs.promises'], ['uring', 'fio-io_uring', 'UringIo ÷ fio io_uring'], ['fsio', 'node-promises', 'FsIo ÷ fs.promises']];
    for (const [a, b, text] of pairs) {
      const ratio = ratioToReference(result, a, qd, b);
      if (ratio !== undefined) parts.push(`${text} ${formatRatio(ratio)}`);
    }
    if (parts.length > 0) lines.push(`- ${result.spec.title} (QD ${qd}): ${parts.join(' · ')}`);
  }
  return lines;
}

/** How noisy each workload was: the tables already mark each noisy figure with ⚠. */
function noiseSection(results: BenchResults): string[] {
  const flagged = noiseWarnings(results).length;
  let total = 0;
  const rows: string[] = [];
  for (const result of results.workloads) {
    const spreads: number[] = [];
    for (const cell of result.cells) {
      const s = summaryOf(result, cell);
      if (s !== undefined && s.runs > 1) spreads.push(s.spreadRatio);
    }
    total += spreads.length;
    if (spreads.length === 0) continue;
    const load = result.loadAverage1m === undefined ? '—' : result.loadAverage1m.toFixed(1);
    rows.push(`| ${result.spec.title} | ${(summarize(spreads).median * 100).toFixed(0)}% | ${(Math.max(...spreads) * 100).toFixed(0)}% | ${load} |`);
  }
  if (total === 0) return ['Single runs: no spread to report.'];
  const lines = [`${flagged} of ${total} figures spread by more than ${(NOISE_SPREAD_RATIO * 100).toFixed(0)}% of their median between runs (marked ⚠ above). Spread is (max − min) / median over the runs of one competitor.`, ''];
  lines.push(`| Workload | median spread | largest spread | load average |`, '|---|--:|--:|--:|', ...rows);
  lines.push('', `The machine has ${results.machine.cpuCount} CPUs; a load average near or above that means other processes competed with the benchmark, and the ratios between competitors measured side by side are then the figures to trust, not the absolute rates.`);
  return lines;
}

/** Whether the UV_USE_IO_URING=1 children really held an io_uring instance (libuv may refuse it). */
function uvIoUringLines(results: BenchResults): string[] {
  let withRing = 0;
  let runs = 0;
  for (const result of results.workloads) {
    for (const cell of result.cells) {
      if (!cell.competitor.endsWith('-uvuring')) continue;
      for (const extra of cell.extras) {
        const count = extra['ioUringInstances'];
        if (count === undefined || count < 0) continue;
        runs += 1;
        if (count > 0) withRing += 1;
      }
    }
  }
  if (runs === 0) return [];
  return [`  Checked in /proc/self/fd after each run: ${withRing} of ${runs} UV_USE_IO_URING=1 runs held an io_uring instance.`];
}

export const KEPT_NOTES_HEADING = '## Notes kept from the previous report';

/** The notes block anchored at `key` (followed by a blank line), or nothing; marks it as placed. */
function notesAt(key: string, notes: ReadonlyMap<string, string>, placed: Set<string>): string[] {
  const block = notes.get(key);
  if (block === undefined) return [];
  placed.add(key);
  return [block, ''];
}

/** Blocks whose anchor is not in this report (a workload not run this time): kept, never dropped. */
function keptNotesSection(notes: ReadonlyMap<string, string>, placed: ReadonlySet<string>): string[] {
  const orphans = [...notes].filter(([key]) => !placed.has(key));
  if (orphans.length === 0) return [];
  return [
    KEPT_NOTES_HEADING,
    '',
    'Notes whose section is not in this report (its workload or script did not run this time, or the key names no section). Each goes back after its section when a run brings the section back.',
    '',
    ...orphans.flatMap(([, block]) => [block, '']),
  ];
}

/**
 * The whole BENCHMARKS.md. `chartPath(id)` is the chart's path relative to the document. `notes`
 * (`extractNotes` of the previous file) are put back at their anchors: after a
 * workload's section, after a script's output, after Key ratios (`top`); the rest at the end.
 */
export function renderMarkdown(results: BenchResults, chartPath: (id: string) => string, notes: ReadonlyMap<string, string> = new Map()): string {
  const p = results.profile;
  const placed = new Set<string>();
  const out: string[] = [
    '# Benchmarks',
    '',
    `Generated by \`npm run bench${p.name === 'quick' ? ' -- --quick' : ''}\` (${p.name} profile) on ${results.startedAt.slice(0, 10)}. Every figure is the median of ${p.runs} runs of ${(p.durationMs / 1000).toFixed(2)} s each (after ${(p.warmupMs / 1000).toFixed(2)} s of warm-up); every JavaScript competitor runs in its own fresh Node process, and the competitors are interleaved run by run so slow drift of the machine hits all of them alike. Ratios compare medians within this one run.`,
    '',
    '## Reproduce',
    '',
    '```sh',
    'npm run build && npm run bench                 # everything (about 50 minutes), rewrites this file and docs/bench/*.svg',
    'npm run bench -- --quick                       # smoke check (under two minutes), writes to .bench-tmp/report/',
    'npm run bench -- --only randread,sync-append   # some workloads; also --runs <n>, --out <dir>, --keep-files',
    '```',
    '',
    'fio rows need fio (`apt-get install fio`); without it they are listed as not available. Data files go to `.bench-tmp/` in the repository (a disk file system: tmpfs has no O_DIRECT) and are removed afterwards.',
    '',
    'Hand-written notes survive a rewrite when they sit between a `<!-- notes:<key> -->` line and a `<!-- /notes:<key> -->` line; everything else is regenerated. The key says where the block goes back: a workload id such as `randread` (after that section), `extra:<script>` such as `extra:uring-reads` (after that script\'s output), or `top` (after Key ratios). A block whose section is not in the new report is kept at the end, under "Notes kept from the previous report"; a damaged marker stops the rewrite before anything is written.',
    '',
    '## Machine',
    '',
    ...machineLines(results.machine).map((l) => `- ${l}`),
    '',
    'This is a small shared virtual machine: absolute figures are modest and noisy; the ratios between competitors measured side by side are the useful part. Figures with a spread above 10% are marked ⚠.',
    '',
    '## Key ratios',
    '',
    ...keyRatioLines(results),
    '',
    ...notesAt(TOP_NOTES_KEY, notes, placed),
    '## Competitors',
    '',
    '- **faultline UringIo**: the io_uring backend (native addon, one ring, batched submissions).',
    '- **faultline FsIo**: the node:fs backend (libuv thread pool, callback API).',
    '- **faultline Storage**: blobs with a header over either backend; synced appends go through `blob.sync()`.',
    '- node fs.promises FileHandle and node fs callbacks: what a Node program uses without faultline; with `UV_USE_IO_URING=1` libuv sends file operations to its own io_uring instead of the thread pool (read at process start, hence one process per competitor).',
    ...uvIoUringLines(results),
    '- fio (io_uring and psync engines): the native ceiling on the same file. psync is synchronous, so "queue depth N" means N threads (at most 64).',
    '- memfs and the simulator: in-memory disks; nothing reaches the kernel.',
    '',
  ];
  for (const result of results.workloads) {
    const spec = result.spec;
    const ref = competitorById(REFERENCE[spec.id]).label;
    out.push(`## ${spec.title}`, '');
    out.push(spec.description, '');
    const sizes = [`block ${formatBytes(spec.blockBytes)}`];
    if (result.fileSizeBytes > 0) sizes.push(`file ${formatBytes(result.fileSizeBytes)}`);
    sizes.push(`queue depth ${result.queueDepths.join(', ')}`, `reference: ${ref}`);
    if (result.loadAverage1m !== undefined) sizes.push(`load average ${result.loadAverage1m.toFixed(1)} at the end`);
    sizes.push(`\`--only ${spec.id}\``);
    out.push(sizes.join(' · '), '');
    out.push(`![${spec.title}](${chartPath(spec.id)})`, '');
    if (result.queueDepths.length > 1) out.push(...sweepTable(result));
    else out.push(...singleDepthTable(result, result.queueDepths[0]!));
    const missing = missingLines(result);
    if (missing.length > 0) out.push('', ...missing);
    out.push('', ...notesAt(spec.id, notes, placed));
  }
  if (results.extras.length > 0) {
    out.push('## Other benchmarks', '', 'Scripts kept by other parts of the project, run as they are by `npm run bench` (output verbatim).', '');
    for (const extra of results.extras) {
      out.push(`### ${extra.title} (\`bench/${extra.name}\`)`, '');
      if (extra.outcome.status === 'absent') {
        out.push('Not present in this checkout.', '');
      } else {
        if (extra.outcome.status === 'failed') out.push(`Failed: ${extra.outcome.reason}.`, '');
        out.push('```text', extra.outcome.output.replace(/```/g, "'''"), '```', '');
      }
      out.push(...notesAt(extraNotesKey(extra.name), notes, placed));
    }
  }
  out.push('## Noise', '', ...noiseSection(results));
  out.push('', `Run finished ${results.finishedAt}.`, '');
  out.push(...keptNotesSection(notes, placed));
  return out.join('\n');
}
