/** Readiness: whether the upstream database accepts Parapet's own login right now. */
import { connectUpstream } from '../upstream/connect.js';
import type { CheckResult } from '../metrics/health.js';
import type { UpstreamTarget } from './upstream-provider.js';

/** Logs in with the upstream URL's credentials and closes again. */
export async function checkUpstream(target: UpstreamTarget, connectTimeoutMs: number): Promise<CheckResult> {
  const where = `${target.host}:${target.port}/${target.database}`;
  try {
    const conn = await connectUpstream({
      host: target.host,
      port: target.port,
      user: target.user,
      ...(target.password !== undefined ? { password: target.password } : {}),
      database: target.database,
      applicationName: 'parapet readiness check',
      connectTimeoutMs,
      ...(target.socketPath ? { socketPath: target.socketPath } : {}),
      ...(target.tls ? { tls: target.tls } : {}),
      ...(target.channelBinding ? { channelBinding: target.channelBinding } : {}),
    });
    conn.close();
    return { ok: true, detail: `${where} accepts logins` };
  } catch (error) {
    return { ok: false, detail: `${where}: ${(error as Error).message}` };
  }
}
