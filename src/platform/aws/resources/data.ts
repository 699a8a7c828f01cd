import { Duration, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Topology } from '../../../topology.ts';
import { acknowledge } from '../nag.ts';
import { pascal } from '../plan.ts';
import type { Alarms } from './alarms.ts';
import { INSTANCE_PORT, PROXY_BORROW_LATENCY_ALARM_US } from './sizing.ts';

/** The owner of every database: the migrations and the functions that write log in as it. */
export const OWNER_USERNAME = 'donut';
/** The read-only role of every database (one per instance, so the same name everywhere). */
export const READ_ONLY_USERNAME = 'donut_reader';
/** CDK's own choice for generated database passwords (what RDS refuses or a connection string would need quoted). */
const READER_PASSWORD_EXCLUDED = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\';

const POSTGRES = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 });

/** One database of the topology: its instance, the proxy in front of it and its credentials. */
export interface DatabaseResources {
  readonly instance: rds.DatabaseInstance;
  readonly proxy: rds.DatabaseProxy;
  /** The owner's login, which the proxy uses towards the database; no function reads it. */
  readonly secret: secretsmanager.ISecret;
  /**
   * The login of the database's read-only role, which the proxy uses for functions that only read (the
   * dashboard, ops); the schema resource makes the role with its password after the migrations.
   */
  readonly readerSecret: secretsmanager.ISecret;
  /** The PostgreSQL database name inside the instance. */
  readonly name: string;
}

export interface DataProps {
  readonly topology: Topology;
  readonly vpc: ec2.Vpc;
  /** Multi-AZ with deletion protection and a snapshot on removal; otherwise single-AZ and removable. */
  readonly production: boolean;
  readonly alarms: Alarms;
}

/**
 * One PostgreSQL instance per database of the topology, in the isolated subnets, each behind its own
 * RDS Proxy, with its log group and a rotated secret. Resources are created in the stack's scope, so
 * logical ids stay those of a flat stack.
 */
export class Data {
  /** By database name, in the topology's order. */
  readonly databases = new Map<string, DatabaseResources>();
  readonly #scope: Stack;
  readonly #vpc: ec2.Vpc;
  readonly #alarms: Alarms;

  constructor(scope: Stack, props: DataProps) {
    this.#scope = scope;
    this.#vpc = props.vpc;
    this.#alarms = props.alarms;
    for (const declaration of props.topology.databases) this.#database(declaration.name, props.production);
  }

  #database(name: string, production: boolean): void {
    const scope = this.#scope;
    const id = pascal(name);
    const dataSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const identifier = `${scope.stackName}-${name}`.toLowerCase();
    // Created here, with a retention, rather than by RDS on first export (which keeps logs forever).
    const logGroup = new logs.LogGroup(scope, `${id}DatabaseLogs`, {
      logGroupName: `/aws/rds/instance/${identifier}/postgresql`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const instance = new rds.DatabaseInstance(scope, `${id}Database`, {
      instanceIdentifier: identifier,
      engine: POSTGRES,
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      vpc: this.#vpc,
      vpcSubnets: dataSubnets,
      port: INSTANCE_PORT,
      databaseName: `donut_${name.replace(/-/g, '_')}`,
      credentials: rds.Credentials.fromGeneratedSecret(OWNER_USERNAME),
      storageEncrypted: true,
      allocatedStorage: 20,
      maxAllocatedStorage: 100,
      backupRetention: Duration.days(7),
      multiAz: production,
      deletionProtection: production,
      removalPolicy: production ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      cloudwatchLogsExports: ['postgresql'],
      autoMinorVersionUpgrade: true,
      publiclyAccessible: false,
    });
    instance.node.addDependency(logGroup);
    if (!production) {
      acknowledge(
        instance,
        'AwsSolutions-RDS3',
        'Single-AZ keeps the demo deployment cheap; deploy with -c production=true for a Multi-AZ standby.',
      );
      acknowledge(
        instance,
        'AwsSolutions-RDS10',
        'Without -c production=true the stack is meant to be destroyable in one command; production turns deletion protection on.',
      );
    }
    const secret = instance.secret!;
    const readerSecret = new rds.DatabaseSecret(scope, `${id}ReaderSecret`, {
      username: READ_ONLY_USERNAME,
      excludeCharacters: READER_PASSWORD_EXCLUDED,
    }).attach(instance);
    // The proxy holds the connections, so a burst of Lambdas does not exhaust a small instance.
    const proxy = instance.addProxy(`${id}Proxy`, {
      // Named after its instance: a proxy name is unique per account and region, like the instance's.
      dbProxyName: identifier,
      // One secret per database user the proxy logs in to the database as; the functions log in to the
      // proxy with IAM tokens (rds-db:connect per user), never with these passwords.
      secrets: [secret, readerSecret],
      iamAuth: true,
      vpc: this.#vpc,
      vpcSubnets: dataSubnets,
      requireTLS: true,
      debugLogging: false,
    });
    instance.connections.allowDefaultPortFrom(proxy, 'RDS Proxy to its database');
    // A borrow waits when the proxy has no free connection: its pool is spent or the instance is slow to accept.
    this.#alarms.add(
      `${id}ProxyBorrowLatency`,
      new cloudwatch.Metric({
        namespace: 'AWS/RDS',
        metricName: 'DatabaseConnectionsBorrowLatency',
        dimensionsMap: { ProxyName: proxy.dbProxyName },
        statistic: 'Average',
        period: Duration.minutes(5),
      }),
      {
        threshold: PROXY_BORROW_LATENCY_ALARM_US,
        description: `${identifier}'s proxy waits ${PROXY_BORROW_LATENCY_ALARM_US / 1000} ms or more on average for a database connection: its pool is spent or the instance is overloaded`,
      },
    );
    instance.addRotationSingleUser({
      automaticallyAfter: Duration.days(30),
      // Not at creation: single-user rotation behind the proxy has a window where logins fail, and the
      // schema migration connects right then. The first rotation comes with the schedule.
      rotateImmediatelyOnUpdate: false,
      // The rotation function talks to Secrets Manager, so it needs the NAT route.
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });
    // The read-only role changes its own password, as the owner does; not at creation either.
    new secretsmanager.SecretRotation(scope, `${id}ReaderRotation`, {
      application: secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER,
      secret: readerSecret,
      target: instance,
      vpc: this.#vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      automaticallyAfter: Duration.days(30),
      rotateImmediatelyOnUpdate: false,
      excludeCharacters: READER_PASSWORD_EXCLUDED,
    });
    this.databases.set(name, {
      instance,
      proxy,
      secret,
      readerSecret,
      name: `donut_${name.replace(/-/g, '_')}`,
    });
  }
}
