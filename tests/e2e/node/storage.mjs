// File storage through ConvexHttpClient (convex/browser) and Node's fetch, as an app does it:
// generate an upload URL with a mutation, POST the bytes, save the ID, list, download.
// Usage: node storage.mjs <url of `livebase serve tests/apps/services`> [upload]
import assert from "node:assert/strict";

import { httpClient, runSteps, serverUrl } from "./harness.mjs";

const url = serverUrl();

await runSteps({
  async upload(obs) {
    const client = httpClient(url);
    const postUrl = await client.mutation("files:generateUploadUrl", {});
    assert.ok(
      postUrl.startsWith(`${url}/api/storage/upload?token=`),
      `not an absolute upload URL: ${postUrl}`,
    );
    const sent = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 0, 1, 2, 127, 128, 254, 255]);
    const posted = await fetch(postUrl, {
      method: "POST",
      headers: { "Content-Type": "image/png" },
      body: sent,
    });
    obs.status = posted.status;
    assert.equal(posted.status, 200, await posted.clone().text());
    const { storageId } = await posted.json();
    assert.equal(typeof storageId, "string");
    obs.storageId = storageId;

    const name = `npm-${process.pid}.png`;
    await client.mutation("files:saveFile", { storageId, name });
    const files = await client.query("files:listFiles", {});
    const mine = files.find((f) => f.name === name);
    assert.ok(mine, `saved file not listed: ${JSON.stringify(files)}`);
    assert.equal(mine.storageId, storageId);
    assert.equal(mine.size, sent.length);
    assert.equal(mine.contentType, "image/png");

    const got = await fetch(mine.url);
    assert.equal(got.status, 200);
    obs.contentType = got.headers.get("content-type");
    const received = new Uint8Array(await got.arrayBuffer());
    obs.sent = [...sent];
    obs.received = [...received];
    assert.deepEqual(obs.received, obs.sent);
  },
});
