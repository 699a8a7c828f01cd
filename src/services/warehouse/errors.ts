import { AppError } from '../../contract/errors.ts';

export class MissingSignatureError extends AppError {
  constructor() {
    super(401, 'missing_signature', 'the callback carries no signature');
    this.name = 'MissingSignatureError';
  }
}

export class InvalidSignatureError extends AppError {
  constructor(message = 'the callback signature does not match') {
    super(403, 'invalid_signature', message);
    this.name = 'InvalidSignatureError';
  }
}

export class ReplenishmentNotFoundError extends AppError {
  constructor() {
    super(404, 'replenishment_not_found', 'no replenishment with this id');
    this.name = 'ReplenishmentNotFoundError';
  }
}

export class ReplenishmentClosedError extends AppError {
  constructor() {
    super(409, 'replenishment_closed', 'this replenishment was already completed');
    this.name = 'ReplenishmentClosedError';
  }
}

/** The factory refused or did not answer; the record fails and the queue retries it. */
export class FactoryUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FactoryUnavailableError';
  }
}

/**
 * Another consumer holds the replenishment's claim and is calling the factory right now; the record fails
 * so its queue brings it back once that call has settled (ordered, unconfirmed, or handed back).
 */
export class FactoryOrderInFlightError extends Error {
  constructor(replenishmentId: string) {
    super(`replenishment ${replenishmentId} is being ordered by another consumer; retry later`);
    this.name = 'FactoryOrderInFlightError';
  }
}

/** A stock-arrivals message whose signature does not vouch for its replenishment, sku and count. */
export class ForgedStockArrivalError extends Error {
  constructor(replenishmentId: string) {
    super(`stock arrival for replenishment ${replenishmentId} carries no valid signature; ignored`);
    this.name = 'ForgedStockArrivalError';
  }
}
