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
