"""Which master key signs the audit chains of a database.

Events join their chain at commit, where only the session is at hand, so each composition root (the
app, the CLI, the worker) registers its settings once with :func:`configure`, per database. The key is
read from those settings at each use, as the vault reads it, so a rotated key file takes effect at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy import URL, make_url
from sqlalchemy.orm import Session

from dunops.audit.digest import ChainKey
from dunops.config import Settings
from dunops.errors import ConfigurationError
from dunops.security.master_key import load_master_key

# A process has one configuration; a test session has one per test. Keep the recent ones only.
_MAX_DATABASES = 16
_SETTINGS: OrderedDict[URL, Settings] = OrderedDict()
_LOCK = threading.Lock()


def _database(url: URL) -> URL:
    return url.set(password=None)


def configure(settings: Settings) -> None:
    """Sign the audit chains of the database of ``settings`` with its master key."""
    database = _database(make_url(settings.sqlalchemy_url))
    with _LOCK:
        _SETTINGS[database] = settings
        _SETTINGS.move_to_end(database)
        while len(_SETTINGS) > _MAX_DATABASES:
            _SETTINGS.popitem(last=False)


def key_for(session: Session) -> ChainKey:
    """The audit-chain key of the database ``session`` works on."""
    with _LOCK:
        settings = _SETTINGS.get(_database(session.get_bind().engine.url))
    if settings is None:
        raise ConfigurationError("no master key is configured to sign the audit chains of this database")
    return ChainKey.of(load_master_key(settings))
