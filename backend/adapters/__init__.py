"""Vendor code at the edge: Ollama, SQL databases. Each adapter implements a port."""
