"""Functions that run long, for the time-limit tests and the off-loop benchmark."""
