/** The ALPN protocol PostgreSQL 17 clients and servers negotiate (the only one Parapet offers). */
export const ALPN_POSTGRESQL = 'postgresql';
