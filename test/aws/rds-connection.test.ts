import { afterEach, describe, expect, it, vi } from 'vitest';
import { rdsPoolConfig } from '../../src/platform/aws/lambda/rds-connection.ts';

const PROXY = 'donutstates-inventory.proxy-abcdefghijkl.eu-west-1.rds.amazonaws.com';
/** Fake credentials: the signer signs locally, so nothing is sent anywhere. */
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

afterEach(() => {
  vi.useRealTimers();
});

/** An RDS IAM authentication token is a presigned `connect` URL without its scheme. */
function parseToken(token: string): URL {
  expect(token.startsWith(`${PROXY}:5432/?`), token).toBe(true);
  return new URL(`https://${token}`);
}

describe('the Lambda database connection (IAM authentication to RDS Proxy)', () => {
  it('logs in as its user with TLS required, and a password function that returns a signed token', async () => {
    const config = rdsPoolConfig(
      { user: 'donut_reader', endpoint: PROXY, name: 'donut_inventory' },
      { region: 'eu-west-1', credentials: CREDENTIALS },
    );
    expect(config).toMatchObject({
      host: PROXY,
      port: 5432,
      database: 'donut_inventory',
      user: 'donut_reader',
      ssl: { rejectUnauthorized: true },
    });
    expect(typeof config.password).toBe('function');
    const token = await (config.password as () => Promise<string>)();
    const url = parseToken(token);
    const query = url.searchParams;
    expect(query.get('Action')).toBe('connect');
    expect(query.get('DBUser')).toBe('donut_reader');
    expect(query.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(query.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\/\d{8}\/eu-west-1\/rds-db\/aws4_request$/);
    expect(query.get('X-Amz-Expires')).toBe('900');
    expect(query.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    // Never the secret key itself.
    expect(token).not.toContain(CREDENTIALS.secretAccessKey);
  });

  it('signs a fresh token for each new connection, so a pool outliving 15 minutes still logs in', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-01T10:00:00Z'));
    const config = rdsPoolConfig(
      { user: 'donut', endpoint: PROXY, name: 'donut_inventory' },
      { region: 'eu-west-1', credentials: CREDENTIALS },
    );
    const password = config.password as () => Promise<string>;
    const first = parseToken(await password()).searchParams;
    vi.setSystemTime(new Date('2026-03-01T10:20:00Z'));
    const later = parseToken(await password()).searchParams;
    expect(first.get('X-Amz-Date')).toBe('20260301T100000Z');
    expect(later.get('X-Amz-Date')).toBe('20260301T102000Z');
    expect(later.get('X-Amz-Signature')).not.toBe(first.get('X-Amz-Signature'));
    expect(later.get('DBUser')).toBe('donut');
  });
});
