import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { PropertyType, Resource, ResourceProperties, SpecDatabase } from '@aws-cdk/service-spec-types';

/**
 * Checks a CloudFormation template against AWS's own service specification (`@aws-cdk/aws-service-spec`,
 * the database CDK generates its L1 constructs from), offline: resource types, property names, required
 * properties, nested types and primitives, and every reference (Ref, Fn::GetAtt, Fn::Sub, DependsOn,
 * Fn::FindInMap, Fn::If) to something the template declares. Returns one message per problem, empty when valid.
 * Intrinsic functions are accepted wherever a value is expected; their results are only known at deploy time.
 */
export function validateTemplate(template: Template): string[] {
  return new TemplateValidator(spec(), template).run();
}

export interface Template {
  readonly Resources?: Record<string, { Type: string; Properties?: Record<string, unknown>; [key: string]: unknown }>;
  readonly Parameters?: Record<string, unknown>;
  readonly Conditions?: Record<string, unknown>;
  readonly Mappings?: Record<string, unknown>;
  readonly Outputs?: Record<string, unknown>;
  readonly [section: string]: unknown;
}

let loaded: SpecDatabase | undefined;
/** The database takes a second or two to load: once per test file. */
function spec(): SpecDatabase {
  loaded ??= loadAwsServiceSpecSync();
  return loaded;
}

const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

const RESOURCE_KEYS = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'Condition',
  'Metadata',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'UpdatePolicy',
  'CreationPolicy',
]);

/** Custom resources carry whatever their provider reads; only ServiceToken is CloudFormation's. */
const CUSTOM_RESOURCE = 'AWS::CloudFormation::CustomResource';
const isCustom = (type: string) => type === CUSTOM_RESOURCE || type.startsWith('Custom::');
/** Nested stacks (and SAM applications, which become one) expose each output as `Outputs.<name>`. */
const hasOutputAttributes = (type: string) =>
  type === 'AWS::CloudFormation::Stack' || type === 'AWS::Serverless::Application';

/** A value is an intrinsic function when it is an object with a single `Ref` or `Fn::*` key. */
function intrinsic(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::')) ? keys[0] : undefined;
}

/** `Resource.Attribute.Path` → [Resource, Attribute.Path]. */
function splitOnce(text: string): [string, string] | [] {
  const dot = text.indexOf('.');
  return dot < 0 ? [] : [text.slice(0, dot), text.slice(dot + 1)];
}

const shown = (value: unknown) => (Array.isArray(value) ? 'an array' : JSON.stringify(value));
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

class TemplateValidator {
  readonly #errors: string[] = [];
  readonly #db: SpecDatabase;
  readonly #template: Template;
  readonly #resources: NonNullable<Template['Resources']>;

  constructor(db: SpecDatabase, template: Template) {
    this.#db = db;
    this.#template = template;
    this.#resources = template.Resources ?? {};
  }

  run(): string[] {
    for (const [id, resource] of Object.entries(this.#resources)) this.#checkResource(`Resources.${id}`, resource);
    this.#checkReferences('Resources', this.#resources);
    this.#checkReferences('Outputs', this.#template.Outputs ?? {});
    return this.#errors;
  }

  #error(path: string, message: string): void {
    this.#errors.push(`${path}: ${message}`);
  }

  #specOf(type: string): Resource | undefined {
    return this.#db.lookup('resource', 'cloudFormationType', 'equals', isCustom(type) ? CUSTOM_RESOURCE : type)[0];
  }

