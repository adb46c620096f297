// Shared pieces of the reference scripts: argument parsing, stdin, and an offline document loader.
import {readFileSync} from 'node:fs';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {driver as didKeyDriver} from '@digitalbazaar/did-method-key';

const here = new URL('.', import.meta.url);
// Default context map: the portal's own pinned manifest (same files the Python loader uses).
const DEFAULT_MANIFEST = new URL('../credentials/jsonld/contexts/manifest.json', here);

export function parseArgs(argv, flags) {
  const options = {};
  const positional = [];
  for(let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : null;
    if(name !== null && flags.includes(name)) {
      options[name] = argv[++i];
    } else if(name !== null) {
      throw new Error(`unknown option --${name}`);
    } else {
      positional.push(argv[i]);
    }
  }
  return {options, positional};
}

export function readJsonInput(path) {
  const text = !path || path === '-' ?
    readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
  return JSON.parse(text);
}

// Reads {url: file path} (paths relative to the map file), or the pinned manifest
// when no map is given, and returns url -> parsed context.
export function loadContexts(mapPath) {
  const contexts = new Map();
  if(mapPath) {
    const base = new URL(mapPath, `file://${process.cwd()}/`);
    const map = JSON.parse(readFileSync(base, 'utf8'));
    for(const [url, file] of Object.entries(map)) {
      contexts.set(url, JSON.parse(readFileSync(new URL(file, base), 'utf8')));
    }
    return contexts;
  }
  const manifest = JSON.parse(readFileSync(DEFAULT_MANIFEST, 'utf8'));
  for(const [url, entry] of Object.entries(manifest.pinned)) {
    contexts.set(
      url, JSON.parse(readFileSync(new URL(entry.file, DEFAULT_MANIFEST), 'utf8')));
  }
  return contexts;
}

// Serves only the given contexts and did:key documents; anything else is an error,
// so a passing run proves nothing was fetched from the network.
export function offlineDocumentLoader(contexts) {
  const didKey = didKeyDriver();
  didKey.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
  return async url => {
    if(contexts.has(url)) {
      return {contextUrl: null, documentUrl: url, document: contexts.get(url)};
    }
    if(url.startsWith('did:key:')) {
      const document = await didKey.get({url});
      return {contextUrl: null, documentUrl: url, document};
    }
    throw new Error(`offline document loader: ${url} is not pinned`);
  };
}

// Flattens the nested errors that jsonld-signatures reports into plain messages.
export function errorMessages(error) {
  if(!error) {
    return [];
  }
  const nested = Array.isArray(error) ? error :
    Array.isArray(error.errors) ? error.errors : null;
  if(nested) {
    return nested.flatMap(errorMessages);
  }
  const code = error.details?.event?.code ? ` (${error.details.event.code})` : '';
  // jsonld.js wraps loader errors; keep the loader's own reason visible.
  const cause = error.details?.cause || error.cause;
  const reason = cause?.message ? ` Cause: ${cause.message}` : '';
  return [`${error.name || 'Error'}: ${error.message}${code}${reason}`];
}
