import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** A deletion the webhook committed to but left for the worker: what it needs to carry on. */
export interface DeletionJob {
  readonly userId: string;
  /** The delivery that asked for it, for the logs. */
  readonly eventType: string;
  readonly eventId?: string;
  /** How many times the job has been handed on; 0 from the webhook. */
  readonly continuation: number;
}

/** Where unfinished deletions go to be continued. SQS in AWS; in-process for `npm start`. */
export interface DeletionQueue {
  enqueue(job: DeletionJob): Promise<void>;
}

export class SqsDeletionQueue implements DeletionQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(job: DeletionJob): Promise<void> {
    await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(job) }));
  }
}
