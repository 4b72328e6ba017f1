"""File storage through functions, as the upload flow uses it."""

from livebase import ConvexError, action, mutation, query, v


@mutation
async def generate_upload_url(ctx):
    return await ctx.storage.generate_upload_url()


@mutation(args={"storageId": v.id("_storage"), "name": v.string()})
async def save_file(ctx, storageId, name):
    if await ctx.storage.get_metadata(storageId) is None:
        raise ConvexError({"code": "missing_file"})
    return await ctx.db.insert("files", {"storageId": storageId, "name": name})


@query
async def list_files(ctx):
    files = await ctx.db.query("files").collect()
    out = []
    for f in files:
        meta = await ctx.storage.get_metadata(f["storageId"])
        out.append(
            {
                "name": f["name"],
                "url": await ctx.storage.get_url(f["storageId"]),
                "size": meta["size"],
                "sha256": meta["sha256"],
                "contentType": meta["contentType"],
                "storageId": f["storageId"],
            }
        )
    return out


@mutation(args={"storageId": v.id("_storage"), "fail": v.optional(v.boolean())})
async def delete_file(ctx, storageId, fail=False):
    for f in await ctx.db.query("files").collect():
        if f["storageId"] == storageId:
            await ctx.db.delete(f["_id"])
    await ctx.storage.delete(storageId)
    if fail:
        raise ConvexError("rolled back")


@action(args={"text": v.string()})
async def store_text(ctx, text):
    storage_id = await ctx.storage.store(text.encode(), "text/plain")
    data = await ctx.storage.get(storage_id)
    return {"storageId": storage_id, "roundTrip": data.decode()}


@query(args={"id": v.string()})
async def url_of(ctx, id):
    return await ctx.storage.get_url(id)
