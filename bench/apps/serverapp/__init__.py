"""The app bench_server.py serves: boards to subscribe to, and notes to insert."""
