"""Conversations: ask in plain language, or run SQL; every attempt is recorded and audited."""

import asyncio
import time

from bankchat.functions._access import MEMBER, allow, current_user
from bankchat.functions._shapes import AskResult, Message
from bankchat.functions.audit import record
from bankchat.roles import policy_of
from bankchat.service import CACHED_ROWS, shared
from livebase import ConvexError, action, internal_mutation, mutation, query, v

TITLE_WORDS = 8
# an answer's status -> the audit log's outcome
OUTCOMES = {
    "success": "answered",
    "denied": "refused",
    "not_understood": "not_understood",
    "error": "failed",
    "ambiguous": "asked_back",
}


def _now() -> float:
    return time.time() * 1000


def _title(question: str) -> str:
    words = question.strip().rstrip("?").split()
    title = " ".join(words[:TITLE_WORDS])
    return (title + "…") if len(words) > TITLE_WORDS else (title or "New conversation")


async def _own_conversation(ctx, user, conversation_id):
    conversation = await ctx.db.get(conversation_id)
    if conversation is None or conversation["userId"] != user["_id"]:
        raise ConvexError({"code": "not_found", "message": "No such conversation"})
    return conversation


# --- reading -------------------------------------------------------------------------------


@query(returns=v.array(v.doc("conversations")))
@allow(MEMBER)
async def list_conversations(ctx):
    """The user's conversations, most recent first."""
    user = await current_user(ctx)
    rows = ctx.db.query("conversations").with_index(
        "by_user", lambda q: q.eq("userId", user["_id"])
    )
    return await rows.order("desc").collect()


@query(args={"conversationId": v.id("conversations")}, returns=v.array(Message))
@allow(MEMBER)
async def get_conversation_messages(ctx, conversationId):
    user = await current_user(ctx)
    await _own_conversation(ctx, user, conversationId)
    rows = ctx.db.query("messages").with_index(
        "by_conversation", lambda q: q.eq("conversationId", conversationId)
    )
    return await rows.collect()


# --- changing ------------------------------------------------------------------------------


@mutation(
    args={"conversationId": v.optional(v.id("conversations")), "content": v.string()},
    returns=v.id("conversations"),
)
@allow(MEMBER)
async def send_message(ctx, content, conversationId=None):
    """Add a user message (starting a conversation if needed); returns the conversation id."""
    user = await current_user(ctx)
    if not content.strip():
        raise ConvexError({"code": "empty", "message": "The message is empty"})
    if conversationId is None:
        conversationId = await ctx.db.insert(
            "conversations",
            {
                "userId": user["_id"],
                "title": _title(content),
                "createdAt": _now(),
                "updatedAt": _now(),
            },
        )
    else:
        await _own_conversation(ctx, user, conversationId)
        await ctx.db.patch(conversationId, {"updatedAt": _now()})
    await ctx.db.insert(
        "messages",
        {
            "conversationId": conversationId,
            "userId": user["_id"],
            "type": "user",
            "content": content,
            "timestamp": _now(),
        },
    )
    return conversationId


@mutation(args={"conversationId": v.id("conversations"), "title": v.string()}, returns=v.null())
@allow(MEMBER)
async def rename_conversation(ctx, conversationId, title):
    user = await current_user(ctx)
    await _own_conversation(ctx, user, conversationId)
    if not title.strip():
        raise ConvexError({"code": "empty", "message": "A title cannot be empty"})
    await ctx.db.patch(conversationId, {"title": title.strip()[:200]})


@mutation(args={"conversationId": v.id("conversations")}, returns=v.null())
@allow(MEMBER)
async def delete_conversation(ctx, conversationId):
    user = await current_user(ctx)
    await _own_conversation(ctx, user, conversationId)
    messages = ctx.db.query("messages").with_index(
        "by_conversation", lambda q: q.eq("conversationId", conversationId)
    )
    for message in await messages.collect():
        await ctx.db.delete(message["_id"])
    await ctx.db.delete(conversationId)


