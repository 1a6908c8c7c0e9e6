/**
 * Settings the AWS SDK needs that a machine without an AWS account lacks. The same fixed
 * credentials everywhere matter: DynamoDB Local keeps one database per access key and region.
 */
export function useLocalAwsDefaults(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_REGION ||= 'us-east-1';
  if (!env.AWS_ACCESS_KEY_ID) {
    env.AWS_ACCESS_KEY_ID = 'local';
    env.AWS_SECRET_ACCESS_KEY = 'local';
  }
}
