"""Functions that hold livebase to Convex's behaviour (tests/e2e/test_convex_conformance.py)."""

import asyncio
import contextlib

from livebase import (
    ConvexError,
    Int64,
    action,
    create_function_handle,
    internal_action,
    internal_mutation,
    mutation,
    query,
    v,
)


@query(args={})
async def system_query_of_a_user_table(ctx):
    return await ctx.db.system.query("notes").collect()


@query(args={"id": v.string()})
async def system_get_of_a_user_document(ctx, id):
    return await ctx.db.system.get(id)


@query(args={"id": v.string()})
async def user_get_of_a_system_document(ctx, id):
    return await ctx.db.get(id)


@internal_action(args={})
async def cancel_myself_action(ctx):
    (me,) = [
        job
        for job in await ctx.run_query("conformance:jobs", {})
        if job["name"] == "conformance:cancel_myself_action"
    ]
    await ctx.scheduler.cancel(me["_id"])
    return "ran to the end"


@internal_mutation(args={})
async def cancel_myself_mutation(ctx):
    (me,) = [
        job
        for job in await ctx.db.system.query("_scheduled_functions").collect()
        if job["name"] == "conformance:cancel_myself_mutation"
    ]
    await ctx.scheduler.cancel(me["_id"])


@mutation(args={"which": v.string()})
async def schedule(ctx, which):
    return await ctx.scheduler.run_after(0, f"conformance:{which}", {})


@query(args={})
async def jobs(ctx):
    return await ctx.db.system.query("_scheduled_functions").collect()


@action(args={})
async def never_resolves(ctx):
    await asyncio.Event().wait()


@action(args={})
async def urls(ctx):
    return {
        "cloud": await ctx.env.get("CONVEX_CLOUD_URL"),
        "site": await ctx.env.get("CONVEX_SITE_URL"),
    }


class FooError(ConvexError):
    """A subclass of ConvexError: Convex names it in the message, as thrown."""


@query(args={})
async def query_throwing_convex_error(ctx):
    raise ConvexError("Boom boom bop")


@query(args={})
async def query_throwing_convex_error_subclass(ctx):
    raise FooError({"message": "Boom boom bop", "code": Int64(123)})


@action(args={})
async def action_throwing_convex_error(ctx):
    raise ConvexError("Boom boom bop")


@internal_mutation(args={"author": v.string(), "body": v.string(), "fail": v.boolean()})
async def send(ctx, author, body, fail):
    await ctx.db.insert("notes", {"author": author, "body": body})
    if fail:
        raise ConvexError(f"refused {body}")


@mutation(args={"author": v.string()})
async def partial_rollback(ctx, author):
    """Convex's "Failed child mutation rolls back writes", with this app's own functions."""
    await ctx.run_mutation(
        "conformance:send", {"author": author, "body": "hello buddy", "fail": False}
    )
    with contextlib.suppress(ConvexError):
        await ctx.run_mutation("conformance:send", {"author": author, "body": "bye", "fail": True})
    return await ctx.run_query("notes:byAuthor", {"author": author})


@mutation(args={"author": v.string()})
async def schedule_by_handle(ctx, author):
    """Convex's "Function handles can be used in scheduling APIs", with this app's function."""
    handle = await create_function_handle("conformance:send")
    args = {"author": author, "body": "by handle", "fail": False}
    return await ctx.scheduler.run_after(0, handle, args)
