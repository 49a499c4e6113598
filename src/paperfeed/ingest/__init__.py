"""Ingestion: one module per source, one shared run loop (`run.py`)."""
