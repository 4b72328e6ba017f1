// ConvexHttpClient.consistentQuery (convex/browser) against livebase: every consistent query of
// one client reads at the timestamp its first one fetched (/api/query_ts, then
// /api/query_at_ts), whatever commits came since. Run against the notes test app.
import assert from "node:assert/strict";

import { httpClient, runSteps, serverUrl, uniqueAuthor } from "./harness.mjs";

const url = serverUrl();
const bodies = (notes) => notes.map((n) => n.body).sort();

async function consistentReads(obs, track) {
  const author = uniqueAuthor("consistent");
  const writer = track(httpClient(url));
  const first = await writer.mutation("notes:addNote", { author, body: "first" });
  const reader = track(httpClient(url));
  obs.before = bodies(await reader.consistentQuery("notes:byAuthor", { author }));
  await writer.mutation("notes:addNote", { author, body: "second" });
  await writer.mutation("notes:edit", { id: first, body: "first, edited" });
  obs.after = bodies(await reader.consistentQuery("notes:byAuthor", { author }));
  obs.latest = bodies(await reader.query("notes:byAuthor", { author }));
  obs.newClient = bodies(await track(httpClient(url)).consistentQuery("notes:byAuthor", { author }));
  await writer.mutation("notes:remove", { id: first });
  obs.afterRemove = bodies(await reader.consistentQuery("notes:byAuthor", { author }));
  assert.ok(obs.before.length > 0);
}

await runSteps({ consistent_reads: consistentReads });
