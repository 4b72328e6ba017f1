// Checks shared by ConvexHttpClient and ConvexClient: one-shot queries, mutations and actions,
// value round-trips, and the errors a client may and may not see.
import assert from "node:assert/strict";
import { ConvexError } from "convex/values";

import { rejection, uniqueAuthor } from "./harness.mjs";

function bytesOf(buffer) {
  assert.ok(buffer instanceof ArrayBuffer, `expected an ArrayBuffer, got ${buffer}`);
  return [...new Uint8Array(buffer)];
}

export async function checkValues(client, obs) {
  assert.equal(await client.query("notes:echo", { value: 1.5 }), 1.5);
  const three = await client.query("notes:echo", { value: 3 });
  assert.equal(three, 3);
  assert.equal(typeof three, "number", "a JS number stays a Float64 number");
  assert.equal(await client.query("notes:echo", { value: null }), null);
  assert.equal(await client.query("notes:echo", { value: "héllo ✓" }), "héllo ✓");

  // Floats JSON cannot spell travel as {"$float": ...}; -0 must stay negative.
  assert.ok(Number.isNaN(await client.query("notes:echo", { value: NaN })));
  assert.equal(await client.query("notes:echo", { value: -Infinity }), -Infinity);
  assert.ok(Object.is(await client.query("notes:echo", { value: -0 }), -0), "-0 stays -0");
  const extremes = [2n ** 63n - 1n, -(2n ** 63n), 0n];
  assert.deepEqual(await client.query("notes:echo", { value: extremes }), extremes);

  const nested = {
    a: { b: [1, "x", null, true, { c: -2.25 }] },
    big: -(2n ** 40n),
    raw: new Uint8Array([0, 255, 7]).buffer,
    empty: {},
    list: [],
  };
  const echoed = await client.query("notes:echo", { value: nested });
  assert.deepEqual(echoed.a, nested.a);
  assert.equal(echoed.big, -(2n ** 40n));
  assert.deepEqual(bytesOf(echoed.raw), [0, 255, 7]);
  assert.deepEqual(echoed.empty, {});
  assert.deepEqual(echoed.list, []);
  obs.nested = echoed;

  // 2**61 + 7 is far beyond 2**53, so only a lossless Int64 encoding brings it back intact.
  const big = 2n ** 61n + 7n;
  const raw = new Uint8Array([0, 1, 2, 128, 255]).buffer;
  const typed = await client.mutation("notes:store_typed", { big, raw });
  assert.equal(typeof typed.id, "string");
  assert.equal(typeof typed.big, "bigint");
  assert.equal(typed.big, big);
  assert.equal(typeof typed.doubled, "bigint");
  assert.equal(typed.doubled, 2n * big);
  assert.deepEqual(bytesOf(typed.raw), [0, 1, 2, 128, 255]);
  obs.typed = { big: typed.big, doubled: typed.doubled, raw: typed.raw };

  const negative = await client.mutation("notes:store_typed", {
    big: -(2n ** 62n),
    raw: new ArrayBuffer(0),
  });
  assert.equal(negative.big, -(2n ** 62n));
  assert.equal(negative.doubled, -(2n ** 63n), "-2**63 is the smallest Int64");
  assert.deepEqual(bytesOf(negative.raw), []);
}

export async function checkMutationAndAction(client, obs) {
  const author = uniqueAuthor("calls");
  const id = await client.mutation("notes:addNote", { author, body: "first" });
  assert.equal(typeof id, "string");
  const notes = await client.query("notes:byAuthor", { author });
  assert.equal(notes.length, 1);
  assert.equal(notes[0]._id, id);
  assert.equal(notes[0].body, "first");
  assert.equal(typeof notes[0]._creationTime, "number");

  const result = await client.action("notes:add_many", { author, n: 3 });
  assert.deepEqual(result, { added: 3, total: 4 });
  const after = await client.query("notes:byAuthor", { author });
  assert.deepEqual(
    after.map((n) => n.body),
    ["first", "#0", "#1", "#2"],
  );
  obs.action = result;
}

