"""HTTP actions."""

from starlette.responses import Response

from livebase import ConvexError, HttpRouter, http_action

http = HttpRouter()


@http_action
async def echo(ctx, request):
    body = await request.json()
    await ctx.run_mutation("jobs:record", {"job": "http", "note": body.get("note")})
    return {
        "received": body,
        "method": request.method,
        "runs": await ctx.run_query("jobs:runs", {"job": "http"}),
    }


@http_action
async def files(ctx, request):
    name = request.url.path.rsplit("/", 1)[-1]
    return Response(f"file {name}".encode(), media_type="text/plain")


@http_action
async def whoami(ctx, request):
    return {"identity": await ctx.auth.get_user_identity()}


@http_action
async def refuse(ctx, request):
    raise ConvexError({"code": "refused"})


http.route(path="/echo", method="POST", handler=echo)
http.route(path_prefix="/files/", method="GET", handler=files)
http.route(path="/whoami", method="GET", handler=whoami)
http.route(path="/refuse", method="POST", handler=refuse)
