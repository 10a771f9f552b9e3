"""Where scene bytes come from and how their entropy coding is undone (pure Python).

``fetch``: byte ranges of files in a folder or over HTTP (``browser_fetch``: JS fetch
in a page). ``codecs``: gzip, zstd and WebP decoding for the runtime decoders
(``browser_codecs``: the browser's own decoders).
"""
