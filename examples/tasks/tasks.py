"""The tasks example's functions: what the README shows."""

from livebase import ConvexError, mutation, query, v


@mutation(args={"text": v.string(), "priority": v.optional(v.number())}, returns=v.id("tasks"))
async def add_task(ctx, text, priority=None):
    if not text.strip():
        raise ConvexError({"code": "empty", "message": "A task needs some text"})
    task = {"text": text, "done": False}
    if priority is not None:
        task["priority"] = priority
    return await ctx.db.insert("tasks", task)


@mutation(args={"id": v.id("tasks")}, returns=v.null())
async def complete(ctx, id):
    await ctx.db.patch(id, {"done": True})


@query(args={"done": v.optional(v.boolean())}, returns=v.array(v.doc("tasks")))
async def list_tasks(ctx, done=None):
    tasks = ctx.db.query("tasks")
    if done is not None:
        tasks = tasks.with_index("by_done", lambda q: q.eq("done", done))
    return await tasks.collect()
