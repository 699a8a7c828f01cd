import type { Stack } from 'aws-cdk-lib';
import * as ses from 'aws-cdk-lib/aws-ses';

export interface MailProps {
  readonly mailFrom: string;
  /** Verify this whole domain instead of the single MAIL_FROM address. */
  readonly mailDomain: string | undefined;
  /** In the SES sandbox the recipient is verified too. */
  readonly sesSandbox: boolean;
  readonly adManagerEmail: string;
}

/**
 * The SES identities mail is sent from (and, in the sandbox, to); a function that sends mail may use
 * exactly these. Created in the stack's scope, so logical ids stay those of a flat stack.
 */
export function createMailIdentities(scope: Stack, props: MailProps): string[] {
  const mailIdentity = new ses.EmailIdentity(scope, 'MailFrom', {
    identity: props.mailDomain ? ses.Identity.domain(props.mailDomain) : ses.Identity.email(props.mailFrom),
  });
  const mailIdentities = [mailIdentity.emailIdentityArn];
  if (props.sesSandbox) {
    const recipient = new ses.EmailIdentity(scope, 'AdManager', { identity: ses.Identity.email(props.adManagerEmail) });
    mailIdentities.push(recipient.emailIdentityArn);
  }
  return mailIdentities;
}
