"""Teams, members and queries shared with a team."""

import time

from bankchat.functions._access import MEMBER, allow, current_user
from bankchat.functions._shapes import TeamRole, document
from livebase import ConvexError, mutation, query, v


def _now() -> float:
    return time.time() * 1000


async def _membership(ctx, team_id, user_id):
    for member in (
        await ctx.db.query("teamMembers")
        .with_index("by_team", lambda q: q.eq("teamId", team_id))
        .collect()
    ):
        if member["userId"] == user_id:
            return member
    return None


@mutation(args={"name": v.string(), "description": v.optional(v.string())}, returns=v.id("teams"))
@allow(MEMBER)
async def create_team(ctx, name, description=None):
    user = await current_user(ctx)
    if not name.strip():
        raise ConvexError({"code": "empty", "message": "A team needs a name"})
    doc = {"name": name.strip(), "createdBy": user["_id"], "createdAt": _now()}
    if description:
        doc["description"] = description
    team_id = await ctx.db.insert("teams", doc)
    await ctx.db.insert(
        "teamMembers",
        {"teamId": team_id, "userId": user["_id"], "role": "owner", "joinedAt": _now()},
    )
    return team_id


@query(returns=v.array(document("teams", myRole=TeamRole)))
@allow(MEMBER)
async def my_teams(ctx):
    user = await current_user(ctx)
    out = []
    for member in (
        await ctx.db.query("teamMembers")
        .with_index("by_user", lambda q: q.eq("userId", user["_id"]))
        .collect()
    ):
        team = await ctx.db.get(member["teamId"])
        if team is not None:
            out.append({**team, "myRole": member["role"]})
    return out


@mutation(
    args={"teamId": v.id("teams"), "email": v.string()},
    returns=v.object({"invited": v.string()}),
)
@allow(MEMBER)
async def add_member(ctx, teamId, email):
    """Invite an email to the team (owners). Joining takes the invitee's consent
    (``teams:acceptInvite``); the answer is the same whether or not the email has an account."""
    user = await current_user(ctx)
    await _owner(ctx, teamId, user)
    address = email.strip().lower()
    if "@" not in address or len(address) > 254:
        raise ConvexError(
            {"code": "invalid_email", "message": f"{email!r} is not an email address"}
        )
    pending = (
        await ctx.db.query("teamInvites")
        .with_index("by_team", lambda q: q.eq("teamId", teamId).eq("email", address))
        .first()
    )
    member = await _member_by_email(ctx, teamId, address)
    if pending is None and member is None:
        await ctx.db.insert(
            "teamInvites",
            {"teamId": teamId, "email": address, "invitedBy": user["_id"], "createdAt": _now()},
        )
        invitee = (
            await ctx.db.query("users")
            .with_index("by_email", lambda q: q.eq("email", address))
            .first()
        )
        if invitee is not None:
            # why: a fixed text; what the inviter wrote (the team's name) shows only in Teams
            await ctx.db.insert(
                "notifications",
                {
                    "userId": invitee["_id"],
                    "type": "team_invite",
                    "title": "You are invited to a team: answer in Teams",
                    "link": "teams",
                    "read": False,
                    "createdAt": _now(),
                },
            )
    return {"invited": address}


async def _owner(ctx, team_id, user):
    mine = await _membership(ctx, team_id, user["_id"])
    if mine is None or mine["role"] != "owner":
        raise ConvexError({"code": "forbidden", "message": "Only a team owner can invite"})
    return mine


async def _member_by_email(ctx, team_id, email):
    for member in (
        await ctx.db.query("teamMembers")
        .with_index("by_team", lambda q: q.eq("teamId", team_id))
        .collect()
    ):
        person = await ctx.db.get(member["userId"])
        if person is not None and person["email"] == email:
            return member
    return None


@query(
    returns=v.array(
        v.object(
            {
                "_id": v.id("teamInvites"),
                "teamId": v.id("teams"),
                "teamName": v.string(),
                "invitedBy": v.nullable(v.string()),  # the inviter's name (None: gone)
                "createdAt": v.number(),
            }
        )
    )
)
@allow(MEMBER)
async def my_invites(ctx):
    """Team invitations waiting for the caller's answer."""
    user = await current_user(ctx)
    out = []
    for invite in (
        await ctx.db.query("teamInvites")
        .with_index("by_email", lambda q: q.eq("email", user["email"]))
        .collect()
    ):
        team = await ctx.db.get(invite["teamId"])
        inviter = await ctx.db.get(invite["invitedBy"])
        if team is not None:
            out.append(
                {
                    "_id": invite["_id"],
                    "teamId": team["_id"],
                    "teamName": team["name"],
                    "invitedBy": inviter["name"] if inviter else None,
                    "createdAt": invite["createdAt"],
                }
            )
    return out


async def _my_invite(ctx, user, invite_id):
    invite = await ctx.db.get(invite_id)
    if invite is None or invite["email"] != user["email"]:
        raise ConvexError({"code": "not_found", "message": "No such invitation"})
    return invite


