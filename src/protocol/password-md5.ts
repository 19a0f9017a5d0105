/** PostgreSQL's md5 password response, for upstream servers that still ask for it. */
import { createHash } from 'node:crypto';

const md5hex = (data: Uint8Array | string): string => createHash('md5').update(data).digest('hex');

/** `'md5' + md5(md5(password + user) + salt)`, the answer to AuthenticationMD5Password. */
export function md5Password(user: string, password: string, salt: Uint8Array): string {
  const inner = md5hex(password + user);
  return `md5${md5hex(Buffer.concat([Buffer.from(inner, 'latin1'), salt]))}`;
}
