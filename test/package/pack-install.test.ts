/**
 * The package as a user gets it: `npm pack`, then an install of the tarball into a fresh project
 * (dependencies from npm's local cache), checking that the install runs no script of faultline's,
 * needs no compiler, starts UringIo from the shipped prebuild, and that without a matching prebuild
 * the library falls back to the fs backend and says how to build from source.
 *
 * Time-bounded: one pack (the prebuild is made first only if a clone has none yet) and two installs,
 * each a few seconds from the cache.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { packageRoot } from '../../src/native/binding.js';
import { requireUring, uringSupport } from '../native/support.js';

const STEP_TIMEOUT_MS = 120_000;
const NPM_QUIET = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=warn'];

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: STEP_TIMEOUT_MS });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${String(result.status)}:\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** What a consumer's script prints: the support verdict and which backend openIo picked. */
const PROBE = `
import { UringIo, openIo } from 'faultline';
const support = UringIo.isSupported();
const messages = [];
const write = process.stderr.write.bind(process.stderr);
process.stderr.write = (chunk, ...rest) => { messages.push(String(chunk)); return write(chunk, ...rest); };
const io = await openIo({ root: process.cwd() });
const fd = await io.open('probe', { read: true, write: true, create: true });
await io.write(fd, new Uint8Array([7, 8, 9]), 0);
const back = new Uint8Array(3);
await io.read(fd, back, 0);
await io.close(fd);
await io.shutdown();
console.log(JSON.stringify({ support, backend: io.features.backend, data: [...back], stderr: messages.join('') }));
`;

interface ProbeResult {
  readonly support: { readonly supported: boolean; readonly reason?: string };
  readonly backend: string;
  readonly data: number[];
  readonly stderr: string;
}

function probe(project: string, env?: NodeJS.ProcessEnv): ProbeResult {
  const out = run(process.execPath, ['--input-type=module', '-e', PROBE], project, env).stdout.trim().split('\n');
  return JSON.parse(out[out.length - 1] ?? '{}') as ProbeResult;
}

function freshProject(parent: string, name: string): string {
  const dir = join(parent, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, type: 'module' }));
  return dir;
}

/** The first `name` on PATH, as a shell would find it. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir.length > 0 && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** A PATH with this node and npm only: no python3, make, cc or g++. */
function compilerFreePath(parent: string): string {
  const bin = join(parent, 'bin-no-compiler');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  for (const tool of ['npm', 'npx']) {
    const found = onPath(tool);
    if (found !== undefined) symlinkSync(found, join(bin, tool));
  }
  return bin;
}

describe('the packed package, installed as a user does', function () {
  this.timeout(4 * STEP_TIMEOUT_MS);
  const root = packageRoot();
  let work: string;
  let tarball: string;
  let shared: string;

  before(function () {
    if (root === undefined) throw new Error('cannot find the package root');
    work = mkdtempSync(join(tmpdir(), 'faultline-pack-'));
    const prebuildDir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
    if (!existsSync(prebuildDir) || readdirSync(prebuildDir).length === 0) run('npm', ['run', 'build:native'], root);
    // Scripts off: the tree is already built (pretest), and prepack would rebuild it all.
    const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], root).stdout;
    const [{ filename }] = JSON.parse(packed) as [{ filename: string }];
    tarball = join(work, filename);
    // One install shared by the checks below; the no-prebuild case works on a copy of it.
    shared = freshProject(work, 'ignore-scripts');
    run('npm', ['install', '--ignore-scripts', ...NPM_QUIET, tarball], shared);
  });

  after(function () {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('declares no install-time script, implicit node-gyp run included', function () {
    const manifest = JSON.parse(readFileSync(join(root ?? '', 'package.json'), 'utf8')) as { scripts?: Record<string, string>; gypfile?: boolean };
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) expect(manifest.scripts?.[hook], hook).to.equal(undefined);
    // binding.gyp is shipped (for build-native); without this npm would add `node-gyp rebuild`.
    expect(manifest.gypfile).to.equal(false);
  });

  it('installs with --ignore-scripts and starts UringIo from the shipped prebuild', function () {
    const project = shared;
    const installed = join(project, 'node_modules', 'faultline');
    expect(existsSync(join(installed, 'build')), 'nothing was compiled').to.equal(false);
    expect(readdirSync(join(installed, 'prebuilds', `${process.platform}-${process.arch}`))).to.have.length.greaterThan(0);
    const result = probe(project);
    expect(result.data).to.deep.equal([7, 8, 9]);
    if (!uringSupport.supported && !requireUring) {
      // The repository's own addon cannot start io_uring here either: the fallback is all we can check.
      expect(result.backend).to.equal('fs');
      return;
    }
    expect(result.support).to.deep.equal({ supported: true });
    expect(result.backend).to.equal('iouring');
  });

  it('installs without a compiler on PATH and without any install-script warning for faultline', function () {
    const project = freshProject(work, 'no-compiler');
    const env = { ...process.env, PATH: compilerFreePath(work) };
    const install = run('npm', ['install', ...NPM_QUIET, tarball], project, env);
    expect(`${install.stdout}${install.stderr}`).not.to.match(/faultline@[^\s]* \((preinstall|install|postinstall|prepare)/);
    const result = probe(project, env);
    expect(result.data).to.deep.equal([7, 8, 9]);
    if (uringSupport.supported || requireUring) expect(result.backend).to.equal('iouring');
  });

  it('ships a LICENSE matching package.json, the sources every source map names, and the architecture doc', function () {
    const installed = join(shared, 'node_modules', 'faultline');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest['license']).to.equal('Apache-2.0');
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).to.match(/Apache License\s+Version 2\.0, January 2004[\s\S]*END OF TERMS AND CONDITIONS/);
    for (const field of ['repository', 'homepage', 'bugs']) expect(manifest[field], field).to.not.equal(undefined);
    expect(existsSync(join(installed, 'docs', 'ARCHITECTURE.md'))).to.equal(true);
    const maps = (readdirSync(installed, { recursive: true }) as string[]).filter((file) => file.endsWith('.js.map'));
    expect(maps.length).to.be.greaterThan(50);
    const missing: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(installed, map), 'utf8')) as { sources: string[] };
      for (const source of sources) {
        if (!existsSync(join(installed, dirname(map), source))) missing.push(`${map} -> ${source}`);
      }
    }
    expect(missing).to.deep.equal([]);
  });

  it('installs neither chai nor fast-check for a production user; faultline/testing works without them', function () {
    for (const dev of ['chai', 'fast-check', 'vitest', 'mocha']) {
      expect(existsSync(join(shared, 'node_modules', dev)), dev).to.equal(false);
    }
    const out = run(process.execPath, ['--input-type=module', '-e', "const t = await import('faultline/testing'); console.log(typeof t.simulationTest)"], shared);
    expect(out.stdout.trim()).to.equal('function');
  });

  it('without a matching prebuild falls back to the fs backend and says how to build from source', function () {
    const project = join(work, 'no-prebuild');
    cpSync(shared, project, { recursive: true, verbatimSymlinks: true });
    const installed = join(project, 'node_modules', 'faultline');
    renameSync(join(installed, 'prebuilds'), join(work, 'prebuilds-removed'));
    const result = probe(project);
    expect(result.support.supported).to.equal(false);
    expect(result.support.reason).to.match(/no prebuilt native addon for .* `npx faultline build-native`/);
    expect(result.backend).to.equal('fs');
    expect(result.data).to.deep.equal([7, 8, 9]);
    expect(result.stderr).to.match(/io_uring is not available \(faultline ships no prebuilt native addon.*using the node:fs backend/);
  });
});
