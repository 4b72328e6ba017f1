// Auth through the official npm clients: ConvexClient.setAuth(async () => token) over the
// WebSocket and ConvexHttpClient.setAuth(token) over HTTP, against the services test app.
// Usage: AUTH_TOKENS='["<jwt>", ...]' BAD_TOKENS='["<jwt>", ...]' node auth.mjs <url> [steps]
// Each step records, per token, what jobs:whoami returned (or how the client reacted).
import assert from "node:assert/strict";

import { httpClient, rejection, runSteps, serverUrl, watch, wsClient } from "./harness.mjs";

const url = serverUrl();
const goodTokens = JSON.parse(process.env.AUTH_TOKENS ?? "[]");
const badTokens = JSON.parse(process.env.BAD_TOKENS ?? "[]");

/** Resolve when `predicate()` holds, checking every 20 ms; reject after `timeoutMs`. */
function until(predicate, what, timeoutMs = 8_000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (predicate()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

/** ConvexClient with a token from setAuth: the live whoami query sees the identity. */
async function wsIdentity(obs, track) {
  assert.ok(goodTokens.length > 0, "AUTH_TOKENS is empty");
  obs.identities = [];
  obs.authStates = [];
  for (const token of goodTokens) {
    const client = track(wsClient(url));
    const states = [];
    let fetches = 0;
    client.setAuth(
      async () => {
        fetches += 1;
        return token;
      },
      (isAuthenticated) => states.push(isAuthenticated),
    );
    const whoami = watch(client, "jobs:whoami", {});
    const identity = await whoami.until((v) => v !== null, { what: "an identity" });
    await until(() => states.includes(true), "onChange(true)");
    assert.ok(fetches >= 1, "the token was fetched");
    obs.identities.push(identity);
    obs.authStates.push(states);
    // A one-shot query on the same authenticated connection sees the same identity.
    assert.deepEqual(await client.query("jobs:whoami", {}), identity);
  }
}

/** ConvexHttpClient.setAuth(token): every call carries `Authorization: Bearer <token>`. */
async function httpIdentity(obs) {
  assert.ok(goodTokens.length > 0, "AUTH_TOKENS is empty");
  obs.identities = [];
  for (const token of goodTokens) {
    const client = httpClient(url);
    assert.equal(await client.query("jobs:whoami", {}), null, "anonymous before setAuth");
    client.setAuth(token);
    obs.identities.push(await client.query("jobs:whoami", {}));
    client.clearAuth();
    assert.equal(await client.query("jobs:whoami", {}), null, "anonymous after clearAuth");
  }
}

/** A rejected token: the client reports onChange(false) and never sees an identity. */
async function wsRejected(obs, track) {
  assert.ok(badTokens.length > 0, "BAD_TOKENS is empty");
  obs.authStates = [];
  obs.seen = [];
  for (const token of badTokens) {
    const client = track(wsClient(url));
    const states = [];
    client.setAuth(
      async () => token,
      (isAuthenticated) => states.push(isAuthenticated),
    );
    const whoami = watch(client, "jobs:whoami", {});
    await until(() => states.includes(false), "onChange(false)");
    // Having given up on the token, the client goes on anonymously.
    await whoami.until((v) => v === null, { what: "the anonymous result" });
    assert.ok(!states.includes(true), `a rejected token was accepted: ${states}`);
    obs.authStates.push(states);
    obs.seen.push(whoami.values);
  }
}

/** ConvexHttpClient with a rejected token: the call fails, nothing runs as a user. */
async function httpRejected(obs) {
  assert.ok(badTokens.length > 0, "BAD_TOKENS is empty");
  obs.errors = [];
  for (const token of badTokens) {
    const client = httpClient(url);
    client.setAuth(token);
    const err = await rejection(client.query("jobs:whoami", {}), "a query with a bad token");
    obs.errors.push(String(err && err.message));
  }
}

await runSteps({
  ws_identity: wsIdentity,
  http_identity: httpIdentity,
  ws_rejected: wsRejected,
  http_rejected: httpRejected,
});
