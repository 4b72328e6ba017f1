from livebase import cron_jobs

crons = cron_jobs()
# An action cron that takes longer than its interval: overlapping runs must be skipped.
crons.interval("overlap", {"seconds": 0.3}, "work:slow", {"job": "overlap", "seconds": 1.0})
