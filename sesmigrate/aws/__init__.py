"""The edge to AWS: clients and retries, the scanner, client-side rate limits."""
