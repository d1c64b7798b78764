/**
 * Campaign progress on stderr: a bar on a terminal (seeds done, seeds/s, failures, ETA), plain
 * lines every few seconds otherwise (logs, CI), nothing when silenced.
 */
import cliProgress from 'cli-progress';

export interface ProgressDisplay {
  update(done: number, failed: number): void;
  /** Prints `text` to `out` (a failure report) without garbling the bar. */
  print(text: string, out: NodeJS.WritableStream): void;
  stop(): void;
}

/** Seconds between plain progress lines when stderr is not a terminal. */
const PLAIN_INTERVAL_MS = 5000;

export function createProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr, enabled = true): ProgressDisplay {
  const started = performance.now();
  const rate = (done: number): string => {
    const seconds = (performance.now() - started) / 1000;
    return seconds > 0 ? (done / seconds).toFixed(1) : '0.0';
  };
  if (!enabled) {
    return { update: () => undefined, print: (text, out) => void out.write(text + '\n'), stop: () => undefined };
  }
  if (stream.isTTY !== true) {
    let lastPrintMs = started;
    let lastDone = 0;
    let lastFailed = 0;
    const line = (done: number, failed: number): void => {
      // A continuous run has no total (0): it shows the seeds done so far.
      stream.write(`${label}: ${total > 0 ? `${done}/${total}` : done} seeds, ${rate(done)} seeds/s, ${failed} failed\n`);
    };
    return {
      update(done, failed) {
        lastDone = done;
        lastFailed = failed;
        const now = performance.now();
        if (now - lastPrintMs >= PLAIN_INTERVAL_MS) {
          lastPrintMs = now;
          line(done, failed);
        }
      },
      print: (text, out) => void out.write(text + '\n'),
      stop: () => line(lastDone, lastFailed),
    };
  }
  const bar = new cliProgress.SingleBar({
    format: total > 0
      ? `${label} {bar} {value}/{total} seeds | {rate} seeds/s | {failed} failed | ETA {eta_formatted}`
      : `${label} {value} seeds | {rate} seeds/s | {failed} failed`,
    stream,
    hideCursor: true,
    etaBuffer: 50,
    fps: 10,
  }, cliProgress.Presets.shades_classic);
  // The bar hides the cursor; `stop` gives it back (the command calls it on an interrupt too).
  bar.start(total, 0, { rate: '0.0', failed: 0 });
  return {
    update(done, failed) {
      bar.update(done, { rate: rate(done), failed });
    },
    print(text, out) {
      // Clear the bar's line first; cli-progress redraws it on the next update.
      stream.write('\r\x1b[2K');
      out.write(text + '\n');
    },
    stop() {
      bar.stop();
    },
  };
}
