import { randomUUID } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import type { JobRunner } from '../lambda/erasure/job-runner.ts';
import { type ErasureJob, type ErasureJobQueue, MAX_DELAY_SECONDS } from '../lambda/erasure/jobs.ts';
import { lambdaContext } from './lambda-context.ts';

export interface InProcessQueueOptions {
  /** Receives before a failing job is set aside, like the SQS redrive policy. */
  readonly maxReceiveCount?: number;
  /** How long a failed job waits to be received again, like the visibility timeout. */
  readonly retryDelayMs?: number;
  /** The worker's time per invocation, like its Lambda timeout. */
  readonly workerTimeoutMs?: number;
  /** Invocations at once, like the event source's maximum concurrency. */
  readonly concurrency?: number;
  /** Records per invocation, like the event source's batch size. */
  readonly batchSize?: number;
}

interface Message {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
}

/**
 * SQS and its event source mapping, in process, for `npm start`: jobs reach the same worker
 * function with the same SQS event shape, in batches, several invocations at once; a message
 * sent with a delay is held that long; failed ones come back after a delay, and after
 * `maxReceiveCount` receives go to `deadLetters`.
 */
export class InProcessJobQueue implements ErasureJobQueue {
  readonly deadLetters: { job: ErasureJob; reason: string }[] = [];
  readonly #ready: Message[] = [];
  readonly #options: Required<InProcessQueueOptions>;
  readonly #timers = new Set<NodeJS.Timeout>();
  #worker: JobRunner | undefined;
  #outstanding = 0;
  #running = 0;
  #waiters: (() => void)[] = [];

  constructor(options: InProcessQueueOptions = {}) {
    this.#options = { maxReceiveCount: 5, retryDelayMs: 1_000, workerTimeoutMs: 60_000, concurrency: 4, batchSize: 10, ...options };
  }

  /** The worker is built with this queue (it hands jobs on into it), so it is attached after. */
  attach(worker: JobRunner): void {
    this.#worker = worker;
    this.#drain();
  }

  async send(job: ErasureJob, delaySeconds = 0): Promise<void> {
    this.#outstanding += 1;
    const message: Message = { messageId: randomUUID(), body: JSON.stringify(job), sentAt: Date.now(), receiveCount: 0 };
    this.#later(() => this.#ready.push(message), Math.min(MAX_DELAY_SECONDS, Math.max(0, delaySeconds)) * 1000);
  }

  async deadLetter(job: ErasureJob, reason: string): Promise<void> {
    this.deadLetters.push({ job, reason });
    console.error(`erasure job set aside: ${reason}`);
  }

  /** Jobs waiting, delayed or running. */
  get size(): number {
    return this.#outstanding;
  }

  /** Resolves once every job sent so far, and every job they send, has ended (delayed ones too). */
  idle(): Promise<void> {
    return this.#outstanding === 0 ? Promise.resolve() : new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Drops what is still waiting: `npm start` is stopping. */
  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#ready.length = 0;
  }

  #later(run: () => void, delayMs: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
      this.#drain();
    }, delayMs);
    timer.unref();
    this.#timers.add(timer);
  }

  #drain(): void {
    const worker = this.#worker;
    if (!worker) return;
    while (this.#running < this.#options.concurrency && this.#ready.length > 0) {
      const batch = this.#ready.splice(0, this.#options.batchSize);
      this.#running += 1;
      void this.#invoke(worker, batch).finally(() => {
        this.#running -= 1;
        this.#drain();
      });
    }
  }

  async #invoke(worker: JobRunner, batch: Message[]): Promise<void> {
    for (const message of batch) message.receiveCount += 1;
    const context = lambdaContext('passport-webhook-worker-local', this.#options.workerTimeoutMs);
    let failed: Set<string>;
    try {
      const { batchItemFailures } = await worker({ Records: batch.map(toRecord) }, context);
      failed = new Set(batchItemFailures.map(({ itemIdentifier }) => itemIdentifier));
    } catch {
      failed = new Set(batch.map(({ messageId }) => messageId));
    }
    for (const message of batch) {
      if (!failed.has(message.messageId)) this.#settle();
      else if (message.receiveCount >= this.#options.maxReceiveCount) {
        this.deadLetters.push({ job: JSON.parse(message.body) as ErasureJob, reason: `failed ${message.receiveCount} receives` });
        console.error(`erasure job ${message.messageId} failed ${message.receiveCount} times; set aside`);
        this.#settle();
      } else {
        this.#later(() => this.#ready.push(message), this.#options.retryDelayMs);
      }
    }
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
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:passport-webhook-erasure-jobs-local',
  awsRegion: process.env.AWS_REGION ?? 'us-east-1',
});
