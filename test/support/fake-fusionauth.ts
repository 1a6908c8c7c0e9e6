// The FusionAuth stand-in lives in ./fusionauth/; this path stays for the tests that import it.
export * from './fusionauth/index.ts';
