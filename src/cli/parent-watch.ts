/**
 * A campaign worker's parent watch, run on a worker thread of its own. A worker learns that its
 * campaign is gone from the IPC channel closing, but only when its event loop next runs: a seed
 * stuck in a synchronous loop would keep the orphan spinning at full CPU after the campaign was
 * killed (SIGKILL leaves the campaign no chance to end its workers). This thread does not depend on
 * the worker's main thread: it polls the parent process id (a process is re-parented when its parent
 * dies) and kills its own process when it changes.
 */
import { workerData } from 'node:worker_threads';

/** How often the parent is checked: an orphan is gone within about this long. */
export const PARENT_POLL_MS = 250;

const parentPid = (workerData as { parentPid?: unknown } | null)?.parentPid;
if (typeof parentPid === 'number') {
  const check = (): void => {
    // `process.ppid` asks the OS each time (it is not cached).
    if (process.ppid !== parentPid) process.kill(process.pid, 'SIGKILL');
  };
  check();
  setInterval(check, PARENT_POLL_MS);
}
