"""Scheduled functions and crons for the tests of many processes over one deployment."""
