import { AppError } from '../../contract/errors.ts';
import type { Replenishment } from '../../contract/http.ts';

export class ProductNotFoundError extends AppError {
  constructor(sku: string) {
    super(404, 'product_not_found', `no product with sku ${sku}`);
    this.name = 'ProductNotFoundError';
  }
}

export class OutOfStockError extends AppError {
  constructor(sku: string, requested: number, available: number, replenishment: Replenishment | null) {
    super(409, 'out_of_stock', `only ${available} of ${sku} in stock, ${requested} requested`, {
      extra: { available, replenishment },
    });
    this.name = 'OutOfStockError';
  }
}

export class IdempotencyKeyReusedError extends AppError {
  constructor() {
    super(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request body');
    this.name = 'IdempotencyKeyReusedError';
  }
}
