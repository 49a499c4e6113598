"""The whole schema: importing this module registers every store table on the one `metadata`."""

from __future__ import annotations

import importlib
import pkgutil

from sqlalchemy import MetaData

import paperfeed.store as _store
from paperfeed.store.tables import metadata


def load_all() -> MetaData:
    """Import every module of the store (each declares its tables) and return the one MetaData."""
    for info in pkgutil.iter_modules(_store.__path__):
        if info.name != "migrations":
            importlib.import_module(f"{_store.__name__}.{info.name}")
    return metadata


__all__ = ["load_all", "metadata"]