/** A ConvexError reaches the client with its data; the failed mutation wrote nothing. */
export async function checkConvexErrors(client, obs) {
  const author = uniqueAuthor("fail");
  const err = await rejection(client.mutation("notes:addThenFail", { author }), "addThenFail");
  assert.ok(err instanceof ConvexError, `expected a ConvexError, got ${err}`);
  assert.deepEqual(err.data, { code: "nope", author });
  assert.deepEqual(
    await client.query("notes:byAuthor", { author }),
    [],
    "a failed mutation writes nothing",
  );
  obs.mutationError = err.data;

  const actionErr = await rejection(client.action("notes:fail_action", {}), "fail_action");
  assert.ok(actionErr instanceof ConvexError, `expected a ConvexError, got ${actionErr}`);
  assert.deepEqual(actionErr.data, { code: "action-failed" });
  obs.actionError = actionErr.data;

  const badArgs = await rejection(
    client.mutation("notes:addNote", { author: 1, body: "x" }),
    "addNote with bad args",
  );
  assert.ok(!(badArgs instanceof ConvexError), "a validation error is not a ConvexError");
  assert.match(badArgs.message, /author/);
  obs.badArgs = badArgs.message;
}

/** An exception inside a function reaches clients as a bare "Server Error". */
export async function checkCrash(client, obs) {
  const crash = await rejection(client.query("notes:crash", {}), "crash");
  obs.crash = crash.message;
  assert.ok(!(crash instanceof ConvexError), "an internal error is not a ConvexError");
  assert.match(crash.message, /Server Error/);
  assert.doesNotMatch(crash.message, /internal detail/);
  assert.doesNotMatch(crash.message, /RuntimeError|Traceback/);
}

/** An internal function cannot be called from a client. */
export async function checkInternalUnreachable(client, obs) {
  const secret = await rejection(client.query("notes:secret", {}), "secret");
  obs.secret = secret.message;
  assert.ok(!(secret instanceof ConvexError));
  assert.doesNotMatch(secret.message, /^internal$/);
}

/** Calling a function that does not exist fails without listing the app's other functions. */
export async function checkMissingFunction(client, obs) {
  const missing = await rejection(client.query("notes:doesNotExist", {}), "doesNotExist");
  obs.missing = missing.message;
  assert.ok(!(missing instanceof ConvexError));
  assert.match(missing.message, /notes:doesNotExist/);
  // Convex says "Could not find public function for 'notes:doesNotExist'": it never names
  // other functions, and above all not internal ones.
  assert.doesNotMatch(missing.message, /secret/, "the error names an internal function");
}

/** Mutations sent without waiting run one at a time, in the order they were sent. */
export async function checkMutationOrder(client, obs, name) {
  const pending = [];
  for (let i = 0; i < 20; i++) pending.push(client.mutation("counters:increment", { name }));
  const results = await Promise.all(pending);
  obs.results = results;
  assert.deepEqual(
    results,
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  assert.equal(await client.query("counters:get", { name }), 20);

  // Failed mutations in the stream neither stop nor reorder the ones after them.
  const mixed = await Promise.allSettled([
    client.mutation("counters:increment", { name }),
    client.mutation("notes:addThenFail", { author: name }),
    client.mutation("counters:increment", { name }),
    client.mutation("notes:addNote", { author: 5, body: "bad args" }),
    client.mutation("counters:increment", { name }),
  ]);
  obs.mixed = mixed.map((r) => (r.status === "fulfilled" ? r.value : r.reason.constructor.name));
  assert.deepEqual(obs.mixed, [21, "ConvexError", 22, "Error", 23]);
}

/** What functions print reaches the console, prefixed with the kind and the function's path. */
export async function checkLogLines(client, obs) {
  const printed = [];
  const original = console.log;
  // the client styles its prefix with %c and a CSS colour argument; keep the text only
  const text = (args) =>
    args
      .filter((a) => !(typeof a === "string" && a.startsWith("color:")))
      .join(" ")
      .replaceAll("%c", "")
      .replace(/\s+/g, " ");
  console.log = (...args) => printed.push(text(args));
  try {
    const author = uniqueAuthor("logs");
    await client.mutation("chatter:addLoudly", { author });
    await client.query("chatter:countBy", { author });
    await client.action("chatter:report", { author });
  } finally {
    console.log = original;
  }
  obs.printed = printed.map((line) => line.replace(/logs-[\w-]+/g, "X").trim());
}

/** The steps above, each on a fresh client from `makeClient()`. */
export function sharedSteps(makeClient) {
  const on = (check) => (obs, track) => check(track(makeClient()), obs);
  return {
    values: on(checkValues),
    calls: on(checkMutationAndAction),
    convex_errors: on(checkConvexErrors),
    crash: on(checkCrash),
    internal: on(checkInternalUnreachable),
    missing_function: on(checkMissingFunction),
    log_lines: on(checkLogLines),
    mutation_order: (obs, track) =>
      checkMutationOrder(track(makeClient()), obs, uniqueAuthor("order")),
  };
}
