"""Authors and their posts."""

from livebase import action, mutation, query, v


@mutation(args={"author": v.any()})
async def add_author(ctx, author):
    return await ctx.db.insert("authors", author)


@mutation(args={"post": v.any()})
async def add_post(ctx, post):
    return await ctx.db.insert("posts", post)


@query(args={"authorId": v.id("authors")})
async def posts_by_author(ctx, authorId):
    return (
        await ctx.db.query("posts")
        .with_index("by_author", lambda q: q.eq("authorId", authorId))
        .collect()
    )


@query(args={"name": v.string()})
async def author_named(ctx, name):
    return (
        await ctx.db.query("authors").with_index("by_name", lambda q: q.eq("name", name)).unique()
    )


@query(args={"storageId": v.id("_storage")})
async def file_info(ctx, storageId):
    return await ctx.storage.get_metadata(storageId)


@action(args={"storageId": v.id("_storage")})
async def read_file(ctx, storageId):
    return await ctx.storage.get(storageId)
