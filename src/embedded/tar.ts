/**
 * Reads the uncompressed ustar archive that PGlite's `dumpDataDir('none')` writes: regular files
 * and directories only. Pure; the caller writes the entries out.
 */
import { EmbeddedError } from './errors.js';

export interface TarEntry {
  /** Relative path with `/` separators, never absolute, never containing `..`. */
  path: string;
  type: 'file' | 'directory';
  mode: number;
  /** File contents (a view into the archive); empty for directories. */
  data: Uint8Array;
}

const BLOCK = 512;

export function readTar(archive: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  const text = new TextDecoder();
  let offset = 0;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const field = (start: number, length: number): string =>
      text.decode(header.subarray(start, start + length)).replace(/\0.*$/s, '');
    const octal = (start: number, length: number): number => parseInt(field(start, length).trim() || '0', 8);
    const name = field(0, 100);
    const prefix = field(345, 155);
    const size = octal(124, 12);
    const typeFlag = field(156, 1);
    const path = safePath(prefix ? `${prefix}/${name}` : name);
    const dataStart = offset + BLOCK;
    if (!Number.isFinite(size) || size < 0 || dataStart + size > archive.length) {
      throw new EmbeddedError('EMBEDDED_ASSET_INVALID', `tar entry \`${path}\` runs past the end of the archive`);
    }
    if (typeFlag === '5') {
      entries.push({ path, type: 'directory', mode: octal(100, 8), data: new Uint8Array(0) });
    } else if (typeFlag === '0' || typeFlag === '') {
      entries.push({ path, type: 'file', mode: octal(100, 8), data: archive.subarray(dataStart, dataStart + size) });
    } else {
      throw new EmbeddedError('EMBEDDED_ASSET_INVALID', `tar entry \`${path}\` has unsupported type \`${typeFlag}\``);
    }
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}

function safePath(raw: string): string {
  const parts = raw.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.length === 0 || parts.includes('..')) {
    throw new EmbeddedError('EMBEDDED_ASSET_INVALID', `tar entry \`${raw}\` is outside the data directory`);
  }
  return parts.join('/');
}
