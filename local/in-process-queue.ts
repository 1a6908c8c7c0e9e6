import { randomUUID } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import type { DeletionJob, DeletionQueue } from '../lambda/deletion/queue.ts';
import type { DeletionWorker } from '../lambda/deletion/worker.ts';
import { lambdaContext } from './lambda-context.ts';

export interface InProcessQueueOptions {
  /** Receives before a failing job is set aside, like the SQS redrive policy. */
  readonly maxReceiveCount?: number;
  /** How long a failed job waits to be received again, like the visibility timeout. */
  readonly retryDelayMs?: number;
  /** The worker's time per job, like its Lambda timeout. */
  readonly workerTimeoutMs?: number;
}

interface Message {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
}

/**
 * SQS and its event source mapping, in process, for `npm start`: jobs reach the same worker
 * function with the same SQS event shape, one at a time; failed ones come back after a delay,
 * and after `maxReceiveCount` receives go to `deadLetters`.
 */
export class InProcessDeletionQueue implements DeletionQueue {
  readonly deadLetters: DeletionJob[] = [];
  readonly #ready: Message[] = [];
  readonly #options: Required<InProcessQueueOptions>;
  #worker: DeletionWorker | undefined;
  #outstanding = 0;
  #draining = false;
  #waiters: (() => void)[] = [];

  constructor(options: InProcessQueueOptions = {}) {
    this.#options = { maxReceiveCount: 5, retryDelayMs: 1_000, workerTimeoutMs: 60_000, ...options };
  }

  /** The worker is built with this queue (it requeues into it), so it is attached after. */
  attach(worker: DeletionWorker): void {
    this.#worker = worker;
    void this.#drain();
  }

  async enqueue(job: DeletionJob): Promise<void> {
    this.#outstanding += 1;
    this.#ready.push({ messageId: randomUUID(), body: JSON.stringify(job), sentAt: Date.now(), receiveCount: 0 });
    void this.#drain();
  }

  /** Resolves once every job queued so far, and every job they queue, has ended. */
  idle(): Promise<void> {
    return this.#outstanding === 0 ? Promise.resolve() : new Promise((resolve) => this.#waiters.push(resolve));
  }

  async #drain(): Promise<void> {
    if (this.#draining || !this.#worker) return;
    this.#draining = true;
    try {
      for (let message = this.#ready.shift(); message; message = this.#ready.shift()) await this.#deliver(message, this.#worker);
    } finally {
      this.#draining = false;
    }
  }

  async #deliver(message: Message, worker: DeletionWorker): Promise<void> {
    message.receiveCount += 1;
    const context = lambdaContext('passport-webhook-worker-local', this.#options.workerTimeoutMs);
    let failed: boolean;
    try {
      const { batchItemFailures } = await worker({ Records: [toRecord(message)] }, context);
      failed = batchItemFailures.length > 0;
    } catch {
      failed = true;
    }
    if (!failed) return this.#settle();
    if (message.receiveCount >= this.#options.maxReceiveCount) {
      this.deadLetters.push(JSON.parse(message.body) as DeletionJob);
      console.error(`deletion job ${message.messageId} failed ${message.receiveCount} times; set aside`);
      return this.#settle();
    }
    setTimeout(() => {
      this.#ready.push(message);
      void this.#drain();
    }, this.#options.retryDelayMs).unref();
  }

  #settle(): void {
    this.#outstanding -= 1;
    if (this.#outstanding === 0) this.#waiters.splice(0).forEach((resolve) => resolve());
  }
}

const toRecord = (message: Message): SQSRecord => ({
  messageId: message.messageId,
  receiptHandle: message.messageId,
  body: message.body,
  attributes: {
    ApproximateReceiveCount: String(message.receiveCount),
    SentTimestamp: String(message.sentAt),
    SenderId: 'local',
    ApproximateFirstReceiveTimestamp: String(message.sentAt),
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:passport-webhook-deletions-local',
  awsRegion: process.env.AWS_REGION ?? 'us-east-1',
});
