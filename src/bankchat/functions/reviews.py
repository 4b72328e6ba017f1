"""'Wrong answer' reports: any answer can be sent for review with the asker's note; an
administrator corrects its SQL (checked by the guard and run once) or dismisses it. A correction
becomes a team example: the engines are given it, and the offline engine answers the same
question with it from then on."""

import asyncio
import time

from bankchat.functions._access import MEMBER, allow, current_user, roles_of
from bankchat.functions._shapes import InterpretationLine, document, literals
from bankchat.functions.audit import record
from bankchat.roles import policy_of
from bankchat.service import shared
from livebase import ConvexError, action, internal_mutation, internal_query, mutation, query, v

STATUSES = ("open", "corrected", "dismissed")
# a reported answer, with the interpretation lines of its message
Review = document(
    "reviews",
    interpretation=v.optional(v.array(InterpretationLine)),
    status=literals(*STATUSES),
)


def _now() -> float:
    return time.time() * 1000


def _not_found() -> ConvexError:
    return ConvexError({"code": "not_found", "message": "No such answer"})


async def _question_before(ctx, message):
    """The user's question an assistant message answered: the last user message before it."""
    earlier = (
        await ctx.db.query("messages")
        .with_index(
            "by_conversation",
            lambda q: q.eq("conversationId", message["conversationId"]).lt(
                "timestamp", message["timestamp"]
            ),
        )
        .order("desc")
        .take(5)
    )
    return next((m["content"] for m in earlier if m["type"] == "user"), None)


@mutation(
    args={"messageId": v.id("messages"), "note": v.optional(v.string())}, returns=v.id("reviews")
)
@allow(MEMBER)
async def report_wrong(ctx, messageId, note=None):
    """Send one of your answers for review; returns the review's id (once per answer)."""
    user = await current_user(ctx)
    message = await ctx.db.get(messageId)
    if message is None or message["userId"] != user["_id"] or message["type"] != "assistant":
        raise _not_found()
    existing = (
        await ctx.db.query("reviews")
        .with_index("by_message", lambda q: q.eq("messageId", messageId))
        .first()
    )
    if existing is not None:
        return existing["_id"]
    review = {
        "messageId": messageId,
        "userId": user["_id"],
        "userEmail": user["email"],
        "answer": message["content"][:2000],
        "status": "open",
        "createdAt": _now(),
    }
    question = await _question_before(ctx, message)
    if question:
        review["question"] = question
    for field in ("sql", "interpretation"):
        if message.get(field):
            review[field] = message[field]
    if note and note.strip():
        review["note"] = note.strip()[:2000]
    review_id = await ctx.db.insert("reviews", review)
    await record(ctx, user, "report_wrong", question=question, sql=message.get("sql"))
    return review_id


@query(args={"status": v.optional(v.string())}, returns=v.array(Review))
@allow("feature:admin")
async def list_reviews(ctx, status=None):
    """Reviews newest first: open ones by default, or those with ``status``."""
    wanted = status or "open"
    if wanted not in STATUSES:
        raise ConvexError({"code": "bad_status", "message": f"No such status: {wanted}"})
    rows = ctx.db.query("reviews").with_index("by_status", lambda q: q.eq("status", wanted))
    return await rows.order("desc").take(200)


@query(returns=v.array(v.id("messages")))
@allow(MEMBER)
async def my_reports(ctx):
    """The ids of the answers the caller sent for review (to show them as sent)."""
    user = await current_user(ctx)
    rows = ctx.db.query("reviews").with_index("by_user", lambda q: q.eq("userId", user["_id"]))
    return [r["messageId"] for r in await rows.order("desc").take(200)]


@mutation(args={"reviewId": v.id("reviews")}, returns=v.null())
@allow("feature:admin")
async def dismiss_review(ctx, reviewId):
    admin = await current_user(ctx)
    review = await _open_review(ctx, reviewId)
    await ctx.db.patch(
        review["_id"], {"status": "dismissed", "resolvedBy": admin["email"], "resolvedAt": _now()}
    )
    await record(ctx, admin, "dismiss_review", question=review.get("question"))


async def _open_review(ctx, review_id):
    review = await ctx.db.get(review_id)
    if review is None:
        raise ConvexError({"code": "not_found", "message": "No such review"})
    if review["status"] != "open":
        raise ConvexError({"code": "closed", "message": f"This review is {review['status']}"})
    return review


@internal_query(
    args={"reviewId": v.id("reviews")},
    returns=v.object(
        {"admin": v.doc("users"), "roles": v.array(v.doc("roles")), "review": v.doc("reviews")}
    ),
)
async def reviewer(ctx, reviewId):
    """The administrator correcting a review, their roles, and the open review."""
    admin = await current_user(ctx)
    return {
        "admin": admin,
        "roles": await roles_of(ctx, admin),
        "review": await _open_review(ctx, reviewId),
    }


@internal_mutation(args={"reviewId": v.id("reviews"), "sql": v.string()}, returns=v.null())
async def save_correction(ctx, reviewId, sql):
    """The corrected SQL on the review, and the question with it as a team example."""
    admin = await current_user(ctx)
    review = await _open_review(ctx, reviewId)
    await ctx.db.patch(
        reviewId,
        {
            "status": "corrected",
            "correctedSql": sql,
            "resolvedBy": admin["email"],
            "resolvedAt": _now(),
        },
    )
    if review.get("question"):
        await ctx.db.insert(
            "teamExamples",
            {
                "question": review["question"],
                "sql": sql,
                "reviewId": reviewId,
                "createdBy": admin["email"],
                "createdAt": _now(),
            },
        )
    await record(ctx, admin, "correct_review", question=review.get("question"), sql=sql)


@action(
    args={"reviewId": v.id("reviews"), "sql": v.string()},
    returns=v.union(
        v.object({"ok": v.literal(True), "rowCount": v.number(), "columns": v.array(v.string())}),
        v.object({"ok": v.literal(False), "error": v.string()}),
    ),
)
@allow("feature:admin")
async def correct_review(ctx, reviewId, sql):
    """Correct a reviewed answer: the SQL must pass the guard and run; it then answers the
    question for everyone as a team example. Returns ``{"ok": True, "rowCount", "columns"}``,
    or ``{"ok": False, "error"}`` saying why the SQL was not accepted (the review stays open)."""
    if not sql.strip():
        return {"ok": False, "error": "The corrected SQL is empty"}
    found = await ctx.run_query("reviews:reviewer", {"reviewId": reviewId})
    policy = policy_of(found["roles"])
    result = await asyncio.to_thread(shared().run_sql, sql, policy, found["review"].get("question"))
    if result.status != "success":
        return {"ok": False, "error": f"The corrected SQL does not run: {result.error}"}
    await ctx.run_mutation("reviews:saveCorrection", {"reviewId": reviewId, "sql": sql})
    return {"ok": True, "rowCount": result.row_count, "columns": result.columns}
