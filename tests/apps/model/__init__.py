"""An app for livebase's model-based (hypothesis) tests: one table, several indexes."""
