// ConvexHttpClient (convex/browser) against livebase: the HTTP API.
// (ConvexHttpClient queues one client's mutations, so mutation_order holds here too.)
import { sharedSteps } from "./calls.mjs";
import { httpClient, runSteps, serverUrl } from "./harness.mjs";

const url = serverUrl();

await runSteps(sharedSteps(() => httpClient(url)));
