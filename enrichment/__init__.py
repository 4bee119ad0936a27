"""Enrichment stages: named entities, customs identifiers, watchlist screening and risk scoring."""
