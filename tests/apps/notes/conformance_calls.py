"""Functions that hold livebase to Convex's behaviour in its integration tests (system tables,
actions, acting as a user, filters, log lines, file storage): named after the functions of
Convex's ``npm-packages/tests/js-integration-tests/convex/`` they stand for. Used by
tests/e2e/test_convex_conformance_calls.py; the HTTP actions at the end are routed by http.py.
"""

import json

from starlette.responses import JSONResponse, Response

from livebase import action, http_action, internal_mutation, mutation, query, v

# --- system tables (systemTables.ts) --------------------------------------------------------


@mutation(args={})
async def schedule_job(ctx):
    """scheduleJob: a job in _scheduled_functions; returns its ID."""
    return await ctx.scheduler.run_after(0, "conformance_calls:placeholder", {})


@mutation(args={})
async def placeholder(ctx):
    return None


@query(args={})
async def list_jobs(ctx):
    return await ctx.db.system.query("_scheduled_functions").collect()


@query(args={"id": v.string()})
async def get_job(ctx, id):
    return await ctx.db.system.get(id)


@query(args={})
async def bad_user_query(ctx):
    """badUserQuery: db.query() of a system table."""
    return await ctx.db.query("_scheduled_functions").collect()


@mutation(args={})
async def bad_system_insert(ctx):
    """badSystemInsert: db.insert() into a system table."""
    return await ctx.db.insert("_scheduled_functions", {"name": "anjan"})


@mutation(args={"id": v.string(), "how": v.string()})
async def bad_system_write(ctx, id, how):
    """badSystemPatch / badSystemReplace / badSystemDelete: db writes with a system-table ID."""
    if how == "delete":
        return await ctx.db.delete(id)
    return await getattr(ctx.db, how)(id, {"name": "anjan"})


@mutation(args={"id": v.string(), "how": v.string()})
async def system_writer_error(ctx, id, how):
    """systemInsertJSError and friends: a writer called on db.system, which has none."""
    writer = getattr(ctx.db.system, how)
    if how == "insert":
        return await writer("_scheduled_functions", {"name": "anjan"})
    if how == "delete":
        return await writer(id)
    return await writer(id, {"name": "anjan"})


# --- actions (actions/auth.ts, actions/simple.ts, auth.ts) -----------------------------------


@query(args={})
async def who(ctx):
    """auth.q: the caller's identity."""
    return await ctx.auth.get_user_identity()


@mutation(args={})
async def who_in_mutation(ctx):
    """auth.m"""
    return await ctx.auth.get_user_identity()


@action(args={})
async def who_through_run_query(ctx):
    """actions/auth.q: an action with an identity returns what its run_query sees."""
    if await ctx.auth.get_user_identity() is None:
        raise Exception("not authed")
    return await ctx.run_query("conformance_calls:who", {})


@action(args={})
async def who_through_run_mutation(ctx):
    """actions/auth.m"""
    if await ctx.auth.get_user_identity() is None:
        raise Exception("not authed")
    return await ctx.run_mutation("conformance_calls:who_in_mutation", {})


@action(args={"marker": v.string()})
async def schedule_store_user_from_action(ctx, marker):
    """actions/auth.s: an action with an identity schedules storeUser."""
    if await ctx.auth.get_user_identity() is None:
        raise Exception("not authed")
    await ctx.scheduler.run_after(0, "conformance_calls:store_user", {"marker": marker})


@mutation(args={"marker": v.string()})
async def schedule_store_user_from_mutation(ctx, marker):
    """auth.s: a mutation with an identity schedules storeUser."""
    if await ctx.auth.get_user_identity() is None:
        raise Exception("not authed")
    await ctx.scheduler.run_after(0, "conformance_calls:store_user", {"marker": marker})


@action(args={"marker": v.string()})
async def store_user(ctx, marker):
    """actions/auth.storeUser: records whether the scheduled run had an identity."""
    user = await ctx.auth.get_user_identity()
    await ctx.run_mutation(
        "conformance_calls:store_object", {"marker": marker, "foundUser": user is not None}
    )


@internal_mutation(args={"marker": v.string(), "foundUser": v.boolean()})
async def store_object(ctx, marker, foundUser):
    await ctx.db.insert("notes", {"author": marker, "body": json.dumps({"foundUser": foundUser})})


@query(args={"marker": v.string()})
async def find_object(ctx, marker):
    """findObject: what store_user recorded for ``marker``, or None."""
    found = await ctx.db.query("notes").filter(lambda q: q.eq(q.field("author"), marker)).first()
    return None if found is None else json.loads(found["body"])


@action(args={"somebody": v.string()})
async def hello(ctx, somebody):
    print(f"Hello, {somebody}!")
    return f"Aloha, {somebody}!"


@action(args={})
async def scheduling(ctx):
    """actions/simple.scheduling: run_after from an action returns the job's ID."""
    return await ctx.scheduler.run_after(0, "conformance_calls:hello", {"somebody": "scheduler"})


@query
async def do_nothing(ctx, x=None):
    """basic.doNothing (its arguments unvalidated); says how long ``x`` was."""
    return None if x is None else len(x)


