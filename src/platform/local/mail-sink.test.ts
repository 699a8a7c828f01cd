import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BadRequestException, type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSesClient, listMails, type MailSink, startMailSink } from './mail-sink.ts';

describe('mail sink', () => {
  let dir: string;
  let sink: MailSink;
  let ses: SESv2Client;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'donut-mail-'));
    sink = await startMailSink({ port: 0, dir: path.join(dir, 'mail') });
    ses = createSesClient(sink.endpoint);
  });
  afterAll(async () => {
    ses?.destroy();
    await sink?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts SendEmailCommand from the real SES v2 client and stores the mail as a JSON file', async () => {
    const answer = await ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'shelves@donut-states.example',
        Destination: { ToAddresses: ['ads@donut-states.example'] },
        Content: { Simple: { Subject: { Data: 'Pause ads' }, Body: { Text: { Data: 'stock is 0' } } } },
      }),
    );
    expect(answer.MessageId).toMatch(/^[0-9a-f-]{36}$/);

    const mails = await sink.list();
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({
      id: answer.MessageId,
      from: 'shelves@donut-states.example',
      to: ['ads@donut-states.example'],
      subject: 'Pause ads',
      text: 'stock is 0',
      html: null,
    });
    const files = (await readdir(path.join(dir, 'mail'))).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    expect(await listMails(path.join(dir, 'mail'))).toEqual(mails);
  });

  it('lists stored mails oldest first on GET /_mail', async () => {
    await ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'shelves@donut-states.example',
        Destination: { ToAddresses: ['ads@donut-states.example'], CcAddresses: ['boss@donut-states.example'] },
        Content: { Simple: { Subject: { Data: 'Resume ads' }, Body: { Html: { Data: '<p>back</p>' } } } },
      }),
    );
    const response = await fetch(`${sink.endpoint}/_mail`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { mails: { subject: string; cc: string[]; html: string | null }[] };
    expect(body.mails.map((m) => m.subject)).toEqual(['Pause ads', 'Resume ads']);
    expect(body.mails[1]).toMatchObject({ cc: ['boss@donut-states.example'], html: '<p>back</p>' });
  });

  it('refuses a mail without recipients or simple content with BadRequestException and stores nothing', async () => {
    const before = (await sink.list()).length;
    await expect(
      ses.send(
        new SendEmailCommand({
          FromEmailAddress: 'shelves@donut-states.example',
          Destination: { ToAddresses: [] },
          Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } },
        }),
      ),
    ).rejects.toBeInstanceOf(BadRequestException);
    await expect(
      ses.send(
        new SendEmailCommand({
          FromEmailAddress: 'shelves@donut-states.example',
          Destination: { ToAddresses: ['a@b.example'] },
          Content: { Template: { TemplateName: 'x', TemplateData: '{}' } },
        }),
      ),
    ).rejects.toBeInstanceOf(BadRequestException);
    expect(await sink.list()).toHaveLength(before);
  });

  it('answers a ping', async () => {
    await expect(sink.ping()).resolves.toBeUndefined();
  });

  it('while down, answers sends and pings 503 and stores nothing; back up, it takes mail again', async () => {
    const before = (await sink.list()).length;
    const send = () =>
      ses.send(
        new SendEmailCommand({
          FromEmailAddress: 'shelves@donut-states.example',
          Destination: { ToAddresses: ['ads@donut-states.example'] },
          Content: { Simple: { Subject: { Data: 'During the outage' }, Body: { Text: { Data: 't' } } } },
        }),
        { abortSignal: AbortSignal.timeout(10_000) },
      );
    sink.setDown(true);
    try {
      await expect(send()).rejects.toMatchObject({ $metadata: { httpStatusCode: 503 } });
      await expect(sink.ping()).rejects.toThrow(/503/);
      expect(await sink.list()).toHaveLength(before);
    } finally {
      sink.setDown(false);
    }
    await expect(send()).resolves.toMatchObject({ MessageId: expect.any(String) });
    await expect(sink.ping()).resolves.toBeUndefined();
    expect(await sink.list()).toHaveLength(before + 1);
  });
});
