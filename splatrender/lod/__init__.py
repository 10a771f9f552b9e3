"""Level of detail and streaming.

Offline (numpy): ``build`` (hierarchy builder), ``codec`` (chunk encoder + numpy
decoder twin), ``merge``. Runtime (pure Python, same code natively and in the
browser): ``manifest``, ``chunk``, ``select``, ``stream``, ``pool``, ``scene``.
"""
