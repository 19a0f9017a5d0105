/** The upstream client: how Parapet reaches the real PostgreSQL server. */
export { connectUpstream, startupParameters, DEFAULT_CONNECT_TIMEOUT_MS } from './connect.js';
export type { UpstreamConnection, UpstreamOptions } from './connect.js';
export { sendCancel } from './cancel.js';
export type { CancelOptions } from './cancel.js';
export { UpstreamError } from './errors.js';
export type { UpstreamErrorCode } from './errors.js';
export { parseUpstreamUrl } from './url.js';
export { simpleQuery, simpleQueryResult } from './simple-query.js';
export type { SimpleQueryOptions, SimpleQueryResult } from './simple-query.js';
export { checkUpstreamRole } from './role-check.js';
export type { RoleCheck, RoleRisk } from './role-check.js';
