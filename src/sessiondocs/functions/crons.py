"""sessiondocs' cron: screenshots whose read died with a stopped server are read again."""

from livebase import cron_jobs

crons = cron_jobs()
crons.interval("requeue stale OCR", {"minutes": 1}, "pipeline:requeueStale", {})