# --- asking --------------------------------------------------------------------------------


@internal_mutation(
    args={"conversationId": v.optional(v.id("conversations")), "content": v.string()},
    returns=v.object(
        {
            "conversationId": v.id("conversations"),
            "user": v.doc("users"),
            "roles": v.array(v.doc("roles")),
            # [question, SQL] pairs: the team's corrections, then the user's favorites
            "examples": v.array(v.array(v.string())),
            # [question, SQL] of the conversation's last answered turns, oldest first
            "history": v.array(v.array(v.string())),
        }
    ),
)
async def start_turn(ctx, content, conversationId=None):
    """Record the user's turn; hand the action what it needs (policy inputs, examples)."""
    user = await current_user(ctx)
    conversation_id = await send_message.handler(
        ctx, content=content, conversationId=conversationId
    )
    roles = [await ctx.db.get(r) for r in user["roleIds"]]
    favorites = (
        await ctx.db.query("favorites")
        .with_index("by_user", lambda q: q.eq("userId", user["_id"]))
        .order("desc")
        .take(20)
    )
    # why: corrections an administrator made to wrong answers come first: they are the
    # team's word on how a question is answered
    corrected = await ctx.db.query("teamExamples").with_index("by_time").order("desc").take(50)
    examples = [[e["question"], e["sql"]] for e in corrected]
    examples += [[f["question"], f["sql"]] for f in favorites if f.get("question")]
    earlier = (
        await ctx.db.query("messages")
        .with_index("by_conversation", lambda q: q.eq("conversationId", conversation_id))
        .order("desc")
        .take(9)
    )
    history = []
    for before, after in zip(earlier[1:], earlier[:-1], strict=False):
        if before["type"] == "user" and after["type"] == "assistant" and after.get("sql"):
            history.append([before["content"], after["sql"]])
    return {
        "conversationId": conversation_id,
        "user": user,
        "roles": [r for r in roles if r is not None],
        "examples": examples[:60],
        "history": list(reversed(history))[-3:],
    }


@internal_mutation(
    args={
        "userId": v.id("users"),
        "userEmail": v.string(),
        "conversationId": v.optional(v.id("conversations")),
        "action": v.string(),
        "result": v.any(),
        "ipAddress": v.optional(v.string()),
        "userAgent": v.optional(v.string()),
    },
    returns=v.nullable(v.id("messages")),
)
async def record_answer(
    ctx, userId, userEmail, action, result, conversationId=None, ipAddress=None, userAgent=None
):
    """The assistant's message, query history, an audit entry and analytics, in one commit.

    ``ipAddress`` and ``userAgent`` come from the calling connection (``ctx.client`` of the
    action), never from the client's arguments: this mutation is internal."""
    now = _now()
    status = result["status"]
    if result.get("choices"):
        content = result["error"]
    elif result.get("not_understood"):
        content = f"I could not answer that: {result['error']}"
    elif result.get("denied"):
        content = f"This query was refused: {result['error']}"
    elif result.get("error"):
        content = f"The query failed: {result['error']}"
    else:
        content = result.get("explanation") or f"{result['row_count']} rows"
    message_id = None
    if conversationId is not None:
        message = {
            "conversationId": conversationId,
            "userId": userId,
            "type": "assistant",
            "content": content,
            "timestamp": now,
            "denied": bool(result.get("denied")),
        }
        for key, field in (
            ("sql", "sql"),
            ("row_count", "resultCount"),
            ("execution_ms", "executionTimeMs"),
            ("error", "error"),
            ("engine", "engine"),
            ("chart", "chart"),
            ("column_info", "columnInfo"),
            ("interpretation", "interpretation"),
            ("flags", "flags"),
            ("choices", "choices"),
        ):
            if result.get(key) is not None and result[key] != []:
                message[field] = result[key]
        if result.get("columns"):
            message["columns"] = result["columns"]
            message["rows"] = result["rows"][:CACHED_ROWS]
        message_id = await ctx.db.insert("messages", message)
        await ctx.db.patch(conversationId, {"updatedAt": now})
    history = {"userId": userId, "status": status, "timestamp": now}
    for key, field in (
        ("question", "question"),
        ("sql", "sql"),
        ("row_count", "resultCount"),
        ("execution_ms", "executionTimeMs"),
        ("engine", "engine"),
    ):
        if result.get(key) is not None:
            history[field] = result[key]
    if conversationId is not None:
        history["conversationId"] = conversationId
    await ctx.db.insert("queryHistory", history)
    await record(
        ctx,
        {"_id": userId, "email": userEmail},
        action,
        tables=result.get("tables") or [],
        allowed=not result.get("denied"),
        outcome=OUTCOMES.get(status, status),
        question=result.get("question"),
        sql=result.get("sql"),
        reason=result["error"] if result.get("denied") or result.get("error") else None,
        ipAddress=ipAddress,
        userAgent=userAgent,
    )
    await _count(ctx, "queries", "all")
    await _count(ctx, "status", status)
    for table in result.get("tables") or []:
        await _count(ctx, "table", table)
    if result.get("question"):
        await _count(ctx, "question", result["question"].strip().lower()[:200])
    if result.get("denied"):
        await ctx.db.insert(
            "notifications",
            {
                "userId": userId,
                "type": "denied",
                "title": "A query was refused",
                "body": result["error"],
                "read": False,
                "createdAt": now,
            },
        )
    return message_id


