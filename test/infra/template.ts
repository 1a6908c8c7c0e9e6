import type { Template } from 'aws-cdk-lib/assertions';

/** A resource as CloudFormation sees it. */
export interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, any>;
  readonly [attribute: string]: any;
}

export const resources = (template: Template): Record<string, Resource> => template.toJSON().Resources;

/** The logical id of the one resource of `type` whose id matches `pattern`. */
export function idOf(template: Template, type: string, pattern: RegExp = /./): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => pattern.test(id));
  if (ids.length !== 1) throw new Error(`expected one ${type} matching ${pattern}, found ${ids.join(', ') || 'none'}`);
  return ids[0]!;
}

export const ref = (id: string) => ({ Ref: id });
export const arn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

/** The statements of the policy attached to a function's role: everything that function may do. */
export function statementsOf(template: Template, functionId: string): any[] {
  const [roleId] = resources(template)[functionId]!.Properties.Role['Fn::GetAtt'];
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
    (policy.Properties.Roles as unknown[]).some((role) => JSON.stringify(role) === JSON.stringify(ref(roleId))),
  );
  if (policies.length !== 1) throw new Error(`expected one policy on ${roleId}, found ${policies.length}`);
  return policies[0]!.Properties.PolicyDocument.Statement;
}

/** The dashboard's widgets, with each CloudFormation reference in its body replaced by "REF" and collected. */
export function dashboardOf(template: Template) {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const [, parts] = dashboard!.Properties.DashboardBody['Fn::Join'];
  const references: unknown[] = [];
  const text = (parts as unknown[]).map((part) => (typeof part === 'string' ? part : (references.push(part), 'REF'))).join('');
  const widgets = (JSON.parse(text) as { widgets: { width: number; properties: Record<string, any> }[] }).widgets;
  return { widgets, references };
}

/**
 * A value as the function will read it, with each reference written `<LogicalId>` (and a GetAtt
 * `<LogicalId.Attribute>`): a plain string stays as it is, a Fn::Join is joined.
 */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as { 'Fn::Join'?: [string, unknown[]]; 'Fn::GetAtt'?: [string, string]; Ref?: string };
  if (intrinsic['Fn::Join']) return intrinsic['Fn::Join'][1].map(textOf).join(intrinsic['Fn::Join'][0]);
  if (intrinsic['Fn::GetAtt']) return `<${intrinsic['Fn::GetAtt'].join('.')}>`;
  if (intrinsic.Ref) return `<${intrinsic.Ref}>`;
  throw new Error(`not a string or a reference: ${JSON.stringify(value)}`);
}
