import type { Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { acknowledge } from '../nag.ts';

export interface AlarmsProps {
  /** The system's name, shown on the topic. */
  readonly systemName: string;
  /** Where alarms are mailed; no subscription when unset. */
  readonly email: string | undefined;
}

/**
 * The alarm topic and the one way alarms are made: every alarm fires on a count of one and notifies
 * the topic. Resources are created in the stack's scope, so logical ids stay those of a flat stack.
 */
export class Alarms {
  readonly topic: sns.Topic;
  readonly #scope: Stack;

  constructor(scope: Stack, props: AlarmsProps) {
    this.#scope = scope;
    this.topic = new sns.Topic(scope, 'Alarms', { displayName: `${props.systemName} alarms`, enforceSSL: true });
    acknowledge(
      this.topic,
      'AwsSolutions-SNS2',
      'CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key, and alarm notices carry no data beyond alarm names.',
    );
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
  }

  /** An alarm that fires as soon as the metric reaches its threshold (one unless given); missing data is not a breach. */
  add(id: string, metric: cloudwatch.IMetric, options: { description: string; threshold?: number }): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this.#scope, id, {
      metric,
      threshold: options.threshold ?? 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    return alarm;
  }
}