@action(args={})
async def action_calls_with_big_argument(ctx):
    """actions/simple.actionCallsWithBigArgument"""
    big_string = "a" * 6_050_000
    return await ctx.run_query("conformance_calls:do_nothing", {"x": big_string})


# --- filters (messages.ts) ------------------------------------------------------------------
# A message is a note: its channel the author, its text the body.


@mutation(args={"channel": v.string(), "text": v.string()})
async def send_message(ctx, channel, text):
    return await ctx.db.insert("notes", {"author": channel, "body": text})


@query(args={"channel": v.string()})
async def list_messages(ctx, channel):
    return await ctx.db.query("notes").filter(lambda q: q.eq(q.field("author"), channel)).collect()


@query(
    args={
        "lower": v.string(),
        "lowerEqual": v.boolean(),
        "upper": v.string(),
        "upperEqual": v.boolean(),
    }
)
async def list_messages_in_range(ctx, lower, lowerEqual, upper, upperEqual):
    """listMessagesInRange: and() of gt/gte and lt/lte on a string field."""

    def in_range(q):
        above = (q.gte if lowerEqual else q.gt)(q.field("author"), lower)
        below = (q.lte if upperEqual else q.lt)(q.field("author"), upper)
        return q.and_(above, below)

    return await ctx.db.query("notes").filter(in_range).collect()


@query(
    args={
        "lower": v.string(),
        "lowerEqual": v.boolean(),
        "upper": v.string(),
        "upperEqual": v.boolean(),
    }
)
async def list_messages_out_of_range(ctx, lower, lowerEqual, upper, upperEqual):
    """The messages listMessagesInRange leaves out, by or() of the opposite comparisons."""

    def out_of_range(q):
        below = (q.lt if lowerEqual else q.lte)(q.field("author"), lower)
        above = (q.gt if upperEqual else q.gte)(q.field("author"), upper)
        return q.or_(below, above)

    return await ctx.db.query("notes").filter(out_of_range).collect()


# --- log lines (logging.ts) -----------------------------------------------------------------


@query(args={})
async def query_logging(ctx):
    print("Important logged stuff")


@query(args={})
async def query_logging_and_throwing(ctx):
    print("Important logged stuff")
    raise Exception("oopsie")


@mutation(args={})
async def mutation_logging(ctx):
    print("Important logged stuff")


@mutation(args={})
async def mutation_logging_and_throwing(ctx):
    print("Important logged stuff")
    raise Exception("oopsie")


@action(args={})
async def action_logging(ctx):
    print("Important logged stuff")


@action(args={})
async def action_logging_and_throwing(ctx):
    print("Important logged stuff")
    raise Exception("oopsie")


# --- file storage in actions (fileStorageV8Actions.ts) ---------------------------------------


@action(args={})
async def generate_upload_url(ctx):
    return await ctx.storage.generate_upload_url()


@action(args={"storageId": v.string()})
async def get_url(ctx, storageId):
    return await ctx.storage.get_url(storageId)


@action(args={"storageId": v.string()})
async def delete_by_id(ctx, storageId):
    return await ctx.storage.delete(storageId)


@action(args={"storageId": v.string()})
async def get_metadata(ctx, storageId):
    return await ctx.storage.get_metadata(storageId)


@action(args={"content": v.string(), "contentType": v.string()})
async def store(ctx, content, contentType):
    return await ctx.storage.store(content.encode(), contentType)


@action(args={"storageId": v.string()})
async def get(ctx, storageId):
    data = await ctx.storage.get(storageId)
    return None if data is None else data.decode()


# --- file storage in HTTP actions (http.ts), routed by http.py --------------------------------


def _sha256_of_digest(request):
    header = request.headers.get("digest")
    return header[len("sha-256=") :] if header and header.startswith("sha-256=") else None


@http_action
async def send_image(ctx, request):
    """POST /sendImage: stores the body, with the request's content type and digest."""
    storage_id = await ctx.storage.store(
        await request.body(),
        request.headers.get("content-type"),
        sha256=_sha256_of_digest(request),
    )
    return JSONResponse({"storageId": storage_id})


@http_action
async def delete_image(ctx, request):
    """POST /deleteImage?storageId=..."""
    await ctx.storage.delete(request.query_params.get("storageId"))
    return Response(status_code=200)


@http_action
async def get_image(ctx, request):
    """GET /getImage?storageId=...: the file, with its content type, or a 404."""
    storage_id = request.query_params.get("storageId")
    data = await ctx.storage.get(storage_id)
    if data is None:
        return Response("Image not found", status_code=404)
    metadata = await ctx.storage.get_metadata(storage_id)
    headers = {"content-type": metadata["contentType"]} if metadata["contentType"] else {}
    return Response(data, headers=headers)


@http_action
async def get_image_metadata(ctx, request):
    """GET /getMetadata?storageId=..."""
    metadata = await ctx.storage.get_metadata(request.query_params.get("storageId"))
    if metadata is None:
        return Response("File not found", status_code=404)
    return Response(json.dumps(metadata))
