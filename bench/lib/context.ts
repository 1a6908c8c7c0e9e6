import type { LambdaTargets } from './lambda-targets.ts';
import type { LocalDynamoDb } from './local-dynamodb.ts';
import type { Row } from './rows.ts';

/** What every benchmark is given by bench/run.ts. */
export interface BenchContext {
  /** `--quick`: fewer repetitions and smaller sizes, for a check in about a minute. */
  readonly quick: boolean;
  /** `--full`: measure even what is otherwise extrapolated (the naive deletion of 50,000 Todos). */
  readonly full: boolean;
  readonly dynamoDb: LocalDynamoDb;
  targets(): Promise<LambdaTargets>;
  /** Progress, on stderr. */
  log(message: string): void;
}

export interface BenchResult {
  readonly rows: Row[];
  /** Everything measured, for results.json. */
  readonly raw: Record<string, unknown>;
}
