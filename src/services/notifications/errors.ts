/** Another delivery of the same mail holds a live claim; the record fails and comes back later to find it sent. */
export class NotificationInFlightError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotificationInFlightError';
  }
}

/** SES refused or did not answer; the claim is released and the queue retries the record. */
export class MailSendError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MailSendError';
  }
}
