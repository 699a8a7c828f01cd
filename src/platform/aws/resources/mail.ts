import type { Stack } from 'aws-cdk-lib';
import * as ses from 'aws-cdk-lib/aws-ses';

export interface MailProps {
  readonly mailFrom: string;
  /** Verify this whole domain instead of the single MAIL_FROM address. */
  readonly mailDomain: string | undefined;
  /** In the SES sandbox the recipient is verified too. */
  readonly sesSandbox: boolean;
  readonly adManagerEmail: string;
  /** `existing`: refer to identities verified already (by another copy of the stack) instead of creating them. */
  readonly sesIdentities: 'create' | 'existing';
}

/**
 * The SES identities mail is sent from (and, in the sandbox, to); a function that sends mail may use
 * exactly these. Created in the stack's scope, so logical ids stay those of a flat stack.
 */
export function createMailIdentities(scope: Stack, props: MailProps): string[] {
  // An identity's name is the address or domain itself, one per account and region: a second copy of
  // the stack with the same addresses refers to the first copy's identities.
  const identity = (id: string, name: string, domain: boolean): string =>
    props.sesIdentities === 'existing'
      ? ses.EmailIdentity.fromEmailIdentityName(scope, id, name).emailIdentityArn
      : new ses.EmailIdentity(scope, id, { identity: domain ? ses.Identity.domain(name) : ses.Identity.email(name) })
          .emailIdentityArn;
  const mailIdentities = [
    props.mailDomain ? identity('MailFrom', props.mailDomain, true) : identity('MailFrom', props.mailFrom, false),
  ];
  if (props.sesSandbox) mailIdentities.push(identity('AdManager', props.adManagerEmail, false));
  return mailIdentities;
}
