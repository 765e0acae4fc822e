"""Backends for clerk-core: each module is a plugin that imports its library lazily.

* :mod:`clerk_plugins.josepy_crypto`: key import and signature verification on
  josepy / cryptography (CPython default).
* :mod:`clerk_plugins.stdlib_http`: sync HTTP on the standard library's ``http.client``
  (the default for sync clients; no extra needed).
* :mod:`clerk_plugins.niquests_http`: sync and async HTTP on niquests (the default for async
  clients, and for sync ones when the environment names a proxy for the API host).
"""
