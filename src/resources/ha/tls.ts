import { HA_DIR } from './dir.js';

// Where the containers of high availability find the fleet CA and their certificates (under the directory
// mounted at HA_DIR; written by apply, private keys mode 600 owned by the image's postgres user, never in a
// plan), and the curl options that use them. Every call dbform makes to Patroni's REST API or etcd
// verifies the server against the fleet CA (never curl -k).

export const TLS_DIR = `${HA_DIR}/tls`;
/** The fleet CA's certificate, in every container's directory. */
export const CA_FILE = `${TLS_DIR}/root.crt`;

/** A Patroni member's server certificate (PostgreSQL and the REST API) and its client certificate: to etcd,
 *  and to the members' REST APIs for changes (the file keeps the name it had when etcd was its only use). */
export const MEMBER_CERT = { cert: `${TLS_DIR}/server.crt`, key: `${TLS_DIR}/server.key` } as const;
export const ETCD_CLIENT_CERT = { cert: `${TLS_DIR}/etcd-client.crt`, key: `${TLS_DIR}/etcd-client.key` } as const;
export const MEMBER_CLIENT_CERT = ETCD_CLIENT_CERT;
/** An etcd member's certificate: a server to clients and peers, a client to its peers. */
export const ETCD_MEMBER_CERT = { cert: `${TLS_DIR}/member.crt`, key: `${TLS_DIR}/member.key` } as const;

/** curl's options for Patroni's REST API: reads need only the CA; a change needs the client certificate too. */
export const PATRONI_CURL_TLS = ['--cacert', CA_FILE];
export const PATRONI_CURL_CHANGE_TLS = [...PATRONI_CURL_TLS, '--cert', MEMBER_CLIENT_CERT.cert, '--key', MEMBER_CLIENT_CERT.key];
/** curl's options for etcd, which asks every client for a certificate of the fleet CA. */
export const etcdCurlTls = (client: { cert: string; key: string }): string[] => ['--cacert', CA_FILE, '--cert', client.cert, '--key', client.key];
