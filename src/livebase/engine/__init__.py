"""The engine: values, keys, ids, validators, schema, catalog, filters, read sets, transactions,
queries and the database (its Committer assigns timestamps and checks conflicts; its CommitFeed
reports commits from this process or others).

It does no I/O of its own: storage is reached through the interface in ``store`` that the
``livebase.persistence`` implementations provide.
"""
