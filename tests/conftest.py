"""Settings for the whole test session.

The rules cache (:mod:`annotator.rules.cache`) is off in every test, and in every process a
test starts (they inherit the environment): a test must not write to the home directory of the
machine it runs on, and tests that change how rules are read must see them read.
``tests/test_rules_cache.py`` turns it on, in a temporary directory, where it is the subject.
"""

from __future__ import annotations

import os

#: ``annotator.rules.cache.CACHE_ENV`` (not imported here: the session starts with no module of
#: the annotator loaded; tests/test_rules_cache.py checks the two agree).
CACHE_ENV = "RESISTANCE_ANNOTATOR_CACHE_DIR"

os.environ[CACHE_ENV] = ""
