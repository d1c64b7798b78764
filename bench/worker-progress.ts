/**
 * What a measuring child is doing, kept up to date by the measurement and printed by the child
 * when the runner stops it as hung (`child.ts`): a hang then says where it happened (opening the
 * driver, measuring, shutting down), how many operations were still waiting, and what Node still
 * had pending (`process.getActiveResourcesInfo()`: a stuck node:fs call shows as FSReqCallback),
 * instead of only "SIGKILL".
 */
export const progress = {
  /** The step under way. */
  phase: 'starting',
  /** Operations started and not yet settled (the closed loop's lanes). */
  operationsWaiting: 0,
  /** Operations settled. */
  operationsDone: 0,
};

/** The report of a child stopped while it was doing {@link progress}. */
export function hungReport(elapsedMs: number): string {
  const pending: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) pending[name] = (pending[name] ?? 0) + 1;
  return JSON.stringify({ ...progress, elapsedMs: Math.round(elapsedMs), pending });
}
