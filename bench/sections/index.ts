/**
 * The benchmark sections `npm run bench` runs, in order. A new section is one file in this folder
 * exporting a `BenchSection` and one entry here.
 */
import type { BenchSection } from '../section.js';
import { analysisSection } from './analysis.js';
import { auditSection } from './audit.js';
import { auditPathSection } from './audit-path.js';
import { connectionsSection } from './connections.js';
import { decideSection } from './decide.js';
import { embeddedSection } from './embedded.js';
import { impactProxySection } from './impact-proxy.js';
import { maskingSection } from './masking.js';
import { maskingProxySection } from './masking-proxy.js';

export const sections: readonly BenchSection[] = [
  analysisSection,
  decideSection,
  maskingSection,
  maskingProxySection,
  auditSection,
  auditPathSection,
  connectionsSection,
  embeddedSection,
  impactProxySection,
];
