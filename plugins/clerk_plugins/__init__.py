"""Backends for clerk-core: each module is a plugin that imports its library lazily.

* :mod:`clerk_plugins.josepy_crypto`: key import and signature verification on
  josepy / cryptography (CPython default).
* :mod:`clerk_plugins.niquests_http`: sync and async HTTP on niquests (CPython default).
"""
