import type { EventData } from '../../contract/events.ts';
import type { NotificationKind } from '../../databases/notifications/tables.ts';

/** A rendered mail for the advertising manager, before it has a recipient. */
export interface AdsMail {
  readonly kind: NotificationKind;
  readonly replenishmentId: string;
  readonly sku: string;
  readonly subject: string;
  readonly text: string;
}

/** "Pause ads": stock fell to the reorder point (or ran short) and a factory order went out. */
export function pauseAdsMail(data: EventData<'replenishment.requested'>): AdsMail {
  const level = data.stock === 0 ? 'out of stock' : `only ${data.stock} left`;
  const sentence =
    data.stock === 0 ? 'it is out of stock' : `only ${data.stock} ${data.stock === 1 ? 'is' : 'are'} left`;
  const text = [
    'Hello,',
    '',
    `please pause the ads for ${data.sku}: ${sentence}, and a replenishment has been requested from the factory.`,
    '',
    ...table([
      ['Product (sku)', data.sku],
      ['Stock now', String(data.stock)],
      ['Replenishment id', data.replenishmentId],
      ['Quantity ordered', String(data.quantity)],
      ['Requested at', formatTimestamp(data.requestedAt)],
    ]),
    '',
    'You will get a "resume ads" mail as soon as the goods have arrived.',
    '',
    'Donut-States',
  ].join('\n');
  return {
    kind: 'pause_ads',
    replenishmentId: data.replenishmentId,
    sku: data.sku,
    subject: `Pause ads for ${data.sku}: ${level}, replenishment requested`,
    text,
  };
}

/** "Resume ads": the factory delivered and stock was raised; says how long the replenishment took. */
export function resumeAdsMail(data: EventData<'replenishment.completed'>): AdsMail {
  const took = formatDuration(Date.parse(data.completedAt) - Date.parse(data.requestedAt));
  const text = [
    'Hello,',
    '',
    `the ads for ${data.sku} can run again: the factory delivered ${data.quantity} and the stock is back at ${data.stock}.`,
    '',
    ...table([
      ['Product (sku)', data.sku],
      ['Stock now', String(data.stock)],
      ['Replenishment id', data.replenishmentId],
      ['Quantity ordered', String(data.quantity)],
      ['Requested at', formatTimestamp(data.requestedAt)],
      ['Delivered at', formatTimestamp(data.completedAt)],
      ['Replenishment took', took],
    ]),
    '',
    `The ads were paused for about ${took}.`,
    '',
    'Donut-States',
  ].join('\n');
  return {
    kind: 'resume_ads',
    replenishmentId: data.replenishmentId,
    sku: data.sku,
    subject: `Resume ads for ${data.sku}: back in stock (${data.stock})`,
    text,
  };
}

/** A duration for people: "1 h 2 min", "3 min 20 s", "45 s"; under a second reads "less than a second". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 1000) return 'less than a second';
  const totalSeconds = Math.floor(ms / 1000);
  const days = Math.floor(totalSeconds / 86_400);
  const hours = Math.floor((totalSeconds % 86_400) / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const parts: string[] = [];
  if (days) parts.push(`${days} d`);
  if (hours) parts.push(`${hours} h`);
  if (minutes) parts.push(`${minutes} min`);
  // Seconds only matter while the whole thing is shorter than an hour.
  if (seconds && !days && !hours) parts.push(`${seconds} s`);
  return parts.join(' ');
}

/** `2026-11-25 20:58:21 UTC`: unambiguous for a reader in any time zone. */
export function formatTimestamp(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([label]) => label.length)) + 1;
  return rows.map(([label, value]) => `  ${`${label}:`.padEnd(width + 1)} ${value}`);
}
