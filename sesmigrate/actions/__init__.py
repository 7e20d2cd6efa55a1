"""The action kinds: tenant and monitoring changes, each with its inverse, and their registry."""
