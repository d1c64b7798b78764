/**
 * Runs a model test's fast-check property with replay built in: `FAULTLINE_MODEL_SEED` (and
 * `FAULTLINE_MODEL_PATH`, to go straight to the shrunk counterexample) replay a reported failure,
 * and a failure's message ends with the exact command that replays it.
 */
import fc from 'fast-check';
import { replayCommand } from '../../src/testing/replay.js';

/** fast-check's seed and path from the environment, checked. */
export function modelReplayParameters(): { seed?: number; path?: string } {
  const seedText = process.env['FAULTLINE_MODEL_SEED'];
  const pathText = process.env['FAULTLINE_MODEL_PATH'];
  const parameters: { seed?: number; path?: string } = {};
  if (seedText !== undefined && seedText !== '') {
    const seed = Number(seedText);
    if (!Number.isSafeInteger(seed)) throw new Error(`FAULTLINE_MODEL_SEED must be an integer, got '${seedText}'`);
    parameters.seed = seed;
  }
  if (pathText !== undefined && pathText !== '') {
    if (!/^\d+(:\d+)*$/.test(pathText)) throw new Error(`FAULTLINE_MODEL_PATH must look like 12:0:3, got '${pathText}'`);
    parameters.path = pathText;
  }
  return parameters;
}

/** Checks `property` over `numRuns` runs (or the replayed one); rejects with the report and the replay line. */
export async function assertModel<Ts>(title: string, property: fc.IAsyncPropertyWithHooks<Ts>, numRuns: number): Promise<void> {
  const details = await fc.check(property, { numRuns, ...modelReplayParameters() });
  if (!details.failed) return;
  const env: Record<string, string> = { FAULTLINE_MODEL_SEED: String(details.seed) };
  if (details.counterexamplePath !== null) env['FAULTLINE_MODEL_PATH'] = details.counterexamplePath;
  const report = fc.defaultReportMessage(details) ?? 'the property failed';
  const error = details.errorInstance;
  const got = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  throw new Error(`${title}: ${report}\nGot error: ${got}\nreplay: ${replayCommand(env, title)}`, { cause: error });
}
