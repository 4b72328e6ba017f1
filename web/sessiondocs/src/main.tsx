import { ConvexProviderWithAuth, ConvexReactClient } from "convex/react";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { useSessionAuth } from "./auth/useSessionAuth";
import "./styles.css";

// The app is served by the sessiondocs server itself, so the backend is this page's origin.
const convex = new ConvexReactClient(window.location.origin, {
  // why: by default the client trades a confirmed token for a new one at once, on every page
  // load; a navigation that interrupts that refresh loses the rotated refresh token (the old one
  // is used up) and signs the person out. Reused, the token is refreshed shortly before expiry.
  initialAuthTokenReuse: true,
});

const root = document.getElementById("root");
if (root === null) throw new Error("index.html has no #root element");

createRoot(root).render(
  <StrictMode>
    <ConvexProviderWithAuth client={convex} useAuth={useSessionAuth}>
      <App />
    </ConvexProviderWithAuth>
  </StrictMode>,
);
