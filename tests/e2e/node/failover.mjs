// The official client through a load balancer in front of two livebase processes serving one
// deployment: the process holding the client's connection is killed (SIGKILL) with mutations
// in flight; the balancer sends the reconnect to the other process, the client resends what
// was unanswered, and the live query resumes. Usage:
//   node failover.mjs <url A>,<url B>,<pid of A> [steps]
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

const [urlA, urlB, pidA] = serverUrl().split(",");

async function killedProcess(obs, track) {
  const balancer = await startProxy(urlA); // a load balancer in front of A and B
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
