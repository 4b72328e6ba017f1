// ConvexClient across dropped connections: a TCP proxy between the client and livebase cuts
// the socket, and the client reconnects on its own (resending its queries, their journals and
// its unanswered mutations).
import assert from "node:assert/strict";
import {
  httpClient,
  runSteps,
  serverUrl,
  startProxy,
  uniqueAuthor,
  watch,
  wsClient,
} from "./harness.mjs";

const url = serverUrl();

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Page 1's end, fixed by its journal, survives a reconnect: the client sends it back. */
async function journalAfterReconnect(obs, track) {
  const proxy = track(await startProxy(url));
  const client = track(wsClient(proxy.url));
  const writer = httpClient(url);
  const author = uniqueAuthor("journal");
  const n0 = await writer.mutation("notes:addNote", { author, body: "n0" });
  for (const body of ["n1", "n2", "n3", "n4"]) {
    await writer.mutation("notes:addNote", { author, body });
  }
  const first = watch(client, "notes:page_by_author", {
    author,
    paginationOpts: { numItems: 3, cursor: null },
  });
  const page1 = await first.until(() => true, { what: "page 1" });
  const second = watch(client, "notes:page_by_author", {
    author,
    paginationOpts: { numItems: 10, cursor: page1.continueCursor },
  });
  await second.until(() => true, { what: "page 2" });
  await client.mutation("notes:remove", { id: n0 });
  assert.deepEqual(
    first.current().page.map((n) => n.body),
    ["n1", "n2"],
  );

  proxy.cut();
  // The mutation waits for the reconnect, and resolves once the re-sent queries are answered.
  await client.mutation("notes:addNote", { author, body: "n5" });
  obs.connections = proxy.connections();
  assert.ok(proxy.connections() >= 2, "the client reconnected");
  obs.page1 = first.current().page.map((n) => n.body);
  obs.page2 = second.current().page.map((n) => n.body);
  assert.deepEqual(obs.page1, ["n1", "n2"], "page 1 keeps its end after the reconnect");
  assert.deepEqual(obs.page2, ["n3", "n4", "n5"]);
}

/** A mutation whose reply was lost is re-sent on reconnect and still runs exactly once. */
async function exactlyOnceAcrossReconnect(obs, track) {
  const proxy = track(await startProxy(url));
  const client = track(wsClient(proxy.url));
  const http = httpClient(url);
  const name = uniqueAuthor("once");
  const counter = watch(client, "counters:get", { name });
  await counter.until((v) => v === null, { what: "the missing counter" });
  assert.equal(await client.mutation("counters:increment", { name }), 1);

  proxy.swallowReplies();
  const lost = client.mutation("counters:increment", { name });
  // Let the server commit it; its reply goes nowhere.
  for (let i = 0; i < 50 && (await http.query("counters:get", { name })) !== 2; i++) {
    await sleep(20);
  }
  assert.equal(await http.query("counters:get", { name }), 2, "the server ran the mutation");
  proxy.cut();

  obs.result = await lost;
  obs.connections = proxy.connections();
  assert.equal(obs.result, 2, "the re-sent mutation returns the first run's result");
  assert.equal(await client.query("counters:get", { name }), 2, "and did not run again");
  assert.equal(await http.query("counters:get", { name }), 2);
  await counter.until((v) => v === 2, { what: "the live counter at 2" });
  assert.equal(await client.mutation("counters:increment", { name }), 3);
  obs.liveValues = counter.values;
}

await runSteps({
  journal_after_reconnect: journalAfterReconnect,
  exactly_once_across_reconnect: exactlyOnceAcrossReconnect,
});
