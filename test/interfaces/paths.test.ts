/**
 * The shared path parser (`parsePath`) and the trailing-mark table (`trailingError`): what every
 * backend builds its path answers on. The answers themselves are checked against the kernel by
 * the conformance suites and the differential test; this pins the parser's own output.
 */
import { expect } from 'chai';
import { StorageError } from '../../src/interfaces/errors.js';
import {
  atSplit, kernelPath, lastNameTooLong, nameTooLongPrefix, normalizePath, parsePath, renameTrailingError, trailingError,
} from '../../src/interfaces/validate.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof StorageError ? err.code : 'not a StorageError';
  }
  return 'ok';
}

describe('parsePath', function () {
  it('keeps what ends the path and drops what the middle does not need', function () {
    const cases: ReadonlyArray<readonly [string, string, boolean, boolean]> = [
      ['a', 'a', false, false], ['a/', 'a', true, false], ['a//', 'a', true, false], ['a/.', 'a', false, true],
      ['a/./', 'a', false, true], ['a/.//', 'a', false, true], ['./a', 'a', false, false], ['a/./b', 'a/b', false, false],
      ['a//b/', 'a/b', true, false], ['.', '.', false, true], ['./', '.', false, true], ['./.', '.', false, true],
    ];
    for (const [raw, path, trailingSlash, lastIsDot] of cases) {
      const parsed = parsePath('t', raw);
      expect([parsed.path, parsed.trailingSlash, parsed.lastIsDot], raw).to.deep.equal([path, trailingSlash, lastIsDot]);
    }
  });

  it('gives the kernel its marks back, and splits them for the *at calls', function () {
    expect(kernelPath(parsePath('t', 'a//b/'))).to.equal('a/b/');
    expect(kernelPath(parsePath('t', 'a/./'))).to.equal('a/.');
    expect(kernelPath(parsePath('t', './'))).to.equal('.');
    expect(atSplit(parsePath('t', 'd/x/'))).to.deep.equal({ parent: 'd', name: 'x/' });
    expect(atSplit(parsePath('t', 'd/.'))).to.deep.equal({ parent: 'd', name: '.' });
    expect(atSplit(parsePath('t', '.'))).to.deep.equal({ parent: '.', name: '.' });
  });

  it('treats backslashes and drive letters as ordinary characters; refuses absolute paths and ..', function () {
    for (const name of ['c:x', 'C:', '\\a', 'C:/x', 'a\\..\\b']) expect(parsePath('t', name).path).to.equal(name);
    for (const bad of ['/a', '/', '..', 'a/..', 'a/../b']) expect(codeOf(() => parsePath('t', bad)), bad).to.equal('ERR_PATH_ESCAPE');
    for (const bad of ['', 'a\0b', 42, null]) expect(codeOf(() => parsePath('t', bad))).to.equal('ERR_INVALID_ARGUMENT');
  });

  it('turns lone surrogates into U+FFFD, as Node encodes names', function () {
    expect(parsePath('t', '\ud800').path).to.equal('\ufffd');
    expect(parsePath('t', 'a\udc00b').path).to.equal('a\ufffdb');
    expect(parsePath('t', '\ud83d\ude00').path).to.equal('\ud83d\ude00');
  });

  it('refuses a path past PATH_MAX at once, but only marks a name past NAME_MAX for the walk', function () {
    expect(codeOf(() => parsePath('t', 'a/'.repeat(2048)))).to.equal('ENAMETOOLONG');
    const long = 'n'.repeat(256);
    const parsed = parsePath('t', `zz/${long}/x`);
    expect(parsed.tooLongIndex).to.equal(1);
    expect(nameTooLongPrefix(parsed)).to.equal('zz');
    expect(lastNameTooLong(parsed)).to.equal(false);
    expect(lastNameTooLong(parsePath('t', `zz/${long}`))).to.equal(true);
    expect(nameTooLongPrefix(parsePath('t', long))).to.equal('.');
    expect(parsePath('t', 'n'.repeat(255)).tooLongIndex).to.equal(-1);
    // 128 two-byte characters: 256 bytes.
    expect(parsePath('t', 'é'.repeat(128)).tooLongIndex).to.equal(0);
    expect(codeOf(() => normalizePath('t', long))).to.equal('ENAMETOOLONG');
  });
});

describe('trailingError (answers measured on Linux)', function () {
  const p = (raw: string) => parsePath('t', raw);
  it('a last "." enters the entry, then refuses to create, remove or rename it', function () {
    expect(trailingError('unlink', p('a/.'), 'missing')).to.equal('ENOENT');
    expect(trailingError('unlink', p('a/.'), 'file')).to.equal('ENOTDIR');
    expect(trailingError('unlink', p('d/.'), 'directory')).to.equal('EISDIR');
    expect(trailingError('mkdir', p('d/.'), 'directory')).to.equal('EEXIST');
    expect(trailingError('rmdir', p('d/.'), 'directory')).to.equal('EINVAL');
    expect(trailingError('open', p('d/.'), 'directory', { create: true, exclusive: true, write: true })).to.equal('EEXIST');
    expect(trailingError('open', p('d/.'), 'directory', { create: true, exclusive: false, write: true })).to.equal('EISDIR');
    expect(trailingError('open', p('d/.'), 'directory')).to.equal(undefined);
    expect(trailingError('stat', p('d/.'), 'directory')).to.equal(undefined);
    expect(renameTrailingError(p('d/.'), p('x'))).to.equal('EBUSY');
    expect(renameTrailingError(p('x'), p('.'))).to.equal('EBUSY');
  });

  it('a trailing slash demands a directory, except where mkdir and rmdir ignore it', function () {
    expect(trailingError('open', p('x/'), 'missing', { create: true, exclusive: false, write: true })).to.equal('EISDIR');
    expect(trailingError('open', p('a/'), 'file')).to.equal('ENOTDIR');
    expect(trailingError('stat', p('a/'), 'file')).to.equal('ENOTDIR');
    expect(trailingError('unlink', p('a/'), 'file')).to.equal('ENOTDIR');
    expect(trailingError('unlink', p('d/'), 'directory')).to.equal('EISDIR');
    expect(trailingError('mkdir', p('a/'), 'file')).to.equal(undefined);
    expect(trailingError('rmdir', p('d/'), 'directory')).to.equal(undefined);
    expect(renameTrailingError(p('b/'), p('c'), 'file')).to.equal('ENOTDIR');
    expect(renameTrailingError(p('b'), p('c/'), 'file')).to.equal('ENOTDIR');
    expect(renameTrailingError(p('d/'), p('e/'), 'directory')).to.equal(undefined);
  });
});
