// Live paginated queries through ConvexClient: hand-driven pages (what usePaginatedQuery does)
// and the client's own onPaginatedUpdate_experimental.
import assert from "node:assert/strict";

import { httpClient, runSteps, serverUrl, uniqueAuthor, watch, wsClient } from "./harness.mjs";

const url = serverUrl();

const ids = (docs) => docs.map((d) => d._id);
const bodies = (docs) => docs.map((d) => d.body);

async function addNotes(client, author, names) {
  const added = [];
  // One at a time, so _creationTime (the index's tie-breaker) follows the list order.
  for (const body of names) added.push(await client.mutation("notes:addNote", { author, body }));
  return added;
}

function assertNoGapsOrDuplicates(pages, full) {
  const joined = pages.flatMap((p) => ids(p.page));
  assert.equal(new Set(joined).size, joined.length, "no note appears on two pages");
  assert.deepEqual(joined, ids(full), "the pages together are the full list, in order");
}

/**
 * Page 1 keeps the end cursor it first reported (the query journal), so writes never move
 * notes between pages; the last page, read from page 1's continueCursor, grows live.
 */
async function pagesLive(obs, track) {
  const client = track(wsClient(url));
  const writer = httpClient(url);
  const author = uniqueAuthor("pages");
  const byAuthor = () => writer.query("notes:byAuthor", { author });
  const [n0, n1] = await addNotes(writer, author, ["n0", "n1", "n2", "n3", "n4"]);

  const first = watch(client, "notes:page_by_author", {
    author,
    paginationOpts: { numItems: 3, cursor: null },
  });
  const page1 = await first.until(() => true, { what: "page 1" });
  assert.deepEqual(bodies(page1.page), ["n0", "n1", "n2"]);
  assert.equal(page1.isDone, false);
  assert.equal(typeof page1.continueCursor, "string");

  const second = watch(client, "notes:page_by_author", {
    author,
    paginationOpts: { numItems: 10, cursor: page1.continueCursor },
  });
  const page2 = await second.until(() => true, { what: "page 2" });
  assert.deepEqual(bodies(page2.page), ["n3", "n4"]);
  assert.equal(page2.isDone, true);
  assertNoGapsOrDuplicates([page1, page2], await byAuthor());

  // A new note sorts last (by _creationTime): it shows up live on the last page only.
  await client.mutation("notes:addNote", { author, body: "n5" });
  assert.deepEqual(bodies(second.current().page), ["n3", "n4", "n5"]);
  assert.deepEqual(bodies(first.current().page), ["n0", "n1", "n2"], "page 1 stays at 3");
  assertNoGapsOrDuplicates([first.current(), second.current()], await byAuthor());

  // An edit inside page 1 is live there.
  await client.mutation("notes:edit", { id: n1, body: "n1 edited" });
  assert.deepEqual(bodies(first.current().page), ["n0", "n1 edited", "n2"]);

  // Deleting from page 1 shrinks it rather than pulling n3 forward: its end is fixed.
  await client.mutation("notes:remove", { id: n0 });
  assert.deepEqual(bodies(first.current().page), ["n1 edited", "n2"]);
  assert.deepEqual(bodies(second.current().page), ["n3", "n4", "n5"]);
  assertNoGapsOrDuplicates([first.current(), second.current()], await byAuthor());

  // A write by another connection reaches the last page too.
  await writer.mutation("notes:addNote", { author, body: "n6" });
  await second.until((p) => p.page.length === 4, { what: "page 2 with n6" });
  assert.deepEqual(bodies(second.current().page), ["n3", "n4", "n5", "n6"]);
  assertNoGapsOrDuplicates([first.current(), second.current()], await byAuthor());

  obs.page1Updates = first.values.map((p) => bodies(p.page));
  obs.page2Updates = second.values.map((p) => bodies(p.page));
}

/** The client's own paginated subscription (it sends paginationOpts with an `id`). */
async function paginatedExperimental(obs, track) {
  const client = track(wsClient(url));
  const writer = httpClient(url);
  const author = uniqueAuthor("paginated");
  await addNotes(writer, author, ["p0", "p1", "p2", "p3", "p4"]);

  const updates = [];
  let notify = () => {};
  const errors = [];
  const unsubscribe = client.onPaginatedUpdate_experimental(
    "notes:page_by_author",
    { author },
    { initialNumItems: 3 },
    (result) => {
      updates.push({ status: result.status, results: bodies(result.results), result });
      notify();
    },
    (err) => {
      errors.push(err);
      notify();
    },
  );
  const until = (predicate, what) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no paginated update ${what}; saw ${JSON.stringify(updates)}`)),
        10_000,
      );
      notify = () => {
        if (errors.length) {
          clearTimeout(timer);
          reject(errors[0]);
          return;
        }
        const hit = updates.find(predicate);
        if (hit) {
          clearTimeout(timer);
          resolve(hit);
        }
      };
      notify();
    });
  try {
    const firstPage = await until((u) => u.status === "CanLoadMore", "with a first page");
    assert.deepEqual(firstPage.results, ["p0", "p1", "p2"]);
    assert.equal(firstPage.result.loadMore(10), true);
    const all = await until((u) => u.status === "Exhausted", "with every note");
    assert.deepEqual(all.results, ["p0", "p1", "p2", "p3", "p4"]);

    await client.mutation("notes:addNote", { author, body: "p5" });
    const current = unsubscribe.getCurrentValue();
    assert.deepEqual(bodies(current.results), ["p0", "p1", "p2", "p3", "p4", "p5"]);
    assert.equal(current.status, "Exhausted");
    obs.statuses = updates.map((u) => `${u.status}:${u.results.length}`);
  } finally {
    unsubscribe();
  }
}

await runSteps({
  pages_live: pagesLive,
  paginated_experimental: paginatedExperimental,
});
