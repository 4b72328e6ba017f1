"""sessiondocs: screenshot sessions turned into step-by-step documentation, on livebase."""
