import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FusionAuthEvent } from './events.ts';

/** One request a receiver got. */
export interface ReceivedDelivery {
  readonly headers: IncomingHttpHeaders;
  /** The raw body, byte for byte as sent (what a signature covers). */
  readonly body: string;
  /** The parsed `event` of the body, or undefined if the body was not FusionAuth's JSON. */
  readonly event: FusionAuthEvent | undefined;
}

/** How to answer a delivery: a status, optionally after a delay; `'hang'` never answers. */
export type ReceiverAnswer = number | { readonly status: number; readonly delayMs?: number } | 'hang';

export type Responder = (delivery: ReceivedDelivery) => ReceiverAnswer | Promise<ReceiverAnswer>;

/** A tiny webhook endpoint for tests, on 127.0.0.1 and a free port. */
export interface WebhookReceiver {
  readonly url: string;
  /** Every delivery, in the order they arrived. */
  readonly deliveries: ReceivedDelivery[];
  /** How the next deliveries are answered; change it between steps. */
  respond: Responder;
  /** The events of one type received so far. */
  events(type?: string): FusionAuthEvent[];
  close(): Promise<void>;
}

/** Starts a receiver that answers `respond` (200 when not given). */
export async function startWebhookReceiver(respond: Responder = () => 200): Promise<WebhookReceiver> {
  const deliveries: ReceivedDelivery[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const receiver = { respond } as WebhookReceiver;
  const server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    const delivery: ReceivedDelivery = { headers: request.headers, body, event: parseEvent(body) };
    deliveries.push(delivery);
    const answer = await receiver.respond(delivery);
    if (answer === 'hang') return;
    const { status, delayMs = 0 } = typeof answer === 'number' ? { status: answer } : answer;
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!response.destroyed) response.writeHead(status).end();
    }, delayMs);
    timers.add(timer);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`,
    deliveries,
    events: (type?: string) =>
      deliveries.map((delivery) => delivery.event).filter((event): event is FusionAuthEvent => event !== undefined && (type === undefined || event.type === type)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}

function parseEvent(body: string): FusionAuthEvent | undefined {
  try {
    const parsed = JSON.parse(body) as { event?: FusionAuthEvent };
    return parsed.event;
  } catch {
    return undefined;
  }
}

/** A URL on 127.0.0.1 where nothing listens: connecting is refused at once. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/webhook`;
}
