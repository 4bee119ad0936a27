"""Targeting: scores, analyst rules, the inspection queue, officers' feedback and alerts."""
