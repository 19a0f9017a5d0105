/**
 * The `masking:` section: the deployment's key for the `hash` mask style, so that the same value
 * hashes the same across restarts and across the instances of one deployment — and differently in
 * any other deployment. Read here, so a missing or short key is a config error with its place.
 *
 *     masking:
 *       hashKeyFile: secrets/mask-hash.key    # at least 32 bytes, used exactly as they are
 *       # or: hashKey: env:PARAPET_MASK_HASH_KEY
 *
 * Neither set: the proxy makes a random key per process (and says so once), so hashes change at
 * every restart and differ between instances.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigErrorCode } from './errors.js';
import type { Located } from './located-yaml.js';
import type { MaskingConfig } from './types.js';

const MASKING_KEYS = ['hashKey', 'hashKeyFile'] as const;
/** Shorter keys could be guessed; 32 bytes is the hash's own key size. */
export const MIN_HASH_KEY_BYTES = 32;

export function readMaskingSection(node: Located, base: string, secret: (node: Located, what: string) => string | undefined): MaskingConfig | undefined {
  const map = node.mapping('`masking`', MASKING_KEYS);
  if (!map) return undefined;
  const value = map.get('hashKey');
  const file = map.get('hashKeyFile');
  if (value?.present && file?.present) {
    file.issue(ConfigErrorCode.invalidValue, '`masking.hashKey` and `masking.hashKeyFile` are both set', 'keep one of them');
    return undefined;
  }
  let key: Buffer | undefined;
  let where: Located | undefined;
  if (value?.present) {
    const text = secret(value, '`masking.hashKey`');
    if (text === undefined) return undefined;
    key = Buffer.from(text, 'utf8');
    where = value;
  } else if (file?.present) {
    const path = file.string('`masking.hashKeyFile`');
    if (path === undefined) return undefined;
    const full = resolve(base, path);
    try {
      key = readFileSync(full);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
      file.issue(ConfigErrorCode.read, `cannot read \`masking.hashKeyFile\` \`${full}\`: ${reason}`, keyHint());
      return undefined;
    }
    where = file;
  }
  if (!key || !where) return undefined;
  if (key.length < MIN_HASH_KEY_BYTES) {
    where.issue(ConfigErrorCode.invalidValue, `the masking hash key has ${key.length} bytes; it needs at least ${MIN_HASH_KEY_BYTES}`, keyHint());
    return undefined;
  }
  return { hashKey: key };
}

function keyHint(): string {
  return `make one with \`head -c ${MIN_HASH_KEY_BYTES} /dev/urandom > mask-hash.key\` (every instance of the deployment needs the same key)`;
}
