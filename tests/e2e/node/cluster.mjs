// The official client against several livebase processes serving one deployment (PostgreSQL).
// Usage: node cluster.mjs <url A>,<url B>,<url C> [steps]
import assert from "node:assert/strict";

import { httpClient, runSteps, serverUrl, uniqueAuthor, watch, wsClient } from "./harness.mjs";

const urls = serverUrl().split(",");
assert.ok(urls.length >= 3, "three server URLs, comma-separated");

/** Writes through B (WebSocket) and C (HTTP) reach a subscriber on A, each in order. */
async function liveAcrossProcesses(obs, track) {
  const watcher = track(wsClient(urls[0]));
  const onB = track(wsClient(urls[1]));
  const onC = httpClient(urls[2]);
  const author = uniqueAuthor("cluster");
  const notes = watch(watcher, "notes:byAuthor", { author });
  await notes.until((v) => v.length === 0, { what: "the initial empty result" });
  const writers = [onB, onC, onB, onC];
  const started = Date.now();
  for (const [i, writer] of writers.entries()) {
    await writer.mutation("notes:addNote", { author, body: `n${i}` });
    await notes.until((v) => v.length === i + 1, { what: `note n${i} on process A` });
  }
  obs.msPerWriteAndUpdate = (Date.now() - started) / writers.length;
  obs.lengths = notes.values.map((v) => v.length);
  assert.deepEqual(obs.lengths, [0, 1, 2, 3, 4], "one update per write, in order");
  for (const url of urls) {
    const fresh = await httpClient(url).query("notes:byAuthor", { author });
    assert.deepEqual(notes.current(), fresh, `the live value equals a fresh query on ${url}`);
  }
}

/** Concurrent increments spread over every process all count. */
async function incrementsAcrossProcesses(obs, track) {
  const name = uniqueAuthor("hits");
  const clients = urls.flatMap((url) => [track(wsClient(url)), httpClient(url)]);
  const n = 60;
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      clients[i % clients.length].mutation("counters:increment", { name }),
    ),
  );
  obs.values = await Promise.all(
    urls.map((url) => httpClient(url).query("counters:get", { name })),
  );
  assert.deepEqual(obs.values, urls.map(() => n), "every process counts every increment");
}

await runSteps({ liveAcrossProcesses, incrementsAcrossProcesses });
