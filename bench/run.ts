/**
 * `npm run bench [-- NAME…]`: runs the registered benchmark sections (all, or those whose name
 * contains one of the arguments) and prints their figures. Figures, not pass/fail.
 */
import { cpus } from 'node:os';
import { sections } from './sections/index.js';

const filters = process.argv.slice(2);
const chosen = sections.filter((s) => filters.length === 0 || filters.some((f) => s.name.includes(f)));
if (chosen.length === 0) {
  console.error(`no bench section matches ${filters.map((f) => `\`${f}\``).join(', ')}; sections: ${sections.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'} × ${cpus().length}`);
for (const section of chosen) {
  console.log(`\n== ${section.name}: ${section.summary}\n`);
  await section.run();
}
