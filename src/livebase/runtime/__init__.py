"""The runtime: loading an app, running its functions (contexts, argument and return
validation, determinism, retries, logs) off the event loop and within their time limits.

File storage, the scheduler, crons and auth are services built on top (``livebase.services``);
the runtime reaches them only through the hooks its contexts are given.
"""
