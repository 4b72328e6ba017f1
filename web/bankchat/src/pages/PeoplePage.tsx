import { useQuery } from "convex/react";

import { api } from "../convex/_generated/api";
import type { Me } from "../types";
import { InviteForm } from "./InviteForm";
import { InviteList } from "./InviteList";
import { UserList } from "./UserList";

/** Administrators: who has an account and which roles, invitations to make and withdraw. */
export default function PeoplePage({ me }: { me: Me }) {
  if (!me.features.includes("admin")) {
    return (
      <section className="page">
        <h1>People</h1>
        <p className="alert alert-warning">Your role does not include administration.</p>
      </section>
    );
  }
  return <People me={me} />;
}

function People({ me }: { me: Me }) {
  const roles = useQuery(api.users.listRoles);
  return (
    <section className="page" aria-labelledby="people-title">
      <h1 id="people-title">People</h1>
      {roles === undefined ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <div className="two-up">
            <InviteForm roles={roles} />
            <InviteList />
          </div>
          <UserList me={me} roles={roles} />
        </>
      )}
    </section>
  );
}
