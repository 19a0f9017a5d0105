/**
 * A certificate authority made for one test run with the `openssl` CLI (node:crypto cannot sign
 * X.509 certificates): a CA, then server and client certificates it signs, in a temporary folder
 * removed on dispose.
 *
 *   await using ca = await createThrowawayCa();
 *   const server = await ca.issue('server', { cn: 'localhost', dns: ['localhost'], ips: ['127.0.0.1'] });
 *   const client = await ca.issue('alice', { cn: 'alice', client: true });
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface IssueOptions {
  /** Subject common name. */
  cn: string;
  dns?: string[];
  ips?: string[];
  /** A client certificate (extendedKeyUsage clientAuth) rather than a server one. */
  client?: boolean;
  /** Key type: EC P-256 (fast, the default) or RSA 2048. */
  key?: 'ec' | 'rsa';
  /** Signature digest (`sha256` by default; `sha1` and `sha384` for the channel-binding hash rules). */
  digest?: 'sha1' | 'sha256' | 'sha384' | 'sha512';
  /** Sign with another CA (to make a certificate this CA does not vouch for). */
  signer?: ThrowawayCa;
}

export interface Issued {
  /** Paths of the PEM certificate and its unencrypted key (mode 0600). */
  cert: string;
  key: string;
}

export interface ThrowawayCa extends AsyncDisposable {
  dir: string;
  /** The CA certificate (PEM path), what clients and servers trust. */
  cert: string;
  key: string;
  issue(name: string, options: IssueOptions): Promise<Issued>;
  /** `openssl x509 -fingerprint` of a certificate with a digest: an independent oracle for hashes of its DER. */
  fingerprint(cert: string, digest: string): Promise<Buffer>;
  read(path: string): Buffer;
  remove(): void;
}

export async function openssl(args: string[]): Promise<string> {
  return (await run('openssl', args)).stdout;
}

export async function createThrowawayCa(options: { key?: 'ec' | 'rsa'; cn?: string } = {}): Promise<ThrowawayCa> {
  const dir = mkdtempSync(join(tmpdir(), 'parapet-ca-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const keyArgs = (type: 'ec' | 'rsa' = 'ec') => (type === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'] : ['-newkey', 'rsa:2048']);
  const cert = join(dir, 'ca.crt');
  const key = join(dir, 'ca.key');
  try {
    await openssl([
      'req', '-x509', ...keyArgs(options.key), '-nodes', '-keyout', key, '-out', cert, '-days', '2',
      '-subj', `/CN=${options.cn ?? 'Parapet Throwaway CA'}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
  } catch (error) {
    remove();
    throw error;
  }
  const ca: ThrowawayCa = {
    dir,
    cert,
    key,
    async issue(name, issue) {
      const out = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
      const csr = join(dir, `${name}.csr`);
      const ext = join(dir, `${name}.ext`);
      const san = [...(issue.dns ?? []).map((d) => `DNS:${d}`), ...(issue.ips ?? []).map((ip) => `IP:${ip}`)];
      writeFileSync(
        ext,
        [
          'basicConstraints=CA:FALSE',
          `extendedKeyUsage=${issue.client ? 'clientAuth' : 'serverAuth'}`,
          ...(san.length > 0 ? [`subjectAltName=${san.join(',')}`] : []),
        ].join('\n'),
      );
      const signer = issue.signer ?? ca;
      await openssl(['req', ...keyArgs(issue.key), '-nodes', '-keyout', out.key, '-out', csr, '-subj', `/CN=${issue.cn}`]);
      await openssl([
        'x509', '-req', '-in', csr, '-CA', signer.cert, '-CAkey', signer.key, '-CAcreateserial',
        '-out', out.cert, '-days', '2', `-${issue.digest ?? 'sha256'}`, '-extfile', ext,
      ]);
      chmodSync(out.key, 0o600);
      return out;
    },
    async fingerprint(path, digest) {
      const text = await openssl(['x509', '-in', path, '-noout', '-fingerprint', `-${digest}`]);
      return Buffer.from(text.trim().split('=')[1]!.replaceAll(':', ''), 'hex');
    },
    read: (path) => readFileSync(path),
    remove,
    [Symbol.asyncDispose]: async () => remove(),
  };
  return ca;
}

/** Whether the `openssl` CLI runs here (tests that need a CA skip without it). */
export async function haveOpenssl(): Promise<boolean> {
  try {
    await openssl(['version']);
    return true;
  } catch {
    return false;
  }
}
