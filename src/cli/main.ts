#!/usr/bin/env node
/**
 * Entry point of the `faultline` command (the package's `bin`). Exit codes: 0 success, 1 a seed
 * failed, 2 bad input. See `cli.ts`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildNativeMain } from './cmd-build-native.js';
import { cliMain } from './cli.js';

/** Commands that run seeds on several worker threads at once. */
const CAMPAIGN_COMMANDS = new Set(['sim', 'demo']);
const SINGLE_THREADED_GC = '--single-threaded-gc';

const args = process.argv.slice(2);
if (args[0] === 'build-native') {
  // Kept out of the parser: it must work when nothing but the package's own files is usable.
  process.exitCode = buildNativeMain(args.slice(1));
} else if (CAMPAIGN_COMMANDS.has(args[0] ?? '') && !process.execArgv.includes(SINGLE_THREADED_GC)
  && process.env['FAULTLINE_GC_THREADS'] !== 'default') {
  // V8's parallel GC helper threads are process-wide: with one worker per core they compete with
  // the workers themselves, and two workers ran at ~1.45x one (measured); with the helpers off,
  // ~1.8x. The flag can only be given at start-up, so the command runs itself again with it.
  const child = spawnSync(process.execPath, [SINGLE_THREADED_GC, ...process.execArgv, fileURLToPath(import.meta.url), ...args], { stdio: 'inherit' });
  if (child.error !== undefined) throw child.error;
  process.exitCode = child.status ?? 1;
} else {
  process.exitCode = await cliMain(args);
}
