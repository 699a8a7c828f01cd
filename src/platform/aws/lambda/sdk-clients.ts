/**
 * How long an AWS SDK call may take on Lambda. The SDK's defaults wait forever for a connection and
 * for an answer, so a stalled endpoint (or NAT gateway) would hold an invocation until the function's
 * timeout, and a request in flight would turn into a 5xx after its work was committed.
 */
export interface AwsClientLimits {
  /** Connecting (TCP and TLS) to the endpoint. */
  readonly connectionTimeoutMs: number;
  /** One attempt, connecting included, until the whole answer is in; longer than any long poll made. */
  readonly requestTimeoutMs: number;
  /** Attempts per call, the first included: what fails after them is left to the queue's or the sweep's retry. */
  readonly maxAttempts: number;
}

/**
 * The limits of every client the Lambda runtime builds: a call gives up within
 * maxAttempts × requestTimeoutMs plus the SDK's short back-off, inside the HTTP functions' timeout
 * (test/aws/publish-bound.test.ts checks both). SNS, SQS, SES and Secrets Manager answer in tens of
 * milliseconds; the longest call made is a two-second SQS long poll (ops' dead-letter listing).
 */
export const AWS_CLIENT_LIMITS: AwsClientLimits = {
  connectionTimeoutMs: 1000,
  requestTimeoutMs: 4000,
  maxAttempts: 2,
};

/** Where a client connects, for tests against a local endpoint; on Lambda the SDK finds them. */
export interface AwsClientTarget {
  readonly endpoint?: string;
  readonly region?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * The configuration for an AWS SDK v3 client (`new SNSClient(awsClientConfig())`): the limits above on
 * its Node HTTP handler, with a timed-out attempt thrown as an error (the SDK only logs it otherwise)
 * and retried as a transient one.
 */
export function awsClientConfig(limits: AwsClientLimits = AWS_CLIENT_LIMITS, target: AwsClientTarget = {}) {
  return {
    ...target,
    maxAttempts: limits.maxAttempts,
    requestHandler: {
      connectionTimeout: limits.connectionTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
}
