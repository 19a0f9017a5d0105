/** Files shipped with the package (assets, examples), found whether code runs from `src/` or `dist/src/`. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddedError } from './errors.js';

/** The nearest directory above this module holding `package.json` and `relative`; the path to it. */
export function packageFile(...relative: string[]): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, ...relative);
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new EmbeddedError('EMBEDDED_ASSET_INVALID', `\`${join(...relative)}\` was not found in the parapet package`, 'reinstall parapet');
    }
    dir = parent;
  }
}

/** The sample policy and its development secrets, used by `parapet serve` with the embedded default. */
export function sampleFiles(): { policy: string; secrets: string } {
  return {
    policy: packageFile('examples', 'embedded', 'policy.yaml'),
    secrets: packageFile('examples', 'embedded', 'secrets.yaml'),
  };
}
