from livebase import cron_jobs

crons = cron_jobs()
crons.interval("tick", {"seconds": 1}, "jobs:record", {"job": "tick"})
crons.cron("every minute", "* * * * *", "jobs:record", {"job": "minutely"})
