"""Analytics for admins: query counts, popular questions, most-queried tables, failures."""

from bankchat.functions._access import allow
from livebase import query, v

# a key (a day, a status, a question, a table) and how often it was counted
Counted = v.object({"key": v.string(), "count": v.number()})


async def _totals(ctx, metric, since_day):
    rows = ctx.db.query("analytics").with_index("by_metric", lambda q: q.eq("metric", metric))
    totals: dict[str, int] = {}
    async for row in rows:
        if since_day and row["day"] < since_day:
            continue
        totals[row["key"]] = totals.get(row["key"], 0) + row["count"]
    return sorted(
        ({"key": k, "count": c} for k, c in totals.items()), key=lambda r: (-r["count"], r["key"])
    )


@query(
    args={"sinceDay": v.optional(v.string())},
    returns=v.object(
        {
            "queriesPerDay": v.array(v.object({"day": v.string(), "count": v.number()})),
            "byStatus": v.array(Counted),
            "popularQuestions": v.array(Counted),
            "topTables": v.array(Counted),
            "failures": v.number(),
        }
    ),
)
@allow("feature:analytics")
async def get_analytics(ctx, sinceDay=None):
    per_day = {}
    async for row in ctx.db.query("analytics").with_index(
        "by_metric", lambda q: q.eq("metric", "queries").eq("key", "all")
    ):
        if not sinceDay or row["day"] >= sinceDay:
            per_day[row["day"]] = row["count"]
    statuses = await _totals(ctx, "status", sinceDay)
    return {
        "queriesPerDay": [{"day": d, "count": c} for d, c in sorted(per_day.items())],
        "byStatus": statuses,
        "popularQuestions": (await _totals(ctx, "question", sinceDay))[:10],
        "topTables": (await _totals(ctx, "table", sinceDay))[:10],
        "failures": sum(s["count"] for s in statuses if s["key"] != "success"),
    }
