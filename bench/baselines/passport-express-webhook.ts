/**
 * Throughput baseline: the original Passport webhook example, completed so that it runs.
 *
 * Source: Inversoft Passport documentation, "Writing a Webhook", section "Example Code"
 * ("Here's a simple example of a Webhook written in Node using Express. In this example, if the
 * event is a user.delete event, this code deletes all of the user's Todos."), kept in
 * FusionAuth/fusionauth-site as site/docs/passport/events-webhooks/writing-a-webhook.adoc
 * (commit 4a5d962c4ea892c62752da7fb46fceec4b827908) and published at
 * fusionauth.io/docs/passport/events-webhooks/writing-a-webhook. FusionAuth's docs carry the same
 * example today, at /fusionauth-webhook.
 *
 * The route below is the example's, line for line. What the snippet leaves out, completed:
 * 1. `router` and an app around it: Express with its JSON body parser (the route reads the
 *    parsed `req.body`; FusionAuth's standalone copy of this example mounts body-parser's
 *    json(), which Express 5 ships as express.json()), listening on PORT (0: a free port).
 * 2. `todo`: the Todo model. The example's was SQL; here it is DynamoDB, in
 *    passport-todo-model.ts (a Query, then one DeleteItem per Todo).
 * 3. `_handleDatabaseError(res, err)`, which the snippet calls but never defines: log the error
 *    and answer 500, as the webhook route of Inversoft's Passport Todo sample app does, and as
 *    the same page requires ("If there was any type of error or failure, your Webhook must send
 *    back an HTTP response status code of 500").
 * 4. An answer for every other event type. The snippet answers only user.delete; any other
 *    event would be left without a response until Passport's read timeout. FusionAuth's later
 *    copy of the example adds `else { res.sendStatus(200); }`, and so does this one. (Without it
 *    the throughput benchmark, which sends ignored events, could not run at all.)
 * 5. The `'API-KEY'` placeholder: the key configured in WEBHOOK_API_KEYS.
 */
import express, { type Response } from 'express';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Todo, todoTableFromEnv } from './passport-todo-model.ts';

const API_KEY = process.env.WEBHOOK_API_KEYS;
const todo = new Todo(new DynamoDBClient({}), todoTableFromEnv(process.env));
const app = express();
const router = express.Router();
app.use(express.json());
app.use(router);

function _handleDatabaseError(res: Response, err: unknown): void {
  console.error(err);
  res.status(500).end();
}

router.route('/passport-webhook').post((req, res) => {
  const authorization = req.header('Authorization');
  if (authorization !== API_KEY) {
    res.status(401).send({
      'errors': [{
        'code': '[notAuthorized]'
      }]
    });
    return;
  }

  const request = req.body;
  if (request.event.type === 'user.delete') {
    todo.deleteAll(request.event.user.id)
      .then(() => {
        res.sendStatus(200);
      })
      .catch(function(err) {
        _handleDatabaseError(res, err);
      });
  } else {
    res.sendStatus(200);
  }
});

const server = app.listen(Number(process.env.PORT ?? 3030), process.env.HOST ?? '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : process.env.PORT;
  console.log(`Example webhook listening on http://127.0.0.1:${port}/passport-webhook`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
