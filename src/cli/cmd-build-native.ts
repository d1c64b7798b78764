/**
 * `faultline build-native`: builds the io_uring addon from source inside the installed package,
 * for platforms the package ships no prebuild for (or to rebuild one). faultline has no install
 * script by design (installs stay compiler-free where a prebuild matches), so this is the explicit
 * opt-in. It runs node-gyp in the package root, where `binding.gyp` is shipped (`gypfile: false`
 * in package.json keeps npm from running it implicitly on install); the result lands in
 * `build/Release`, which the loader prefers over the prebuild.
 *
 * node-gyp is taken, in order, from npm's own copy (`npm_config_node_gyp`, set for scripts and
 * npx, or beside the running npm), else fetched once through `npx --yes node-gyp`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageRoot } from '../native/binding.js';

function bundledNodeGyp(): string | undefined {
  const candidates: string[] = [];
  const fromNpm = process.env['npm_config_node_gyp'];
  if (fromNpm !== undefined && fromNpm.length > 0) candidates.push(fromNpm);
  const npmExec = process.env['npm_execpath'];
  if (npmExec !== undefined && npmExec.length > 0) candidates.push(join(dirname(dirname(npmExec)), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  // npm installed beside node (the official binaries' layout: bin/node, lib/node_modules/npm).
  candidates.push(join(dirname(dirname(process.execPath)), 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((candidate) => existsSync(candidate));
}

/** Runs the build; resolves with the exit code (0 built, 1 build failed, 2 not in a package). */
export function buildNativeMain(argv: readonly string[]): number {
  if (argv.length > 0) {
    process.stderr.write(`faultline: build-native takes no arguments (got ${argv.join(' ')})\n`);
    return 2;
  }
  const root = packageRoot();
  if (root === undefined || !existsSync(join(root, 'binding.gyp'))) {
    process.stderr.write('faultline: build-native: cannot find the faultline package root with its binding.gyp\n');
    return 2;
  }
  const nodeGyp = bundledNodeGyp();
  const [command, args] = nodeGyp === undefined
    ? ['npx', ['--yes', 'node-gyp', 'rebuild', '--release']]
    : [process.execPath, [nodeGyp, 'rebuild', '--release']];
  process.stderr.write(`faultline: building the native addon in ${root} (needs python3, make and a C++ compiler)\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.error !== undefined || result.status !== 0) {
    process.stderr.write(`faultline: build-native failed${result.error === undefined ? '' : `: ${result.error.message}`}; ` +
      'faultline keeps working on the node:fs backend\n');
    return 1;
  }
  process.stderr.write(`faultline: built ${join(root, 'build', 'Release')}; it is used from the next process on\n`);
  return 0;
}
