import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { Text } from '../../contract/http.ts';
import type { CustomersTables } from '../../databases/customers/tables.ts';
import { createServiceApp, readValue } from '../../platform/http/service-app.ts';
import { findCustomer } from './customers.repository.ts';
import { CustomerNotFoundError } from './errors.ts';

export interface CustomersHttpDeps {
  readonly db: Kysely<CustomersTables>;
  readonly logger: Logger;
}

// The longest customerId checkout accepts; a longer id can never have bought anything.
const MAX_CUSTOMER_ID_LENGTH = 128;

/** `GET /customers/{id}`: tier and quantity bought, or 404 customer_not_found before a first counted order. */
export function createCustomersApp(deps: CustomersHttpDeps) {
  const app = createServiceApp(deps.logger);
  app.get('/customers/:id', async (c) => {
    // Text that is not well-formed is no id at all: 400, like every other ill-formed request field.
    const id = readValue('id', c.req.param('id'), Text);
    // Nor can an id checkout refuses (NUL cannot be stored in PostgreSQL text, nor searched for).
    if (id.length > MAX_CUSTOMER_ID_LENGTH || id.includes('\u0000')) throw new CustomerNotFoundError();
    const customer = await findCustomer(deps.db, id);
    if (!customer) throw new CustomerNotFoundError();
    return c.json(customer);
  });
  return app;
}
