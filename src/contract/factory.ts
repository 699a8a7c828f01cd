import { z } from 'zod';
import { Text, wellFormed } from './http.ts';

/** The legacy factory's order body (CONTRACT.md). Unknown fields are kept: the factory echoes the body back. */
export const FactoryOrderBody = z.looseObject({
  MessageGroupId: Text,
  MessageAttributeProductId: Text.min(1),
  MessageAttributeProductCnt: z.number().int().positive(),
  MessageAttributeFactoryId: Text,
  MessageAttributeRequester: Text,
  CallbackUrl: wellFormed(z.url()),
  OrderStockCnt: z.number().int().positive().optional(),
});
export type FactoryOrderBody = z.infer<typeof FactoryOrderBody>;

export const FactoryOrderAnswer = z.object({
  data: z.object({ id: z.string(), data: z.unknown() }),
});

export const FACTORY_MESSAGE_GROUP = 'stock-arrival-group';

/** The stages the real factory reports; the callback goes out when `done` is reached. */
export const FACTORY_STAGES = ['start', 'prepare', 'produce', 'pack', 'done'] as const;
export type FactoryStage = (typeof FACTORY_STAGES)[number];

/**
 * How long a factory call may hold its claim on a replenishment: FACTORY_TIMEOUT_MS plus a quarter of it
 * for the writes around the call. A claim older than this was left by a consumer that died mid-call; a
 * queue whose consumer calls the factory must keep a message hidden for longer than this, so the queue
 * never hands it to a second consumer while the first still waits on the factory.
 */
export function factoryCallWindowMs(factoryTimeoutMs: number): number {
  return factoryTimeoutMs + Math.ceil(factoryTimeoutMs / 4);
}
