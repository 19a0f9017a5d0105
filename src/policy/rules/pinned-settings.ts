/**
 * Settings the proxy pins upstream because the analysis depends on them: they change how the
 * server reads string literals, so a change would let the server see a different statement from
 * the one Parapet analysed.
 */
import type { ConfigEffect } from '../../sql/types.js';

export const PINNED_SETTINGS = ['standard_conforming_strings', 'client_encoding'] as const;

const PINNED_NAMES = new Set<string>([...PINNED_SETTINGS, 'names']);

/** The pinned setting a config change touches, if any (`SET NAMES` is client_encoding). */
export function pinnedSetting(effect: ConfigEffect): string | undefined {
  const safety = effect.safety ?? [];
  if (safety.includes('standard-conforming-strings')) return 'standard_conforming_strings';
  if (safety.includes('client-encoding')) return 'client_encoding';
  if (effect.name !== undefined && PINNED_NAMES.has(effect.name)) return effect.name === 'names' ? 'client_encoding' : effect.name;
  return undefined;
}

export const PINNED_HINT = 'Parapet pins `standard_conforming_strings` and `client_encoding` upstream; leave them as they are';
