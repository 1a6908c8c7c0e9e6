import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSEvent, SQSRecord } from 'aws-lambda';

/** A message as the SQS event source mapping hands it to Lambda. */
export const sqsRecord = (messageId: string, body: string): SQSRecord => ({
  messageId,
  receiptHandle: messageId,
  body,
  attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'test', ApproximateFirstReceiveTimestamp: '0' },
  messageAttributes: {},
  md5OfBody: createHash('md5').update(body).digest('hex'),
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:passport-webhook-deletions',
  awsRegion: 'us-east-1',
});

export interface SentMessage {
  readonly messageId: string;
  readonly body: string;
  readonly queueUrl: string;
  readonly delaySeconds: number;
}

export interface FakeSqs {
  /** The queue URL to configure; the SDK sends to the queue URL's host. */
  readonly queueUrl: string;
  /** A second queue on the same host, for the dead-letter queue. */
  readonly deadLetterQueueUrl: string;
  /** Messages sent to `queueUrl` and not yet taken. */
  readonly messages: SentMessage[];
  /** Messages sent to `deadLetterQueueUrl`. */
  readonly deadLetters: SentMessage[];
  /** While set, every SendMessage answers this HTTP status with SQS's error shape (an outage). */
  failWith: number | undefined;
  /** Takes every waiting message as one SQS event, as the event source mapping would deliver it. */
  takeEvent(): SQSEvent;
  close(): Promise<void>;
}

/**
 * SQS's SendMessage over its real wire protocol (AWS JSON 1.0, with the MD5 of the body the SDK
 * checks), enough for the SDK to run its production path: there is no local SQS to run instead.
 * A queue URL ending in `-dlq` is the dead-letter queue.
 */
export async function startFakeSqs(): Promise<FakeSqs> {
  const messages: SentMessage[] = [];
  const deadLetters: SentMessage[] = [];
  const state = { failWith: undefined as number | undefined };
  const server = createServer(async (request, response) => {
    let raw = '';
    for await (const chunk of request) raw += chunk;
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify(body));
    };
    if (request.headers['x-amz-target'] !== 'AmazonSQS.SendMessage') {
      return reply(400, { __type: 'com.amazonaws.sqs#UnsupportedOperation', message: String(request.headers['x-amz-target']) });
    }
    if (state.failWith) return reply(state.failWith, { __type: 'com.amazonaws.sqs#InternalError', message: 'fake outage' });
    const { MessageBody, QueueUrl, DelaySeconds = 0 } = JSON.parse(raw) as { MessageBody: string; QueueUrl: string; DelaySeconds?: number };
    const messageId = randomUUID();
    const message = { messageId, body: MessageBody, queueUrl: QueueUrl, delaySeconds: DelaySeconds };
    (QueueUrl.endsWith('-dlq') ? deadLetters : messages).push(message);
    reply(200, { MessageId: messageId, MD5OfMessageBody: createHash('md5').update(MessageBody).digest('hex') });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const fake: FakeSqs = {
    queueUrl: `http://127.0.0.1:${port}/000000000000/passport-webhook-deletions`,
    deadLetterQueueUrl: `http://127.0.0.1:${port}/000000000000/passport-webhook-deletions-dlq`,
    messages,
    deadLetters,
    get failWith() {
      return state.failWith;
    },
    set failWith(status) {
      state.failWith = status;
    },
    takeEvent: () => ({ Records: messages.splice(0).map(({ messageId, body }) => sqsRecord(messageId, body)) }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return fake;
}
