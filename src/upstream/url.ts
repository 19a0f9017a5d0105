/**
 * Parses an upstream URL with libpq's semantics for what Parapet supports:
 * `postgres[ql]://user:password@host:port/database?application_name=…&options=…&sslmode=verify-full&sslrootcert=ca.pem`.
 * A host (or `host=` parameter) starting with `/` is a unix socket directory (no TLS there, as in
 * libpq). Anything Parapet cannot honour (several hosts, other libpq parameters) is an error, never
 * silently ignored.
 */
import type { ChannelBindingMode, UpstreamOptions } from './connect.js';
import { UpstreamError } from './errors.js';
import { SSL_MODES, type SslMode, type UpstreamTlsOptions } from './tls.js';

const DEFAULT_PORT = 5432;

/** libpq's default sslmode: TLS when the server offers it, unverified. */
const DEFAULT_SSLMODE: SslMode = 'prefer';

const TLS_PARAMETERS = new Set(['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'sslsni', 'channel_binding']);

const bad = (message: string, hint?: string) => new UpstreamError('bad-url', message, hint === undefined ? {} : { hint });

export function parseUpstreamUrl(text: string): UpstreamOptions {
  const match = /^postgres(?:ql)?:\/\/([^/?#]*)([^?#]*)(\?[^#]*)?$/i.exec(text);
  if (!match) {
    throw bad('upstream URL must look like `postgres://user:password@host:port/database?parameters`', 'for example `postgres://parapet@127.0.0.1:5432/app`');
  }
  const [, authority = '', pathname = '', search = ''] = match;
  const decode = (value: string, what: string) => {
    try {
      return decodeURIComponent(value);
    } catch {
      throw bad(`upstream URL has an invalid percent-encoding in its ${what}`);
    }
  };
  const at = authority.lastIndexOf('@');
  const userinfo = at < 0 ? '' : authority.slice(0, at);
  const hostspec = authority.slice(at + 1);
  const hostMatch = /^(?:\[([^\]]*)\]|([^:]*))(?::(\d*))?$/.exec(hostspec);
  if (!hostMatch) throw bad('upstream URL has an invalid host', 'write IPv6 addresses in brackets: `[::1]`');
  let host = decode(hostMatch[1] ?? hostMatch[2] ?? '', 'host');
  let port = hostMatch[3] ? Number(hostMatch[3]) : DEFAULT_PORT;
  const options: Partial<UpstreamOptions> = {};
  const tlsParameters: Array<[string, string]> = [];
  const colon = userinfo.indexOf(':');
  const user = decode(colon < 0 ? userinfo : userinfo.slice(0, colon), 'user name');
  if (user !== '') options.user = user;
  if (colon >= 0) options.password = decode(userinfo.slice(colon + 1), 'password');
  const path = decode(pathname.replace(/^\//, ''), 'database name');
  if (path !== '') options.database = path;

  for (const [name, value] of queryParameters(search, decode)) {
    switch (name) {
      case 'host':
        host = value;
        break;
      case 'port':
        if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) throw bad(`upstream URL has an invalid port \`${value}\``);
        port = Number(value);
        break;
      case 'dbname':
        options.database = value;
        break;
      case 'user':
        options.user = value;
        break;
      case 'password':
        options.password = value;
        break;
      case 'application_name':
        options.applicationName = value;
        break;
      case 'options':
        options.options = value;
        break;
      case 'connect_timeout': {
        if (!/^-?\d+$/.test(value)) throw bad(`upstream URL has an invalid connect_timeout \`${value}\``, 'give whole seconds');
        const seconds = Number(value);
        // libpq: zero or negative waits forever; 1 counts as 2.
        options.connectTimeoutMs = seconds <= 0 ? 0 : Math.max(seconds, 2) * 1000;
        break;
      }
      case 'sslmode':
      case 'sslrootcert':
      case 'sslcert':
      case 'sslkey':
      case 'sslsni':
      case 'channel_binding':
        tlsParameters.push([name, value]);
        break;
      case 'gssencmode':
        if (value !== 'disable' && value !== 'prefer') throw bad(`upstream ${name} \`${value}\` is not supported`, `use \`${name}=disable\``);
        break;
      case 'client_encoding':
        if (value.toUpperCase().replace(/[-_]/g, '') !== 'UTF8') throw bad(`upstream client_encoding \`${value}\` is not supported: Parapet always uses UTF8`);
        break;
      default:
        throw bad(`upstream URL parameter \`${name}\` is not supported`, 'supported: host, port, dbname, user, password, application_name, options, connect_timeout, sslmode, sslrootcert, sslcert, sslkey, sslsni, gssencmode, channel_binding, client_encoding');
    }
  }

  if (host.includes(',')) throw bad('upstream URL lists several hosts; Parapet connects to one', 'give a single host');
  if (host === '') throw bad('upstream URL has no host', 'add a host (`postgres://user@127.0.0.1:5432/db`) or a socket directory (`?host=/var/run/postgresql`)');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(`upstream URL has an invalid port \`${port}\``);
  if (options.user === undefined || options.user === '') throw bad('upstream URL has no user', 'add one: `postgres://parapet@host/db`');
  const result: UpstreamOptions = { ...options, host, port, user: options.user, database: options.database ?? options.user };
  if (host.startsWith('/')) result.socketPath = `${host.replace(/\/+$/, '')}/.s.PGSQL.${port}`;
  const { tls, channelBinding } = tlsSettings(tlsParameters);
  if (tls && !result.socketPath) result.tls = tls;
  if (channelBinding) result.channelBinding = channelBinding;
  return result;
}

/**
 * Only the TLS settings of an upstream URL (sslmode, sslrootcert, sslcert, sslkey, sslsni,
 * channel_binding), validated as `parseUpstreamUrl` does; other parameters are not looked at.
 * For callers that parse the rest of the URL themselves.
 */
export function parseUpstreamTls(text: string): { tls?: UpstreamTlsOptions; channelBinding?: ChannelBindingMode } {
  const search = /\?([^#]*)/.exec(text)?.[0] ?? '';
  const decode = (value: string) => {
    try {
      return decodeURIComponent(value);
    } catch {
      throw bad('upstream URL has an invalid percent-encoding in its parameters');
    }
  };
  const parameters = queryParameters(search, decode);
  // A TLS setting Parapet cannot honour must not be dropped silently, even by callers that ignore other parameters.
  const unsupported = parameters.find(([name]) => !TLS_PARAMETERS.has(name) && (/^ssl/.test(name) || name === 'requiressl'));
  if (unsupported) throw bad(`upstream URL parameter \`${unsupported[0]}\` is not supported`, 'supported TLS parameters: sslmode, sslrootcert, sslcert, sslkey, sslsni, channel_binding');
  const gss = parameters.find(([name, value]) => name === 'gssencmode' && value !== 'disable' && value !== 'prefer');
  if (gss) throw bad(`upstream gssencmode \`${gss[1]}\` is not supported`, 'use `gssencmode=disable`');
  return tlsSettings(parameters.filter(([name]) => TLS_PARAMETERS.has(name)));
}

/** libpq's rules for the TLS parameters; `tls` absent means sslmode=disable. */
function tlsSettings(parameters: Array<[string, string]>): { tls?: UpstreamTlsOptions; channelBinding?: ChannelBindingMode } {
  const given = new Map(parameters);
  const sslmodeText = given.get('sslmode');
  if (sslmodeText !== undefined && !(SSL_MODES as readonly string[]).includes(sslmodeText)) {
    throw bad(`upstream sslmode \`${sslmodeText}\` is not valid`, `one of ${SSL_MODES.join(', ')}`);
  }
  const rootcert = given.get('sslrootcert');
  // libpq: sslrootcert=system makes verify-full the default and forbids anything weaker.
  const sslmode = (sslmodeText as SslMode | undefined) ?? (rootcert === 'system' ? 'verify-full' : DEFAULT_SSLMODE);
  if (rootcert === 'system' && sslmode !== 'verify-full') {
    throw bad(`upstream sslmode \`${sslmode}\` may not be used with sslrootcert=system`, 'use sslmode=verify-full');
  }
  if ((sslmode === 'verify-ca' || sslmode === 'verify-full') && (rootcert === undefined || rootcert === '')) {
    throw bad(`upstream sslmode \`${sslmode}\` needs sslrootcert`, 'give the CA file that signs the server certificate (sslrootcert=/path/ca.pem), or sslrootcert=system for the trusted roots');
  }
  const cert = given.get('sslcert');
  const key = given.get('sslkey');
  if ((cert === undefined) !== (key === undefined)) throw bad('upstream sslcert and sslkey go together', 'give both the client certificate and its key');
  const sni = given.get('sslsni');
  if (sni !== undefined && sni !== '0' && sni !== '1') throw bad(`upstream sslsni \`${sni}\` is not valid`, 'use 0 or 1');
  const binding = given.get('channel_binding');
  if (binding !== undefined && binding !== 'disable' && binding !== 'prefer' && binding !== 'require') {
    throw bad(`upstream channel_binding \`${binding}\` is not valid`, 'one of disable, prefer, require');
  }
  if (binding === 'require' && sslmode === 'disable') throw bad('upstream channel_binding=require needs TLS', 'set sslmode=require or stronger');
  const out: { tls?: UpstreamTlsOptions; channelBinding?: ChannelBindingMode } = {};
  if (binding !== undefined) out.channelBinding = binding;
  if (sslmode === 'disable') return out;
  out.tls = {
    sslmode,
    ...(rootcert !== undefined && rootcert !== '' ? { sslrootcert: rootcert } : {}),
    ...(cert !== undefined ? { sslcert: cert, sslkey: key! } : {}),
    ...(sni === '0' ? { sslsni: false } : {}),
  };
  return out;
}

/** `?a=b&c=d` split on `&` and the first `=`, percent-decoded; `+` stays `+` (as in libpq). */
function queryParameters(search: string, decode: (value: string, what: string) => string): Array<[string, string]> {
  if (search.length <= 1) return [];
  return search
    .slice(1)
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const at = part.indexOf('=');
      if (at < 0) throw new UpstreamError('bad-url', `upstream URL parameter \`${decode(part, 'parameters')}\` has no value`);
      const name = decode(part.slice(0, at), 'parameters');
      return [name, decode(part.slice(at + 1), `parameter \`${name}\``)];
    });
}
