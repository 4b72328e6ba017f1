"""The password provider's sign-up hook, and what it leaves behind."""

from livebase import ConvexError, internal_mutation, query, v
from livebase.services.auth import signup_hook_args

INVITATION = "welcome-aboard"


@internal_mutation(args=signup_hook_args())
async def admit(ctx, email, subject, tokenIdentifier, admittedByPolicy, name=None, invite=None):
    """Record a profile, then admit the policy's sign-ups and holders of the invitation;
    any other invitation is refused (and the profile with it: one transaction)."""
    await ctx.db.insert("profiles", {"tokenIdentifier": tokenIdentifier, "email": email})
    if invite is not None and invite != INVITATION:
        raise ConvexError({"code": "invalid_invite", "message": "That invitation is not valid"})
    return admittedByPolicy or invite == INVITATION


@query(args={"email": v.string()})
async def profiles(ctx, email):
    """The tokenIdentifiers recorded by ``admit`` for an email."""
    rows = await ctx.db.query("profiles").collect()
    return [row["tokenIdentifier"] for row in rows if row.get("email") == email]
