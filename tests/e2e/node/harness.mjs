// Shared plumbing for the acceptance scripts. Usage: `node <script>.mjs <server url> [steps]`.
// A script is a set of named steps (all of them, or the comma-separated ones asked for); each
// step gets its own clients, checks with node:assert and records observations. The script
// prints one JSON line {"steps": {name: "ok" | "<error>"}, "observations": {name: {...}}} and
// exits 0 only if every step passed. A hard timeout turns a hang into a failure within 20 s.
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import net from "node:net";

import WebSocket from "ws";

export const HARD_TIMEOUT_MS = 20_000;

export function serverUrl() {
  const url = process.argv[2];
  if (!url) {
    console.error("usage: node <script>.mjs <server url>");
    process.exit(2);
  }
  return url;
}

export function httpClient(url) {
  return new ConvexHttpClient(url, { skipConvexDeploymentUrlCheck: true });
}

export function wsClient(url) {
  return new ConvexClient(url, {
    webSocketConstructor: WebSocket,
    skipConvexDeploymentUrlCheck: true,
  });
}

/** A unique author name per run, so scripts never see each other's notes. */
export function uniqueAuthor(prefix) {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Run the chosen steps of `steps` ({name: async (obs, track) => void}) and report. */
export async function runSteps(steps) {
  const wanted = process.argv[3] ? process.argv[3].split(",") : Object.keys(steps);
  const unknown = wanted.filter((name) => !(name in steps));
  if (unknown.length) {
    console.error(`unknown steps ${unknown.join(", ")}; known: ${Object.keys(steps).join(", ")}`);
    process.exit(2);
  }
  const report = { steps: {}, observations: {} };
  const finish = (code) => {
    console.log(JSON.stringify(jsonSafe(report)));
    process.exit(code);
  };
  let current = null;
  setTimeout(() => {
    report.steps[current] = `timed out: the whole script took over ${HARD_TIMEOUT_MS} ms`;
    finish(1);
  }, HARD_TIMEOUT_MS).unref();
  for (const name of wanted) {
    current = name;
    const obs = (report.observations[name] = {});
    const clients = [];
    const track = (client) => {
      clients.push(client);
      return client;
    };
    try {
      await steps[name](obs, track);
      report.steps[name] = "ok";
    } catch (err) {
      report.steps[name] = describeError(err);
      console.error(`step ${name} failed:`, err && err.stack ? err.stack : err);
    } finally {
      for (const client of clients) {
        if (typeof client.close === "function") {
          await client.close().catch((err) => console.error("close failed:", err));
        }
      }
    }
  }
  const failed = Object.values(report.steps).some((status) => status !== "ok");
  finish(failed ? 1 : 0);
}

function describeError(err) {
  if (!(err instanceof Error)) return `thrown: ${JSON.stringify(jsonSafe(err))}`;
  let text = `${err.name}: ${err.message}`;
  if (err.data !== undefined) text += ` (data: ${JSON.stringify(jsonSafe(err.data))})`;
  return text;
}

/** Make values printable as JSON: bigint as "123n", ArrayBuffer as {bytes: [...]}. */
export function jsonSafe(value) {
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof ArrayBuffer) return { bytes: [...new Uint8Array(value)] };
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value && typeof value === "object") {
    if (value instanceof Error) return { error: value.constructor.name, message: value.message };
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  }
  return value;
}

/**
 * Collect every value a ConvexClient.onUpdate subscription delivers, and let the caller
 * wait until a delivered value satisfies a predicate.
 */
export function watch(client, name, args) {
  const values = [];
  const errors = [];
  let waiters = [];
  const notify = () => {
    waiters = waiters.filter((w) => {
      const hit = values.find((v, i) => i >= w.from && w.predicate(v));
      if (hit !== undefined) w.resolve(hit);
      return hit === undefined;
    });
  };
  const unsubscribe = client.onUpdate(
    name,
    args,
    (value) => {
      values.push(value);
      notify();
    },
    (err) => {
      errors.push(err);
      waiters.forEach((w) => w.reject(err));
      waiters = [];
    },
  );
  return {
    values,
    errors,
    unsubscribe,
    current: () => unsubscribe.getCurrentValue(),
    /** Resolve with the first value (delivered at index >= from) matching `predicate`. */
    until(predicate, { from = 0, timeoutMs = 10_000, what = name } = {}) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`no update of ${what} matched within ${timeoutMs} ms; ` +
            `saw ${JSON.stringify(jsonSafe(values))}`));
        }, timeoutMs);
        const done = (fn) => (x) => {
          clearTimeout(timer);
          fn(x);
        };
        waiters.push({ predicate, from, resolve: done(resolve), reject: done(reject) });
        notify();
      });
    },
  };
}

/** Await a promise expected to reject; return the error. */
export async function rejection(promise, what) {
  let value;
  try {
    value = await promise;
  } catch (err) {
    return err;
  }
  throw new Error(`${what} should have failed but returned ${JSON.stringify(jsonSafe(value))}`);
}

/**
 * A TCP proxy to `target` that can cut every connection, swallow the server's replies, or
 * send new connections elsewhere (`switchTo`, as a load balancer does when a server goes).
 */
export async function startProxy(target) {
  let upstreamUrl = new URL(target);
  const pairs = new Set();
  let connections = 0;
  const server = net.createServer((downstream) => {
    connections++;
    const upstream = net.connect(Number(upstreamUrl.port), upstreamUrl.hostname);
    const pair = { downstream, upstream, swallow: false };
    pairs.add(pair);
    downstream.on("data", (chunk) => upstream.write(chunk));
    upstream.on("data", (chunk) => {
      if (!pair.swallow) downstream.write(chunk);
    });
    const close = () => {
      pairs.delete(pair);
      downstream.destroy();
      upstream.destroy();
    };
    for (const socket of [downstream, upstream]) {
      socket.on("close", close);
      socket.on("error", close);
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    connections: () => connections,
    /** Send new connections to `next` from now on. */
    switchTo(next) {
      upstreamUrl = new URL(next);
    },
    /** From now on, drop what the server sends on the open connections. */
    swallowReplies() {
      for (const pair of pairs) pair.swallow = true;
    },
    /** Cut every open connection, as a network failure would. */
    cut() {
      for (const pair of [...pairs]) {
        pair.downstream.destroy();
        pair.upstream.destroy();
      }
    },
    close() {
      this.cut();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
