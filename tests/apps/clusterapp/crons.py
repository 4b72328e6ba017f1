from livebase import cron_jobs

crons = cron_jobs()
crons.interval("tick", {"seconds": 1}, "jobs:tick", {})
