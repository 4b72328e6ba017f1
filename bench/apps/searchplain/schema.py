"""``messages`` as in the search bench app, without the search index: the insert baseline."""

from livebase import define_schema, define_table, v

schema = define_schema({"messages": define_table({"body": v.string(), "channel": v.string()})})
