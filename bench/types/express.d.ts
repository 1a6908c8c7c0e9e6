/** The little of Express 5 the Passport baseline uses; express ships no types and @types/express is not a dependency. */
declare module 'express' {
  import type { Server } from 'node:http';

  export interface Request {
    header(name: string): string | undefined;
    // The parsed JSON body: whatever the sender sent.
    body: any;
  }

  export interface Response {
    status(code: number): Response;
    send(body?: unknown): Response;
    sendStatus(code: number): Response;
    end(): Response;
  }

  type Handler = (req: Request, res: Response, next: (error?: unknown) => void) => void;

  interface Route {
    post(handler: (req: Request, res: Response) => void): Route;
  }

  interface Router {
    route(path: string): Route;
  }

  interface Application {
    use(...handlers: (Handler | Router)[]): Application;
    listen(port: number, host: string, callback: () => void): Server;
  }

  interface Express {
    (): Application;
    json(): Handler;
    Router(): Router;
  }

  const express: Express;
  export default express;
}
