/**
 * The `faultline` command's dispatcher: simulation campaigns (`sim`), exact replays (`replay`),
 * the guided tour (`demo`, what `npm start` runs) and the list of built-in workloads (`list`).
 */
import { HELP, UsageError, parseCli, type CliArgs } from './args.js';
import { demoCommand } from './cmd-demo.js';
import { replayCommandMain } from './cmd-replay.js';
import { simCommand } from './cmd-sim.js';
import { mergeCommand } from './cmd-merge.js';
import { shrinkCommand } from './cmd-shrink.js';
import { packageVersion } from './version.js';
import { BUILTIN_WORKLOADS, loadWorkload } from './load-workload.js';

async function listCommand(): Promise<number> {
  const lines: string[] = [];
  for (const name of Object.keys(BUILTIN_WORKLOADS)) {
    const loaded = await loadWorkload(name);
    lines.push(`${name}: ${loaded.workload.description ?? ''}`);
    for (const [variant, description] of Object.entries(loaded.workload.variants ?? {})) {
      lines.push(`  ${name}:${variant}  ${description}`);
    }
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/** Runs one parsed command and resolves with its exit code. */
export async function runCli(args: CliArgs): Promise<number> {
  switch (args.command) {
    case 'help': {
      const text = HELP[args.topic ?? 'main'];
      if (text === undefined) throw new UsageError(`no help for '${args.topic ?? ''}' (commands: sim, replay, shrink, merge, demo, list)`);
      if (!args.asked) {
        process.stderr.write(text + '\n');
        return 2;
      }
      process.stdout.write(text + '\n');
      return 0;
    }
    case 'version':
      process.stdout.write(packageVersion() + '\n');
      return 0;
    case 'list':
      return listCommand();
    case 'sim':
      return simCommand(args);
    case 'replay':
      return replayCommandMain(args);
    case 'merge':
      return mergeCommand(args);
    case 'shrink':
      return shrinkCommand(args);
    case 'demo':
      return demoCommand(args);
  }
}

/**
 * Parses `argv` (without node and the script), runs the command and resolves with the exit code:
 * 0 success, 1 a seed failed (or an unexpected internal error), 2 bad input (one line on stderr).
 */
export async function cliMain(argv: readonly string[]): Promise<number> {
  try {
    return await runCli(parseCli(argv));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`faultline: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`faultline: internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    return 1;
  }
}
