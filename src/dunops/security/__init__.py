"""Security adapters: secrets and digests, the credentials vault, rate limits."""
