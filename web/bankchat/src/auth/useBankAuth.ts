import { useCallback, useMemo } from "react";

import { accessToken, useSession } from "./session";

/** The auth state ConvexProviderWithAuth asks for: signed in or not, and how to get a token. */
export function useBankAuth() {
  const session = useSession();
  const signedInAs = session?.email ?? null;
  // why: a new function identity makes the provider re-authenticate, so it changes only when
  // the person does, not on every token refresh
  const fetchAccessToken = useCallback(
    ({ forceRefreshToken }: { forceRefreshToken: boolean }) => accessToken(forceRefreshToken),
    [signedInAs],
  );
  return useMemo(
    () => ({ isLoading: false, isAuthenticated: signedInAs !== null, fetchAccessToken }),
    [signedInAs, fetchAccessToken],
  );
}
