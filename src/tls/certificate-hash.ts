/**
 * `tls-server-end-point` channel-binding data (RFC 5929 section 4.1): the hash of the server's
 * certificate (DER), with the hash function of the certificate's signature algorithm, except that MD5
 * and SHA-1 are replaced by SHA-256. PostgreSQL computes it so on both sides; a certificate whose
 * signature names no usable hash (Ed25519, Ed448, unknown algorithms) cannot be bound, and PostgreSQL
 * then offers no SCRAM-SHA-256-PLUS either.
 */
import { createHash } from 'node:crypto';

/** Node digest names by signature-algorithm OID (RSA PKCS#1 v1.5, ECDSA, DSA). */
const SIGNATURE_HASHES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.4': 'md5', // md5WithRSAEncryption
  '1.2.840.113549.1.1.5': 'sha1', // sha1WithRSAEncryption
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1', // ecdsa-with-SHA1
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.10040.4.3': 'sha1', // dsa-with-sha1
  '2.16.840.1.101.3.4.3.2': 'sha256', // dsa-with-sha256
};

/** Digest OIDs, for RSASSA-PSS whose hash sits in the algorithm's parameters. */
const DIGESTS: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

const RSASSA_PSS = '1.2.840.113549.1.1.10';

/** The channel-binding data for a certificate in DER form; undefined when it cannot be bound. */
export function tlsServerEndPoint(der: Uint8Array): Buffer | undefined {
  const hash = signatureHash(der);
  if (hash === undefined) return undefined;
  return createHash(hash === 'md5' || hash === 'sha1' ? 'sha256' : hash).update(der).digest();
}

/** The Node digest name of the certificate's signature algorithm; undefined when there is none or the DER does not parse. */
export function signatureHash(der: Uint8Array): string | undefined {
  try {
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm AlgorithmIdentifier, signature }
    const certificate = new DerReader(der).enter(0x30);
    certificate.skip(0x30);
    const algorithm = certificate.enter(0x30);
    const oid = algorithm.oid();
    if (oid !== RSASSA_PSS) return SIGNATURE_HASHES[oid];
    // RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] AlgorithmIdentifier DEFAULT sha1, … }
    if (algorithm.done()) return 'sha1';
    const params = algorithm.enter(0x30);
    if (params.done() || params.peek() !== 0xa0) return 'sha1';
    return DIGESTS[params.enter(0xa0).enter(0x30).oid()];
  } catch {
    return undefined;
  }
}

/** Just enough DER to walk to an AlgorithmIdentifier: definite lengths, nested views. */
class DerReader {
  #at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  done(): boolean {
    return this.#at >= this.bytes.length;
  }

  peek(): number | undefined {
    return this.bytes[this.#at];
  }

  /** The contents of the next element, which must carry `tag`. */
  enter(tag: number): DerReader {
    const [start, end] = this.#element(tag);
    this.#at = end;
    return new DerReader(this.bytes.subarray(start, end));
  }

  skip(tag: number): void {
    this.#at = this.#element(tag)[1];
  }

  /** An OBJECT IDENTIFIER in dotted form. */
  oid(): string {
    const [start, end] = this.#element(0x06);
    this.#at = end;
    const parts: number[] = [];
    let value = 0;
    for (let i = start; i < end; i++) {
      const byte = this.bytes[i]!;
      value = value * 128 + (byte & 0x7f);
      if (byte & 0x80) continue;
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
    return parts.join('.');
  }

  #element(tag: number): [number, number] {
    if (this.bytes[this.#at] !== tag) throw new Error(`expected DER tag ${tag}`);
    let at = this.#at + 1;
    let length = this.bytes[at++]!;
    if (length & 0x80) {
      const count = length & 0x7f;
      if (count === 0 || count > 4) throw new Error('unsupported DER length');
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + this.bytes[at++]!;
    }
    if (at + length > this.bytes.length) throw new Error('DER element runs past its container');
    return [at, at + length];
  }
}
