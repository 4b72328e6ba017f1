// ConvexClient (convex/browser, over the WebSocket sync protocol) against livebase.
import assert from "node:assert/strict";

import { sharedSteps } from "./calls.mjs";
import { httpClient, runSteps, serverUrl, uniqueAuthor, watch, wsClient } from "./harness.mjs";

const url = serverUrl();

const lengths = (values) => values.map((v) => v.length);

/** A second connection's and the HTTP API's writes reach a subscriber, each one in order. */
async function liveUpdates(obs, track) {
  const watcher = track(wsClient(url));
  const other = track(wsClient(url));
  const http = httpClient(url);
  const author = uniqueAuthor("live");
  const notes = watch(watcher, "notes:byAuthor", { author });
  await notes.until((v) => v.length === 0, { what: "the initial empty result" });

  const writers = [other, http, other, http, other, http];
  for (const [i, writer] of writers.entries()) {
    await writer.mutation("notes:addNote", { author, body: `n${i}` });
    await notes.until((v) => v.length === i + 1, { what: `the update with note n${i}` });
  }
  obs.lengths = lengths(notes.values);
  assert.deepEqual(obs.lengths, [0, 1, 2, 3, 4, 5, 6], "one update per write, in order");
  assert.deepEqual(
    notes.values.at(-1).map((n) => n.body),
    writers.map((_, i) => `n${i}`),
  );

  // A burst of writes from the other connection: updates may coalesce but never go back.
  const from = notes.values.length;
  await Promise.all(
    [0, 1, 2, 3, 4].map((i) => other.mutation("notes:addNote", { author, body: `burst${i}` })),
  );
  await notes.until((v) => v.length === 11, { from, what: "the end of the burst" });
  const burst = lengths(notes.values.slice(from));
  obs.burstLengths = burst;
  for (let i = 1; i < burst.length; i++) {
    assert.ok(burst[i] > burst[i - 1], `updates went ${burst[i - 1]} -> ${burst[i]}`);
  }

  const fresh = await http.query("notes:byAuthor", { author });
  assert.deepEqual(notes.current(), fresh, "the live value equals a fresh query");
  assert.deepEqual(notes.values.at(-1), fresh);
  assert.deepEqual(
    fresh.map((n) => n.body),
    ["n0", "n1", "n2", "n3", "n4", "n5", "burst0", "burst1", "burst2", "burst3", "burst4"],
  );
}

/** Once `await client.mutation(...)` resolves, the same client's reads include the write. */
async function readYourWrites(obs, track) {
  const client = track(wsClient(url));
  const author = uniqueAuthor("ryw");
  const notes = watch(client, "notes:byAuthor", { author });
  await notes.until((v) => v.length === 0);
  const ids = [];
  for (let i = 0; i < 5; i++) {
    ids.push(await client.mutation("notes:addNote", { author, body: `w${i}` }));
    // No awaiting between the mutation and these reads: they must already see the write.
    assert.deepEqual(
      notes.current().map((n) => n._id),
      ids,
      "getCurrentValue() right after the mutation",
    );
    assert.deepEqual(
      notes.values.at(-1).map((n) => n._id),
      ids,
      "the onUpdate callback ran before the mutation resolved",
    );
    const queried = await client.query("notes:byAuthor", { author });
    assert.deepEqual(
      queried.map((n) => n._id),
      ids,
    );
  }
  obs.subscribedUpdates = lengths(notes.values);

  // A query the client has never subscribed to, right after its own mutation.
  const fresh = track(wsClient(url));
  const name = uniqueAuthor("ryw-counter");
  assert.equal(await fresh.mutation("counters:increment", { name }), 1);
  assert.equal(await fresh.query("counters:get", { name }), 1);
  assert.equal(await fresh.mutation("counters:increment", { name }), 2);
  assert.equal(await fresh.query("counters:get", { name }), 2);

  // A write through the HTTP API, then a read on a WebSocket client.
  const http = httpClient(url);
  const otherAuthor = uniqueAuthor("ryw-http");
  const id = await http.mutation("notes:addNote", { author: otherAuthor, body: "via http" });
  const seen = await client.query("notes:byAuthor", { author: otherAuthor });
  assert.deepEqual(
    seen.map((n) => n._id),
    [id],
  );
}

/** Every subscription of one client moves together: no transition shows half a write. */
async function consistentSnapshot(obs, track) {
  const client = track(wsClient(url));
  const writers = [track(wsClient(url)), httpClient(url)];
  const author = uniqueAuthor("snapshot");
  let checks = 0;
  const torn = [];
  const subs = {};
  const compare = () => {
    const mine = subs.byAuthor?.getCurrentValue();
    const all = subs.listAll?.getCurrentValue();
    if (mine === undefined || all === undefined) return;
    checks++;
    const fromAll = all.filter((n) => n.author === author).map((n) => n._id);
    if (fromAll.join() !== mine.map((n) => n._id).join()) {
      torn.push({ byAuthor: mine.length, listAll: fromAll.length });
    }
  };
  subs.byAuthor = client.onUpdate("notes:byAuthor", { author }, compare);
  subs.listAll = client.onUpdate("notes:listAll", {}, compare);
  await client.query("notes:listAll", {});
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      writers[i % 2].mutation("notes:addNote", { author, body: `s${i}` }),
    ),
  );
  // A write from this client is reflected (in both) by the time it resolves.
  await client.mutation("notes:addNote", { author, body: "last" });
  compare();
  obs.checks = checks;
  obs.torn = torn;
  assert.deepEqual(torn, [], "byAuthor and listAll disagreed inside one transition");
  assert.equal(subs.byAuthor.getCurrentValue().length, 21);
}

/** A search query is live: a write holding one of its words updates it, best match first. */
async function liveSearch(obs, track) {
  const watcher = track(wsClient(url));
  const other = track(wsClient(url));
  const author = uniqueAuthor("search");
  const word = `zq${Math.random().toString(36).slice(2, 8)}`;
  const found = watch(watcher, "notes:search", { text: `${word} invoice`, author });
  await found.until((v) => v.length === 0, { what: "the initial empty result" });

  await other.mutation("notes:addNote", { author, body: `exported the ${word} report` });
  await found.until((v) => v.length === 1, { from: 1, what: "the first match" });
  // a note without the words, and one by another author, do not show
  await other.mutation("notes:addNote", { author, body: "nothing to see" });
  await other.mutation("notes:addNote", { author: `${author}-x`, body: `${word} elsewhere` });
  const id = await other.mutation("notes:addNote", { author, body: `${word} ${word} invoices` });
  // "invoice" is the last word, so it also matches "invoices" as a prefix
  await found.until((v) => v.length === 2, { what: "the second match" });
  assert.equal(found.current()[0]._id, id, "the note with both words comes first");
  const before = found.values.length;
  await other.mutation("notes:edit", { id, body: "no longer matching" });
  await found.until((v) => v.length === 1, { from: before, what: "the edited note leaving" });
  obs.updates = found.values.map((v) => v.map((n) => n.body));
  const fresh = await httpClient(url).query("notes:search", { text: `${word} invoice`, author });
  assert.deepEqual(found.current(), fresh, "the live value equals a fresh query");
}

await runSteps({
  live_search: liveSearch,
  ...sharedSteps(() => wsClient(url)),
  live_updates: liveUpdates,
  read_your_writes: readYourWrites,
  consistent_snapshot: consistentSnapshot,
});
