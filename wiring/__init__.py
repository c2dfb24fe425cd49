"""The composition root: builds the product's services from `Settings`.

The one package that knows every adapter (Ollama, the SQL runner, Qdrant, the app
database) and puts them together for the UI, the command line and the tools. backend/,
auth/, vectorstore/ and appdb/ never import it, so no package depends on one above it.
"""
