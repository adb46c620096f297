#!/usr/bin/env node
// Reference verifier: checks a credential's eddsa-rdfc-2022 proof with @digitalbazaar/vc, offline.
//
//   node interop/verify.mjs [--contexts map.json] [--now ISO-8601] [credential.json | -]
//
// map.json is {"<context url>": "<file path>"}; without it the portal's pinned manifest is used.
// The map may also hold DID documents, verification methods and status list credentials, so a
// credential with a BitstringStatusListEntry is checked against its list, still offline.
// Prints {"verified": bool, "errors": [...]}; exit code 0 only if verified.
import * as vc from '@digitalbazaar/vc';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {
  errorMessages, loadContexts, offlineDocumentLoader, parseArgs, readJsonInput
} from './offline.mjs';

async function main() {
  const {options, positional} = parseArgs(process.argv.slice(2), ['contexts', 'now']);
  const credential = readJsonInput(positional[0]);
  const documentLoader = offlineDocumentLoader(loadContexts(options.contexts));
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  const result = await vc.verifyCredential({
    credential,
    suite,
    documentLoader,
    ...(credential.credentialStatus ? {
      checkStatus: async options => {
        // The library reports a set bit as status: true with verified: true (the list itself
        // verified); for a verifier, a revoked or suspended credential is not valid.
        const statusResult = await checkStatus({...options, suite, documentLoader});
        const set = (statusResult.results || [statusResult]).filter(item => item.status === true);
        if(statusResult.verified && set.length > 0) {
          const purposes = set.map(item => item.credentialStatus?.statusPurpose || 'status');
          return {verified: false, error: new Error(`credential status set: ${purposes.join(', ')}`)};
        }
        return statusResult;
      }
    } : {}),
    ...(options.now ? {now: options.now} : {})
  });
  const errors = errorMessages(result.error);
  errors.push(...errorMessages(result.statusResult?.error));
  for(const item of result.results || []) {
    errors.push(...errorMessages(item.error));
  }
  const verified = result.verified === true;
  process.stdout.write(JSON.stringify({verified, errors: [...new Set(errors)]}) + '\n');
  process.exitCode = verified ? 0 : 1;
}

main().catch(error => {
  process.stdout.write(
    JSON.stringify({verified: false, errors: errorMessages(error)}) + '\n');
  process.exitCode = 2;
});
