import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { type ServerType, serve } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import { z } from 'zod';

/** One mail as the sink stored it under DATA_DIR/mail/. */
export interface StoredMail {
  /** The SES MessageId handed back to the sender. */
  readonly id: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly bcc: readonly string[];
  readonly replyTo: readonly string[];
  readonly subject: string;
  readonly text: string | null;
  readonly html: string | null;
  readonly receivedAt: string;
}

export interface MailSink {
  /** Base URL an SESv2Client points at. */
  readonly endpoint: string;
  readonly port: number;
  /** Every stored mail, oldest first. */
  list(): Promise<StoredMail[]>;
  /** Resolves when the sink answers HTTP. */
  ping(): Promise<void>;
  /**
   * Simulates an SES outage: while down, every request (sends and the health probe alike) gets 503
   * ServiceUnavailable and nothing is stored. For tests and demonstrations of mail retries.
   */
  setDown(down: boolean): void;
  stop(): Promise<void>;
}

export interface MailSinkOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly host?: string;
  /** Where mails are written, one JSON file each. */
  readonly dir: string;
}

const Content = z.object({ Data: z.string(), Charset: z.string().optional() });
const Addresses = z.array(z.string().min(1)).optional();

// The subset of SES v2 SendEmail the sink understands; other content kinds are refused, not ignored.
const SendEmailRequest = z.object({
  FromEmailAddress: z.string().min(1),
  Destination: z.object({ ToAddresses: Addresses, CcAddresses: Addresses, BccAddresses: Addresses }),
  ReplyToAddresses: Addresses,
  Content: z.object({
    Simple: z.object({
      Subject: Content,
      Body: z.object({ Text: Content.optional(), Html: Content.optional() }),
    }),
  }),
});

/**
 * A local stand-in for Amazon SES v2: enough of `POST /v2/email/outbound-emails` for the SDK's
 * SendEmailCommand with simple content. Each accepted mail becomes one JSON file in `dir`, written
 * atomically (temp file, then rename) so a reader never sees half a mail; files survive restarts.
 * `GET /_mail` lists them. Bad requests get SES's error shape, so the SDK throws BadRequestException.
 */
export async function startMailSink(options: MailSinkOptions): Promise<MailSink> {
  await mkdir(options.dir, { recursive: true });
  const app = new Hono();
  let down = false;

  app.use('*', async (c, next) => {
    if (!down) return next();
    c.header('x-amzn-ErrorType', 'ServiceUnavailableException');
    return c.json({ message: 'the mail service is unavailable' }, 503);
  });

  app.post('/v2/email/outbound-emails', async (c) => {
    let json: unknown;
    try {
      json = await c.req.json();
    } catch {
      return sesError(c, 'the body is not valid JSON');
    }
    const parsed = SendEmailRequest.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return sesError(
        c,
        `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'} (only Content.Simple is supported)`,
      );
    }
    const request = parsed.data;
    const to = request.Destination.ToAddresses ?? [];
    const cc = request.Destination.CcAddresses ?? [];
    const bcc = request.Destination.BccAddresses ?? [];
    if (to.length + cc.length + bcc.length === 0) return sesError(c, 'Destination needs at least one address');
    const mail: StoredMail = {
      id: randomUUID(),
      from: request.FromEmailAddress,
      to,
      cc,
      bcc,
      replyTo: request.ReplyToAddresses ?? [],
      subject: request.Content.Simple.Subject.Data,
      text: request.Content.Simple.Body.Text?.Data ?? null,
      html: request.Content.Simple.Body.Html?.Data ?? null,
      receivedAt: new Date().toISOString(),
    };
    await storeMail(options.dir, mail);
    return c.json({ MessageId: mail.id });
  });

  app.get('/_mail', async (c) => c.json({ mails: await listMails(options.dir) }));
  app.get('/_health', (c) => c.json({ status: 'ok' }));

  const { server, port } = await new Promise<{ server: ServerType; port: number }>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: options.port, hostname: options.host ?? '127.0.0.1' }, (info) =>
      resolve({ server, port: info.port }),
    );
    server.once('error', reject);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    list: () => listMails(options.dir),
    ping: async () => {
      const response = await fetch(`${endpoint}/_health`, { signal: AbortSignal.timeout(1500) });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`mail sink answered ${response.status}`);
    },
    setDown: (value) => {
      down = value;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}

/** Reads every mail stored in `dir`, oldest first (file names start with the receive time). */
export async function listMails(dir: string): Promise<StoredMail[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files = names.filter((name) => name.endsWith('.json')).sort();
  return Promise.all(files.map(async (name) => JSON.parse(await readFile(path.join(dir, name), 'utf8')) as StoredMail));
}

/** An SES v2 client for an endpoint: the sink locally. Credentials are not checked there. */
export function createSesClient(endpoint: string, region = 'us-east-1'): SESv2Client {
  return new SESv2Client({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

async function storeMail(dir: string, mail: StoredMail): Promise<void> {
  // A sortable time prefix keeps listing in arrival order without reading every file first.
  const name = `${mail.receivedAt.replace(/[:.]/g, '-')}-${mail.id}.json`;
  const temp = path.join(dir, `.${name}.tmp`);
  await writeFile(temp, JSON.stringify(mail, null, 2));
  await rename(temp, path.join(dir, name));
}

function sesError(c: Context, message: string): Response {
  c.header('x-amzn-ErrorType', 'BadRequestException');
  return c.json({ message }, 400);
}
