"""sessiondocs as a livebase app: sessions, screenshots, OCR results and documentation."""
