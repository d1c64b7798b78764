/**
 * fio as an outside reference: the same file, block size, pattern and number in flight, with its
 * io_uring engine (one thread, `iodepth` in flight) and its psync engine (synchronous pread/pwrite,
 * so "in flight" means that many threads, capped at {@link PSYNC_THREADS_MAX}).
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { MeasureRequest, MeasureResult } from './types.js';

/** Beyond this many psync threads on a small machine fio measures its scheduler, not the disk. */
export const PSYNC_THREADS_MAX = 64;
/** fio gets its run time plus this much to start, lay out and report before it is killed. */
const FIO_GRACE_MS = 60_000;

export type FioEngine = 'io_uring' | 'psync';

/** fio's version string, or undefined when fio is not on the PATH. */
export function fioVersion(): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('fio', ['--version'], { timeout: 10_000 }, (err, stdout) => resolve(err ? undefined : stdout.trim()));
  });
}

/** fio's job options for `req`, or undefined when fio has no equivalent of the workload. */
export function fioArguments(req: MeasureRequest, engine: FioEngine): string[] | undefined {
  const threads = engine === 'psync' ? Math.min(req.queueDepth, PSYNC_THREADS_MAX) : 1;
  const args = [
    '--name=faultline-bench',
    `--filename=${join(req.dirPath, req.fileName)}`,
    `--ioengine=${engine}`,
    `--bs=${req.blockBytes}`,
    `--iodepth=${engine === 'psync' ? 1 : req.queueDepth}`,
    `--numjobs=${threads}`,
    '--thread',
    '--group_reporting',
    '--time_based',
    `--runtime=${Math.max(1, Math.round(req.durationMs))}ms`,
    `--ramp_time=${Math.max(0, Math.round(req.warmupMs))}ms`,
    `--direct=${req.direct ? 1 : 0}`,
    // Keep the page cache: the cached workloads are about it, and the runner warmed it.
    '--invalidate=0',
    '--output-format=json',
    '--lat_percentiles=1',
    `--randseed=${req.seed}`,
  ];
  const regionBytes = Math.floor(req.fileSizeBytes / threads / req.blockBytes) * req.blockBytes;
  switch (req.workload) {
    case 'randread':
    case 'randread-direct':
      return [...args, '--rw=randread', `--size=${req.fileSizeBytes}`, '--norandommap', '--randrepeat=0'];
    case 'randwrite':
      return [...args, '--rw=randwrite', `--size=${req.fileSizeBytes}`, '--norandommap', '--randrepeat=0'];
    case 'seqread':
    case 'seqwrite':
      // Threads split the file so together they stream it once, as the shared cursor does.
      return [...args, `--rw=${req.workload === 'seqread' ? 'read' : 'write'}`, `--size=${regionBytes}`, `--offset_increment=${regionBytes}`];
    case 'sync-append':
      return [...args, '--rw=write', '--fdatasync=1', '--file_append=1', '--fallocate=none', `--size=${req.fileSizeBytes}`];
    default:
      return undefined;
  }
}

interface FioDirection {
  readonly iops: number;
  readonly bw_bytes: number;
  readonly total_ios: number;
  /** Total latency (issue to completion, as the JavaScript loop measures it), with `--lat_percentiles=1`. */
  readonly lat_ns?: { readonly percentile?: Readonly<Record<string, number>> };
  /** Completion latency only: the fallback when total-latency percentiles are missing. */
  readonly clat_ns?: { readonly percentile?: Readonly<Record<string, number>> };
}

/** fio's percentile `key` in ms, or undefined when it did not report one. */
function fioPercentileMs(dir: FioDirection, key: string): number | undefined {
  const ns = dir.lat_ns?.percentile?.[key] ?? dir.clat_ns?.percentile?.[key];
  return ns === undefined ? undefined : ns / 1e6;
}

function fioExtra(dir: FioDirection, engine: FioEngine, req: MeasureRequest): Record<string, number> {
  const extra: Record<string, number> = {};
  if (engine === 'psync') extra['threads'] = Math.min(req.queueDepth, PSYNC_THREADS_MAX);
  // With fdatasync=1 fio times the write and the sync apart; neither alone is an append's latency.
  if (req.workload === 'sync-append') return extra;
  const p50 = fioPercentileMs(dir, '50.000000');
  const p99 = fioPercentileMs(dir, '99.000000');
  if (p50 !== undefined) extra['latencyMsP50'] = p50;
  if (p99 !== undefined) extra['latencyMsP99'] = p99;
  return extra;
}

/** Runs fio once and converts its JSON to a {@link MeasureResult}. */
export function runFio(req: MeasureRequest, engine: FioEngine): Promise<MeasureResult> {
  const args = fioArguments(req, engine);
  if (args === undefined) return Promise.resolve({ ok: false, unavailable: `fio has no ${req.workload} job` });
  // A synced-append run starts from an empty log, as the JavaScript competitors' truncate does.
  if (req.workload === 'sync-append') rmSync(join(req.dirPath, req.fileName), { force: true });
  return new Promise((resolve, reject) => {
    execFile('fio', args, { timeout: req.warmupMs + req.durationMs + FIO_GRACE_MS, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`fio failed: ${stderr.trim().split('\n').slice(-3).join(' | ') || err.message}`));
        return;
      }
      try {
        // fio may print notes before the JSON document.
        const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { jobs: { read: FioDirection; write: FioDirection; error: number }[] };
        const job = report.jobs[0];
        if (job === undefined) throw new Error('fio reported no job');
        if (job.error !== 0) throw new Error(`fio job error ${job.error}`);
        const reading = req.workload === 'randread' || req.workload === 'randread-direct' || req.workload === 'seqread';
        const dir = reading ? job.read : job.write;
        resolve({
          ok: true,
          opsPerSec: dir.iops,
          bytesPerSec: dir.bw_bytes,
          ops: dir.total_ios,
          elapsedMs: req.durationMs,
          errors: 0,
          extra: fioExtra(dir, engine, req),
        });
      } catch (parseErr) {
        reject(parseErr instanceof Error ? parseErr : new Error(String(parseErr)));
      }
    });
  });
}
