"""Services an app's functions use: file storage, the scheduler and its worker, crons, auth.

Each takes a ``Transactor`` (``livebase.runtime.transactor``), never a Runtime.
``livebase.services.runtime.Runtime`` is the runtime with all of them installed.
"""
