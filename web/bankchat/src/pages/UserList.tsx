import { useMutation, useQuery } from "convex/react";
import { useState } from "react";

import { api } from "../convex/_generated/api";
import { errorMessage } from "../lib/errors";
import type { Me, Role, UserSummary } from "../types";
import { RoleChecks } from "./RoleChecks";
import { StatusBadge } from "./StatusBadge";

/** Every account, live: its roles (a change is saved at once) and whether it is enabled. */
export function UserList({ me, roles }: { me: Me; roles: Role[] }) {
  const users = useQuery(api.users.listUsers);
  const sorted = [...(users ?? [])].sort((a, b) => a.email.localeCompare(b.email));
  return (
    <section className="card" aria-labelledby="users-title">
      <h2 id="users-title">Accounts</h2>
      {users === undefined ? (
        <p className="muted">Loading…</p>
      ) : (
        <ul className="plain-list rows" aria-labelledby="users-title">
          {sorted.map((user) => (
            <UserRow key={user._id} user={user} roles={roles} isMe={user._id === me._id} />
          ))}
        </ul>
      )}
    </section>
  );
}

interface RowProps {
  user: UserSummary;
  roles: Role[];
  isMe: boolean;
}

function UserRow({ user, roles, isMe }: RowProps) {
  // why: optimistic, so a checkbox shows its new state at once; a refusal (your own admin
  // role) rolls it back and says why
  const setRoles = useMutation(api.users.setRoles).withOptimisticUpdate(
    (store, { userId, roles: next }) => {
      const users = store.getQuery(api.users.listUsers, {});
      if (users) {
        const patched = users.map((u) => (u._id === userId ? { ...u, roles: next } : u));
        store.setQuery(api.users.listUsers, {}, patched);
      }
    },
  );
  const setActive = useMutation(api.users.setActive);
  const [error, setError] = useState<string | null>(null);

  async function run(change: () => Promise<unknown>) {
    setError(null);
    try {
      await change();
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }

  return (
    <li className="list-row person">
      <div className="grow">
        <span>
          <strong>{user.name}</strong>
          {isMe && <span className="muted"> (you)</span>}
        </span>
        <span className="muted invited">{user.email}</span>
        <span className="badges">
          {!user.isActive && <StatusBadge status="disabled" />}
          {user.roles.length === 0 && <StatusBadge status="no_role" />}
        </span>
      </div>
      <div className="person-controls">
        <RoleChecks
          legend={`Roles of ${user.email}`}
          hideLegend
          roles={roles}
          chosen={user.roles}
          onChange={(next) => void run(() => setRoles({ userId: user._id, roles: next }))}
        />
        <span className="person-action">
          {!isMe && (
            <button
              type="button"
              className={user.isActive ? "small danger" : "small"}
              onClick={() =>
                void run(() => setActive({ userId: user._id, isActive: !user.isActive }))
              }
            >
              {user.isActive ? "Disable" : "Enable"}
              <span className="visually-hidden"> {user.email}</span>
            </button>
          )}
        </span>
      </div>
      {error && (
        <p className="alert alert-error full" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}
