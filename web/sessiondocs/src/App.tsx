import { Authenticated, AuthLoading, Unauthenticated, useQuery } from "convex/react";
import type { ReactNode } from "react";
import { signOut } from "./auth/session";
import { Frame } from "./components/AppHeader";
import { DevicesPage } from "./components/DevicesPage";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { InvitePage } from "./components/InvitePage";
import { NotFoundPage } from "./components/NotFoundPage";
import { PageHeading } from "./components/PageHeading";
import { PeoplePage } from "./components/PeoplePage";
import { SessionPage } from "./components/SessionPage";
import { SessionsPage } from "./components/SessionsPage";
import { SharedPage } from "./components/SharedPage";
import { SignInPage } from "./components/SignInPage";
import { api } from "./convex/_generated/api";
import { errorMessage } from "./errors";
import { routeOf, usePath, type Route } from "./router";
import type { Me } from "./types";

/**
 * The page for the current path. Share links and invitations open without signing in; every
 * other page needs it, and shows the sign-in form until then (then the page that was asked for).
 */
export function App() {
  const route = routeOf(usePath());
  if (route.page === "shared") {
    return (
      <Frame>
        <SharedPage token={route.param} />
      </Frame>
    );
  }
  if (route.page === "invite") {
    return (
      <Frame>
        <InvitePage token={route.param} />
      </Frame>
    );
  }
  return (
    <>
      <AuthLoading>
        <Frame>
          <p className="hint" role="status">
            Signing in…
          </p>
        </Frame>
      </AuthLoading>
      <Unauthenticated>
        <Frame>
          <SignInPage />
        </Frame>
      </Unauthenticated>
      <Authenticated>
        <SignedIn route={route} />
      </Authenticated>
    </>
  );
}

/** The app for a signed-in person: who they are, then the page. */
function SignedIn({ route }: { route: Route }) {
  const me = useQuery(api.users.me);
  if (me === undefined) {
    return (
      <Frame>
        <p className="hint" role="status">
          Loading…
        </p>
      </Frame>
    );
  }
  if (me === null) return <AccountClosed />;
  return (
    <Frame me={me} page={route.page}>
      <ErrorBoundary key={`${route.page}/${route.param}`} fallback={pageFailed}>
        <Page route={route} me={me} />
      </ErrorBoundary>
    </Frame>
  );
}

/** A page whose query failed unexpectedly (the server refused it, or is broken). */
function pageFailed(error: unknown): ReactNode {
  return (
    <div role="alert">
      <PageHeading>This page could not be loaded</PageHeading>
      <p>The server answered: {errorMessage(error)}</p>
      <button type="button" onClick={() => window.location.reload()}>
        Reload
      </button>
    </div>
  );
}

function Page({ route, me }: { route: Route; me: Me }) {
  switch (route.page) {
    case "sessions":
      return <SessionsPage />;
    case "session":
      return <SessionPage sessionId={route.param} />;
    case "devices":
      return <DevicesPage />;
    case "people":
      return <PeoplePage me={me} />;
    default:
      return <NotFoundPage />;
  }
}

/** Signed in, but the account was disabled (or removed) by an administrator. */
function AccountClosed() {
  return (
    <Frame>
      <PageHeading>Your account is disabled</PageHeading>
      <p>An administrator has disabled this account. Ask them to enable it again.</p>
      <button type="button" onClick={() => signOut()}>
        Sign out
      </button>
    </Frame>
  );
}
