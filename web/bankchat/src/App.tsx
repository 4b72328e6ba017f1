import { AuthLoading, Authenticated, Unauthenticated, useMutation, useQuery } from "convex/react";
import { useEffect } from "react";

import { AcceptInvite } from "./auth/AcceptInvite";
import { DisabledPage, NoRolePage, SignedInInvite } from "./auth/AccountStatus";
import { SignIn } from "./auth/SignIn";
import { SignUp } from "./auth/SignUp";
import { api } from "./convex/_generated/api";
import { Shell } from "./layout/Shell";
import { ResultsProvider } from "./lib/results";
import { navigate, useRoute, type Route } from "./lib/router";
import { initialTheme, ThemeProvider } from "./lib/theme";
import type { Me } from "./types";

export function App() {
  const route = useRoute();
  return (
    <>
      <AuthLoading>
        <p className="loading" role="status">
          Loading…
        </p>
      </AuthLoading>
      <Unauthenticated>
        <SignedOut route={route} />
      </Unauthenticated>
      <Authenticated>
        <SignedIn route={route} />
      </Authenticated>
    </>
  );
}

/** Signed out: an invitation link, the sign-up form, or else the sign-in form. */
function SignedOut({ route }: { route: Route }) {
  if (route.page === "invite") return <AcceptInvite token={route.token} />;
  if (route.page === "signup") return <SignUp />;
  return <SignIn />;
}

/** The app for a signed-in person: their user record, theme and pages. */
function SignedIn({ route }: { route: Route }) {
  const ensureUser = useMutation(api.users.ensureUser);
  const me = useQuery(api.users.me);
  useEffect(() => {
    void ensureUser();
  }, [ensureUser]);
  useEffect(() => {
    if (route.page === "signup") navigate("/");
  }, [route.page]);
  if (me === undefined || me === null) {
    return (
      <p className="loading" role="status">
        Loading your profile…
      </p>
    );
  }
  return (
    <ThemeProvider theme={me.preferences.theme ?? initialTheme()}>
      <Account me={me} route={route} />
    </ThemeProvider>
  );
}

/** What this account may see: the app only once it is active and has a role (live). */
function Account({ me, route }: { me: Me; route: Route }) {
  if (!me.isActive) return <DisabledPage me={me} />;
  if (me.roles.length === 0) return <NoRolePage me={me} />;
  if (route.page === "invite") return <SignedInInvite me={me} />;
  return (
    <ResultsProvider>
      <Shell me={me} />
    </ResultsProvider>
  );
}
