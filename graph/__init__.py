"""The link graph: nodes and edges derived from records, stored in Elasticsearch, analysed with networkx."""
