// Convex's page splitting through the npm client (convex/browser): its paginated subscription
// (onPaginatedUpdate_experimental, what usePaginatedQuery does) re-subscribes a page as two
// halves at the page's splitCursor when the page is SplitRequired or SplitRecommended, or has
// grown past twice initialNumItems. Run against the shelf app of test_convex_pagination.py.
import assert from "node:assert/strict";

import { ConvexClient } from "convex/browser";
import WebSocket from "ws";

import { httpClient, runSteps, serverUrl, uniqueAuthor, watch } from "./harness.mjs";

const url = serverUrl();

const ns = (docs) => docs.map((d) => d.n);

/** A ConvexClient whose WebSocket keeps every page subscription it sends (`adds`). */
function spyingClient() {
  const adds = [];
  class SpyingWebSocket extends WebSocket {
    send(data) {
      const message = JSON.parse(data);
      if (message.type === "ModifyQuerySet") {
        for (const mod of message.modifications) {
          if (mod.type === "Add" && mod.args[0]?.paginationOpts) adds.push(mod.args[0]);
        }
      }
      super.send(data);
    }
  }
  const client = new ConvexClient(url, {
    webSocketConstructor: SpyingWebSocket,
    skipConvexDeploymentUrlCheck: true,
  });
  return { client, adds };
}

/** A paginated subscription whose updates can be awaited. */
function paginated(client, name, args, options) {
  const updates = [];
  const errors = [];
  let notify = () => {};
  const unsubscribe = client.onPaginatedUpdate_experimental(
    name,
    args,
    options,
    (result) => {
      updates.push({ status: result.status, results: ns(result.results), result });
      notify();
    },
    (err) => {
      errors.push(err);
      notify();
    },
  );
  const until = (predicate, what, from = 0) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no paginated update ${what}; saw ${JSON.stringify(updates.map((u) => [u.status, u.results]))}`,
            ),
          ),
        10_000,
      );
      notify = () => {
        if (errors.length) {
          clearTimeout(timer);
          reject(errors[0]);
          return;
        }
        const hit = updates.slice(from).find(predicate);
        if (hit) {
          clearTimeout(timer);
          resolve(hit);
        }
      };
      notify();
    });
  return { updates, until, unsubscribe };
}

const isSplitHalf = (args) => typeof args.paginationOpts.endCursor === "string";

/**
 * An app that caps the rows a page reads (maximumRowsRead: 3) over a filter that drops every
 * other book: each first read of a page stops SplitRequired, the client re-subscribes its two
 * halves (bounded by end cursors, so no longer capped), and loading more walks on from the
 * page's continueCursor until the shelf is exhausted, every kept book once.
 */
async function splitRequiredPages(obs, track) {
  const { client, adds } = spyingClient();
  track(client);
  const writer = httpClient(url);
  const shelf = uniqueAuthor("capped");
  await writer.mutation("books:fill", { shelf, count: 13 });
  const sub = paginated(client, "books:capped", { shelf, keep: 2 }, { initialNumItems: 4 });
  try {
    for (let round = 0; round < 20; round++) {
      const from = sub.updates.length;
      const settled = await sub.until(
        (u) => u.status === "CanLoadMore" || u.status === "Exhausted",
        `settled (round ${round})`,
        round === 0 ? 0 : from,
      );
      if (settled.status === "Exhausted") break;
      const current = sub.unsubscribe.getCurrentValue();
      if (current.status === "Exhausted") break;
      current.loadMore(4);
    }
    const last = sub.unsubscribe.getCurrentValue();
    assert.equal(last.status, "Exhausted");
    assert.deepEqual(ns(last.results), [0, 2, 4, 6, 8, 10, 12]);
    obs.results = ns(last.results);
    obs.statuses = sub.updates.map((u) => `${u.status}:${u.results.length}`);
    obs.splits = adds.filter(isSplitHalf).length / 2;
  } finally {
    sub.unsubscribe();
  }
}

/**
 * The last page of a shelf grows live past twice initialNumItems: the client splits it at its
 * splitCursor (after row 5 // 2 + 1 = 3 of the five it read) into two end-bounded halves.
 */
async function grownPageSplit(obs, track) {
  const { client, adds } = spyingClient();
  track(client);
  const writer = httpClient(url);
  const shelf = uniqueAuthor("grown");
  await writer.mutation("books:fill", { shelf, count: 3 });
  const sub = paginated(client, "books:page", { shelf }, { initialNumItems: 2 });
  try {
    const first = await sub.until((u) => u.status === "CanLoadMore", "with a first page");
    assert.deepEqual(first.results, [0, 1]);
    assert.equal(first.result.loadMore(2), true);
    await sub.until((u) => u.status === "Exhausted" && u.results.length === 3, "exhausted");
    for (const n of [3, 4, 5, 6]) {
      await client.mutation("books:add", { shelf, n, title: `book ${n}` });
    }
    await sub.until(
      () => adds.filter(isSplitHalf).length >= 2,
      "after the client split the grown page",
    );
    const [low, high] = adds.filter(isSplitHalf).slice(0, 2);
    assert.equal(low.paginationOpts.endCursor, high.paginationOpts.cursor);
    const halves = [];
    for (const half of [low, high]) {
      const { numItems, cursor, endCursor } = half.paginationOpts;
      const result = await writer.query("books:page", {
        shelf,
        paginationOpts: { numItems, cursor, endCursor },
      });
      halves.push(ns(result.page));
    }
    const done = await sub.until(
      (u) => u.status === "Exhausted" && u.results.length === 7,
      "with every book",
    );
    obs.results = done.results;
    obs.halves = halves;
  } finally {
    sub.unsubscribe();
  }
}

/**
 * A capped page (maximumRowsRead: 3) read live: its first run stops SplitRequired; re-runs keep
 * its end (the query journal), so they read to it past the cap, which no longer applies.
 */
async function liveCappedPage(obs, track) {
  const { client } = spyingClient();
  track(client);
  const writer = httpClient(url);
  const shelf = uniqueAuthor("live");
  const ids = await writer.mutation("books:fill", { shelf, count: 5 });
  const live = watch(client, "books:capped", {
    shelf,
    paginationOpts: { numItems: 10, cursor: null },
  });
  const first = await live.until(() => true, { what: "the first page" });
  assert.deepEqual(ns(first.page), [0, 1, 2]);
  assert.equal(first.pageStatus, "SplitRequired");
  await client.mutation("books:retitle", { id: ids[1], title: "retitled" });
  await live.until((p) => p.page[1].title === "retitled", { what: "the retitled book" });
  await client.mutation("books:add", { shelf, n: 1.5, title: "between" });
  await live.until((p) => p.page.length === 4, { what: "the added book" });
  obs.updates = live.values.map((p) => ({ ns: ns(p.page), status: p.pageStatus }));
  obs.sameEnd = live.values.every((p) => p.continueCursor === first.continueCursor);
}

await runSteps({
  split_required_pages: splitRequiredPages,
  grown_page_split: grownPageSplit,
  live_capped_page: liveCappedPage,
});
