import { describe, expect, it } from 'vitest';
import { formatDuration, formatTimestamp, pauseAdsMail, resumeAdsMail } from './ads-mail.ts';

const replenishmentId = '6f1c1a34-8a4d-4b9e-9a57-0f6c3a1b2c3d';

describe('pause ads mail', () => {
  const requested = {
    replenishmentId,
    sku: 'CP-502101',
    quantity: 100,
    factoryId: 'factory-1',
    stock: 0,
    requestedAt: '2026-11-25T20:58:21.123Z',
  };

  it('names the sku, stock, replenishment id, quantity ordered and when it was requested', () => {
    const mail = pauseAdsMail(requested);
    expect(mail).toMatchObject({ kind: 'pause_ads', replenishmentId, sku: 'CP-502101' });
    expect(mail.subject).toBe('Pause ads for CP-502101: out of stock, replenishment requested');
    expect(mail.text).toContain('please pause the ads for CP-502101: it is out of stock');
    expect(mail.text).toMatch(/Product \(sku\): +CP-502101/);
    expect(mail.text).toMatch(/Stock now: +0\n/);
    expect(mail.text).toMatch(new RegExp(`Replenishment id: +${replenishmentId}`));
    expect(mail.text).toMatch(/Quantity ordered: +100\n/);
    expect(mail.text).toMatch(/Requested at: +2026-11-25 20:58:21 UTC/);
  });

  it('says how many are left when the shelf is not yet empty', () => {
    const mail = pauseAdsMail({ ...requested, stock: 3 });
    expect(mail.subject).toBe('Pause ads for CP-502101: only 3 left, replenishment requested');
    expect(mail.text).toContain(
      'please pause the ads for CP-502101: only 3 are left, and a replenishment has been requested',
    );
  });
});

describe('resume ads mail', () => {
  it('names the delivery and how long the replenishment took', () => {
    const mail = resumeAdsMail({
      replenishmentId,
      sku: 'CP-502101',
      quantity: 100,
      stock: 100,
      requestedAt: '2026-11-25T20:58:21.000Z',
      completedAt: '2026-11-25T21:01:01.500Z',
    });
    expect(mail).toMatchObject({ kind: 'resume_ads', replenishmentId, sku: 'CP-502101' });
    expect(mail.subject).toBe('Resume ads for CP-502101: back in stock (100)');
    expect(mail.text).toMatch(/Quantity ordered: +100\n/);
    expect(mail.text).toMatch(/Delivered at: +2026-11-25 21:01:01 UTC/);
    expect(mail.text).toMatch(/Replenishment took: +2 min 40 s/);
    expect(mail.text).toContain(`Replenishment id:`);
    expect(mail.text).toContain(replenishmentId);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, 'less than a second'],
    [999, 'less than a second'],
    [45_000, '45 s'],
    [60_000, '1 min'],
    [200_000, '3 min 20 s'],
    [3_600_000 + 2 * 60_000 + 5_000, '1 h 2 min'],
    [2 * 86_400_000 + 3_600_000, '2 d 1 h'],
    [Number.NaN, 'less than a second'],
  ])('%d ms reads "%s"', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatTimestamp', () => {
  it('prints UTC to the second and leaves unparseable text alone', () => {
    expect(formatTimestamp('2026-01-02T03:04:05.678+02:00')).toBe('2026-01-02 01:04:05 UTC');
    expect(formatTimestamp('yesterday')).toBe('yesterday');
  });
});
