"""The app of the scheduler lease tests: a slow action behind which a backlog of slow
scheduled mutations comes due, and a way to cancel a job."""
