import { ConvexProvider, ConvexReactClient, useConvexConnectionState } from "convex/react";
import { useEffect, useState } from "react";

import { AdminKeyRefused, runFunction } from "./api";
import { ErrorBoundary, ErrorNote } from "./components";
import { errorText } from "./format";
import { DataPage } from "./pages/Data";
import { EnvironmentPage } from "./pages/Environment";
import { FilesPage } from "./pages/Files";
import { FunctionsPage } from "./pages/Functions";
import { HealthPage } from "./pages/Health";
import { LogsPage } from "./pages/Logs";
import { ScheduledPage } from "./pages/Scheduled";
import { followLink, href, PAGES, useRoute, type Route } from "./router";
import { SignIn } from "./SignIn";

const STORED_KEY = "livebase-dashboard-admin-key";
export const WRONG_KEY = "That admin key is not this deployment's.";

type Session =
  | { state: "checking"; key: string }
  | { state: "signedOut"; error: string | null }
  | { state: "signedIn"; key: string; client: ConvexReactClient };

/** Whether the server takes `key` as this deployment's admin key: null if so, else why not. */
async function refusal(key: string): Promise<string | null> {
  try {
    await runFunction(key, "_system/env:list", {});
    return null;
  } catch (error) {
    if (error instanceof AdminKeyRefused) return WRONG_KEY;
    if (error instanceof TypeError) return `Could not reach the server: ${error.message}`;
    return errorText(error);
  }
}

function connect(key: string): Session {
  // livebase serves the dashboard, its HTTP API and the sync WebSocket on one origin
  const client = new ConvexReactClient(window.location.origin, {
    skipConvexDeploymentUrlCheck: true,
  });
  // why: setAdminAuth is how Convex's own dashboard authenticates; the published types mark it
  // internal, so it is reached through this narrow cast
  (client as unknown as { setAdminAuth(token: string): void }).setAdminAuth(key);
  return { state: "signedIn", key, client };
}

function initialSession(): Session {
  const key = sessionStorage.getItem(STORED_KEY);
  return key ? { state: "checking", key } : { state: "signedOut", error: null };
}

export function App() {
  const [session, setSession] = useState<Session>(initialSession);

  useEffect(() => {
    if (session.state !== "checking") return;
    let current = true;
    void refusal(session.key).then((why) => {
      if (!current) return;
      if (why === null) {
        setSession(connect(session.key));
      } else {
        sessionStorage.removeItem(STORED_KEY);
        setSession({ state: "signedOut", error: why });
      }
    });
    return () => {
      current = false;
    };
  }, [session]);

  async function signIn(key: string): Promise<string | null> {
    const why = await refusal(key);
    if (why !== null) return why;
    sessionStorage.setItem(STORED_KEY, key);
    setSession(connect(key));
    return null;
  }

  function signOut(error: string | null = null) {
    sessionStorage.removeItem(STORED_KEY);
    if (session.state === "signedIn") void session.client.close();
    setSession({ state: "signedOut", error });
  }

  if (session.state === "checking") {
    return (
      <main className="center" id="main">
        <p role="status">Checking the admin key…</p>
      </main>
    );
  }
  if (session.state === "signedOut") {
    return <SignIn onSignIn={signIn} initialError={session.error} />;
  }
  return (
    <ConvexProvider client={session.client}>
      <Shell adminKey={session.key} onSignOut={() => signOut()} />
    </ConvexProvider>
  );
}

function ConnectionBadge() {
  const state = useConvexConnectionState();
  const connected = state.isWebSocketConnected;
  return (
    <span className={`connection ${connected ? "up" : "down"}`} role="status">
      <span className="dot" aria-hidden="true" />
      {connected ? "Connected" : "Connecting…"}
    </span>
  );
}

function Shell({ adminKey, onSignOut }: { adminKey: string; onSignOut: () => void }) {
  const route = useRoute();
  const title = PAGES.find((p) => p.id === route.page)?.title ?? "Data";
  useEffect(() => {
    document.title = `${title} · livebase dashboard`;
  }, [title]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">
          livebase <span className="brand-sub">dashboard</span>
        </span>
        <span className="deployment" title="This deployment">
          {window.location.host}
        </span>
        <ConnectionBadge />
        <button type="button" className="sign-out" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <div className="shell">
        <nav className="nav" aria-label="Pages">
          <ul>
            {PAGES.map((page) => (
              <li key={page.id}>
                <a
                  href={href(page.id)}
                  onClick={followLink}
                  aria-current={page.id === route.page ? "page" : undefined}
                >
                  {page.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" className="main">
          <ErrorBoundary
            resetKey={`${route.page}/${route.param ?? ""}`}
            render={(error) => <PageError error={error} onSignOut={onSignOut} />}
          >
            <Page route={route} adminKey={adminKey} />
          </ErrorBoundary>
        </main>
      </div>
    </div>
  );
}

function PageError({ error, onSignOut }: { error: unknown; onSignOut: () => void }) {
  const text = errorText(error);
  // why: a session whose admin key the server stopped taking runs as nobody, and the system
  // functions do not exist for nobody
  const refused = /_system\//.test(text) && /not found|could not find|no function/i.test(text);
  return (
    <section className="page">
      <h1>Something went wrong</h1>
      <ErrorNote error={refused ? WRONG_KEY : text} />
      {refused && (
        <button type="button" onClick={onSignOut}>
          Sign in again
        </button>
      )}
    </section>
  );
}

function Page({ route, adminKey }: { route: Route; adminKey: string }) {
  switch (route.page) {
    case "data":
      return <DataPage table={route.param} />;
    case "functions":
      return <FunctionsPage adminKey={adminKey} />;
    case "logs":
      return <LogsPage />;
    case "scheduled":
      return <ScheduledPage />;
    case "files":
      return <FilesPage />;
    case "environment":
      return <EnvironmentPage />;
    case "health":
      return <HealthPage />;
  }
}
