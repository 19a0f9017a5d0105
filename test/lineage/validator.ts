/** Validates OpenLineage RunEvents against schemas/ (written from the spec) with ajv. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { RunEvent } from '../../src/lineage/openlineage.js';

/** Validates RunEvents against the OpenLineage schema and the parapet facet against its own. */
export function eventValidator(): (event: unknown) => string[] {
  const ajv = new Ajv2020.default({ allErrors: true, strict: false });
  addFormats.default(ajv);
  // Tests run from the repository root (npm test, node --test).
  const load = (name: string): object => JSON.parse(readFileSync(join(process.cwd(), 'schemas', name), 'utf8')) as object;
  const runEvent = ajv.compile(load('openlineage-2-0-2.json'));
  const facet = ajv.compile(load('parapet-decision-run-facet.json'));
  return (event) => {
    const errors: string[] = [];
    if (!runEvent(event)) errors.push(...(runEvent.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
    const custom = (event as RunEvent).run?.facets?.parapet_decision;
    if (!facet(custom)) errors.push(...(facet.errors ?? []).map((e) => `parapet_decision${e.instancePath} ${e.message}`));
    return errors;
  };
}

