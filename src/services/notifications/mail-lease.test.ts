import { describe, expect, it } from 'vitest';
import { topology } from '../../topology.ts';
import { DEFAULT_SEND_TIMEOUT_MS, mailLeaseMs } from './send-ads-mail.consumer.ts';

describe('a mail claim and its queue', () => {
  it('the ad-notifications visibility timeout outlasts a claim, so a redelivery after a crash finds it lapsed', () => {
    // Were it shorter, the first redelivery after a crash mid-send would find the dead consumer's claim
    // still live and fail, spending one of the queue's few receives; a second crash could then park the
    // mail in the dead-letter queue.
    const queue = topology.queues.find((q) => q.name === 'ad-notifications')!;
    expect(queue.consumer?.handler).toBe('sendAdsMail');
    expect(queue.visibilityTimeoutS * 1000).toBeGreaterThan(mailLeaseMs(DEFAULT_SEND_TIMEOUT_MS));
  });
});
