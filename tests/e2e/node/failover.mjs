// The official client through a load balancer in front of two livebase processes serving one
// deployment: the process holding the client's connection is killed (SIGKILL) with mutations
// in flight; the balancer sends the reconnect to the other process, the client resends what
// was unanswered, and the live query resumes. Usage:
//   node failover.mjs <url A>,<url B>,<pid of A> [steps]
import assert from "node:assert/strict";
import net from "node:net";

import { httpClient, runSteps, serverUrl, uniqueAuthor, watch, wsClient } from "./harness.mjs";

const [urlA, urlB, pidA] = serverUrl().split(",");

/** A TCP balancer sending new connections to `target`, which `switchTo` changes. */
async function startBalancer(first) {
  let target = new URL(first);
  const pairs = new Set();
  const server = net.createServer((downstream) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    const pair = { downstream, upstream };
    pairs.add(pair);
    downstream.on("data", (chunk) => upstream.write(chunk));
    upstream.on("data", (chunk) => downstream.write(chunk));
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
    switchTo(next) {
      target = new URL(next);
    },
    close() {
      for (const pair of [...pairs]) {
        pair.downstream.destroy();
        pair.upstream.destroy();
      }
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

async function killedProcess(obs, track) {
  const balancer = await startBalancer(urlA);
  try {
    const client = track(wsClient(balancer.url));
    const name = uniqueAuthor("failover");
    const live = watch(client, "counters:get", { name });
    await live.until((v) => v === null, { what: "the first (empty) result" });
    for (let i = 0; i < 10; i++) await client.mutation("counters:increment", { name });
    await live.until((v) => v === 10, { what: "10 before the kill" });
    const inFlight = [0, 1, 2].map(() => client.mutation("counters:increment", { name }));
    balancer.switchTo(urlB); // the balancer sees A go and sends new connections to B
    process.kill(Number(pidA), "SIGKILL");
    const results = await Promise.all(inFlight);
    for (let i = 0; i < 10; i++) await client.mutation("counters:increment", { name });
    obs.inFlightResults = results;
    await live.until((v) => v === 23, { what: "23 after the kill", timeoutMs: 15_000 });
    const fresh = await httpClient(urlB).query("counters:get", { name });
    obs.final = fresh;
    assert.equal(fresh, 23, "every acknowledged increment counted once");
    assert.deepEqual([...results].sort((a, b) => a - b), [11, 12, 13]);
  } finally {
    await balancer.close();
  }
}

await runSteps({ killedProcess });
