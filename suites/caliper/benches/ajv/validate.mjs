// ajv baseline for accredit's Caliper validation benchmark.
//
// Usage: node validate.mjs SCHEMA_DIR EVENTS_JSON ITERATIONS
//
// Loads every IMS Caliper 1.2 JSON schema from SCHEMA_DIR (they are draft-04
// style with a bare root `id` and non-standard keywords, so the root `id` becomes
// `$id` and strict mode is off), compiles them once, then validates each event of
// EVENTS_JSON (a JSON array) against the schema named by its `type`, ITERATIONS
// times, on one thread. Prints one JSON line: events, seconds, events_per_sec,
// valid, invalid, and the ajv version.

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
import Ajv from "ajv";
import addFormats from "ajv-formats";

const [schemaDir, eventsFile, iterArg] = process.argv.slice(2);
if (!schemaDir || !eventsFile) {
  console.error("usage: node validate.mjs SCHEMA_DIR EVENTS_JSON [ITERATIONS]");
  process.exit(2);
}
const iterations = Number(iterArg ?? "5");

const ajv = new Ajv({ strict: false, allErrors: false, validateSchema: false, logger: false });
addFormats(ajv);
for (const f of readdirSync(schemaDir).filter((f) => f.endsWith(".json"))) {
  const s = JSON.parse(readFileSync(join(schemaDir, f), "utf8"));
  delete s.schema;
  delete s.$schema;
  if (typeof s.id === "string") {
    s.$id = s.id;
    delete s.id;
  }
  ajv.addSchema(s);
}

const events = JSON.parse(readFileSync(eventsFile, "utf8"));
const validators = new Map();
for (const e of events) {
  if (!validators.has(e.type)) validators.set(e.type, ajv.getSchema(e.type) ?? ajv.getSchema("Event"));
}

// Warm-up: one untimed pass (JIT, lazily compiled sub-schemas).
for (const e of events) validators.get(e.type)(e);

let valid = 0;
let invalid = 0;
const t0 = process.hrtime.bigint();
for (let i = 0; i < iterations; i++) {
  for (const e of events) {
    if (validators.get(e.type)(e)) valid++;
    else invalid++;
  }
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const n = events.length * iterations;
const require = createRequire(import.meta.url);
console.log(JSON.stringify({
  validator: "ajv",
  version: require("ajv/package.json").version,
  events: n,
  seconds,
  events_per_sec: n / seconds,
  valid,
  invalid,
}));
