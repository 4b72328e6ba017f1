"""bankchat's tables in livebase: everything the application owns (never the bank data)."""

from livebase import Invitations, define_schema, define_table, v

invitations = Invitations("invites", inviter_table="users")

permission = v.object(
    {
        "resource": v.string(),  # table:loan, table:*, column:client.birth_date, rows:account,
        "action": v.union(v.literal("allow"), v.literal("deny")),  # feature:audit ...
        "conditions": v.optional(
            v.object({"filter": v.optional(v.string()), "label": v.optional(v.string())})
        ),
    }
)

schema = define_schema(
    {
        "users": define_table(
            {
                "email": v.string(),
                "name": v.string(),
                "tokenIdentifier": v.optional(v.string()),
                "roleIds": v.array(v.id("roles")),
                "departmentId": v.optional(v.string()),
                "isActive": v.boolean(),
                "avatarUrl": v.optional(v.string()),
                "preferences": v.object(
                    {
                        "theme": v.union(v.literal("light"), v.literal("dark")),
                        "notificationsEnabled": v.boolean(),
                    }
                ),
                "createdAt": v.number(),
            }
        )
        .index("by_email", ["email"])
        .index("by_token", ["tokenIdentifier"]),
        # an administrator's invitation: a one-time sign-up link for one email, with its roles
        "invites": invitations.table(roleIds=v.array(v.id("roles"))),
        "roles": define_table(
            {"name": v.string(), "description": v.string(), "permissions": v.array(permission)}
        ).index("by_name", ["name"]),
        "conversations": define_table(
            {
                "userId": v.id("users"),
                "title": v.string(),
                "createdAt": v.number(),
                "updatedAt": v.number(),
            }
        ).index("by_user", ["userId", "updatedAt"]),
        "messages": define_table(
            {
                "conversationId": v.id("conversations"),
                "userId": v.id("users"),
                "type": v.union(v.literal("user"), v.literal("assistant")),
                "content": v.string(),
                "sql": v.optional(v.string()),
                "resultCount": v.optional(v.number()),
                "executionTimeMs": v.optional(v.number()),
                "error": v.optional(v.string()),
                "denied": v.optional(v.boolean()),
                "engine": v.optional(v.string()),
                "columns": v.optional(v.array(v.string())),
                "rows": v.optional(v.array(v.array(v.any()))),
                "chart": v.optional(v.any()),
                # titles, kinds and units per column; what the SQL computes; warnings
                "columnInfo": v.optional(v.array(v.any())),
                "interpretation": v.optional(
                    v.array(v.object({"part": v.string(), "text": v.string()}))
                ),
                "flags": v.optional(v.array(v.string())),
                # two readings of an ambiguous question, to choose from
                "choices": v.optional(v.array(v.object({"label": v.string(), "sql": v.string()}))),
                "timestamp": v.number(),
            }
        )
        .index("by_conversation", ["conversationId", "timestamp"])
        .search_index("search_content", search_field="content", filter_fields=["userId", "type"]),
        "favorites": define_table(
            {
                "userId": v.id("users"),
                "name": v.string(),
                "question": v.optional(v.string()),
                "sql": v.string(),
                "tags": v.array(v.string()),
                "isPublic": v.boolean(),
                "useCount": v.number(),
                "createdAt": v.number(),
                "lastUsedAt": v.optional(v.number()),
            }
        )
        .index("by_user", ["userId", "createdAt"])
        .index("by_public", ["isPublic", "useCount"])
        .search_index("search_name", search_field="name", filter_fields=["userId"])
        .search_index("search_question", search_field="question", filter_fields=["userId"])
        .search_index("search_sql", search_field="sql", filter_fields=["userId"]),
        "queryHistory": define_table(
            {
                "userId": v.id("users"),
                "conversationId": v.optional(v.id("conversations")),
                "question": v.optional(v.string()),
                "sql": v.optional(v.string()),
                "status": v.union(
                    v.literal("success"),
                    v.literal("error"),
                    v.literal("denied"),
                    v.literal("not_understood"),
                    v.literal("ambiguous"),
                ),
                "resultCount": v.optional(v.number()),
                "executionTimeMs": v.optional(v.number()),
                "engine": v.optional(v.string()),
                "timestamp": v.number(),
            }
        )
        .index("by_user", ["userId", "timestamp"])
        .search_index("search_question", search_field="question", filter_fields=["userId"])
        .search_index("search_sql", search_field="sql", filter_fields=["userId"]),
        "auditLogs": define_table(
            {
                "userId": v.id("users"),
                "userEmail": v.string(),
                "action": v.string(),  # ask | sql | rerun | favorite ...
                "question": v.optional(v.string()),
                "sql": v.optional(v.string()),
                "tables": v.array(v.string()),
                "allowed": v.boolean(),
                # answered | refused | not_understood | failed (entries from before it: allowed)
                "outcome": v.optional(v.string()),
                "reason": v.optional(v.string()),
                "ipAddress": v.optional(v.string()),
                "userAgent": v.optional(v.string()),
                "timestamp": v.number(),
            }
        )
        .index("by_user", ["userId", "timestamp"])
        .index("by_time", ["timestamp"])
        .index("by_allowed", ["allowed", "timestamp"])
        .search_index("search_question", search_field="question")
        .search_index("search_sql", search_field="sql")
        .search_index("search_reason", search_field="reason"),
        "reviews": define_table(
            {
                "messageId": v.id("messages"),
                "userId": v.id("users"),
                "userEmail": v.string(),
                "question": v.optional(v.string()),
                "answer": v.string(),
                "sql": v.optional(v.string()),
                "interpretation": v.optional(v.array(v.any())),
                "note": v.optional(v.string()),
                "status": v.string(),  # open | corrected | dismissed
                "correctedSql": v.optional(v.string()),
                "resolvedBy": v.optional(v.string()),
                "resolvedAt": v.optional(v.number()),
                "createdAt": v.number(),
            }
        )
        .index("by_status", ["status", "createdAt"])
        .index("by_message", ["messageId"])
        .index("by_user", ["userId", "createdAt"]),
        # corrected answers the engines use: question -> SQL, for the whole team
        "teamExamples": define_table(
            {
                "question": v.string(),
                "sql": v.string(),
                "reviewId": v.optional(v.id("reviews")),
                "createdBy": v.string(),
                "createdAt": v.number(),
            }
        ).index("by_time", ["createdAt"]),
        "analytics": define_table(
            {"day": v.string(), "metric": v.string(), "key": v.string(), "count": v.number()}
        ).index("by_metric", ["metric", "key", "day"]),
        "teams": define_table(
            {
                "name": v.string(),
                "description": v.optional(v.string()),
                "createdBy": v.id("users"),
                "createdAt": v.number(),
            }
        ),
        "teamMembers": define_table(
            {
                "teamId": v.id("teams"),
                "userId": v.id("users"),
                "role": v.union(v.literal("owner"), v.literal("member")),
                "joinedAt": v.number(),
            }
        )
        .index("by_team", ["teamId"])
        .index("by_user", ["userId"]),
        # joining a team takes the invitee's consent: an invitation by email, accepted or declined
        "teamInvites": define_table(
            {
                "teamId": v.id("teams"),
                "email": v.string(),
                "invitedBy": v.id("users"),
                "createdAt": v.number(),
            }
        )
        .index("by_team", ["teamId", "email"])
        .index("by_email", ["email"]),
        "sharedQueries": define_table(
            {
                "teamId": v.id("teams"),
                "sharedBy": v.id("users"),
                "name": v.string(),
                "question": v.optional(v.string()),
                "sql": v.string(),
                "createdAt": v.number(),
            }
        ).index("by_team", ["teamId", "createdAt"]),
        "notifications": define_table(
            {
                "userId": v.id("users"),
                "type": v.string(),
                "title": v.string(),
                "body": v.optional(v.string()),
                "link": v.optional(v.string()),
                "read": v.boolean(),
                "createdAt": v.number(),
            }
        ).index("by_user_read", ["userId", "read", "createdAt"]),
    }
)
