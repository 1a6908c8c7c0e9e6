import { NotAuthorizedError } from '../errors.ts';
import { singleHeader, type WebhookRequest } from '../http/request.ts';
import { basicCredentials } from './basic.ts';
import { equalsOneOf } from './constant-time.ts';
import { type CredentialConfig, type CredentialSource, credentialSource, parseLines, parseList } from './credential-source.ts';
import { SIGNATURE_HEADER, type SignatureAlgorithm } from './signature-algorithms.ts';

/** The credentials a request must carry: every one configured must pass. */
export interface AuthConfig {
  readonly apiKey?: {
    /** `authorization` unless Basic needs that header. */
    readonly header: string;
    readonly keys: CredentialConfig;
  };
  readonly basic?: CredentialConfig;
  readonly signature?: SignatureConfig;
}

export interface SignatureConfig {
  readonly algorithms: readonly SignatureAlgorithm[];
  readonly hmacSecrets?: CredentialConfig;
  readonly jwksUrl?: string;
  readonly jwksFile?: string;
}

/** The request's credentials, in two steps so that a body is never read for an unauthenticated caller. */
export interface Authenticator {
  /** API key and Basic credentials. */
  checkHeaders(request: WebhookRequest): Promise<void>;
  /** The signature over the raw body. */
  checkBody(request: WebhookRequest, body: Uint8Array): Promise<void>;
}

/** Builds the checks `config` asks for, with their key sources; called once per container. */
export function createAuthenticator(config: AuthConfig): Authenticator {
  const apiKey = config.apiKey && { header: config.apiKey.header, keys: credentialSource(config.apiKey.keys, parseList, 'API key') };
  const basic = config.basic && credentialSource(config.basic, parseLines, 'Basic credentials');
  const signature = config.signature && signatureCheck(config.signature);
  return {
    async checkHeaders(request) {
      if (apiKey) await requireOneOf(singleHeader(request, apiKey.header), apiKey.keys);
      if (basic) await requireOneOf(basicCredentials(singleHeader(request, 'authorization')), basic);
    },
    async checkBody(request, body) {
      if (signature) await (await signature())(singleHeader(request, SIGNATURE_HEADER), body);
    },
  };
}

/** No credential at all is refused without loading the expected ones. */
async function requireOneOf(presented: string | undefined, expected: CredentialSource): Promise<void> {
  if (!presented || !equalsOneOf(presented, await expected.list())) throw new NotAuthorizedError();
}

type SignatureCheck = (token: string | undefined, body: Uint8Array) => Promise<void>;

/**
 * The signature check, with jose and the keys loaded on the first signed delivery: a webhook
 * that checks API keys only never evaluates them.
 */
function signatureCheck(config: SignatureConfig): () => Promise<SignatureCheck> {
  let loaded: Promise<SignatureCheck> | undefined;
  return () =>
    (loaded ??= import('./signature.ts').then(({ signatureKeys, verifySignature }) => {
      const keys = signatureKeys(config);
      return (token, body) => verifySignature(token, body, keys);
    }));
}
