import { AppError } from '../../contract/errors.ts';

export class CustomerNotFoundError extends AppError {
  constructor() {
    super(404, 'customer_not_found', 'no customer with this id has bought anything');
    this.name = 'CustomerNotFoundError';
  }
}
