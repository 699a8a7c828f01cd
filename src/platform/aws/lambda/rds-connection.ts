import { Signer, type SignerConfig } from '@aws-sdk/rds-signer';
import type pg from 'pg';
import type { DatabaseEndpoint } from './env.ts';

/** RDS Proxy listens on PostgreSQL's port (the stack's PROXY_PORT). */
const RDS_PROXY_PORT = 5432;

/** Where the signer takes its credentials and region from; the Lambda's own role and region when unset. */
export type RdsSignerOptions = Pick<SignerConfig, 'credentials' | 'region'>;

/**
 * pg pool settings for one database behind its RDS Proxy, with IAM authentication: the password is an
 * authentication token signed by this function's role (which holds `rds-db:connect` on this proxy and
 * user only), made anew for every connection pg opens, since a token is valid for 15 minutes and a
 * pooled connection may live longer. The proxy refuses IAM logins without TLS.
 */
export function rdsPoolConfig(endpoint: DatabaseEndpoint, options: RdsSignerOptions = {}): pg.PoolConfig {
  const signer = new Signer({
    hostname: endpoint.endpoint,
    port: RDS_PROXY_PORT,
    username: endpoint.user,
    ...options,
  });
  return {
    host: endpoint.endpoint,
    port: RDS_PROXY_PORT,
    database: endpoint.name,
    user: endpoint.user,
    // pg asks for the password on every new connection; signing is local, no network call.
    password: () => signer.getAuthToken(),
    // RDS Proxy's certificate chains to a public CA that Node trusts.
    ssl: { rejectUnauthorized: true },
    // One invocation at a time per environment: a couple of connections is plenty, and the proxy pools.
    max: 2,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 60_000,
  };
}