  #checkResource(path: string, resource: NonNullable<Template['Resources']>[string]): void {
    for (const key of Object.keys(resource)) {
      if (!RESOURCE_KEYS.has(key)) this.#error(path, `unknown resource attribute ${key}`);
    }
    const spec = this.#specOf(resource.Type);
    const properties = resource.Properties ?? {};
    if (!spec) this.#error(`${path}.Type`, `unknown resource type ${resource.Type}`);
    else if (!isObject(properties)) this.#error(`${path}.Properties`, `expected an object, got ${shown(properties)}`);
    else this.#checkObject(`${path}.Properties`, properties, spec.properties, isCustom(resource.Type));
  }

  /** An object against a property map: no unknown names (unless open), every required one, each value's type. */
  #checkObject(path: string, value: Record<string, unknown>, props: ResourceProperties, open = false): void {
    for (const [name, property] of Object.entries(props)) {
      if (property.required && !(name in value)) this.#error(path, `missing required property ${name}`);
    }
    for (const [name, v] of Object.entries(value)) {
      const property = props[name];
      if (property) this.#checkValue(`${path}.${name}`, v, property.type);
      else if (!open)
        this.#error(`${path}.${name}`, `unknown property (known: ${Object.keys(props).sort().join(', ')})`);
    }
  }

  #checkValue(path: string, value: unknown, type: PropertyType): void {
    if (intrinsic(value)) return;
    if (type.type === 'union') {
      // A union accepts a value that one of its members accepts without complaint.
      const fits = type.types.some((member) => this.#quietly(() => this.#checkValue(path, value, member)));
      if (!fits) this.#error(path, `expected ${type.types.map((t) => t.type).join(' | ')}, got ${shown(value)}`);
      return;
    }
    const problem = this.#mismatch(value, type);
    if (problem) {
      this.#error(path, problem);
      return;
    }
    if (type.type === 'array' || type.type === 'map') {
      for (const [k, v] of Object.entries(value as object)) {
        this.#checkValue(type.type === 'array' ? `${path}[${k}]` : `${path}.${k}`, v, type.element);
      }
    }
    if (type.type === 'ref') {
      this.#checkObject(
        path,
        value as Record<string, unknown>,
        this.#db.get('typeDefinition', type.reference).properties,
      );
    }
    if (type.type === 'tag') {
      this.#checkObject(path, value as Record<string, unknown>, {
        Key: { type: { type: 'string' }, required: true },
        Value: { type: { type: 'string' }, required: true },
      });
    }
  }

  /** The shape a value must have for a type, with CloudFormation's leniency: it converts numbers and strings. */
  #mismatch(value: unknown, type: Exclude<PropertyType, { type: 'union' }>): string | undefined {
    const ok = (() => {
      switch (type.type) {
        case 'string':
        case 'date-time':
          return ['string', 'number', 'boolean'].includes(typeof value);
        case 'number':
          return (
            typeof value === 'number' ||
            (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)))
          );
        case 'integer':
          return Number.isInteger(typeof value === 'string' && value.trim() !== '' ? Number(value) : value);
        case 'boolean':
          return typeof value === 'boolean' || value === 'true' || value === 'false';
        case 'json':
          return typeof value === 'object' && value !== null;
        case 'null':
          return value === null;
        case 'array':
          return Array.isArray(value);
        case 'map':
        case 'ref':
        case 'tag':
          return isObject(value);
      }
    })();
    return ok ? undefined : `expected ${type.type}, got ${shown(value)}`;
  }

  /** Whether a check passes, keeping its errors out of the report. */
  #quietly(check: () => void): boolean {
    const before = this.#errors.length;
    check();
    return this.#errors.splice(before).length === 0;
  }

  /** Every Ref, Fn::GetAtt, Fn::Sub variable, Fn::FindInMap, Fn::If and DependsOn names something declared. */
  #checkReferences(path: string, node: unknown): void {
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      const at = Array.isArray(node) ? `${path}[${key}]` : `${path}.${key}`;
      if (key === 'Ref' && typeof value === 'string') this.#checkRef(at, value);
      if (key === 'Fn::GetAtt') this.#checkGetAtt(at, value);
      if (key === 'Fn::Sub') this.#checkSub(at, value);
      if (key === 'Fn::FindInMap' && Array.isArray(value) && typeof value[0] === 'string') {
        if (!(value[0] in (this.#template.Mappings ?? {}))) this.#error(at, `no mapping ${value[0]}`);
      }
      if (key === 'Fn::If' && Array.isArray(value) && typeof value[0] === 'string') {
        if (!(value[0] in (this.#template.Conditions ?? {}))) this.#error(at, `no condition ${value[0]}`);
      }
      if (key === 'DependsOn' && /^Resources\.[^.]+$/.test(path)) {
        for (const target of [value].flat()) {
          if (!(String(target) in this.#resources))
            this.#error(at, `depends on ${String(target)}, which is not a resource`);
        }
      }
      this.#checkReferences(at, value);
    }
  }

  #checkRef(path: string, target: string): void {
    const known =
      target in this.#resources || target in (this.#template.Parameters ?? {}) || PSEUDO_PARAMETERS.has(target);
    if (!known) this.#error(path, `Ref to ${target}, which is neither a resource, a parameter nor a pseudo parameter`);
  }

  #checkGetAtt(path: string, value: unknown): void {
    const [id, attribute] = typeof value === 'string' ? splitOnce(value) : Array.isArray(value) ? value : [];
    const resource = typeof id === 'string' ? this.#resources[id] : undefined;
    if (typeof id !== 'string' || attribute === undefined) {
      this.#error(path, `expected [resource, attribute], got ${shown(value)}`);
    } else if (!resource) {
      this.#error(path, `GetAtt of ${id}, which is not a resource`);
    } else if (typeof attribute === 'string') {
      // An attribute chosen by an intrinsic is only known at deploy time.
      this.#checkAttribute(path, resource.Type, attribute);
    }
  }

  #checkAttribute(path: string, type: string, attribute: string): void {
    if (isCustom(type) || (hasOutputAttributes(type) && attribute.startsWith('Outputs.'))) return;
    const spec = this.#specOf(type);
    // An unknown type is reported once, where it is declared.
    if (spec && !(attribute in spec.attributes)) {
      this.#error(
        path,
        `${type} has no attribute ${attribute} (it has: ${Object.keys(spec.attributes).sort().join(', ')})`,
      );
    }
  }

  /** `${Name}` is a Ref, `${Name.Attr}` a GetAtt, unless Name is one of the Sub's own variables; `${!…}` is literal. */
  #checkSub(path: string, value: unknown): void {
    const [text, variables] = typeof value === 'string' ? [value, {}] : (value as [unknown, unknown]);
    if (typeof text !== 'string') return;
    for (const [, name] of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
      const trimmed = name!.trim();
      if (isObject(variables) && trimmed in variables) continue;
      if (trimmed.includes('.')) this.#checkGetAtt(path, splitOnce(trimmed));
      else this.#checkRef(path, trimmed);
    }
  }
}