async def _count(ctx, metric, key):
    day = time.strftime("%Y-%m-%d", time.gmtime(time.time()))
    row = (
        await ctx.db.query("analytics")
        .with_index("by_metric", lambda q: q.eq("metric", metric).eq("key", key).eq("day", day))
        .first()
    )
    if row is None:
        await ctx.db.insert("analytics", {"day": day, "metric": metric, "key": key, "count": 1})
    else:
        await ctx.db.patch(row["_id"], {"count": row["count"] + 1})


async def _answer(ctx, conversationId, text, kind):
    args = {"content": text}
    if conversationId is not None:
        args["conversationId"] = conversationId
    turn = await ctx.run_mutation("chat:start_turn", args)
    policy = policy_of(turn["roles"])
    service = shared()
    if kind == "ask":
        examples = [tuple(e) for e in turn["examples"]]
        history = [tuple(h) for h in turn["history"]]
        result = await asyncio.to_thread(service.ask, text, policy, examples, history)
    else:
        result = await asyncio.to_thread(service.run_sql, text, policy)
    payload = result.to_dict()
    record = {
        "userId": turn["user"]["_id"],
        "userEmail": turn["user"]["email"],
        "conversationId": turn["conversationId"],
        "action": kind,
        "result": payload,
    }
    if ctx.client.ip:
        record["ipAddress"] = ctx.client.ip
    if ctx.client.user_agent:
        record["userAgent"] = ctx.client.user_agent
    message_id = await ctx.run_mutation("chat:record_answer", record)
    return {**payload, "conversationId": turn["conversationId"], "messageId": message_id}


@action(
    args={"question": v.string(), "conversationId": v.optional(v.id("conversations"))},
    returns=AskResult,
)
@allow(MEMBER)
async def ask(ctx, question, conversationId=None):
    """Plain language -> SQL -> role check -> read-only run -> rows (and a chart spec)."""
    if not question.strip():
        raise ConvexError({"code": "empty", "message": "Ask a question"})
    return await _answer(ctx, conversationId, question, "ask")


@action(
    args={"sql": v.string(), "conversationId": v.optional(v.id("conversations"))},
    returns=AskResult,
)
@allow(MEMBER)
async def run_sql(ctx, sql, conversationId=None):
    """SQL a person wrote or edited: the same guard, the same records."""
    if not sql.strip():
        raise ConvexError({"code": "empty", "message": "The SQL is empty"})
    return await _answer(ctx, conversationId, sql, "sql")
