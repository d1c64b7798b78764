/** Unit tests of the blob header codec (`src/storage/header.ts`). */
import { crc32c } from '@node-rs/crc32';
import { expect } from 'chai';
import { StorageError } from '../../src/interfaces/errors.js';
import { BLOB_HEADER_BYTES } from '../../src/interfaces/limits.js';
import {
  BLOB_LAYOUT_VERSION, BLOB_MAGIC, HEADER_OFFSET_BLOB_VERSION, HEADER_OFFSET_CRC, HEADER_OFFSET_LAYOUT_VERSION,
  HEADER_OFFSET_PADDING, decodeHeader, encodeHeader, headerChecksum,
} from '../../src/storage/header.js';

function damageReason(header: Uint8Array, fileSizeBytes = BLOB_HEADER_BYTES): string {
  try {
    decodeHeader(header, fileSizeBytes, 'p/61');
  } catch (err) {
    expect(err).to.be.instanceOf(StorageError);
    expect((err as StorageError).code).to.equal('ERR_BLOB_CORRUPT');
    expect((err as StorageError).details['path']).to.equal('p/61');
    return String((err as StorageError).details['reason']);
  }
  return 'accepted';
}

describe('storage/header', () => {
  it('encodes magic, layout version, blob version and CRC32C, then zero padding', () => {
    const header = encodeHeader(0xbeef);
    expect(header.byteLength).to.equal(BLOB_HEADER_BYTES);
    expect(Buffer.from(header.subarray(0, 8)).toString('latin1')).to.equal('FLTLBLOB');
    expect([...header.subarray(0, 8)]).to.deep.equal([...BLOB_MAGIC]);
    const view = new DataView(header.buffer, header.byteOffset);
    expect(view.getUint16(HEADER_OFFSET_LAYOUT_VERSION, true)).to.equal(BLOB_LAYOUT_VERSION);
    expect(view.getUint16(HEADER_OFFSET_BLOB_VERSION, true)).to.equal(0xbeef);
    expect(view.getUint32(HEADER_OFFSET_CRC, true)).to.equal(crc32c(Buffer.from(header.subarray(0, 12))) >>> 0);
    expect(view.getUint32(HEADER_OFFSET_CRC, true)).to.equal(headerChecksum(header));
    expect(header.subarray(HEADER_OFFSET_PADDING).every((b) => b === 0)).to.equal(true);
  });

  it('round-trips every boundary version', () => {
    for (const version of [0, 1, 255, 256, 0x7fff, 0xffff]) {
      expect(decodeHeader(encodeHeader(version), BLOB_HEADER_BYTES + 10)).to.deep.equal({ kind: 'valid', version });
    }
  });

  it('writes into a caller buffer (for aligned I/O), overwriting stale bytes', () => {
    const target = new Uint8Array(BLOB_HEADER_BYTES + 100).fill(0xaa);
    const header = encodeHeader(7, target);
    expect(header.buffer).to.equal(target.buffer);
    expect(decodeHeader(header, BLOB_HEADER_BYTES)).to.deep.equal({ kind: 'valid', version: 7 });
    expect(target[BLOB_HEADER_BYTES]).to.equal(0xaa);
  });

  it('refuses bad versions and small targets with ERR_INVALID_ARGUMENT', () => {
    for (const version of [-1, 0x10000, 1.5, Number.NaN]) {
      expect(() => encodeHeader(version)).to.throw(StorageError).with.property('code', 'ERR_INVALID_ARGUMENT');
    }
    expect(() => encodeHeader(0, new Uint8Array(100))).to.throw(StorageError).with.property('code', 'ERR_INVALID_ARGUMENT');
  });

  it('a file shorter than the header is a torn creation, whatever it holds', () => {
    expect(decodeHeader(new Uint8Array(0), 0)).to.deep.equal({ kind: 'torn' });
    expect(decodeHeader(encodeHeader(3).subarray(0, 11), 11)).to.deep.equal({ kind: 'torn' });
    expect(decodeHeader(new Uint8Array(4095).fill(0xff), 4095)).to.deep.equal({ kind: 'torn' });
  });

  it('an all-zero header is torn only when no data follows it', () => {
    expect(decodeHeader(new Uint8Array(BLOB_HEADER_BYTES), BLOB_HEADER_BYTES)).to.deep.equal({ kind: 'torn' });
    expect(damageReason(new Uint8Array(BLOB_HEADER_BYTES), BLOB_HEADER_BYTES + 1)).to.equal('torn-with-data');
  });

  it('names each kind of damage', () => {
    const flip = (at: number, mask: number, fix = false): Uint8Array => {
      const h = encodeHeader(5).slice();
      h[at] = h[at]! ^ mask;
      if (fix) new DataView(h.buffer).setUint32(HEADER_OFFSET_CRC, headerChecksum(h), true);
      return h;
    };
    for (let i = 0; i < 8; i++) expect(damageReason(flip(i, 0x20))).to.equal('magic');
    expect(damageReason(flip(HEADER_OFFSET_CRC, 1))).to.equal('crc');
    expect(damageReason(flip(HEADER_OFFSET_CRC + 3, 0x80))).to.equal('crc');
    expect(damageReason(flip(HEADER_OFFSET_BLOB_VERSION, 1))).to.equal('crc');
    expect(damageReason(flip(HEADER_OFFSET_LAYOUT_VERSION, 1))).to.equal('crc');
    expect(damageReason(flip(HEADER_OFFSET_LAYOUT_VERSION, 3, true))).to.equal('layout-version');
    expect(damageReason(flip(HEADER_OFFSET_PADDING, 1))).to.equal('padding');
    expect(damageReason(flip(BLOB_HEADER_BYTES - 1, 0x80))).to.equal('padding');
    expect(decodeHeader(flip(HEADER_OFFSET_BLOB_VERSION, 1, true), BLOB_HEADER_BYTES)).to.deep.equal({ kind: 'valid', version: 4 });
  });

  it('a header read shorter than the file claims is damage, not a torn creation', () => {
    expect(damageReason(encodeHeader(1).subarray(0, 100), BLOB_HEADER_BYTES + 5)).to.equal('torn-with-data');
  });

  it('every single-bit flip of a valid header is detected', () => {
    const good = encodeHeader(0x1234);
    let detected = 0;
    for (let bit = 0; bit < HEADER_OFFSET_PADDING * 8; bit++) {
      const h = good.slice();
      h[bit >> 3] = h[bit >> 3]! ^ (1 << (bit & 7));
      if (damageReason(h) !== 'accepted') detected += 1;
    }
    expect(detected).to.equal(HEADER_OFFSET_PADDING * 8);
  });
});
