/** The proxy's upstream link seen as the upstream module's connection, for `simpleQuery` and friends. */
import type { UpstreamConnection } from '../upstream/connect.js';
import type { UpstreamLink } from './ports.js';

/** The link as the small upstream connection `simpleQuery` runs on (before the relay owns the socket). */
export function asConnection(link: UpstreamLink): UpstreamConnection {
  return {
    socket: link.socket,
    reader: link.reader,
    parameters: new Map(Object.entries(link.parameters)),
    processId: link.processId,
    secretKey: link.secretKey,
    host: 'upstream',
    port: 0,
    encrypted: false,
    cancel: () => link.cancel(),
    close: () => link.close(),
  };
}