@mutation(args={"inviteId": v.id("teamInvites")}, returns=v.id("teams"))
@allow(MEMBER)
async def accept_invite(ctx, inviteId):
    """Join the team of an invitation addressed to the caller."""
    user = await current_user(ctx)
    invite = await _my_invite(ctx, user, inviteId)
    await ctx.db.delete(inviteId)
    if await _membership(ctx, invite["teamId"], user["_id"]) is None:
        await ctx.db.insert(
            "teamMembers",
            {
                "teamId": invite["teamId"],
                "userId": user["_id"],
                "role": "member",
                "joinedAt": _now(),
            },
        )
    return invite["teamId"]


@mutation(args={"inviteId": v.id("teamInvites")}, returns=v.null())
@allow(MEMBER)
async def decline_invite(ctx, inviteId):
    """Turn down an invitation addressed to the caller."""
    user = await current_user(ctx)
    await _my_invite(ctx, user, inviteId)
    await ctx.db.delete(inviteId)


@query(args={"teamId": v.id("teams")}, returns=v.array(v.doc("teamInvites")))
@allow(MEMBER)
async def pending_invites(ctx, teamId):
    """The team's invitations not yet answered (owners)."""
    user = await current_user(ctx)
    await _owner(ctx, teamId, user)
    return (
        await ctx.db.query("teamInvites")
        .with_index("by_team", lambda q: q.eq("teamId", teamId))
        .collect()
    )


@mutation(args={"inviteId": v.id("teamInvites")}, returns=v.null())
@allow(MEMBER)
async def cancel_invite(ctx, inviteId):
    """Withdraw an invitation (owners of its team)."""
    user = await current_user(ctx)
    invite = await ctx.db.get(inviteId)
    if invite is None:
        raise ConvexError({"code": "not_found", "message": "No such invitation"})
    await _owner(ctx, invite["teamId"], user)
    await ctx.db.delete(inviteId)


@mutation(args={"teamId": v.id("teams"), "userId": v.id("users")}, returns=v.null())
@allow(MEMBER)
async def remove_member(ctx, teamId, userId):
    user = await current_user(ctx)
    mine = await _membership(ctx, teamId, user["_id"])
    if mine is None or (mine["role"] != "owner" and userId != user["_id"]):
        raise ConvexError({"code": "forbidden", "message": "Only a team owner can remove others"})
    member = await _membership(ctx, teamId, userId)
    if member is not None:
        await ctx.db.delete(member["_id"])


@query(
    args={"teamId": v.id("teams")},
    returns=v.array(
        v.object(
            {"userId": v.id("users"), "email": v.string(), "name": v.string(), "role": TeamRole}
        )
    ),
)
@allow(MEMBER)
async def members(ctx, teamId):
    user = await current_user(ctx)
    if await _membership(ctx, teamId, user["_id"]) is None:
        raise ConvexError({"code": "forbidden", "message": "Not a member of this team"})
    out = []
    for member in (
        await ctx.db.query("teamMembers")
        .with_index("by_team", lambda q: q.eq("teamId", teamId))
        .collect()
    ):
        person = await ctx.db.get(member["userId"])
        if person is not None:
            out.append(
                {
                    "userId": person["_id"],
                    "email": person["email"],
                    "name": person["name"],
                    "role": member["role"],
                }
            )
    return out


@mutation(
    args={
        "teamId": v.id("teams"),
        "name": v.string(),
        "sql": v.string(),
        "question": v.optional(v.string()),
    },
    returns=v.id("sharedQueries"),
)
@allow(MEMBER)
async def share_query(ctx, teamId, name, sql, question=None):
    """Share a query with a team; every other member gets a notification."""
    user = await current_user(ctx)
    if await _membership(ctx, teamId, user["_id"]) is None:
        raise ConvexError({"code": "forbidden", "message": "Not a member of this team"})
    doc = {"teamId": teamId, "sharedBy": user["_id"], "name": name, "sql": sql, "createdAt": _now()}
    if question:
        doc["question"] = question
    shared_id = await ctx.db.insert("sharedQueries", doc)
    team = await ctx.db.get(teamId)
    for member in (
        await ctx.db.query("teamMembers")
        .with_index("by_team", lambda q: q.eq("teamId", teamId))
        .collect()
    ):
        if member["userId"] != user["_id"]:
            await ctx.db.insert(
                "notifications",
                {
                    "userId": member["userId"],
                    "type": "shared",
                    "title": f"{user['name']} shared \u201c{name}\u201d with {team['name']}",
                    "body": sql,
                    "read": False,
                    "createdAt": _now(),
                },
            )
    return shared_id


@query(args={"teamId": v.id("teams")}, returns=v.array(v.doc("sharedQueries")))
@allow(MEMBER)
async def get_shared_queries(ctx, teamId):
    user = await current_user(ctx)
    if await _membership(ctx, teamId, user["_id"]) is None:
        raise ConvexError({"code": "forbidden", "message": "Not a member of this team"})
    return (
        await ctx.db.query("sharedQueries")
        .with_index("by_team", lambda q: q.eq("teamId", teamId))
        .order("desc")
        .collect()
    )
