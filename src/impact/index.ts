/**
 * Affected-row impact: how many rows a write would touch — a planner estimate, or an exact count
 * from running it in a savepoint — for the guard's `max-affected-rows` rule.
 */
export { sessionImpact, impactModeFor, hypotheticalCheck, type SessionImpact, type SessionImpactOptions, type ExactSupport } from './impact-port.js';
export { estimateWrite, sizeFromPlan, type SessionRunner } from './estimate.js';
export { runExact, type ExactRun, type ExactRunOptions, type LentConnection } from './exact-run.js';
export { exactRefusal, type MessageShape } from './exact-plan.js';
export { readExplain, type PlannedWrite } from './explain.js';
export { writeHazards } from './hazards.js';
