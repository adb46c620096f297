#!/usr/bin/env node
// Reference signer: adds an eddsa-rdfc-2022 proof with @digitalbazaar/vc, offline.
//
//   node interop/sign.mjs [--contexts map.json] [--key keypair.json] [--created ISO]
//                         [unsigned.json | -]
//
// keypair.json is {"publicKeyMultibase": "z6Mk…", "secretKeyMultibase": "z3u2…"} (the W3C
// test-vector name "privateKeyMultibase" is accepted too). Without --key a fresh key is
// generated. The credential's issuer (string or issuer.id) is set to the key's did:key,
// because the verifier requires the issuer to be the key's controller.
// Prints the signed credential as JSON.
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {loadContexts, offlineDocumentLoader, parseArgs, readJsonInput} from './offline.mjs';

async function loadKeyPair(path) {
  if(!path) {
    const keyPair = await Ed25519Multikey.generate();
    return withDidKey(keyPair);
  }
  const stored = JSON.parse(readFileSync(path, 'utf8'));
  const keyPair = await Ed25519Multikey.from({
    type: 'Multikey',
    publicKeyMultibase: stored.publicKeyMultibase,
    secretKeyMultibase: stored.secretKeyMultibase || stored.privateKeyMultibase
  });
  return withDidKey(keyPair);
}

async function withDidKey(keyPair) {
  const did = `did:key:${keyPair.publicKeyMultibase}`;
  keyPair.controller = did;
  keyPair.id = `${did}#${keyPair.publicKeyMultibase}`;
  return keyPair;
}

async function main() {
  const {options, positional} = parseArgs(
    process.argv.slice(2), ['contexts', 'key', 'created']);
  const credential = readJsonInput(positional[0]);
  const keyPair = await loadKeyPair(options.key);
  if(credential.issuer && typeof credential.issuer === 'object') {
    credential.issuer.id = keyPair.controller;
  } else {
    credential.issuer = keyPair.controller;
  }
  const suite = new DataIntegrityProof({
    signer: keyPair.signer(),
    cryptosuite: eddsaRdfc2022,
    ...(options.created ? {date: options.created} : {})
  });
  const documentLoader = offlineDocumentLoader(loadContexts(options.contexts));
  const signed = await vc.issue({credential, suite, documentLoader});
  process.stdout.write(JSON.stringify(signed, null, 2) + '\n');
}

main().catch(error => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exitCode = 2;
});
