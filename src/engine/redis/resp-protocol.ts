// node-redis's own RESP reply decoder, without the client built around it: the client defines every
// Redis command when it loads (about 20 ms of each command's start-up), and the engine sends seven.
// The start-up bundles load this file from its own small bundle, only when a URL is configured
// (scripts/build-bundles.mjs; docs/design.md, "The Redis engine").
export { Decoder } from '@redis/client/dist/lib/RESP/decoder.js';
