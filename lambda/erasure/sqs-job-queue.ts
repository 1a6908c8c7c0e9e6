import type { SQSClient, SQSClientConfig } from '@aws-sdk/client-sqs';
import { type ErasureJob, type ErasureJobQueue, MAX_DELAY_SECONDS } from './jobs.ts';

export interface SqsQueueUrls {
  readonly queueUrl: string;
  /** Where a job that cannot go on is set aside (the queue's redrive target). */
  readonly deadLetterQueueUrl: string | undefined;
}

/**
 * The worker's queue on SQS. The SQS client is loaded on the first send, not at init: a
 * container that only sees logins never evaluates it.
 */
export class SqsErasureJobQueue implements ErasureJobQueue {
  #client: Promise<{ client: SQSClient; SendMessageCommand: typeof import('@aws-sdk/client-sqs').SendMessageCommand }> | undefined;

  constructor(
    private readonly urls: SqsQueueUrls,
    private readonly clientConfig: SQSClientConfig = {},
  ) {}

  async send(job: ErasureJob, delaySeconds = 0, signal?: AbortSignal): Promise<void> {
    await this.#send(this.urls.queueUrl, job, Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(delaySeconds))), signal);
  }

  async deadLetter(job: ErasureJob, reason: string, signal?: AbortSignal): Promise<void> {
    if (!this.urls.deadLetterQueueUrl) throw new Error(`no dead-letter queue to set the job aside in (${reason})`);
    await this.#send(this.urls.deadLetterQueueUrl, { ...job, deadLetterReason: reason }, 0, signal);
  }

  async #send(
    queueUrl: string,
    job: ErasureJob | (ErasureJob & { deadLetterReason: string }),
    delaySeconds: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    this.#client ??= import('@aws-sdk/client-sqs').then(({ SQSClient, SendMessageCommand }) => ({
      client: new SQSClient(this.clientConfig),
      SendMessageCommand,
    }));
    const { client, SendMessageCommand } = await this.#client;
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(job), DelaySeconds: delaySeconds }), { abortSignal: signal });
  }
}
