"""The app the backup tests export and import: references between tables, every value type,
stored files, and two tables one mutation keeps in step."""
