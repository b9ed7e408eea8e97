"""The storage and vendor layer: the Chroma store, the lexical index, embedders, LLM clients, locking.

Each module wraps one outside dependency behind the small interface rawi relies on. Modules here
import `core` and each other, never `ingest`, `rag` or anything above them; building them from
settings is the composition root's job (`rawi.compose`).
"""
