import { ConvexProviderWithAuth, ConvexReactClient } from "convex/react";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { App } from "./App";
import { useBankAuth } from "./auth/useBankAuth";
import { applyTheme, initialTheme } from "./lib/theme";
import "./styles/base.css";
import "./styles/layout.css";
import "./styles/components.css";

applyTheme(initialTheme());

// livebase serves this app, its HTTP API and the sync WebSocket on one origin.
const convex = new ConvexReactClient(window.location.origin, {
  skipConvexDeploymentUrlCheck: true,
});

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <ConvexProviderWithAuth client={convex} useAuth={useBankAuth}>
      <App />
    </ConvexProviderWithAuth>
  </StrictMode>,
);
