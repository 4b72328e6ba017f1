"""Teams, members and queries shared with a team."""

import time

from bankchat.functions._access import current_user
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


@mutation(args={"name": v.string(), "description": v.optional(v.string())})
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


@query
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


@mutation(args={"teamId": v.id("teams"), "email": v.string()})
async def add_member(ctx, teamId, email):
    user = await current_user(ctx)
    mine = await _membership(ctx, teamId, user["_id"])
    if mine is None or mine["role"] != "owner":
        raise ConvexError({"code": "forbidden", "message": "Only a team owner can add members"})
    other = (
        await ctx.db.query("users")
        .with_index("by_email", lambda q: q.eq("email", email.strip().lower()))
        .first()
    )
    if other is None:
        raise ConvexError({"code": "unknown_user", "message": f"No user with email {email}"})
    if await _membership(ctx, teamId, other["_id"]) is None:
        await ctx.db.insert(
            "teamMembers",
            {"teamId": teamId, "userId": other["_id"], "role": "member", "joinedAt": _now()},
        )
        team = await ctx.db.get(teamId)
        await ctx.db.insert(
            "notifications",
            {
                "userId": other["_id"],
                "type": "team",
                "title": f"You joined {team['name']}",
                "read": False,
                "createdAt": _now(),
            },
        )


@mutation(args={"teamId": v.id("teams"), "userId": v.id("users")})
async def remove_member(ctx, teamId, userId):
    user = await current_user(ctx)
    mine = await _membership(ctx, teamId, user["_id"])
    if mine is None or (mine["role"] != "owner" and userId != user["_id"]):
        raise ConvexError({"code": "forbidden", "message": "Only a team owner can remove others"})
    member = await _membership(ctx, teamId, userId)
    if member is not None:
        await ctx.db.delete(member["_id"])


@query(args={"teamId": v.id("teams")})
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
    }
)
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


@query(args={"teamId": v.id("teams")})
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
